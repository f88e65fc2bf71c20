"""What a person meant by their reply to a referral-ask, read from the visible text only.

Phrase lists per language plus structural cues (a named person with an address, a Cc'd
colleague, a date to come back). Rules are ordered by the damage a mistake does: an
unsubscribe missed is worse than a referral missed, a referral missed is worse than a
question sent to review. Each rule says which phrase decided.
"""

# ruff: noqa: RUF001  (CJK punctuation in phrase lists is meant, not a look-alike)

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from prospector.domain.replies.dates import MONTH_PATTERN, add_months, find_dates, month_named
from prospector.domain.replies.people import Person

__all__ = [
    "Intent",
    "detect_language",
    "find_phrases",
    "lower_case_pattern",
    "reason_for",
    "resume_date",
]

_P = dict[str, str]

UNSUBSCRIBE: _P = {
    "en": r"(?<!no need to )(?<!don't )(?<!not )\bunsubscribe\b|(?:remove|delete) my (?:address"
    r"|e-?mail|details)|leave me alone|this is spam"
    r"|stop spamming|remove me|take me off|opt(?:ing)? (?:me )?out"
    r"|^\s*stop\.?\s*$|"
    r"stop (?:e-?mailing|emailing|contacting|sending|writing)"
    r"|do not (?:e-?mail|contact|write)|don't (?:e-?mail|contact|write to) me|no (?:more|"
    r"further) e-?mails"
    r"|never (?:e-?mail|contact) me|erasure of (?:all )?(?:my )?personal data|delete my (?:data|"
    r"details)"
    r"|off (?:your|the) (?:mailing )?list|not (?:to )?(?:e-?mail|contact) me again",
    "de": r"(?:mir|mich) (?:bitte )?nicht mehr|streichen sie mich|keine werbung|abmelden|austragen"
    r"|aus (?:ihrem|dem|eurem) verteiler|keine (?:weiteren )?(?:e-?mails|"
    r"mails|nachrichten)"
    r"|nicht mehr (?:an)?schreiben|nicht mehr kontaktieren|unterlassen sie|widerspreche|"
    r"löschen sie meine",
    "fr": r"désabonn|desabonn|ne plus m'(?:écrire|envoyer|contacter)|retirez mon adresse|désinscri"
    r"|desinscri|me retirer|retirez-moi|ne plus (?:me )?(?:contacter|écrire|envoyer)"
    r"|ne m'écrivez plus|ne me contactez plus|supprimer mes (?:données|coordonnées)",
    "es": r"^\s*baja\b|no me (?:envíe|envíes|mande|mandes|escriba|escribas)n? más|borr\w+ (?:mi"
    r"|de su) (?:correo|lista|dirección)|darme de baja|dame de baja|de baja"
    r"|no me escrib\w+ más|no me contact\w+ más|"
    r"elimin\w+ de (?:su|tu|la) lista"
    r"|quit\w+ de (?:su|tu|la) lista|no (?:quiero|deseo) recibir",
    "pt": r"para(?:r)? de me (?:mandar|enviar|escrever)|me (?:tira|tire|retire"
    r"|remova) d[ae]s?s?a lista|não me (?:contate|contacte|procure)m? mais|descadastr"
    r"|remov\w+ (?:da|de sua|da sua) lista|não (?:me )?(?:envie|mande|"
    r"escreva)m? mais"
    r"|cancelar (?:a )?inscrição|não quero receber",
    "nl": r"stuur (?:me|mij) geen|mail (?:me|mij) niet meer|van (?:jullie|uw|je) lijst"
    r"|uitschrijven|afmelden|verwijder (?:mij|me)|haal (?:mij|me) van|geen (?:e-?mails|"
    r"mails) meer"
    r"|niet meer (?:mailen|benaderen|contacteren)",
    "ja": r"二度と(?:送|連絡|メール)|送ってこないで|送付(?:を)?(?:停止|不要)|迷惑(?:です|メール)"
    r"|配信停止|配信を停止|今後.{0,10}(?:不要|送らないで"
    r"|ご遠慮)|送信しないで|連絡しないで",
    "zh": r"不要再给我|不要再給我|请不要再|請不要再|别再联系|別再聯繫|骚扰|騷擾|退订|退訂|取消订阅"
    r"|取消訂閱|不要再(?:发|寄|联系|聯繫)|请勿再|請勿再|别再发",
}
WRONG_PERSON: _P = {
    "en": r"(?:no idea|not sure|don't know|couldn't tell you|can't tell you) who\b"
    r"|not (?:something|anything) i (?:deal with|handle|own|look after|work on)|(?:this|that"
    r"|it) isn't mine|not mine to|outside (?:of )?my (?:area|remit|role)"
    r"|not the right (?:person|contact)|wrong person|not my (?:area|department|call|remit)|"
    r"not me\b"
    r"|(?:i|I) (?:have )?left (?:the company|\w+ \w+ at|\w+ at|\w+ in)|no longer (?:with|at|work)"
    r"|not (?:involved|responsible)|don't handle|can't help (?:here|you)|not the person|isn't me",
    "de": r"(?:habe|hat|haben) (?:mit|damit) .{0,40}nichts zu tun"
    r"|weiß (?:ich )?(?:leider )?nicht,? wer|nicht sagen,? wer"
    r"|kann ich (?:ihnen )?(?:leider )?nicht sagen|nicht (?:der|die) richtige|nicht zuständig"
    r"|nicht mein (?:bereich|thema)|falsche(?:r|"
    r"n)? ansprech"
    r"|bin nicht mehr bei|dafür bin ich nicht",
    "fr": r"ne me concerne pas|ne sai(?:s|t) pas qui|ne saurais (?:pas )?(?:vous )?dire qui"
    r"|pas dans mes (?:attributions|fonctions)|pas (?:la|le) bon(?:ne)? (?:personne"
    r"|interlocut)|pas (?:de )?mon ressort|"
    r"ne m'occupe pas"
    r"|ne suis pas (?:en charge|concerné|responsable)|ce n'est pas moi",
    "es": r"no s[eé] qui[eé]n|no sabr\w+ (?:decir\w* )?qui[eé]n|equivocado de persona"
    r"|ya no estoy en|no llevo (?:temas|el tema|eso)|no soy (?:la persona|el indicado"
    r"|la indicada|yo|quien)|no (?:es|"
    r"me corresponde) (?:mi área|a mí)"
    r"|no (?:llevo|manejo) (?:esto|este tema)|persona equivocada",
    "pt": r"não sei quem|não faço ideia (?:de )?quem|não (?:é|sou) da minha área|já não (?:estou"
    r"|trabalho)|não sou (?:a pessoa|eu|o responsável|a responsável)|não é comigo"
    r"|não cuido disso|"
    r"pessoa errada",
    "nl": r"dat ben ik niet|ben ik niet\b|weet ik (?:eerlijk gezegd |helaas |ook )?niet"
    r"|geen idee wie|niet meer (?:op|bij) (?:sales|verkoop)|niet de juiste persoon"
    r"|niet bij mij|niet (?:mijn|m'n) (?:afdeling|terrein)|"
    r"ga ik niet over",
    "ja": r"分かりかね|わかりかね|担当部署.{0,10}(?:分かり|わかり|存じ)|担当ではございません"
    r"|担当ではありません|担当外|私の担当では|担当しておりません|"
    r"存じ上げ",
    "zh": r"不知道(?:是)?[谁誰]|不清楚(?:是)?[谁誰]|不是我的(?:业务|業務|工作|职责|職責)|不归我管"
    r"|不歸我管|不是我负责|不是我負責|不负责|不負責"
    r"|不清楚.{0,6}谁负责",
}
REFERRAL_CUE: _P = {
    "en": r"but \w+ (?:\w+ )?is\b|(?:he|she)(?:'s| is) (?:our|the|their)|talk to|speak (?:to|with)"
    r"|reach out to|you want\b|try\b|contact\b|get in touch with|"
    r"adding\b"
    r"|\badded\b|copied|cc'?d|cc'?ing|\bcc\b|looping in|loop(?:ed|ing)? in|forward(?:ed|"
    r"ing)? (?:your|this|it)"
    r"|passed (?:this|your|it)|is the (?:right|best) (?:person|contact)|owns\b|handles\b|runs\b|"
    r"in charge of"
    r"|that's you|who owns|best person",
    "de": r"wenden sie sich|an (?:herrn|frau)|in kopie|in cc|weitergeleitet|zuständig ist|"
    r"ansprechpartner(?:in)? ist"
    r"|kontaktieren sie|verantwortet",
    "fr": r"voyez (?:plutôt )?avec|contacter|joindre|suivi par|en copie|transmis|s'en occupe|"
    r"gère\b|responsable",
    "es": r"habl[ae] con|contact[ae] con|escríbale|escríbele|hablar con|te recomiendo|en copia"
    r"|contactar|escrib\w+ a|lleva (?:este|esto)|maneja|"
    r"quien lleva|reenvi",
    "pt": r"(?:vai|irá) ficar com|fica com (?:este|esse)|responsável|procure (?:o|a)\b|copio"
    r"|falar com|fale com|quem cuida|em cópia|encaminh|a pessoa indicada|pode falar",
    "nl": r"moet je (?:niet )?bij|contact (?:op)?nemen met|in de cc|doorgestuurd|verantwoordelijk|"
    r"bij \w+ zijn",
    "ja": r"取りまとめ|窓口|が担当|対応しております|担当しております|担当です|ご連絡いただけ"
    r"|におつなぎ|紹介|CCに|宛に",
    "zh": r"对接|對接|负责人|負責人|找\w{1,4}(?:经理|經理|总监|總監)|负责|負責|联系|聯繫|副本|抄送"
    r"|转给|轉給",
}
NOT_NOW: _P = {
    "en": r"not (?:the right|a good) time|when (?:it|that|things) (?:lifts|settles?|calms? down)"
    r"|hold off (?:until|till)|(?:after|once) (?:the )?(?:summer|holidays|new year)"
    r"|not (?:right )?now|not at the moment|not at this time|not a priority|"
    r"timing is(?: just)? (?:bad|off|not right)"
    r"|bad timing|next quarter|next year|later (?:this|in the) year|(?:in|after) (?:a few|"
    r"\w+) (?:weeks|months)"
    r"|(?:reach|circle|check|get) (?:out |back )?(?:to me )?(?:in|next|after)|ping me|try (?:me|"
    r"again) (?:in|next|after)"
    r"|follow up (?:in|next|after)|revisit|come back (?:to me|in)|maybe later|touch base (?:in|"
    r"next)",
    "de": r"nach (?:der|dem|den) \w+ (?:gerne )?(?:wieder|nochmal|noch einmal)|gerade keinen kopf"
    r"|(?:melden|schreiben) sie (?:sich|mir) (?:gerne )?(?:nach|im|in|ab)|im moment (?:nicht"
    r"|passt)|derzeit nicht|aktuell nicht|zurzeit nicht|nächstes? (?:jahr|"
    r"quartal)"
    r"|melden sie sich (?:gerne )?(?:ab|im|in|nach|wieder)|später (?:noch )?einmal|in \w+ monaten",
    "fr": r"(?:pas|plus) le (?:bon )?moment|à la rentrée|après l'été|pas (?:pour le|en ce) moment"
    r"|pas maintenant|recontactez|revenez vers moi|"
    r"l'année prochaine"
    r"|trimestre prochain|prochain trimestre|plus tard|dans \w+ mois",
    "es": r"no es (?:buen|el) momento|después del verano|por ahora no|ahora (?:mismo )?no"
    r"|no es (?:buen|el) momento|más adelante|el próximo (?:año|trimestre)"
    r"|dentro de \w+ (?:meses|semanas)|escríbeme (?:en|dentro|después)|vuelve a escribir",
    "pt": r"neste momento não|não é (?:uma )?prioridade|volte a contact|depois do verão|mais tarde"
    r"|agora não|não é (?:um )?bom momento|mais para frente|próximo (?:ano|trimestre)|"
    r"me chama de novo"
    r"|daqui a \w+ meses|volte a (?:falar|entrar)",
    "nl": r"na de (?:zomer|vakantie|jaarwisseling)|later (?:nog eens|opnieuw)|probeer het (?:later"
    r"|over|na)|op dit moment (?:niet|geen)|niet (?:op dit moment|nu)"
    r"|dit jaar (?:gaan we )?(?:hier )?niet|volgend (?:jaar|"
    r"kwartaal)"
    r"|opnieuw contact|later (?:dit jaar|terug)|over \w+ maanden",
    "ja": r"時期を見て|また改めて|しばらく(?:先|後)|来期|来年|改めて(?:ご連絡|連絡)|時期を改め"
    r"|現在は.{0,10}立て込|落ち着いたら",
    "zh": r"等.{1,8}再(?:聊|说|說|联系|聯繫)|这阵子比较忙|這陣子比較忙|等.{0,10}(?:之后|之後|以后"
    r"|以後)再|现在不是|現在不是|下个季度|下個季度|明年|以后再"
    r"|以後再|过段时间|過段時間|暂时不|暫時不|晚些时候",
}
NOT_INTERESTED: _P = {
    "en": r"it's a no|a no from (?:us|me)|not looking for|no interest|not in the market"
    r"|not interested|no thanks|no,? thank you|we(?:'ll| will) pass|hard pass|\bpass\b|"
    r"not (?:a fit|relevant)"
    r"|isn't (?:relevant|a fit)|don't need|no need|not something we|not for us|we're (?:all )?set|"
    r"no budget"
    r"|happy with|already (?:use|have|using|work)|built our own|in-house",
    "de": r"kein budget|kommt (?:für uns )?nicht in frage|keine falschen hoffnungen"
    r"|passt nicht zu uns|kein (?:interesse|bedarf)|nein,? danke|nicht interessiert"
    r"|sind (?:sehr )?zufrieden|"
    r"keinen bedarf",
    "fr": r"pas pour nous|ne faisons pas de (?:prospection|démarchage)|ne sommes pas preneurs"
    r"|pas intéress|non merci|ne donnerai pas suite|pas de budget|pas besoin|déjà (?:un|une|"
    r"équipés)",
    "es": r"no es para nosotros|no vamos a (?:incorporar|contratar|comprar)|no estamos interesad"
    r"|no (?:nos|me) interesa|no,? gracias|no necesitamos|sin presupuesto|ya trabajamos con|"
    r"ya tenemos",
    "pt": r"não vale a pena|não há (?:margem|orçamento)|não (?:estamos|estou) interessad|não (?:é"
    r"|serve) para nós|não (?:temos|tenho) interesse|não vamos seguir|não,? obrigad"
    r"|sem orçamento|cortamos|"
    r"já usamos",
    "nl": r"nee,? bedankt|we doen geen|niet voor ons|geen interesse|nee,? dank|niet geïnteresseerd"
    r"|geen behoefte|geen budget",
    "ja": r"予定は(?:ございません|ありません)|考えておりません|検討しておりません|必要ありません"
    r"|見送らせて|必要ございません|不要です|興味がございません|結構です|遠慮",
    "zh": r"不用了|不需要了|不[会會](?:评估|評估|考虑|考慮|采购|採購)|暂不考虑|暫不考慮|不需要"
    r"|没有.{0,8}需求|沒有.{0,8}需求|不感兴趣|不感興趣|不考虑",
}
INTERESTED: _P = {
    "en": r"happy to do|yes,? (?:this|that|it)(?:'s| is) me|open to (?:it|a call|a chat|chatting"
    r"|talking)|send (?:an|the|me an?|over an?) (?:invite|invitation)|(?:i'm|i am) free (?:on"
    r"|at|any|mon|tue|wed|thu|fri)|(?:afternoon|morning|[0-9] ?(?:am|pm)) works|that(?:'s| is"
    r"| would be) me|it's me|i'm the (?:right )?person|happy to (?:take a look|"
    r"chat|talk|meet)"
    r"|(?:glad|love|like) to (?:chat|talk|learn|hear|connect|see)|let's (?:talk|chat|set up|find|"
    r"schedule)"
    r"|send (?:me )?(?:a |your )?(?:calendar|invite|times|deck|info|details)|tell me more|"
    r"interested\b(?! in)"
    r"|sounds (?:good|great|interesting)|book a (?:call|time|meeting)|set up a (?:call|time)|(?:a|"
    r"\d+)-?minute call"
    r"|free (?:on|at)|around (?:on )?\w+day|how's \w+day|^\s*yes\b|this is timely"
    r"|i'd like (?:a (?:call|chat|demo|meeting)|to (?:chat|talk|learn more|hear more|see|meet"
    r"|set up"
    r"|book|schedule|try))"
    r"|if you want to talk|grab a slot|works for me|could you send",
    "de": r"klingt (?:spannend|gut)|das bin (?:\w+ )?ich(?! nicht)|eine einladung|wann passt es"
    r"|passt mir|das bin ich|bin ich zuständig|klingt interessant|gerne? (?:mehr"
    r"|ein (?:gespräch|"
    r"telefonat))"
    r"|terminvorschläge|lassen sie uns|schicken sie mir",
    "fr": r"ça me va|envoyez(?:-moi)? (?:une )?invitation|je suis dispo|(?<!ne )(?:m'"
    r"|nous )intéresse(?! pas)|proposer (?:deux|des|quelques) créneaux"
    r"|c'est (?:bien )?moi|je veux bien|intéressé(?:e)? (?:par|pour)|en savoir plus|"
    r"vos disponibilités"
    r"|volontiers|avec plaisir",
    "es": r"me parece bien|env[ií]a(?:me)? (?:una )?invitación|tengo (?:hueco|tiempo)"
    r"|s[ií],? soy yo|me interesa|nos interesa|hablemos|una llamada|con gusto|cuéntame más",
    "pt": r"pode ser|(?:me )?mand[ae] (?:uns |alguns )?horários|mand[ae] (?:um )?convite|sou eu"
    r"|tenho interesse|temos interesse|pode mandar um convite|vamos conversar|"
    r"me conta mais",
    "nl": r"klinkt goed|ik heb tijd|stuur (?:me|mij) (?:maar )?een (?:uitnodiging|invite)"
    r"|dat ben ik|klinkt interessant|ja,? graag|bel me|stuur (?:maar )?een uitnodiging|"
    r"laten we",
    "ja": r"時間を(?:取れ|とれ|お取り)|日程(?:を)?調整|ご都合の(?:良い|よい)|担当は私|私が担当"
    r"|お話を伺え|ぜひ|ご都合いかが|打ち合わせ",
    "zh": r"可以聊|有空|会议邀请|會議邀請|约个时间|約個時間|是我负责|是我負責|可以约|可以約|聊一下"
    r"|感兴趣|感興趣|方便",
}
# The reply asks first and decides after ("before we talk, where is the data hosted?").
QUESTION_FIRST: _P = {
    "en": r"before (?:we|i) (?:talk|meet|go (?:any )?further|take this further|loop anyone"
    r"|set (?:anything|something) up|book|commit)|a (?:few|couple of) questions first",
    "de": r"vorab (?:noch )?(?:ein paar |einige )?fragen|bevor wir (?:einen termin|sprechen"
    r"|weiter)",
    "fr": r"avant (?:d'aller plus loin|de (?:fixer|prendre|planifier|nous voir)|tout échange)",
    "es": r"antes de (?:seguir|avanzar|agendar|reunirnos|hablar)",
    "pt": r"antes de (?:avançar|marcar|seguirmos|agendar|conversarmos)",
    "nl": r"voordat we (?:een afspraak|verder|gaan)|eerst (?:een paar |enkele )?vragen",
    "ja": r"前に.{0,20}(?:確認させて|お伺い|伺いたい|質問させて|教えて)",
    "zh": r"之前.{0,10}(?:想先|先|需要)?(?:了解|确认|確認|问一下|問一下)",
}
QUESTION: _P = {
    "en": r"\?|\bhow (?:did|much|does)|\bwhat (?:is|does|do|exactly)|\bis this\b",
    "de": r"\?|wie (?:viel|sind sie)|was (?:kostet|macht)",
    "fr": r"\?|combien|comment avez",
    "es": r"\?|cuánto|cómo",
    "pt": r"\?|quanto|como",
    "nl": r"\?|hoeveel|hoe kom",
    "ja": r"[?？]|でしょうか|ですか",
    "zh": r"[?？]|请问|請問|吗",
}

