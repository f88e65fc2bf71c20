"""Where a prospect is: ISO country codes and the IANA time zone their send window uses.

Send windows ("before 09:00 or after 17:00") are in the prospect's local time, so every
contact needs a zone even when the list only says "Germany" or "TX". Zone names come
from the `tzdata` package (the same data `zoneinfo` falls back to), read once at import.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import pycountry

__all__ = ["UnknownTimezone", "country_code", "timezone_for"]


class UnknownTimezone(ValueError):
    """An explicit zone that tzdata does not know; the importer rejects that cell."""


def _fold(text: str) -> str:
    """Lookup key: lower case, no accents, no dots, single spaces ("São Paulo" -> "sao paulo")."""
    text = text.strip().lower().replace(".", "")
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(text.split())


# --- countries -------------------------------------------------------------------------

# Names pycountry does not know: short forms, native names and common exonyms.
# pycountry already covers ISO codes and English names ("DEU", "Germany", "Viet Nam").
_COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("us", "usa", "united states", "united states of america", "america", "amerika",
           "etats-unis", "etats unis", "estados unidos", "vereinigte staaten", "美国", "アメリカ"),
    "GB": ("uk", "great britain", "britain", "england", "scotland", "wales",
           "northern ireland", "grossbritannien", "großbritannien", "vereinigtes konigreich",
           "royaume-uni", "royaume uni", "reino unido", "英国", "イギリス"),
    "DE": ("deutschland", "allemagne", "alemania", "germania", "brd", "德国", "ドイツ"),
    "FR": ("frankreich", "francia", "法国", "フランス"),
    "ES": ("espana", "spanien", "espagne", "spagna", "西班牙"),
    "IT": ("italia", "italien", "italie", "意大利"),
    "NL": ("nederland", "holland", "the netherlands", "niederlande", "pays-bas", "paises bajos",
           "荷兰"),
    "BE": ("belgie", "belgique", "belgien", "belgica"),
    "CH": ("schweiz", "suisse", "svizzera", "suiza", "瑞士"),
    "AT": ("osterreich", "autriche"),
    "BR": ("brasil", "bresil", "巴西"),
    "MX": ("mexique", "mexiko"),
    "CN": ("中国", "中华人民共和国", "china", "prc", "mainland china", "chine", "中國"),
    "JP": ("日本", "nippon", "japon", "日本国"),
    "KR": ("korea", "south korea", "republic of korea", "한국", "대한민국", "韩国", "corea del sur",
           "coree du sud", "sudkorea"),
    "KP": ("north korea",),
    "TW": ("台湾", "台灣", "taiwan, province of china"),
    "HK": ("香港",),
    "SG": ("新加坡",),
    "IN": ("indien", "inde", "印度"),
    "AU": ("australien", "australie", "澳大利亚"),
    "CA": ("kanada", "加拿大"),
    "RU": ("russia", "russland", "russie", "rusia", "россия", "俄罗斯"),
    "TR": ("turkey", "turkei", "turquie", "turquia", "turkiye"),
    "PL": ("polska", "polen", "pologne", "polonia"),
    "SE": ("sverige", "schweden", "suede", "suecia"),
    "NO": ("norge", "norwegen", "norvege", "noruega"),
    "DK": ("danmark", "danemark", "dinamarca", "danemark"),
    "FI": ("suomi", "finnland"),
    "IE": ("eire", "irland", "irlande", "irlanda"),
    "PT": ("portugal",),
    "GR": ("hellas", "ελλαδα", "griechenland", "grece", "grecia"),
    "CZ": ("czech republic", "cesko", "tschechien"),
    "AE": ("uae", "emirates", "united arab emirates", "vae"),
    "SA": ("ksa", "saudi arabia"),
    "VN": ("vietnam", "viet nam"),
    "IR": ("iran",),
    "SY": ("syria",),
    "LA": ("laos",),
    "MK": ("macedonia",),
    "CI": ("ivory coast", "cote divoire", "cote d'ivoire"),
    "MM": ("burma",),
    "SZ": ("swaziland",),
    "CV": ("cape verde",),
    "PS": ("palestine",),
    "VA": ("vatican", "vatican city"),
    "PE": ("peru",),
    "XK": ("kosovo", "xk"),
}  # fmt: skip


def _country_index() -> dict[str, str]:
    """The fields `pycountry.countries.lookup` matches (codes, names), folded, plus our
    aliases. Built once: a miss in pycountry's lookup scans every country (~100 µs)."""
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for field in ("alpha_2", "alpha_3", "numeric", "name", "official_name", "common_name"):
            value = getattr(country, field, None)
            if value:
                index.setdefault(_fold(value), country.alpha_2)
    for code, names in _COUNTRY_NAMES.items():
        for name in names:
            index[_fold(name)] = code
    return index


