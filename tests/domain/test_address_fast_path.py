"""The ASCII fast path for domains agrees with email-validator, the reference."""

from __future__ import annotations

from email_validator import EmailNotValidError
from email_validator.syntax import validate_email_domain_name
from hypothesis import example, given, settings
from hypothesis import strategies as st

from prospector.domain.addresses import _plainly_valid

labels = st.text(alphabet="abcz09-", min_size=1, max_size=70)


def library_accepts(domain: str) -> bool:
    try:
        return validate_email_domain_name(domain)["ascii_domain"] == domain
    except EmailNotValidError:
        return False


@settings(max_examples=3000)
@given(st.lists(labels, min_size=1, max_size=5).map(".".join))
@example("acme.com")
@example("a-b.co.uk")
@example("ab--cd.com")
@example("xn--mnchen-3ya.de")
@example("printer.local")
@example("example.123")
@example("-acme.com")
@example("a" * 64 + ".com")
def test_fast_path_never_accepts_what_the_library_refuses(domain: str) -> None:
    if _plainly_valid(domain):
        assert library_accepts(domain)


@given(st.from_regex(r"[a-z][a-z0-9]{0,20}(\.[a-z][a-z0-9]{0,10}){1,3}", fullmatch=True))
def test_common_hosts_take_the_fast_path_when_the_library_accepts(domain: str) -> None:
    assert _plainly_valid(domain) == library_accepts(domain)