_BUDGET = re.compile(
    r"no budget|budget (?:freeze|cut)|spending freeze|can't afford|too expensive|kein budget|"
    r"pas de budget"
    r"|sin presupuesto|no tenemos presupuesto|orçamento|cortamos|geen budget|予算|预算|預算"
    r"|kein budget",
    re.IGNORECASE,
)
_HAS_SOLUTION = re.compile(
    r"already (?:use|have|using|work with)|happy with|built our own|in-house|we use \w+|"
    r"zufrieden mit|sind .{0,30}zufrieden"
    r"|nutzen bereits|déjà (?:un|une|équip|client)|ya (?:trabajamos|usamos|tenemos)|nos funciona|"
    r"já (?:usamos|temos)"
    r"|gebruiken al|hebben al|社内で開発|既に|すでに|we're on \w+|已经在用|已有|自研|(?:tool"
    r"|solution"
    r"|system) (?:that|"
    r"which) (?:works|does)",
    re.IGNORECASE,
)
_NO_NEED = re.compile(
    r"no need|don't need|not relevant|isn't relevant|don't do outbound|not applicable|"
    r"kein(?:en)? bedarf"
    r"|pas besoin|no necesitamos|não precisamos|geen behoefte|必要(?:ございません|ありません)|"
    r"don't do (?:any )?outbound|ne faisons pas de|十分に回って|足りて|"
    r"没有.{0,8}需求"
    r"|沒有.{0,8}需求|不需要",
    re.IGNORECASE,
)
_BAD_TIMING = re.compile(
    r"merger|acquisition|reorg|restructur|fusão|fusion|fusión|reestructura|umstrukturierung"
    r"|bad timing|合并|合併|并购|併購|重组|重組|"
    r"timing"
    r"|not (?:evaluating|looking at) (?:new )?vendors|não vamos avaliar|freeze",
    re.IGNORECASE,
)