_COUNTRY_INDEX = _country_index()


@lru_cache(maxsize=4096)
def country_code(raw: str) -> str | None:
    """ISO 3166-1 alpha-2 for what a spreadsheet says ("USA", "Deutschland", "中国"); None
    when empty or unknown. Exact lookups only: fuzzy matching guesses wrong too often."""
    key = _fold(raw)
    key = key[4:] if key.startswith("the ") else key
    key = f"saint {key[3:]}" if key.startswith("st ") else key
    return _COUNTRY_INDEX.get(key)


# --- time zones ------------------------------------------------------------------------


def _read_zone_names() -> frozenset[str]:
    text = (resources.files("tzdata") / "zones").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip()) - {"Factory"}


def _read_zone_tab() -> list[tuple[str, str]]:
    """(country, zone) rows of zone.tab, in file order."""
    text = (resources.files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and line[0] != "#")
    return [(row[0], row[2]) for row in rows]


_ZONE_NAMES = _read_zone_names()
_ZONE_BY_KEY = {name.lower(): name for name in _ZONE_NAMES}
_ZONE_TAB = _read_zone_tab()


def _first_zone_per_country() -> dict[str, str]:
    """zone.tab lists a country's most populous zone first where geography allows."""
    first: dict[str, str] = {}
    for country, zone in _ZONE_TAB:
        first.setdefault(country, zone)
    return first


# These zone.tab orders west to east instead; Kosovo has no row of its own.
_PRINCIPAL_ZONE = _first_zone_per_country() | {
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "UZ": "Asia/Tashkent",
    "XK": "Europe/Belgrade",
}

# What people write instead of a zone name. Abbreviations go to the main city's zone so
# daylight saving applies (tzdata's own "EST"/"MST" are fixed offsets). "CST" is read as
# US Central, the more common meaning in English-language lists.
_ZONE_ALIASES: dict[str, str] = {
    "utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC", "etc/utc": "UTC",
    "est": "America/New_York", "edt": "America/New_York", "et": "America/New_York",
    "eastern": "America/New_York", "eastern time": "America/New_York",
    "cst": "America/Chicago", "cdt": "America/Chicago", "ct": "America/Chicago",
    "central": "America/Chicago", "central time": "America/Chicago",
    "mst": "America/Denver", "mdt": "America/Denver", "mt": "America/Denver",
    "mountain": "America/Denver", "mountain time": "America/Denver",
    "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "pt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles", "pacific time": "America/Los_Angeles",
    "akst": "America/Anchorage", "hst": "Pacific/Honolulu",
    "bst": "Europe/London", "cet": "Europe/Paris", "cest": "Europe/Paris",
    "eet": "Europe/Athens", "eest": "Europe/Athens", "wet": "Europe/Lisbon",
    "ist": "Asia/Kolkata", "jst": "Asia/Tokyo", "kst": "Asia/Seoul",
    "china standard time": "Asia/Shanghai", "beijing time": "Asia/Shanghai",
    "aest": "Australia/Sydney", "aedt": "Australia/Sydney", "awst": "Australia/Perth",
    "nzst": "Pacific/Auckland", "nzdt": "Pacific/Auckland",
}  # fmt: skip

# "UTC+2" / "GMT-05:00": whole hours only, as Etc/GMT zones (whose sign is inverted).
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?00)?")


def _city_zones() -> dict[str, str]:
    """'new york' -> America/New_York, for lists that give a city as the zone."""
    cities: dict[str, str] = {}
    for zone in sorted({zone for _, zone in _ZONE_TAB}):
        cities.setdefault(_fold(zone.rsplit("/", 1)[-1].replace("_", " ")), zone)
    return cities


