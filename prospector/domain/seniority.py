"""Job title -> seniority level, the gate for who may receive a referral ask.

Titles arrive as free text in English, German, French, Spanish and Chinese. Rules are
data, grouped per outcome and ranked: "chief of staff", then the assistant guard
(titles that *mention* a senior role they serve), then the levels from c_level down to
individual. The highest-ranked rule found anywhere in the title wins, so the most senior
role a title names counts ("CTO & Co-founder", "Founder / Head of Product" -> c_level)
unless the title is an assistant's ("Assistant to the CEO" -> individual).

Judgement calls, chosen for who can answer "who is the right person to talk to?":
- c_level: chief officers, founders, owners, presidents, chairs, board members
  (Vorstand, 董事), and the person running the company in local usage: Managing
  Director (UK/DE), General Manager, Geschäftsführer, Directeur général / PDG / DG,
  Director General / Director Ejecutivo / Consejero Delegado, Gérant (legal head of a
  French SARL), 总经理 and 总裁. Partner counts when it is the person's rank (Partner,
  Managing/Founding/Senior/Equity Partner, 合伙人): in law, accounting, consulting and
  agency partnerships the partners own the firm. "Partner Manager", "HR Business
  Partner" and the like are functions, not ranks.
- vp: VP/SVP/EVP/AVP and Vice President in every language, deputy general managers
  (副总经理, DGA), and "Head of X" — in most companies Head of a function reports
  to the C-level exactly as a VP does. German "Leiter X" / "Bereichsleiter" /
  "Vertriebsleiter" are the same role and are vp too.
- director: Director / Direktor / Directeur / 总监, Abteilungsleiter, Prokurist,
  Executive Director (a rank above senior director in corporate usage; the Spanish
  "Director Ejecutivo" is the CEO and stays c_level), non-officer "Chief X" (Chief
  Engineer, Chief Scientist) and Chief of Staff (senior, but not an officer).
- manager: Manager / Lead / Team lead / Supervisor, Teamleiter / Projektleiter,
  Responsable, Chef de projet, Gerente / Jefe, 经理 / 主管, and role-owners such as
  Product Owner (an owner of a backlog, not of the company).
- individual: engineers, analysts, specialists, associates, coordinators, reps,
  account executives, interns, and every kind of assistant ("Assistant to the CEO",
  "Executive Assistant", "Director's assistant", 总经理助理) — checked before the
  level rules because such titles name a senior role they serve.
- An "assistant/associate" adjective in front of a level does not demote it
  ("Assistant Vice President" -> vp, "Associate Director" -> director), matching how
  contact databases bucket these titles.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache


class Seniority(str, Enum):  # noqa: UP042 - str() and format() of members are relied on
    """Ordered from most to least senior; `unknown` when a title says nothing usable."""

    C_LEVEL = "c_level"
    VP = "vp"
    DIRECTOR = "director"
    MANAGER = "manager"
    INDIVIDUAL = "individual"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Higher is more senior; unknown ranks lowest so it never passes a floor."""
        return _RANK[self]


_RANK = {
    Seniority.C_LEVEL: 5,
    Seniority.VP: 4,
    Seniority.DIRECTOR: 3,
    Seniority.MANAGER: 2,
    Seniority.INDIVIDUAL: 1,
    Seniority.UNKNOWN: 0,
}

# Matching is one scan per title: a single regex made of every rule finds the role words
# a title contains, then each distinct word found is classified once (memoised) by the
# per-outcome rules. Seven separate level regexes, or named groups per level, cost
# 20-35 µs per new title on the target machine; this costs a few µs.

# Python's \b treats CJK characters as word characters, so "CEO助理" has no boundary
# after "CEO". Latin words are delimited by "no Latin letter next to it" instead.
_L = r"(?<![a-z\u00c0-\u024f])"
_R = r"(?![a-z\u00c0-\u024f])"

_LEVEL_WORDS = r"vice|vp|director|manager|general manager|head|chief|president|principal"

# Owners of a backlog or a process, not of the company.
_ROLE_OWNERS = (
    "product", "process", "service", "data", "system", "application", "platform",
    "content", "feature", "risk", "control", "budget", "account", "project", "programme",
    "program", "solution", "release", "asset", "module", "domain", "technical", "test",
    "change", "incident", "problem", "policy", "story", "relationship",
)  # fmt: skip
_VICE = ("vice ", "vice-", "vize ", "vize-", "deputy ")
# "Leiter X" is "Head of X" (vp); these compounds lead a team, a project or a site instead.
_LEITER_MANAGER = (
    "team", "team-", "team ", "gruppen", "projekt", "schicht", "filial", "bau", "lager",
)  # fmt: skip
# Abteilungsleiter is director level; Begleiter, Halbleiter, Weiterleitung are no titles.
_NOT_LEITER_VP = (*_LEITER_MANAGER, "abteilungs", "beg", "halb", "weiter")