def _compile(table: _P) -> list[tuple[str, re.Pattern[str]]]:
    """Lower-case patterns matched case-sensitively against lower-cased text: the same
    matches as IGNORECASE, several times faster (the lists hold no upper-case escapes)."""
    return [(lang, lower_case_pattern(pattern, re.MULTILINE)) for lang, pattern in table.items()]


def lower_case_pattern(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`pattern` for lower-cased text: lower-cased itself unless it holds an upper-case escape
    or class (`\\S`, `[A-Z]`), which stay as written and case-insensitive."""
    if re.search(r"\\[A-Z]|\[[^\]]*[A-Z]", pattern):
        return re.compile(pattern, flags | re.IGNORECASE)
    return re.compile(pattern.lower(), flags)


_TABLES = {
    "unsubscribe": _compile(UNSUBSCRIBE),
    "wrong_person": _compile(WRONG_PERSON),
    "referral_cue": _compile(REFERRAL_CUE),
    "not_now": _compile(NOT_NOW),
    "not_interested": _compile(NOT_INTERESTED),
    "interested": _compile(INTERESTED),
    "question": _compile(QUESTION),
    "question_first": _compile(QUESTION_FIRST),
}


@dataclass(frozen=True)
class Intent:
    category: str
    confidence: float
    evidence: tuple[str, ...]
    referrals: tuple[Person, ...] = ()
    resume_on: date | None = None
    reason: str | None = None


def find_phrases(kind: str, text: str) -> list[tuple[str, str]]:
    """(language, phrase) for every language whose phrase list for `kind` matches."""
    hits: list[tuple[str, str]] = []
    lowered = text.lower()
    same_length = len(lowered) == len(text)  # else quote the lower-cased phrase
    for lang, pattern in _TABLES[kind]:
        m = pattern.search(lowered)
        if m:
            phrase = text[m.start() : m.end()] if same_length else m.group(0)
            hits.append((lang, phrase.strip() or phrase))
    return hits


_MARKERS = {
    lang: frozenset(vocab.split())
    for lang, vocab in {
        "en": "the and you to is not we for this me our thanks please",
        "de": "und ich nicht sie wir der die das ist mit für bitte ihnen uns",
        "fr": "je vous nous pas le la les est pour merci avec de une",
        "es": "el la que no es por para gracias con una nos te lo",
        "pt": "o não que é para obrigado com uma nos você vocês do da",
        "nl": "ik je het niet een van dat is voor met bij wij graag",
    }.items()
}


def detect_language(text: str) -> str | None:
    """A best guess among the nine languages from script and common words."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\u4e00-\u9fff]", text):
        simplified = len(re.findall(r"[这们负责请联系邮个时间没说应该对]", text))
        traditional = len(re.findall(r"[這們負責請聯繫郵個時間沒說應該對]", text))
        return "zh-Hant" if traditional > simplified else "zh-Hans"
    words = Counter(re.findall(r"[a-zà-ÿ']+", text.lower()))
    scores = {
        lang: sum(count for word, count in words.items() if word in vocab)
        for lang, vocab in _MARKERS.items()
    }
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] else None


