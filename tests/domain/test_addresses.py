"""Addresses and domains: what the importer keeps, merges and rejects."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given
from hypothesis import strategies as st

from prospector.domain.addresses import (
    Address,
    InvalidAddress,
    normalise_domain,
    normalise_email,
)


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("jane@acme.com", "jane@acme.com"),
        ("Jane.Doe@Acme.COM", "jane.doe@acme.com"),
        ("  jane@acme.com\t", "jane@acme.com"),
        ("<jane@acme.com>", "jane@acme.com"),
        ("mailto:jane@acme.com", "jane@acme.com"),
        ("MAILTO:Jane@Acme.com?subject=Hi", "jane@acme.com"),
        (" <mailto:JANE@acme.com> ", "jane@acme.com"),
        ("Jane Doe <jane@acme.com>", "jane@acme.com"),
        ('"Doe, Jane" <Jane@Acme.com>', "jane@acme.com"),
        ("bob+news@gmail.com", "bob+news@gmail.com"),
        ("o'brien@acme.ie", "o'brien@acme.ie"),
        ("jane@sub.acme.co.uk", "jane@sub.acme.co.uk"),
        ("jane@münchen.de", "jane@xn--mnchen-3ya.de"),
        ("jane@MÜNCHEN.de", "jane@xn--mnchen-3ya.de"),
        ("jäne@acme.com", "jäne@acme.com"),
    ],
)
def test_normalise_email_accepts_and_normalises(raw: str, email: str) -> None:
    address = normalise_email(raw)
    assert address.email == email
    assert address.email == f"{address.local}@{address.domain}"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("jane", "no @"),
        ("jane.acme.com", "no @"),
        ("@acme.com", "nothing before @"),
        ("jane@", "nothing after @"),
        ("a@b@acme.com", "more than one @"),
        ("jane@acme.com, bob@acme.com", "more than one @"),
        ("jane@acme", "domain has no dot"),
        ("jane@localhost", "domain has no dot"),
        ("ja ne@acme.com", "invalid character in local part"),
        ("jane(x)@acme.com", "invalid character in local part"),
        ("jane@ac me.com", "invalid character in domain"),
        ("jane@acme_x.com", "invalid character in domain"),
        ("jane@acme.com>", "invalid character in domain"),
        ("jane..doe@acme.com", "misplaced dot"),
        (".jane@acme.com", "misplaced dot"),
        ("jane.@acme.com", "misplaced dot"),
        ("jane@acme..com", "misplaced dot"),
        ("jane@-acme.com", "misplaced hyphen in domain"),
        ('"jane"@acme.com', "quoted local part"),
        ('"ja@ne"@acme.com', "quoted local part"),
        ("jane@[192.0.2.1]", "IP address instead of a domain"),
        ("jane@acme.local", "reserved domain"),
        ("jane@acme.invalid", "reserved domain"),
        ("jane@acme.123", "invalid top-level domain"),
        ("jane@xn--abc.com", "invalid international domain"),
        ("jane@" + "a" * 64 + ".com", "domain label too long"),
        ("j" * 250 + "@acme.com", "too long"),
        ("ja\u200bne@acme.com", "invisible or unsafe character"),
        ("Ja;ne <jane@acme.com>", "invalid display name"),
        ("<jane@acme.com", "unbalanced angle brackets"),
        ("Jane <jane@acme.com> (work)", "text after the address"),
        ('"' * 300 + "@acme.com", "invalid quoting"),
    ],
)
def test_normalise_email_rejects_with_a_short_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        normalise_email(raw)
    assert caught.value.reason == reason
    assert str(caught.value) == reason
    assert isinstance(caught.value, ValueError)


def test_a_rejected_domain_is_rejected_again_from_the_cache() -> None:
    for _ in range(3):
        with pytest.raises(InvalidAddress, match="domain has no dot"):
            normalise_email("jane@intranet")


@pytest.mark.parametrize(
    ("raw", "is_role"),
    [
        ("info@acme.com", True),
        ("Sales@acme.com", True),
        ("no-reply@acme.com", True),
        ("no_reply@acme.com", True),
        ("noreply@acme.com", True),
        ("do-not-reply@acme.com", True),
        ("support+tickets@acme.com", True),
        ("sales.emea@acme.com", True),
        ("kontakt@acme.de", True),
        ("contacto@acme.es", True),
        ("bonjour@acme.fr", True),
        ("postmaster@acme.com", True),
        ("jane@acme.com", False),
        ("jane.doe@acme.com", False),
        ("infoguy@acme.com", False),
        ("steve.jobs@acme.com", False),
        ("jane+sales@acme.com", False),
    ],
)
def test_role_mailboxes_are_flagged(raw: str, is_role: bool) -> None:
    assert normalise_email(raw).is_role is is_role


@pytest.mark.parametrize(
    ("raw", "is_free"),
    [
        ("jane@gmail.com", True),
        ("jane@GMAIL.com", True),
        ("jane@qq.com", True),
        ("jane@web.de", True),
        ("jane@yahoo.co.uk", True),
        ("jane@acme.com", False),
        ("jane@mail.gmail.com", False),  # exact domains only: no suffix matching
        ("jane@gmail.com.acme.io", False),
    ],
)
def test_free_mail_domains_are_flagged(raw: str, is_free: bool) -> None:
    assert normalise_email(raw).is_free_mail is is_free


def test_address_is_an_immutable_value() -> None:
    address = normalise_email("jane@acme.com")
    assert address == Address("jane@acme.com", "jane", "acme.com", False, False)
    with pytest.raises(AttributeError):
        address.email = "x@acme.com"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("acme.com", "acme.com"),
        ("https://www.Acme.com/about", "acme.com"),
        ("http://acme.com", "acme.com"),
        ("acme.com.", "acme.com"),
        ("WWW.acme.co.uk", "acme.co.uk"),
        ("www2.acme.io", "acme.io"),
        ("www.www.acme.io", "acme.io"),
        ("//acme.com/path", "acme.com"),
        ("https://user:pw@www.acme.com:8443/x?y=1#z", "acme.com"),
        ("acme.com?ref=list", "acme.com"),
        ("  Acme.com  ", "acme.com"),
        ("jane@acme.com", "acme.com"),
        ("shop.acme.com", "shop.acme.com"),
        ("www.com", "www.com"),
        ("münchen.de", "xn--mnchen-3ya.de"),
    ],
)
def test_normalise_domain(raw: str, domain: str) -> None:
    assert normalise_domain(raw) == domain


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty domain"),
        ("   ", "empty domain"),
        ("https://", "empty domain"),
        ("n/a", "domain has no dot"),
        ("-", "misplaced hyphen in domain"),
        ("Acme Inc", "invalid character in domain"),
        ("acme..com", "misplaced dot"),
        ("acme.local", "reserved domain"),
    ],
)
def test_normalise_domain_rejects_garbage(raw: str, reason: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        normalise_domain(raw)
    assert caught.value.reason == reason


def test_email_domain_and_website_normalise_to_the_same_key() -> None:
    assert normalise_email("Jane@WWW-Acme.com").domain == normalise_domain("www-acme.com")
    assert normalise_email("jane@Acme.com").domain == normalise_domain("https://www.acme.com/")


# --- properties --------------------------------------------------------------------------

_ascii_addresses = st.from_regex(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,20}@[A-Za-z0-9.-]{1,20}\.[A-Za-z]{2,6}", fullmatch=True
)


@given(st.one_of(st.emails(), _ascii_addresses))
@example("Jane.Doe@Acme.COM")
def test_normalise_email_is_idempotent(raw: str) -> None:
    try:
        address = normalise_email(raw)
    except InvalidAddress:
        return
    assert normalise_email(address.email) == address


@given(st.emails(), st.sampled_from([" ", "\t", "", "  \n"]), st.booleans())
def test_case_and_whitespace_variants_are_one_identity(raw: str, pad: str, upper: bool) -> None:
    try:
        expected = normalise_email(raw).email
    except InvalidAddress:
        return
    variant = raw.upper() if upper else raw.swapcase()
    assert normalise_email(f"{pad}{variant}{pad}").email == expected


_display_forms = st.from_regex(
    r'(("?[A-Za-z @<>]{0,8}"?)? ?<)?"?[A-Za-z0-9.@ +<>-]{1,12}"?'
    r"@[A-Za-z0-9.@-]{1,12}\.[a-z]{2,4}>?",
    fullmatch=True,
)


@given(st.one_of(_ascii_addresses, _display_forms))
@example('"Doe, Jane" <Jane@Acme.com>')
@example('"ja@ne"@acme.com')
def test_composed_checks_agree_with_the_full_library_validator(raw: str) -> None:
    raw = raw.strip()
    if "< " in raw or " >" in raw:
        return  # we also strip spaces inside <…>; the library does not
    try:
        full = validate_email(
            raw,
            check_deliverability=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=True,
        )
    except EmailNotValidError:
        with pytest.raises(InvalidAddress):
            normalise_email(raw)
        return
    address = normalise_email(raw)
    assert address.local == full.local_part.lower()
    assert address.domain == full.ascii_domain.lower()


@given(st.text(max_size=60))
def test_normalise_email_only_ever_raises_invalid_address(raw: str) -> None:
    try:
        address = normalise_email(raw)
    except InvalidAddress as error:
        assert 0 < len(error.reason) <= 80  # one readable line in an import report
    else:
        assert address.email.count("@") == 1


_websites = st.from_regex(
    r"(https?://)?(www\d?\.)?[A-Za-z0-9-]{1,15}(\.[A-Za-z]{2,6}){1,2}\.?(/[a-z?=#]{0,10})?",
    fullmatch=True,
)


@given(st.one_of(_websites, st.text(max_size=40)))
def test_normalise_domain_is_idempotent(raw: str) -> None:
    try:
        domain = normalise_domain(raw)
    except InvalidAddress:
        return
    assert normalise_domain(domain) == domain
    assert domain == domain.lower()
    assert "." in domain