def _unless_after(prefixes: tuple[str, ...], core: str) -> str:
    """`core` (fixed width) not preceded by a prefix; the lookbehinds follow the core so
    they run only where it matched, not at every position."""
    return core + "".join(f"(?<!{p}{core})" for p in prefixes)


# Whole Latin words and phrases: bounded by non-letters on both sides.
# Titles are lower-cased and whitespace-collapsed before matching. One alternative per string.
_WORDS: dict[str, tuple[str, ...]] = {
    "chief_of_staff": (r"chief\s+of\s+staff",),
    "guard": (
        rf"assistante?(?!\s+(?:{_LEVEL_WORDS}){_R})",
        r"asistente", r"asistenta", r"pa\s+to", r"ea\s+to", r"secretary\s+to",
        r"advisor\s+to", r"adviser\s+to", r"aide\s+to", r"to\s+the",
    ),
    "c_level": (
        r"ceo", r"cto", r"cfo", r"coo", r"cmo", r"cio", r"ciso", r"cso", r"cpo", r"cro",
        r"cco", r"cdo", r"chro", r"cao", r"clo", r"cxo", r"cbo", r"cgo", r"c-level",
        r"c-suite", r"chief\s+executive", r"chief\b[^,;|/]{0,60}?\bofficer",
        r"founder", r"co[\s-]?founder", r"founding\s+(?:partner|ceo)",
        r"fondat(?:eur|rice)", r"co[\s-]?fondat(?:eur|rice)", r"fundadora?",
        r"co[\s-]?fundadora?", r"propriétaire", r"propietari[oa]", r"dueñ[oa]", r"proprietor",
        _unless_after(tuple(f"{w} " for w in _ROLE_OWNERS), "owner"), r"co[\s-]?owner",
        _unless_after(_VICE, r"pr[eéä]sident") + r"(?:e|a|in)?",
        _unless_after(_VICE, "chair") + r"(?:man|woman|person)",
        r"chair\s+of\s+the\s+board", r"board\s+chair", r"executive\s+chair",
        r"board\s+member", r"member\s+of\s+the\s+board",
        r"managing\s+director", r"managing\s+partner", r"general\s+manager",
        r"founding\s+partner", r"senior\s+partner", r"equity\s+partner",
        r"general\s+partner", r"name\s+partner", r"executive\s+partner",
        r"^partner(?:in)?(?:$|\s*[,|&/@(\u2013\u2014-]|\s+(?:at|and|und|bei|chez|en)\b)",
        r"directeur\s+g[ée]n[ée]ral(?!\s+adjoint)",
        r"directrice\s+g[ée]n[ée]rale(?!\s+adjointe)",
        r"pdg", r"dg", r"daf", r"directeur\s+administratif\s+et\s+financier",
        r"g[ée]rante?", r"associ[ée]e?\s+(?:g[ée]rante?|fondat(?:eur|rice))",
        r"directora?\s+general", r"directora?\s+ejecutiv[oa]", r"consejer[oa]\s+delegad[oa]",
        r"gerente\s+general", r"socia?\s+(?:directora?|fundadora?|gerente)",
    ),
    "vp": (
        r"vp", r"svp", r"evp", r"avp", r"vice[\s-]?pr[eé]sident(?:e|a)?",
        r"vize[\s-]?pr[äa]sident(?:in)?", r"vice[\s-]?chair(?:man|woman|person)?",
        r"deputy\s+chair(?:man|woman|person)?",
        r"head\s+of", r"head(?=\s*[,:\u2013\u2014|-])", r"head$",
        r"directeur\s+g[ée]n[ée]ral\s+adjoint", r"directrice\s+g[ée]n[ée]rale\s+adjointe",
        r"dga", r"subdirectora?\s+general",
    ),
    "director": (
        r"directora?", r"sub-?directora?", r"directeur", r"directrice", r"diretora?",
        r"dir\.", r"chief", r"associate\s+partner",
        r"^principal(?:$|\s*[,|&/@(\u2013\u2014-]|\s+(?:at|and)\b)",
    ),
    "manager": (
        r"mgr", r"lead(?!\s*gen)", r"leader", r"supervisora?", r"superintendent", r"foreman",
        r"responsable", r"gerente", r"jef[ea]", r"encargad[oa]", r"l[íi]der",
        r"chef\s+d(?:e\s|'|\u2019)[a-z\u00c0-\u024f]+", *(rf"{w}\s+owner" for w in _ROLE_OWNERS),
    ),
    "individual": (
        r"engineer", r"developer", r"programmer", r"analyst", r"specialist", r"associate",
        r"coordinator", r"representative", r"rep", r"intern", r"internship", r"trainee",
        r"apprentice", r"student", r"graduate", r"secretary", r"receptionist", r"clerk",
        r"administrator", r"admin", r"officer", r"agent", r"consultant", r"advisor",
        r"adviser", r"designer", r"architect", r"scientist", r"researcher", r"accountant",
        r"technician", r"operator", r"writer", r"editor", r"recruiter", r"buyer",
        r"planner", r"executive", r"staff", r"sdr", r"bdr", r"ae", r"member",
        r"contributor", r"employee", r"teacher", r"nurse", r"driver", r"worker", r"sales",
        r"business\s+partner",
        r"ingénieure?", r"chargée?", r"stagiaire", r"alternante?", r"analyste",
        r"développeu(?:r|se)", r"technicien(?:ne)?", r"commerciale?", r"conseill(?:er|ère)",
        r"employée?", r"apprentie?", r"collaborat(?:eur|rice)", r"comptable", r"attachée?",
        r"analista", r"ingenier[oa]", r"becari[oa]", r"coordinadora?", r"t[ée]cnic[oa]",
        r"especialista", r"consultora?", r"ejecutiv[oa]", r"desarrolladora?",
        r"representante", r"administrativ[oa]", r"auxiliar", r"vendedora?", r"asesora?",
        r"practicante", r"pasante",
    ),
}  # fmt: skip

