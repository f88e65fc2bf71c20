"""The new text of a reply: quoted text, signatures, disclaimers and mobile footers removed.

Intent is read from this text only, so that the quoted opt-out footer of our own email
never makes a reply look like an unsubscribe, and the quoted question never makes a
one-word answer look like a question. mail-parser-reply finds the quote headers of the
common clients in many languages; the rules here add what it misses (CJK and Portuguese
headers, blockquote lines, mobile footers, sign-off blocks, the sender's own name block).
"""

# ruff: noqa: RUF001  (CJK punctuation in phrase lists is meant, not a look-alike)

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mailparser_reply import EmailReplyParser
from mailparser_reply.parser import EmailMessage

__all__ = ["Visible", "extract", "strip_quote", "strip_signature"]

_WROTE = (
    r"wrote|writes|schrieb|a\s+écrit|escribió|escreveu|schreef|scrisse|skrev|kirjoitti"
    r"|napisał|написал|написала|het\s+volgende\s+geschreven|geschreven|ha\s+scritto"
    r"|写道|寫道|のメッセージ|が書きました|書きました"
)
# "On <date>, <name> wrote:" and its translations, possibly wrapped over two lines.
_WROTE_LINE = re.compile(rf"^\s*>?\s*\S.*(?:{_WROTE})\s*[:：]?\s*$", re.IGNORECASE)
_WROTE_START = re.compile(
    r"^\s*(?:On|Am|Le|El|Em|Op|Il|Den|Dnia|W\s+dniu|On\s+\w+day)\b.*\d", re.IGNORECASE
)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original"
    r"|Mensagem original|Oorspronkelijk bericht|Originalnachricht|Messaggio originale"
    r"|Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado"
    r"|Original message|原始邮件|原始郵件|元のメッセージ)\s*-{2,}"
    r"|Begin forwarded message:|Anfang der weitergeleiteten Nachricht:|"
    r"Début du message réexpédié :?"
    r"|_{10,}|—{10,})\s*$",
    re.IGNORECASE,
)
_HEADER_FIELD = re.compile(
    r"^\s*>?\s*\**\s*(?:From|Sent|To|Cc|Date|Subject|Von|Gesendet|An|Betreff|Datum|De|Envoyé|À|Objet"
    r"|Para|Enviado|Asunto|Assunto|Enviada|Van|Verzonden|Aan|Onderwerp|Da|Inviato|Oggetto|Data"
    r"|Från|Skickat|Till|Ämne|Od|Wysłano|Temat|发件人|發件人|寄件者|寄件人|发送时间|發送時間|日期"
    r"|收件人|主题|主旨|抄送|差出人|送信日時|宛先|件名|送信者|Отправлено|От|Кому|Тема)\s*\**\s*[:：]",
    re.IGNORECASE,
)
_FROM_FIELD = re.compile(
    r"^\s*>?\s*\**\s*(?:From|Von|De|Van|Da|Från|Od|发件人|發件人|寄件者|寄件人|差出人|送信者|От)\s*\**\s*[:：]",
    re.IGNORECASE,
)
_MOBILE = re.compile(
    r"^\s*(?:Sent from my|Sent from Mail for|Sent with|Sent from Outlook|Sent via|Get Outlook for"
    r"|Von meinem \S+ gesendet|Gesendet von meinem|Envoyé de mon|Envoyé depuis mon|"
    r"Envoyé à partir de"
    r"|Enviado desde mi|Enviado do meu|Enviado de meu|Enviado a partir do"
    r"|Verzonden (?:vanaf|met) mijn|Verstuurd vanaf mijn|Inviato da|Skickat från"
    r"|发自我的|發自我的|来自我的|從我的|iPhoneから送信|Android.*から送信|\S+から送信)",
    re.IGNORECASE,
)
_SIGNOFF = re.compile(
    r"^\s*(?:best|best regards|kind regards|warm regards|regards|many thanks|thanks(?: again|"
    r" so much)?"
    r"|thank you|cheers|all the best|sincerely|yours|cordially|talk soon|br|rgds|thx"
    r"|mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|viele grüße|beste grüße"
    r"|liebe grüße|lg|vg|mfg|gruß|grüße|danke|herzliche grüße|schöne grüße"
    r"|cordialement|bien cordialement|bien à vous|salutations|meilleures salutations|merci|"
    r"bonne journée"
    r"|saludos|un saludo|saludos cordiales|atentamente|un abrazo|gracias|muchas gracias"
    r"|atenciosamente|abraços|abraço|obrigado|obrigada|cumprimentos|att|at\.te"
    r"|met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groeten|groet|hartelijke groet"
    r"|mvg|dank je|bedankt|cordiali saluti|saluti|grazie"
    r"|此致|敬礼|祝好|谢谢|謝謝|顺祝商祺|顺颂商祺|以上|よろしくお願いいたします|よろしくお願いします)"
    r"\s*[,.!，。、]?\s*(?:/.*)?$",
    re.IGNORECASE,
)
_DISCLAIMER = re.compile(
    r"^\s*\**\s*(?:disclaimer|confidentiality|confidential|caution|this (?:e-?mail|message)"
    r"(?: and any (?:files|attachments).*)? (?:is|may be|contains) (?:confidential|intended|"
    r"privileged)"
    r"|the information (?:contained )?in this (?:e-?mail|message)|diese e-?mail enthält"
    r"|diese nachricht enthält|ce (?:message|courriel|e-?mail) (?:et .*)?(?:est|"
    r"contient).*confidentiel"
    r"|este (?:mensaje|correo|e-?mail) (?:y .*)?(?:es|contiene).*confidencial"
    r"|esta mensagem .*confidencial|dit (?:bericht|e-?mailbericht) is .*vertrouwelijk"
    r"|本邮件.*保密|本郵件.*機密|この(?:メール|電子メール).*(?:機密|秘密))",
    re.IGNORECASE,
)
_SIG_DASHES = re.compile(r"^\s*(?:--|—|__)\s*$")
_QUOTED = re.compile(r"^\s*>")