def reason_for(text: str) -> tuple[str, str]:
    """Why they are not interested: has_solution, no_need, no_budget, bad_timing or other."""
    for reason, pattern in (
        ("no_budget", _BUDGET),
        ("has_solution", _HAS_SOLUTION),
        ("bad_timing", _BAD_TIMING),
        ("no_need", _NO_NEED),
    ):
        m = pattern.search(text)
        if m:
            return reason, m.group(0)
    return "other", ""


_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "nine": 9,
    "twelve": 12,
    "a couple of": 2,
    "a few": 3,
    "ein": 1,
    "einem": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "sechs": 6,
    "un": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "six ": 6,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "seis": 6,
    "um": 1,
    "três": 3,
    "quatro": 4,
    "een": 1,
    "twee": 2,
    "drie": 3,
    "vier ": 4,
    "zes": 6,
}
_NUMBER = r"\d{1,2}|" + "|".join(
    sorted((re.escape(k.strip()) for k in _NUMBERS), key=len, reverse=True)
)
_IN_MONTHS = re.compile(
    rf"(?:in|within|dentro de|daqui a|dans|over|en|in)\s+({_NUMBER})\s+(?:months?|monaten|mois|"
    rf"meses|maanden)"
    rf"|({_NUMBER})\s*(?:ヶ月|か月|カ月|个月|個月)(?:後|后|以后|以後)",
    re.IGNORECASE,
)
_NEXT_QUARTER = re.compile(
    r"next quarter|nächsten? quartal|prochain trimestre|trimestre prochain|próximo trimestre|"
    r"siguiente trimestre"
    r"|volgend kwartaal|下个季度|下個季度|来期|next q\b",
    re.IGNORECASE,
)
# "Q2", "the second quarter", "2. Quartal", "2e trimestre", "segundo trimestre".
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "primer": 1, "segundo": 2,
             "tercer": 3, "cuarto": 4, "primeiro": 1, "terceiro": 3, "quarto": 4}  # fmt: skip