# German compounds put the role last ("Vertriebsleiter"): bounded on the right only.
_COMPOUNDS: dict[str, tuple[str, ...]] = {
    "guard": (rf"assisten(?:t|tin|z)(?!\s+(?:{_LEVEL_WORDS}){_R})",),
    "c_level": (
        r"gesch[äa]ftsf[üu]hr(?:er|erin|ung|ende[rs]?)", r"inhaber(?:in)?",
        r"gr[üu]nder(?:in)?", r"gesellschafter(?:in)?", r"teilhaber(?:in)?",
        r"vorstand(?:s?vorsitzende[rn]?|smitglied|ssprecher)?",
        r"aufsichtsrat(?:s?vorsitzende[rn]?|smitglied)?",
    ),
    "vp": (_unless_after(_NOT_LEITER_VP, "leit") + r"(?:er|erin|ung)",),
    "director": (r"direktor(?:in)?", r"abteilungsleit(?:er|erin|ung)", r"prokurist(?:in)?"),
    "manager": (
        r"manager(?:in)?", r"teamlead",
        *(rf"{re.escape(p)}leit(?:er|erin|ung)" for p in _LEITER_MANAGER),
    ),
    "individual": (
        r"sachbearbeiter(?:in)?", r"referent(?:in)?", r"mitarbeiter(?:in)?",
        r"werkstudent(?:in)?", r"praktikant(?:in)?", r"auszubildende[rn]?", r"azubi",
        r"entwickler(?:in)?", r"ingenieur(?:in)?", r"berater(?:in)?", r"techniker(?:in)?",
        r"spezialist(?:in)?", r"kaufmann", r"kauffrau", r"verk[äa]ufer(?:in)?",
        r"angestellte[rn]?", r"fachkraft", r"betreuer(?:in)?",
    ),
}  # fmt: skip

# Chinese has no spaces: no boundaries at all.
_CJK: dict[str, tuple[str, ...]] = {
    "guard": (r"助理(?!总裁|副总裁|总经理|总监|经理)", r"秘书(?!长)"),
    "c_level": (
        r"首席\w{0,8}官", r"董事长", r"董事", r"创始人", r"合伙人", r"老板", r"法定代表人",
        _unless_after(("副", "助理"), "总裁"), _unless_after(("副", "助理"), "总经理"),
    ),
    "vp": (r"副总裁", r"副总经理", r"助理总裁", r"助理总经理", r"副总(?!监)"),
    "director": (r"总监", r"部长", r"首席"),
    "manager": (r"经理", r"主管", r"组长", r"主任", r"负责人", r"领班"),
    "individual": (
        r"工程师", r"专员", r"助理", r"实习生", r"实习", r"文员", r"代表", r"顾问", r"分析师",
        r"开发", r"设计师", r"销售", r"职员", r"员工", r"会计", r"程序员", r"客服",
    ),
}  # fmt: skip

# Highest wins. A chief of staff often works "to the CEO" yet is senior; the guard
# (someone serving a senior person) outranks the senior role their title names.
_OUTCOMES: dict[str, tuple[int, Seniority]] = {
    "chief_of_staff": (7, Seniority.DIRECTOR),
    "guard": (6, Seniority.INDIVIDUAL),
    **{level.value: (level.rank, level) for level in Seniority if level is not Seniority.UNKNOWN},
}
_NOTHING = (0, Seniority.UNKNOWN)
_SPECIAL_FIRST = frozenset("\\^$.|?*+()[]{}")


