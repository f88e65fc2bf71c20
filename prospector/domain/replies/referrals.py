"""The people a reply points us to: addresses and names in the new text, colleagues put in
Cc with a word saying so, the new addressee when we were moved to Bcc, and a role named
without a person ("I've passed this to our VP of Sales")."""

from __future__ import annotations

import re
from collections.abc import Collection

from prospector.domain.replies.intents import find_phrases
from prospector.domain.replies.parse import Address, ParsedMessage
from prospector.domain.replies.people import (
    Person,
    cjk_names,
    emails_in,
    is_role_address,
    latin_names,
    name_for_email,
    normalise_display_name,
    title_near,
)

__all__ = ["find_referrals", "is_ours"]

_CC_CUE = re.compile(
    r"cc'?d|cc'?ing|\bcc\b|copied|copying|adding|added|looping|loop(?:ed)? in|in kopie|in cc|"
    r"en copie"
    r"|en copia|copio|em cópia|in de cc|副本|抄送|CCに|加入|te pongo|je mets|"
    r"ich habe .{0,40} (?:in kopie|hinzugefügt)"
    r"|take it from here|let you two|introduc|vorstellen|présente",
    re.IGNORECASE,
)
_ROLE_FORWARD = re.compile(
    r"(?:forward(?:ed)?|passed|sent|handed|shared)\s+(?:your (?:note|email|message)|this|it|that)"
    r"(?:\s+on)?\s+to\s+(?:our|my|the)\s+([^.,;:!?\n]{2,60})"
    r"|(?:an|to)\s+(?:unseren?|unsere)\s+([^.,;:!?\n]{2,40})\s+weitergeleitet"
    r"|transmis (?:(?:votre|ton|ce) (?:message|mail|e-mail|courriel|demande) )?(?:à|au) "
    r"(?:notre|nos)\s+([^.,;:!?\n]{2,40})"
    r"|reenviado (?:a|al) (?:nuestro|nuestra)\s+([^.,;:!?\n]{2,40})"
    r"|encaminhei (?:para|ao|à) (?:o nosso|a nossa|nosso|nossa)\s+([^.,;:!?\n]{2,40})"
    r"|doorgestuurd (?:naar|aan) (?:onze|ons)\s+([^.,;:!?\n]{2,40})"
    r"|(?:转|轉)(?:给|給|交给|交給)了?(?:我们的|我們的)([^\uff0c\u3002,.\n]{2,12})",
    re.IGNORECASE,
)


def is_ours(address: str, our_domains: Collection[str]) -> bool:
    domain = address.rsplit("@", 1)[-1].lower()
    return any(domain == d or domain.endswith("." + d) for d in our_domains)


def _first_word_in(text: str, name: str | None) -> bool:
    if not name:
        return False
    lowered = text.lower()
    return any(len(part) > 1 and part.lower() in lowered for part in name.split())


def find_referrals(
    parsed: ParsedMessage, visible: str, our_domains: Collection[str]
) -> tuple[tuple[Person, ...], tuple[str, ...]]:
    """The people pointed to, and the evidence for each."""
    sender = parsed.sender.email if parsed.sender else ""
    sender_name = parsed.sender.name if parsed.sender else ""
    ours = [a for a in (*parsed.to, *parsed.cc) if is_ours(a.email, our_domains)]
    excluded_names = {sender_name.lower()} | {a.name.lower() for a in ours if a.name}
    excluded_words = {w.lower() for n in excluded_names for w in n.split() if len(w) > 1}
    people: list[Person] = []
    evidence: list[str] = []
    seen_emails: set[str] = set()

    def add(person: Person, why: str) -> None:
        for i, known in enumerate(people):
            same_email = person.email and known.email == person.email
            same_name = bool(
                person.name
                and known.name
                and (
                    person.name.lower() == known.name.lower()
                    or (
                        not (person.email and known.email)
                        and set(person.name.lower().split()) & set(known.name.lower().split())
                    )
                )
            )
            if same_email or same_name:
                people[i] = Person(
                    name=known.name or person.name,
                    email=known.email or person.email,
                    title=known.title or person.title,
                )
                return
        people.append(person)
        if person.email:
            seen_emails.add(person.email)
        evidence.append(why)

    # 1. Addresses written in the new text.
    for position, address in emails_in(visible):
        if address == sender or is_ours(address, our_domains) or is_role_address(address):
            continue
        name = name_for_email(visible, position, address)
        if name and name.lower() in excluded_names:
            name = None
        add(
            Person(name, address, title_near(visible, name) if name else None),
            f"address {address} in text",
        )
    # 2. Colleagues in To/Cc: copied with a word saying so, or addressed instead of us.
    addressed_to_us = any(is_ours(a.email, our_domains) for a in parsed.to) or not our_domains
    cc_cue = _CC_CUE.search(visible)
    recipients: list[Address] = list(parsed.cc) + ([] if addressed_to_us else list(parsed.to))
    for recipient in recipients:
        if recipient.email == sender or is_ours(recipient.email, our_domains):
            continue
        if is_role_address(recipient.email):
            continue
        name = normalise_display_name(recipient.name)
        mentioned = _first_word_in(visible, name)
        if cc_cue:
            title = title_near(visible, name) if name else None
            if title is None and name:
                for part in name.split():
                    if visible.find(part) >= 0 and len(part) > 1:
                        title = title_near(visible, part)
                        if title:
                            break
            why = (
                f"copied with {cc_cue.group(0)!r}" if addressed_to_us else "addressed instead of us"
            )
            add(Person(name, recipient.email, title), f"{recipient.email} in {why}")
        elif mentioned:
            continue
    # 3. Names without an address, in a sentence that points somewhere.
    for sentence in re.split(r"(?<=[.!?。])\s+|\n", visible):
        if not find_phrases("referral_cue", sentence):
            continue
        for _, name in latin_names(sentence):
            if {w.lower() for w in name.split()} & excluded_words:
                continue
            linked = next(
                (addr for text, addr in parsed.links if name.lower() in text.lower()), None
            )
            add(
                Person(name, linked, title_near(visible, name)),
                f"named {name!r} in {sentence[:50]!r}" + (f" (mailto {linked})" if linked else ""),
            )
        for _, name in cjk_names(sentence):  # no spaces: a display name may hold it whole
            if name.lower() in excluded_words or any(name in n for n in excluded_names):
                continue
            add(
                Person(name, None, title_near(visible, name)),
                f"named {name!r} in {sentence[:50]!r}",
            )
    # 4. A role without a person.
    if not people:
        m = _ROLE_FORWARD.search(visible)
        if m:
            title = next(g for g in m.groups() if g).strip()
            add(Person(None, None, title), f"forwarded to a role: {m.group(0)[:60]!r}")
    return tuple(people), tuple(evidence)