_QUARTER_NAMED = re.compile(
    r"\bq([1-4])\b|\b(first|second|third|fourth) quarter|\b([1-4])\.\s*quartal"
    r"|\b([1-4])(?:e|er|ème)\s+trimestre|\b(primer|segundo|tercer|cuarto|primeiro|terceiro|quarto)"
    r"\s+trimestre|第([1-4一二三四])(?:四半期|季度)",
    re.IGNORECASE,
)
# After the summer break (the school year's start): the 1st of September.
_AFTER_SUMMER = re.compile(
    r"after (?:the )?summer|nach (?:dem|den) sommer(?:ferien|pause)?|à la rentrée|après l'été"
    r"|después del verano|depois do verão|na de zomer(?:vakantie)?|夏(?:休み)?(?:明け|以降|の後)"
    r"|暑假(?:之后|之後|以后|以後|后|後)",
    re.IGNORECASE,
)
_NEXT_YEAR = re.compile(
    r"next year|nächstes jahr|nächsten jahr|l'année prochaine|el próximo año|el año que viene|"
    r"ano que vem"
    r"|próximo ano|volgend jaar|来年|明年|early next year|begin volgend jaar",
    re.IGNORECASE,
)
_IN_MONTH = re.compile(
    rf"\b(?:in|im|en|em|na|op|around|ab|from|de|a partir de)\s+(?:early\s+|begin\s+|"
    rf"début\s+)?(?P<month>{MONTH_PATTERN})\b",
    re.IGNORECASE,
)
_AFTER_MONTH = re.compile(
    rf"\b(?:after|nach|après|después de|depois de|na|ná)\s+(?P<month>{MONTH_PATTERN})\b"
    # "after the trade fair in March", "nach der Messe im März"
    rf"|\b(?:after|nach|après|después de|depois d[ao]|na)\s+(?:the|der|dem|den|le|la|l'|el|la|o|a"
    rf"|de)\s*\w+\s+(?:in|im|en|em|de|du|in)\s+(?P<month2>{MONTH_PATTERN})\b"
    r"|(?P<cm>\d{1,2})月(?:以降|以后|以後|之后|之後)",
    re.IGNORECASE,
)