def _by_priority(*tables: dict[str, tuple[str, ...]]) -> list[tuple[str, list[str]]]:
    names = sorted(_OUTCOMES, key=lambda name: -_OUTCOMES[name][0])
    return [(name, [f for table in tables for f in table.get(name, ())]) for name in names]


def _trie(table: dict[str, tuple[str, ...]]) -> str:
    """Alternatives bucketed by literal first character, so at each position the engine
    tries one bucket rather than every alternative; buckets keep priority order, so where
    "director general" and "director" both match, the c_level phrase is taken."""
    buckets: dict[str, list[str]] = {}
    others: list[str] = []
    for _, fragments in _by_priority(table):
        for fragment in fragments:
            if fragment[0] in _SPECIAL_FIRST or fragment[1:2] in ("?", "*", "+", "{"):
                others.append(f"(?:{fragment})")
            else:
                buckets.setdefault(fragment[0], []).append(f"(?:{fragment[1:]})")
    branches = [f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in buckets.items()]
    return "|".join(others + branches)


_LATIN_SCAN = re.compile(f"{_L}(?:{_trie(_WORDS)}){_R}|(?:{_trie(_COMPOUNDS)}){_R}")
_ANY_SCAN = re.compile(f"{_LATIN_SCAN.pattern}|{_trie(_CJK)}")
_CLASSIFIERS = tuple(
    (re.compile("|".join(f"(?:{f})" for f in fragments)), _OUTCOMES[name])
    for name, fragments in _by_priority(_WORDS, _COMPOUNDS, _CJK)
)


@lru_cache(maxsize=4096)
def _outcome(found: str) -> tuple[int, Seniority]:
    """The scan only finds a word where its context rules allowed it, so the word alone
    decides the outcome; the vocabulary is small, so this is nearly always a cache hit."""
    for pattern, outcome in _CLASSIFIERS:
        if pattern.fullmatch(found):
            return outcome
    return _NOTHING


@lru_cache(maxsize=16384)
def seniority_from_title(title: str) -> Seniority:
    """Infer the level from a free-text title in English, Chinese, German, French or Spanish."""
    text = " ".join(title.lower().split())
    scan = _LATIN_SCAN if text.isascii() else _ANY_SCAN
    best = _NOTHING
    for match in scan.finditer(text):
        outcome = _outcome(match.group())
        if outcome[0] > best[0]:
            best = outcome
    return best[1]


_SPELLINGS: dict[str, Seniority] = {
    **{level.value: level for level in Seniority},
    "c": Seniority.C_LEVEL,
    "clevel": Seniority.C_LEVEL,
    "csuite": Seniority.C_LEVEL,
    "c_suite": Seniority.C_LEVEL,
    "cxo": Seniority.C_LEVEL,
    "executive": Seniority.C_LEVEL,
    "vice_president": Seniority.VP,
    "svp": Seniority.VP,
    "evp": Seniority.VP,
    "head": Seniority.VP,
    "head_of": Seniority.VP,
    "owner": Seniority.C_LEVEL,
    "founder": Seniority.C_LEVEL,
    "partner": Seniority.C_LEVEL,
    "dir": Seniority.DIRECTOR,
    "mgr": Seniority.MANAGER,
    "management": Seniority.MANAGER,
    "ic": Seniority.INDIVIDUAL,
    "individual_contributor": Seniority.INDIVIDUAL,
    "staff": Seniority.INDIVIDUAL,
    "senior": Seniority.INDIVIDUAL,
    "entry": Seniority.INDIVIDUAL,
    "intern": Seniority.INDIVIDUAL,
    "training": Seniority.INDIVIDUAL,
    "non_manager": Seniority.INDIVIDUAL,
    "none": Seniority.UNKNOWN,
}

_SEPARATORS = re.compile(r"[\s\-./]+")


def parse_seniority(value: str) -> Seniority:
    """Read a level written by a person in config or a CSV column, not inferred from a title."""
    key = _SEPARATORS.sub("_", value.strip().lower()).strip("_")
    key = key.removesuffix("_level")  # "VP-level"; "c_level" becomes "c", also listed
    key = key[:-1] if key.endswith("s") and key[:-1] in _SPELLINGS else key  # "directors"
    try:
        return _SPELLINGS[key]
    except KeyError:
        allowed = ", ".join(level.value for level in Seniority)
        raise ValueError(f"unknown seniority {value!r}; use one of: {allowed}") from None
