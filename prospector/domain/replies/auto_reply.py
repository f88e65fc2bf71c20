"""Automatic replies (out of office, vacation, challenge-response): the headers of RFC 3834
and the common servers, the wording in nine languages (many auto-replies carry no header),
the first day the person is back, and the colleagues named as stand-ins."""

# ruff: noqa: RUF001  (CJK punctuation in phrase lists is meant, not a look-alike)

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from prospector.domain.replies.dates import (
    WEEKDAY_PATTERN,
    find_dates,
    next_business_day,
    next_weekday,
    weekday_named,
)
from prospector.domain.replies.intents import lower_case_pattern
from prospector.domain.replies.parse import ParsedMessage
from prospector.domain.replies.people import (
    Person,
    emails_in,
    is_role_address,
    latin_names,
    name_for_email,
)

__all__ = ["AutoReply", "challenge_wording", "detect_auto_reply", "return_date", "stand_ins"]

_SUBJECT = re.compile(
    r"auto(?:matic|matische|matisch|mática|matica|mated)?[- ]?(?:reply|response|antwort|antwoord"
    r"|respuesta|resposta|réponse|risposta)|autoreply|autorespon|out of (?:the )?office|\booo\b"
    r"|abwesenheit|abwesend|urlaub|ferien|réponse automatique|absence|absent|congés|vacances"
    r"|respuesta automática|fuera de (?:la )?oficina|vacaciones|ausente|resposta automática|férias"
    r"|fora do escritório|automatisch antwoord|afwezig|vakantie|自动回复|自動回覆|自動回复|自動返信"
    r"|自動応答|休假|不在|vacation|on leave|holiday|automatyczna odpowied|automātiska atbilde"
    r"|automatiska atbilde|autosvar|automaattinen vastaus|risposta automatica",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(
    r"^\s*(?:re|aw|sv|antw|r|rv|ré|res|wg|fw|fwd|回复|回覆|答复)\s*[:：]", re.I
)
_WORDING = [
    (
        "en",
        r"travel+ing (?:for work|on business)|back at my desk|(?:will|I'll) reply (?:then|when I"
        r"|on my return)|limited (?:signal|connectivity)|for (?:anything )?urgent|if (?:it's"
        r"|this is|your (?:matter|message|request) is) urgent"
        r"|in case of (?:an )?urgen|out of (?:the )?office|on (?:annual |parental |maternity "
        r"|paternity |sick )?(?:vacation|"
        r"holiday"
        r"|leave)|(?:limited|no) access to (?:my )?e-?mail|(?:will|I'll) (?:be )?(?:back|"
        r"return(?:ing)?)"
        r" (?:on|in|to the office)|currently (?:away|travel+ing|out)|I am away|I'm away|away from"
        r" (?:the|my) (?:office|desk)|not (?:be )?checking (?:my )?e-?mail|this is an automatic"
        r"|auto-?reply|automated response|respond as soon as (?:I|possible)|return(?:ing)? on"
        r"|back in the office|at a (?:customer )?conference",
    ),
    (
        "de",
        r"in dringenden fällen|bei dringenden|nicht im (?:büro|haus)|abwesend|abwesenheit|urlaub"
        r"|keinen zugriff auf|wieder (?:im büro|"
        r"für sie"
        r" da|erreichbar|da)|nicht erreichbar|eingeschränkt erreichbar|automatische antwort|"
        r"elternzeit",
    ),
    (
        "fr",
        r"en cas d'urgence|pour toute (?:demande |question )?urgen|absente? du bureau"
        r"|absente? jusqu|en congés?|en vacances|accès limité|de retour (?:le|au)"
        r"|réponse automatique|pas accès à (?:mes|ma)|je serai de retour",
    ),
    (
        "es",
        r"en caso de urgencia|para (?:asuntos|temas|consultas) urgentes|fuera de (?:la )?oficina"
        r"|de vacaciones|sin acceso al correo|volveré|estaré de vuelta|"
        r"ausente"
        r"|respuesta automática|regreso el|acceso limitado",
    ),
    (
        "pt",
        r"em caso de urgência|assuntos urgentes|de férias|fora do escritório|acesso (?:restrito"
        r"|limitado)|retorno (?:no dia|em)|"
        r"estarei de volta"
        r"|ausente|resposta automática|licença",
    ),
    (
        "nl",
        r"afwezig|met vakantie|niet aanwezig|weer aanwezig|beperkt toegang|automatisch antwoord"
        r"|lees (?:in (?:die|deze) (?:tijd|periode) )?geen (?:e-?)?mail|iets dringends"
        r"|voor dringende (?:zaken|vragen)|bij dringende"
        r"|niet op kantoor|weer op kantoor",
    ),
    (
        "ja",
        r"お急ぎの(?:場合|方)|急ぎのご用件|不在にして|休暇|自動返信|自動応答|夏季休暇|出張"
        r"|順次(?:対応|ご返信)|不在",
    ),
    (
        "zh",
        r"回复可能不及时|回覆可能不及時|回到办公室|回到辦公室|期间邮件|期間郵件|如有急事|如有紧急"
        r"|如有緊急|休假|不在办公室|不在辦公室|无法及时回复|無法及時回覆|自动回复"
        r"|自動回覆|恢复正常办公|出差|休假期间",
    ),
]
_WORDING_RES = [(lang, lower_case_pattern(pattern)) for lang, pattern in _WORDING]
# Challenge-response filters (the recipient's program holds the message until the sender
# proves to be a person or is put on a list): an automatic reply that asks the sender to act,
# not a delivery failure. Only ever read on mail a program sent. Each phrase comes with the
# lower-case words (no spaces) one of which it must hold, so a notice is only searched for
# the phrases whose words it has (a substring test; the patterns cost a millisecond).
_CHALLENGES: list[tuple[tuple[str, ...], str]] = [
    # en
    (
        ("yourself", "address"),
        r"add (?:yourself|your (?:e-?mail )?address) to (?:my|the|our|his|her) (?:[\w-]+ ){0,2}"
        r"(?:guest|approved|allowed|safe|white|trusted|sender)[- ]?list",
    ),
    (("guest",), r"(?:on|to) my (?:[\w-]+ )?guest list"),
    (("approved",), r"sender (?:is )?not (?:pre-?)?approved"),
    (
        ("human", "person", "robot", "spammer"),
        r"(?:verify|prove|confirm) (?:that )?you(?:'re| are) (?:a )?(?:human|real person|not a "
        r"(?:robot|spammer))",
    ),
    (("challenge",), r"challenge[- ]response"),
    (
        ("waitlisted", "held", "quarantined", "pending"),
        r"(?:message|e-?mail)[^.]{0,80}(?:has been|was|is being|is) (?:waitlisted|held (?:until "
        r"you|pending your)|quarantined until you|pending your (?:verification|confirmation|"
        r"approval))",
    ),
    # de
    (("mensch",), r"(?:bestätigen|beweisen) sie,? dass sie (?:ein )?mensch"),
    (("roboter", "spammer"), r"dass sie kein (?:roboter|spammer)"),
    (
        ("bestätigung", "zurückgehalten"),
        r"(?:e-?mail|nachricht)[^.]{0,60}(?:wurde|wird) (?:bis zu ihrer bestätigung|"
        r"zurückgehalten,? bis)",
    ),
    (("absender",), r"absender(?:adresse)? (?:ist )?nicht (?:freigegeben|bestätigt)"),
    # fr
    (
        ("personne", "humain", "robot"),
        r"(?:prouv|confirm|vérifi)(?:er|ez) que vous (?:êtes (?:une personne|humain)|n'êtes pas un "
        r"robot)",
    ),
    (
        ("attente",),
        r"message[^.]{0,60}en attente d(?:e |')(?:validation|confirmation|vérification)",
    ),
    (("expéditeur",), r"expéditeur non (?:autorisé|approuvé|validé)"),
    (("ajoutez-vous",), r"ajoutez-vous à (?:ma|la) liste"),
    # es
    (
        ("persona", "humano"),
        r"(?:demostr|demuestr|verific|confirm)(?:ar|e|a) que (?:usted )?(?:es|eres) (?:una persona|"
        r"humano)",
    ),
    (
        ("retenido", "pendiente"),
        r"(?:mensaje|correo)[^.]{0,60}(?:retenido hasta|pendiente de (?:verificación|validación|"
        r"confirmación))",
    ),
    (("remitente",), r"remitente no (?:autorizado|aprobado|verificado)"),
    # pt
    (
        ("pessoa", "humano"),
        r"(?:prov|verific|confirm)(?:ar|e) que (?:você )?é (?:uma pessoa|humano)",
    ),
    (
        ("retida", "aguardando"),
        r"mensagem[^.]{0,60}(?:retida até|aguardando (?:verificação|validação|confirmação))",
    ),
    (("remetente",), r"remetente não (?:autorizado|aprovado|verificado)"),
    # nl
    (("mens",), r"(?:bevestig|bewijs)(?:en)? dat u (?:een )?mens bent"),
    (("robot",), r"dat u geen robot bent"),
    (
        ("vastgehouden", "afwachting"),
        r"bericht[^.]{0,60}(?:wordt vastgehouden tot|in afwachting van (?:verificatie|"
        r"bevestiging))",
    ),
    (("afzender",), r"afzender (?:is )?niet (?:goedgekeurd|geverifieerd)"),
    # zh, ja
    (("白名单",), r"(?:加入|添加到|添加至)(?:我的)?白名单"),
    (("白名單",), r"(?:加入|新增到)(?:我的)?白名單"),
    (("机器人", "機器人"), r"(?:证明|證明)您不是(?:机器人|機器人)"),
    (("发件人",), r"发件人(?:未经|尚未)(?:验证|批准)"),
    (("寄件者",), r"寄件者(?:未經|尚未)(?:驗證|核准)"),
    (("送信者",), r"送信者(?:認証|確認)(?:が必要|のため)"),
    (("ロボット",), r"ロボットではないことを"),
]
_CHALLENGE_RES = [(keys, re.compile(pattern)) for keys, pattern in _CHALLENGES]


def challenge_wording(text: str, lowered: str | None = None) -> str:
    """The challenge-response phrase in a notice (the sender is asked to prove or list
    themselves), or "". `lowered`: the text already lower-cased, when the caller has it."""
    low = text[:6000].lower() if lowered is None else lowered[:6000]
    candidates = [pattern for keys, pattern in _CHALLENGE_RES if any(k in low for k in keys)]
    if not candidates:
        return ""
    head = " ".join(low.split())  # phrases wrap across lines
    for pattern in candidates:
        match = pattern.search(head)
        if match:
            return match.group(0)
    return ""


_RETURN_BEFORE = re.compile(
    r"(?:back|return(?:ing)?|returns|in the office|wieder|zurück|ab\b|de retour|retour|volveré|"
    r"vuelvo"
    r"|regreso|de vuelta|retorno|volto|regresso|estarei de volta|terug|weer|a partir d[eo]"
    r"|à partir du"
    r"|dès le)[^.\n]{0,40}$",
    re.IGNORECASE,
)
_RETURN_AFTER = re.compile(
    r"^[\s（(）)\w月日曜]{0,8}(?:より|以降|から(?:出社|復帰)|恢复|回到|返回|上班|起|重返|回来|回來)"
)
_UNTIL_BEFORE = re.compile(
    r"(?:until|till|through|thru|bis(?: zum| einschließlich)?|jusqu'?(?:au|à)|hasta(?: el)?|até"
    r"(?: o dia| dia)?|tot(?: en met)?|t/m)[^.\n]{0,20}$",
    re.IGNORECASE,
)
_UNTIL_AFTER = re.compile(r"^[\s（(）)\w曜]{0,6}(?:まで|为止|為止)")
_INCLUSIVE = re.compile(
    r"einschließlich|inclusive|inclus|incluido|inclusive|tot en met|t/m|inkl", re.I
)
_RANGE_BEFORE = re.compile(r"(?:to|bis|au|al|a|até|tot|[-–~～至到])\s*$", re.IGNORECASE)
_STAND_IN_CUE = re.compile(
    r"(?:contact|reach out to|get in touch with|write to|email|colleague|wenden sie sich|"
    r"kontaktieren"
    r"|kollegen?|kollegin|contacter|collègue|joindre|escribe|contacta|compañer[oa]|fale com|"
    r"falar com"
    r"|contate|colega|contact opnemen|collega|联系|聯繫|同事|ご連絡|までご連絡)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AutoReply:
    """Why the message is an automatic reply, and how sure."""

    evidence: tuple[str, ...]
    confidence: float
    headers_say_auto: bool
    language: str | None
    challenge: bool = False  # a challenge-response filter: no return date, no stand-ins


def _header_evidence(parsed: ParsedMessage) -> tuple[list[str], bool, bool]:
    """(evidence, strong auto-reply header, any auto-generated header)."""
    evidence: list[str] = []
    strong = generated = False
    auto = parsed.header("auto-submitted").lower()
    if auto.startswith("auto-replied"):
        evidence.append(f"Auto-Submitted: {auto} (RFC 3834)")
        strong = True
    elif auto and not auto.startswith("no"):
        evidence.append(f"Auto-Submitted: {auto}")
        generated = True
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-reply"):
        if parsed.has(name):
            evidence.append(f"{name} header")
            strong = True
    if parsed.header("x-ms-exchange-generated-message-source").lower().startswith("mailbox rules"):
        evidence.append("X-MS-Exchange-Generated-Message-Source: Mailbox Rules")
        strong = True
    elif parsed.has("x-ms-exchange-generated-message-source"):
        generated = True
    precedence = parsed.header("precedence").lower()
    if precedence == "auto_reply":
        evidence.append("Precedence: auto_reply")
        strong = True
    elif precedence in ("bulk", "junk"):
        evidence.append(f"Precedence: {precedence}")
        generated = True
    suppress = parsed.header("x-auto-response-suppress").lower()
    if suppress and ("oof" in suppress or "all" in suppress):
        generated = True
    if parsed.has("x-autogenerated") or parsed.has("x-mailautoreply"):
        evidence.append("X-Autogenerated header")
        strong = True
    return evidence, strong, generated


def detect_auto_reply(
    parsed: ParsedMessage, text: str, *, machine: bool = False
) -> AutoReply | None:
    """An AutoReply when headers or wording say the message was sent by a rule, else None.

    `machine`: a program sent it (null Return-Path, no-reply sender, a report); then
    challenge-response wording counts as strongly as an auto-reply header.
    """
    evidence, strong, generated = _header_evidence(parsed)
    challenge = challenge_wording(text) if machine else ""
    if challenge:
        evidence.append(f"challenge-response wording {challenge[:60]!r} from a program")
        strong = True
    subject_hit = _SUBJECT.search(parsed.subject)
    if subject_hit:
        evidence.append(f"subject {parsed.subject[:60]!r}")
    hits: list[tuple[str, str]] = []
    sample = text[:3000]
    lowered = sample.lower()
    same_length = len(lowered) == len(sample)  # else quote the lower-cased phrase
    for lang, pattern in _WORDING_RES:
        for m in pattern.finditer(lowered):
            phrase = sample[m.start() : m.end()] if same_length else m.group(0)
            if all(phrase.lower() != w.lower() for _, w in hits):
                hits.append((lang, phrase))
    if hits:
        evidence.append("wording " + ", ".join(f"{w!r} ({lang})" for lang, w in hits[:3]))
    score = 0.0
    if strong:
        score += 0.6
    if generated:
        score += 0.2
    if subject_hit:
        # "Re: Holiday plans" is a person; "Automatic reply: …" or "Out of office" is a rule.
        score += 0.2 if _REPLY_PREFIX.match(parsed.subject) else 0.5
    score += min(0.5, 0.25 * len(hits))
    if score < 0.5:
        return None
    return AutoReply(
        evidence=tuple(evidence),
        confidence=min(0.99, 0.45 + score / 2),
        headers_say_auto=strong,
        language=hits[0][0] if hits else None,
        challenge=bool(challenge),
    )


def return_date(text: str, sent: date) -> tuple[date | None, str]:
    """The first day back, and the phrase it came from.

    An explicit "back on …" wins; else "until X" (the day after X when the text says
    inclusive); else the day after the end of an absence range.
    """
    found = find_dates(text, sent, day_first=not re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b", text))
    returns: list[tuple[date, str]] = []
    untils: list[tuple[date, str]] = []
    ranges: list[tuple[date, str]] = []
    for f in found:
        before = text[max(0, f.start - 50) : f.start]
        after = text[f.end : f.end + 14]
        phrase = text[max(0, f.start - 30) : f.end].strip()
        if _RETURN_BEFORE.search(before) or _RETURN_AFTER.match(after):
            returns.append((f.value, phrase))
        elif _UNTIL_BEFORE.search(before) or _UNTIL_AFTER.match(after):
            window = text[max(0, f.start - 40) : f.end + 15]
            if _INCLUSIVE.search(window):
                untils.append((next_business_day(f.value), phrase))
            else:
                untils.append((f.value, phrase))
        elif _RANGE_BEFORE.search(before[-6:]):
            ranges.append((next_business_day(f.value), phrase))
    for group in (returns, untils, ranges):
        future = [g for g in group if g[0] >= sent]
        if future:
            return future[0]
    m = re.search(
        rf"(?:back|return|wieder|retour|volveré|retorno|terug)[^.\n]{{0,20}}?\b(?:(next|on|nächsten"
        rf"|prochain|el próximo|próxima)\s+)?({WEEKDAY_PATTERN})\b",
        text,
        re.IGNORECASE,
    )
    if m:
        weekday = weekday_named(m.group(2))
        if weekday is not None:
            return next_weekday(sent, weekday), m.group(0)
    m = re.search(r"back tomorrow|morgen wieder|de retour demain|vuelvo mañana", text, re.I)
    if m:
        return sent + timedelta(days=1), m.group(0)
    return None, ""


def stand_ins(text: str, exclude: set[str]) -> tuple[Person, ...]:
    """Named colleagues to contact instead; role mailboxes and the sender are not stand-ins."""
    people: list[Person] = []
    seen: set[str] = set()
    for position, address in emails_in(text):
        if address in exclude or address in seen or is_role_address(address):
            continue
        seen.add(address)
        people.append(Person(name=name_for_email(text, position, address), email=address))
    if people:
        return tuple(people)
    for sentence in re.split(r"(?<=[.!?。])\s+|\n", text):
        if not _STAND_IN_CUE.search(sentence):
            continue
        for _, name in latin_names(sentence):
            if name not in seen:
                seen.add(name)
                people.append(Person(name=name, email=None))
    return tuple(people)