def _first_of_month(month: int, ref: date, after: bool = False) -> date:
    if after:
        month = month % 12 + 1
        year = ref.year + (1 if month <= ref.month else 0)
        return date(year, month, 1)
    year = ref.year if month > ref.month else ref.year + 1
    return date(year, month, 1)


def resume_date(text: str, sent: date) -> tuple[date | None, str]:
    """The date to come back to a "not now", per the corpus rules (see docs/classification.md)."""
    m = _IN_MONTHS.search(text)
    if m:
        raw = (m.group(1) or m.group(2) or "").lower()
        months = int(raw) if raw.isdigit() else _NUMBERS.get(raw, 0)
        if months:
            return add_months(sent, months), m.group(0)
    m = _AFTER_MONTH.search(text)
    if m:
        named = m.group("month") or m.group("month2") or ""
        month = int(m.group("cm")) - 1 if m.group("cm") else month_named(named)
        if m.group("cm") and month is not None:
            month = month or 12
        if month:
            return _first_of_month(month, sent, after=True), m.group(0)
    m = _QUARTER_NAMED.search(text)
    if m:
        number = next(g for g in m.groups() if g)
        quarter = int(number) if number.isdigit() else _ORDINALS.get(number.lower(), 0)
        quarter = quarter or "一二三四".index(number) + 1
        start = date(sent.year, 3 * quarter - 2, 1)
        return (start if start > sent else date(sent.year + 1, start.month, 1)), m.group(0)
    m = _AFTER_SUMMER.search(text)
    if m:
        september = date(sent.year, 9, 1)
        return (september if september > sent else date(sent.year + 1, 9, 1)), m.group(0)
    m = _NEXT_QUARTER.search(text)
    if m:
        quarter_start = (sent.month - 1) // 3 * 3 + 1
        return add_months(date(sent.year, quarter_start, 1), 3), m.group(0)
    m = _NEXT_YEAR.search(text)
    if m:
        return date(sent.year + 1, 1, 1), m.group(0)
    found = find_dates(text, sent)
    future = [f for f in found if f.value > sent]
    if future:
        f = future[0]
        return f.value, text[f.start : f.end]
    m = _IN_MONTH.search(text)
    if (m and not re.fullmatch(r"may|mar|mai", m.group("month"), re.IGNORECASE)) or (
        m
        and m.group("month").lower() in ("may", "mai", "mar")
        and m.group(0)[:2].lower()
        in (
            "in",
            "im",
            "en",
        )
    ):
        month = month_named(m.group("month"))
        if month:
            return _first_of_month(month, sent), m.group(0)
    return None, ""