_REPLY_PARSER = EmailReplyParser(languages=["en", "de", "fr", "es", "nl", "ja", "zh"])


class _HeadersOnly(EmailMessage):  # type: ignore[misc]
    """mail-parser-reply's split at quote headers, without its signature and disclaimer
    search (most of its cost; only the first reply's text is read here)."""

    def _process_signatures_disclaimers(self, text: str) -> tuple[list[str], str]:
        return [], ""


# Its header pattern, compiled once instead of for every message.
_HEADER_REGEX = EmailMessage(text="", languages=list(_REPLY_PARSER.languages)).HEADER_REGEX


def _library_split(text: str) -> Any:
    """What `_REPLY_PARSER.read(text)` gives for the replies' content."""
    return _HeadersOnly(
        text=text, languages=list(_REPLY_PARSER.languages), _header_regex=_HEADER_REGEX
    ).read()


@dataclass(frozen=True)
class Visible:
    """The new text and what was cut, for the evidence trail."""

    text: str
    with_signature: str  # the quote removed but the signature kept
    cuts: tuple[str, ...]


def _nonblank(lines: list[str], start: int, count: int) -> list[str]:
    found: list[str] = []
    for line in lines[start:]:
        if line.strip():
            found.append(line)
            if len(found) == count:
                break
    return found