_ZONE_BY_CITY = _city_zones()


@lru_cache(maxsize=1024)
def _zone_name(raw: str) -> str | None:
    """Canonical spelling of a zone people typed, or None when there is no such zone."""
    text = raw.strip()
    key = text.lower()
    found = _ZONE_ALIASES.get(key) or _ZONE_BY_KEY.get(key.replace(" ", "_"))
    if found is not None:
        return found
    offset = _OFFSET.fullmatch(key)
    if offset is not None:
        sign, hours = offset.groups()
        if int(hours) == 0:
            return "UTC"
        zone = f"Etc/GMT{'-' if sign == '+' else '+'}{int(hours)}"
        return zone if zone in _ZONE_NAMES else None
    return _ZONE_BY_CITY.get(_fold(text.replace("_", " ")))


# Regions of countries that span several zones: key is the folded region code or name.
_US = {
    "America/New_York": (
        "ct connecticut de delaware dc district of columbia washington dc fl florida ga georgia "
        "me maine md maryland ma massachusetts nh new hampshire nj new jersey ny new york "
        "nc north carolina oh ohio pa pennsylvania ri rhode island sc south carolina "
        "vt vermont va virginia wv west virginia ky kentucky"
    ),
    "America/Detroit": "mi michigan",
    "America/Indiana/Indianapolis": "in indiana",
    "America/Chicago": (
        "al alabama ar arkansas il illinois ia iowa ks kansas la louisiana mn minnesota "
        "ms mississippi mo missouri ne nebraska nd north dakota ok oklahoma sd south dakota "
        "tn tennessee tx texas wi wisconsin"
    ),
    "America/Denver": "co colorado mt montana nm new mexico ut utah wy wyoming",
    "America/Boise": "id idaho",
    "America/Phoenix": "az arizona",
    "America/Los_Angeles": "ca california nv nevada or oregon wa washington",
    "America/Anchorage": "ak alaska",
    "Pacific/Honolulu": "hi hawaii",
    "America/Puerto_Rico": "pr puerto rico",
    "Pacific/Guam": "gu guam",
}
_CA = {
    "America/Toronto": "on ontario qc quebec",
    "America/Vancouver": "bc british columbia",
    "America/Edmonton": "ab alberta nt northwest territories",
    "America/Regina": "sk saskatchewan",
    "America/Winnipeg": "mb manitoba",
    "America/Halifax": "ns nova scotia pe prince edward island",
    "America/Moncton": "nb new brunswick",
    "America/St_Johns": "nl newfoundland newfoundland and labrador",
    "America/Whitehorse": "yt yukon",
    "America/Iqaluit": "nu nunavut",
}
_AU = {
    "Australia/Sydney": "nsw new south wales act australian capital territory",
    "Australia/Melbourne": "vic victoria",
    "Australia/Brisbane": "qld queensland",
    "Australia/Adelaide": "sa south australia",
    "Australia/Perth": "wa western australia",
    "Australia/Hobart": "tas tasmania",
    "Australia/Darwin": "nt northern territory",
}
_BR = {
    "America/Sao_Paulo": (
        "sp sao paulo rj rio de janeiro mg minas gerais es espirito santo pr parana "
        "sc santa catarina rs rio grande do sul go goias df distrito federal"
    ),
    "America/Bahia": "ba bahia",
    "America/Recife": "pe pernambuco",
    "America/Fortaleza": ("ce ceara ma maranhao pi piaui rn rio grande do norte pb paraiba"),
    "America/Maceio": "al alagoas se sergipe",
    "America/Belem": "pa para ap amapa",
    "America/Araguaina": "to tocantins",
    "America/Manaus": "am amazonas",
    "America/Cuiaba": "mt mato grosso",
    "America/Campo_Grande": "ms mato grosso do sul",
    "America/Porto_Velho": "ro rondonia",
    "America/Boa_Vista": "rr roraima",
    "America/Rio_Branco": "ac acre",
}
_MX = {  # the rest of Mexico is on America/Mexico_City, its principal zone
    "America/Tijuana": "bcn bc baja california",
    "America/Mazatlan": "bcs baja california sur sin sinaloa nay nayarit",
    "America/Hermosillo": "son sonora",
    "America/Chihuahua": "chh chih chihuahua",
    "America/Cancun": "roo q roo quintana roo",
    "America/Merida": "yuc yucatan cam campeche",
    "America/Monterrey": "nle nl nuevo leon coa coahuila tam tamaulipas dur durango",
}
_RU = {  # main cities and their regions; elsewhere Moscow time
    "Europe/Kaliningrad": "kaliningrad",
    "Europe/Samara": "samara",
    "Asia/Yekaterinburg": "yekaterinburg ekaterinburg sverdlovsk chelyabinsk",
    "Asia/Omsk": "omsk",
    "Asia/Novosibirsk": "novosibirsk",
    "Asia/Krasnoyarsk": "krasnoyarsk",
    "Asia/Irkutsk": "irkutsk",
    "Asia/Vladivostok": "vladivostok khabarovsk primorsky",
}
_ID = {
    "Asia/Makassar": "bali makassar sulawesi",
    "Asia/Jayapura": "papua",
    "Asia/Pontianak": "pontianak kalimantan barat west kalimantan",
}
_ES = {"Atlantic/Canary": "canarias canary islands las palmas santa cruz de tenerife"}
_PT = {"Atlantic/Azores": "azores acores", "Atlantic/Madeira": "madeira"}