# A time named in passing ("that won't change next quarter"), not a request to come back:
# beside a plain no, the no decides.
_BARE_TIME = re.compile(
    r"next (?:quarter|year)|nächste[sn]? (?:jahr|quartal)|l'année prochaine|trimestre prochain"
    r"|prochain trimestre|el próximo (?:año|trimestre)|próximo (?:ano|trimestre)"
    r"|volgend (?:jaar|kwartaal)|来期|来年|下个季度|下個季度|明年"
)
_OPT_OUT_FOOTER = re.compile(
    r"^.*(?:reply|antworten|répondez|responde|responda|antwoord|返信|回复|回覆).{0,40}"
    r"[\"“”'«»「『„](?:unsubscribe|stop|abmelden|désinscri\w*|baja|descadastrar|afmelden|uitschrijven"
    r"|配信停止|退订|取消訂閱)[\"“”'«»」』“].*$",
    re.IGNORECASE | re.MULTILINE,
)


_LIST_FOOTER = re.compile(
    r"^.*(?:to unsubscribe(?: from|,| click| here| at any time)|unsubscribe from (?:these|this|our"
    r"|all)|unsubscribe here|"
    r"click here to unsubscribe"
    r"|manage (?:your )?(?:e-?mail )?(?:preferences|subscriptions)|you(?:'re| are) receiving this"
    r"|abmelden können sie|pour vous désinscrire|para darte de baja|para cancelar).*$",
    re.IGNORECASE | re.MULTILINE,
)