def _quote_start(lines: list[str]) -> tuple[int, str] | None:
    """Index of the first line of the quoted part, and why."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _SEPARATOR.match(stripped):
            following = _nonblank(lines, i + 1, 1)
            if not stripped.startswith(("_", "—")) or (
                following and _HEADER_FIELD.match(following[0])
            ):
                return i, f"separator {stripped[:40]!r}"
        if _FROM_FIELD.match(line):
            following = _nonblank(lines, i + 1, 3)
            if sum(1 for f in following if _HEADER_FIELD.match(f)) >= 1:
                return i, "quoted header block"
        if _WROTE_LINE.match(line) and ("@" in line or re.search(r"\d", line) or len(line) < 160):
            return i, f"quote header {stripped[:60]!r}"
        if _WROTE_START.match(line) and i + 1 < len(lines):
            joined = stripped + " " + lines[i + 1].strip()
            if _WROTE_LINE.match(joined):
                return i, f"quote header {joined[:60]!r}"
        if _QUOTED.match(line):
            # A quoted block that runs to the end (allowing blank lines): everything below is quote.
            rest = [x for x in lines[i:] if x.strip()]
            quoted = sum(1 for x in rest if _QUOTED.match(x))
            if quoted >= len(rest) * 0.8:
                return i, "quoted lines ('>')"
    return None


def strip_quote(text: str) -> tuple[str, tuple[str, ...]]:
    """The text above the first quote header or quoted block; interleaved `>` lines dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cuts: list[str] = []
    found = _quote_start(lines)
    if found is not None:
        index, why = found
        if any(line.strip() for line in lines[:index]):
            lines = lines[:index]
        else:
            # Nothing above the quote: a bottom-posted or interleaved reply. Keep the lines
            # that are not quoted, up to the next quote header.
            rest = [x for x in lines[index + 1 :] if not _QUOTED.match(x)]
            again = _quote_start(rest)
            lines = rest[: again[0]] if again else rest
        cuts.append(why)
    try:
        # The library's header rules (many clients, many languages) as a second opinion.
        first = _library_split("\n".join(lines))
        if len(first.replies) > 1 and first.replies[0].content.strip():
            head = first.replies[0].content
            if len(head) < len("\n".join(lines).strip()):
                lines = head.split("\n")
                cuts.append("quote header (mail-parser-reply)")
    except Exception:
        pass
    kept = [line for line in lines if not _QUOTED.match(line)]
    if len(kept) != len(lines):
        cuts.append("quoted lines ('>')")
    return "\n".join(kept).strip("\n"), tuple(cuts)


def _is_short(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) <= 60 and not re.search(r"[.!?。！？]\s*$", stripped)


def strip_signature(text: str, sender_names: Iterable[str] = ()) -> tuple[str, tuple[str, ...]]:
    """The text above the signature, sign-off, mobile footer or disclaimer."""
    lines = text.split("\n")
    names = {n.lower() for name in sender_names for n in re.split(r"[\s,]+", name) if len(n) > 1}
    cuts: list[str] = []
    end = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if i > 0 and _SIG_DASHES.match(line):
            end, why = i, "signature delimiter '--'"
        elif _MOBILE.match(stripped):
            end, why = i, f"mobile footer {stripped[:40]!r}"
        elif i > 0 and _DISCLAIMER.match(stripped):
            end, why = i, "disclaimer"
        elif i > 0 and _SIGNOFF.match(stripped):
            tail = [x for x in lines[i + 1 :] if x.strip()]
            if len(tail) <= 8 and all(_is_short(x) or _MOBILE.match(x.strip()) for x in tail[:3]):
                end, why = i, f"sign-off {stripped[:30]!r}"
            else:
                continue
        else:
            continue
        cuts.append(why)
        break
    lines = lines[:end]
    # A last block of short lines that carries the sender's own name is a signature.
    while lines and not lines[-1].strip():
        lines.pop()
    if names and lines:
        start = len(lines)
        while start > 0 and lines[start - 1].strip():
            start -= 1
        block = lines[start:]
        if start > 0 and len(block) <= 6 and all(_is_short(x) for x in block):
            words = {w.lower() for w in re.split(r"[\s,|·/]+", block[0]) if w}
            first_line = block[0].replace(" ", "").lower()
            if words & names or any(n in first_line for n in names if not n.isascii()):
                lines = lines[:start]
                cuts.append("sender's name block")
    return "\n".join(lines).strip(), tuple(cuts)


def extract(text: str, sender_names: Iterable[str] = ()) -> Visible:
    """Quote and signature removed, in that order."""
    unquoted, cuts = strip_quote(text)
    trimmed, sig_cuts = strip_signature(unquoted, sender_names)
    return Visible(text=trimmed, with_signature=unquoted.strip(), cuts=cuts + sig_cuts)