# Multi-word names are listed as phrases; split the tables on known names, not spaces.
_PHRASES = re.compile(
    r"district of columbia|washington dc|new hampshire|new jersey|new york|north carolina|"
    r"rhode island|south carolina|west virginia|north dakota|south dakota|new mexico|"
    r"puerto rico|british columbia|northwest territories|nova scotia|prince edward island|"
    r"new brunswick|newfoundland and labrador|new south wales|australian capital territory|"
    r"south australia|western australia|northern territory|sao paulo|rio de janeiro|"
    r"minas gerais|espirito santo|santa catarina|rio grande do sul|rio grande do norte|"
    r"distrito federal|mato grosso do sul|mato grosso|baja california sur|baja california|"
    r"quintana roo|q roo|nuevo leon|kalimantan barat|west kalimantan|canary islands|"
    r"las palmas|santa cruz de tenerife|\S+"
)


def _region_table(zones: dict[str, str]) -> dict[str, str]:
    return {name: zone for zone, names in zones.items() for name in _PHRASES.findall(names)}


_REGION_ZONES: dict[str, dict[str, str]] = {
    country: _region_table(table)
    for country, table in {
        "US": _US, "CA": _CA, "AU": _AU, "BR": _BR, "MX": _MX, "RU": _RU, "ID": _ID,
        "ES": _ES, "PT": _PT,
    }.items()
}  # fmt: skip


def timezone_for(
    *, explicit: str | None, country: str | None, region: str | None, default: str
) -> str:
    """The zone to send in: an explicit zone wins, else the region's, else the country's
    principal zone, else `default`. Raises UnknownTimezone for an invalid explicit zone
    (or default), so a typo is reported rather than silently replaced."""
    return _timezone(explicit or "", country or "", region or "", default)


@lru_cache(maxsize=4096)
def _timezone(explicit: str, country: str, region: str, default: str) -> str:
    if explicit.strip():
        return _valid_zone(explicit)
    code = country_code(country) if country else None
    if code is not None:
        zone = _REGION_ZONES.get(code, {}).get(_region_key(region, code)) if region else None
        return zone or _PRINCIPAL_ZONE.get(code) or _valid_zone(default)
    return _valid_zone(default)


def canonical_zone(raw: str) -> str:
    """The IANA name for what a user typed ("berlin", "UTC+2", "europe/berlin"); UnknownTimezone
    when there is none, so a typo is refused where it was written."""
    return _valid_zone(raw)


def _valid_zone(raw: str) -> str:
    zone = _zone_name(raw)
    if zone is None:
        raise UnknownTimezone(f"{raw.strip()!r} is not an IANA zone name like Europe/Berlin")
    return zone


def _region_key(region: str, code: str) -> str:
    key = _fold(region.replace("_", " "))
    prefix = f"{code.lower()}-"  # ISO 3166-2 codes: "US-TX"
    return key[len(prefix) :] if key.startswith(prefix) else key
