"""Countries and time zones: the prospect's local clock decides when we send."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pycountry
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from prospector.domain import geo
from prospector.domain.geo import UnknownTimezone, country_code, timezone_for


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("US", "US"),
        ("us", "US"),
        ("USA", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("U.S.", "US"),
        ("U.S.A.", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("United Kingdom", "GB"),
        ("GB", "GB"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("DE", "DE"),
        ("DEU", "DE"),
        ("276", "DE"),
        ("France", "FR"),
        ("España", "ES"),
        ("Espana", "ES"),
        ("Brasil", "BR"),
        ("中国", "CN"),
        ("日本", "JP"),
        ("Nederland", "NL"),
        ("the Netherlands", "NL"),
        ("Holland", "NL"),
        ("  south korea ", "KR"),
        ("Korea, Republic of", "KR"),
        ("Viet Nam", "VN"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Côte d'Ivoire", "CI"),
        ("Curaçao", "CW"),
        ("St. Lucia", "LC"),
        ("Schweiz", "CH"),
        ("UAE", "AE"),
        ("Russia", "RU"),
    ],
)
def test_country_code(raw: str, code: str) -> None:
    assert country_code(raw) == code


@pytest.mark.parametrize("raw", ["", "   ", "Atlantis", "n/a", "Europe", "Germ", "XX"])
def test_unknown_countries_are_none_not_guesses(raw: str) -> None:
    assert country_code(raw) is None


@given(st.text(max_size=30))
@example("U.S.A.")
def test_country_code_is_none_or_an_iso_code(raw: str) -> None:
    code = country_code(raw)
    if code is not None:
        assert code == "XK" or pycountry.countries.get(alpha_2=code) is not None


def _zone(
    *,
    explicit: str | None = None,
    country: str | None = None,
    region: str | None = None,
    default: str = "Europe/London",
) -> str:
    return timezone_for(explicit=explicit, country=country, region=region, default=default)


@pytest.mark.parametrize(
    ("explicit", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        (" America/New_York ", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("US/Eastern", "US/Eastern"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT", "UTC"),
        ("Z", "UTC"),
        ("EST", "America/New_York"),
        ("PST", "America/Los_Angeles"),
        ("CET", "Europe/Paris"),
        ("UTC+2", "Etc/GMT-2"),
        ("GMT-05:00", "Etc/GMT+5"),
        ("+0100", "Etc/GMT-1"),
        ("UTC+0", "UTC"),
        ("New York", "America/New_York"),
        ("tokyo", "Asia/Tokyo"),
        ("São Paulo", "America/Sao_Paulo"),
    ],
)
def test_an_explicit_zone_wins(explicit: str, zone: str) -> None:
    assert _zone(explicit=explicit, country="Germany", region="Bayern") == zone


@pytest.mark.parametrize(
    "explicit", ["Mars/Olympus", "Europe/Berlinn", "UTC+5:30", "+25", "Factory"]
)
def test_an_invalid_explicit_zone_is_rejected_not_replaced(explicit: str) -> None:
    with pytest.raises(UnknownTimezone) as caught:
        _zone(explicit=explicit, country="US")
    assert explicit in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("explicit", [None, "", "   "])
def test_a_blank_explicit_zone_is_no_zone(explicit: str | None) -> None:
    assert _zone(explicit=explicit, country="Japan") == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("country", "region", "zone"),
    [
        ("US", "TX", "America/Chicago"),
        ("USA", "California", "America/Los_Angeles"),
        ("US", "US-WA", "America/Los_Angeles"),
        ("US", "Washington D.C.", "America/New_York"),
        ("US", "ny", "America/New_York"),
        ("US", "AZ", "America/Phoenix"),
        ("US", "Hawaii", "Pacific/Honolulu"),
        ("United States", "Michigan", "America/Detroit"),
        ("Canada", "BC", "America/Vancouver"),
        ("CA", "Quebec", "America/Toronto"),
        ("CA", "Newfoundland and Labrador", "America/St_Johns"),
        ("Australia", "WA", "Australia/Perth"),
        ("AU", "Queensland", "Australia/Brisbane"),
        ("AU", "ACT", "Australia/Sydney"),
        ("Brasil", "São Paulo", "America/Sao_Paulo"),
        ("Brazil", "Amazonas", "America/Manaus"),
        ("BR", "BA", "America/Bahia"),
        ("Mexico", "Quintana Roo", "America/Cancun"),
        ("MX", "Baja California", "America/Tijuana"),
        ("MX", "Baja California Sur", "America/Mazatlan"),
        ("Mexico", "Jalisco", "America/Mexico_City"),
        ("Russia", "Novosibirsk", "Asia/Novosibirsk"),
        ("Russia", "Tatarstan", "Europe/Moscow"),
        ("Indonesia", "Bali", "Asia/Makassar"),
        ("Spain", "Canarias", "Atlantic/Canary"),
        ("Portugal", "Azores", "Atlantic/Azores"),
        ("US", "Narnia", "America/New_York"),
        ("Germany", "CA", "Europe/Berlin"),  # "CA" is a US/Canadian region, not German
    ],
)
def test_region_picks_the_zone_in_countries_with_several(
    country: str, region: str, zone: str
) -> None:
    assert _zone(country=country, region=region) == zone


@pytest.mark.parametrize(
    ("country", "zone"),
    [
        ("US", "America/New_York"),
        ("Germany", "Europe/Berlin"),
        ("France", "Europe/Paris"),
        ("中国", "Asia/Shanghai"),
        ("Japan", "Asia/Tokyo"),
        ("India", "Asia/Kolkata"),
        ("Australia", "Australia/Sydney"),  # zone.tab lists Lord Howe first
        ("Brazil", "America/Sao_Paulo"),  # zone.tab lists Noronha first
        ("Canada", "America/Toronto"),  # zone.tab lists St Johns first
        ("Russia", "Europe/Moscow"),  # zone.tab lists Kaliningrad first
        ("Ukraine", "Europe/Kyiv"),
        ("Spain", "Europe/Madrid"),
        ("Mexico", "America/Mexico_City"),
        ("Argentina", "America/Argentina/Buenos_Aires"),
    ],
)
def test_otherwise_the_countrys_principal_zone(country: str, zone: str) -> None:
    assert _zone(country=country) == zone


def test_otherwise_the_default() -> None:
    assert _zone(default="Asia/Singapore") == "Asia/Singapore"
    assert _zone(country="Atlantis", region="TX", default="Asia/Singapore") == "Asia/Singapore"
    assert _zone(default="utc") == "UTC"


def test_an_invalid_default_is_a_configuration_error() -> None:
    with pytest.raises(UnknownTimezone):
        _zone(default="Mars/Olympus")
    assert _zone(country="Germany", default="Mars/Olympus") == "Europe/Berlin"


def test_every_zone_in_the_tables_loads() -> None:
    zones = set(geo._PRINCIPAL_ZONE.values()) | set(geo._ZONE_ALIASES.values())
    for table in geo._REGION_ZONES.values():
        zones |= set(table.values())
    assert len(zones) > 300
    for zone in zones:
        ZoneInfo(zone)


def test_multi_word_region_names_are_kept_whole() -> None:
    us = geo._REGION_ZONES["US"]
    assert us["new york"] == "America/New_York"
    assert us["washington"] == "America/Los_Angeles"
    assert us["washington dc"] == "America/New_York"
    assert "new" not in us and "york" not in us


@given(
    explicit=st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["UTC", "Asia/Tokyo"])),
    country=st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["US", "Brasil", "RU"])),
    region=st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["TX", "Bahia", "omsk"])),
)
def test_the_zone_returned_always_loads(
    explicit: str | None, country: str | None, region: str | None
) -> None:
    try:
        zone = timezone_for(explicit=explicit, country=country, region=region, default="UTC")
    except UnknownTimezone:
        assert explicit is not None and explicit.strip()
        return
    assert ZoneInfo(zone).key == zone