def without_opt_out_footer(text: str) -> str:
    """The text without lines that repeat an opt-out instruction (ours or a mailing list's)."""
    return _LIST_FOOTER.sub("", _OPT_OUT_FOOTER.sub("", text))


class _Hits(dict[str, list[tuple[str, str]]]):
    """find_phrases per kind, searched only when a rule asks (most replies stop early)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def __missing__(self, kind: str) -> list[tuple[str, str]]:
        found = self[kind] = find_phrases(kind, self.text)
        return found


def read_intent(text: str, referrals: tuple[Person, ...], sent: date | None) -> Intent:
    """The intent of a human reply, with the phrase that decided it."""
    text = without_opt_out_footer(text.replace("\u2019", "'").replace("\u2018", "'"))
    if not text.strip():
        return Intent("other", 0.2, ("no new text in the reply",))
    hits = _Hits(text)

    def said(kind: str) -> str:
        return ", ".join(f"{p!r} ({lang})" for lang, p in hits[kind][:2])

    if hits["unsubscribe"]:
        return Intent("unsubscribe", 0.95, (f"unsubscribe wording {said('unsubscribe')}",))
    if referrals and hits["not_now"] and not hits["interested"] and not hits["wrong_person"]:
        # "Not now; when it's time, talk to Carla": nurture, and keep who to ask later.
        resume, phrase = resume_date(text, sent) if sent else (None, "")
        evidence = [f"not-now wording {said('not_now')}", f"points to {len(referrals)} person(s)"]
        if resume:
            evidence.append(f"resume on {resume.isoformat()} from {phrase!r}")
        return Intent("not_now", 0.75, tuple(evidence), referrals=referrals, resume_on=resume)
    if referrals and not (hits["interested"] and not hits["wrong_person"]):
        return Intent(
            "referral",
            0.9 if any(p.email for p in referrals) else 0.75,
            (f"points to {len(referrals)} person(s)",),
            referrals=referrals,
        )
    if hits["wrong_person"]:
        return Intent("wrong_person", 0.85, (f"wrong-person wording {said('wrong_person')}",))
    reference = sent or date(2000, 1, 1)
    if hits["not_now"]:
        resume, phrase = resume_date(text, reference) if sent else (None, "")
        only_a_time = all(_BARE_TIME.fullmatch(p.lower()) for _, p in hits["not_now"])
        if not hits["not_interested"] or (resume and not only_a_time):
            evidence = [f"not-now wording {said('not_now')}"]
            if resume:
                evidence.append(f"resume on {resume.isoformat()} from {phrase!r}")
            return Intent("not_now", 0.85, tuple(evidence), referrals=referrals, resume_on=resume)
    if hits["not_interested"]:
        reason, phrase = reason_for(text)
        evidence = [f"not-interested wording {said('not_interested')}"]
        evidence.append(f"reason {reason}" + (f" from {phrase!r}" if phrase else ""))
        return Intent("not_interested", 0.85, tuple(evidence), reason=reason)
    if hits["question_first"] and hits["question"]:
        return Intent("question", 0.7, (f"asks first {said('question_first')}",))
    if hits["interested"]:
        return Intent(
            "interested",
            0.85,
            (f"interested wording {said('interested')}",),
            referrals=referrals,
        )
    if hits["question"]:
        return Intent("question", 0.7, (f"question {said('question')}",))
    return Intent("other", 0.3, ("no rule matched the new text",))
