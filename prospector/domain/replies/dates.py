"""Dates written in replies ("back on May 26", "bis 13.02.", "8月17日より", "next quarter"),
read relative to the message's own Date header so that a reply read weeks later still
resolves to the same day."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "FoundDate",
    "add_months",
    "find_dates",
    "month_named",
    "next_business_day",
    "next_weekday",
]

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar jänner janvier enero janeiro januari ene",
        "february feb februar février fevrier febrero fevereiro februari fev fév",
        "march mar märz maerz mars marzo março marco maart mär mrt",
        "april apr avril abril avr abr",
        "may mai mayo maio mei",
        "june jun juni juin junio junho",
        "july jul juli juillet julio julho juil",
        "august aug august août aout agosto augustus ago",
        "september sep sept septembre septiembre setiembre setembro set",
        "october oct oktober octobre octubre outubro okt out",
        "november nov novembre noviembre novembro",
        "december dec dezember décembre decembre diciembre dezembro dic dez",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _number)

_MONTH = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_WEEKDAYS: dict[str, int] = {}
for _index, _names in enumerate(
    [
        "monday montag lundi lunes segunda segunda-feira maandag 月曜日 月曜 周一 星期一 週一",
        "tuesday dienstag mardi martes terça terça-feira dinsdag 火曜日 火曜 周二 星期二 週二",
        "wednesday mittwoch mercredi miércoles miercoles quarta quarta-feira woensdag 水曜日 "
        "周三 星期三",
        "thursday donnerstag jeudi jueves quinta quinta-feira donderdag 木曜日 周四 星期四 週四",
        "friday freitag vendredi viernes sexta sexta-feira vrijdag 金曜日 周五 星期五 週五",
        "saturday samstag samedi sábado sabado zaterdag 土曜日 周六 星期六",
        "sunday sonntag dimanche domingo zondag 日曜日 周日 星期日 星期天",
    ]
):
    for _name in _names.split():
        _WEEKDAYS[_name] = _index

_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|e|º|°|\.)?"
_YEAR = r"(?:,?\s*(?P<year>20\d\d))?"
_PATTERNS = [
    # 2026-05-26
    re.compile(r"(?P<iso>(?P<y>20\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d))"),
    # 4月28日, 2026年4月28日
    re.compile(r"(?:(?P<cy>20\d\d)\s*年\s*)?(?P<cm>[01]?\d)\s*月\s*(?P<cd>[0-3]?\d)\s*[日号號]"),
    # May 26, 2026 / March 16
    re.compile(rf"\b(?P<month>{_MONTH})\.?\s+{_DAY}(?![\d:])\b{_YEAR}", re.IGNORECASE),
    # 26 May / 17. August / 24 de agosto / 1er mai
    re.compile(
        rf"\b{_DAY}\s*(?:de\s+|of\s+)?(?P<month2>{_MONTH})\b\.?(?:\s*(?:de\s+)?(?P<year2>20\d\d))?",
        re.IGNORECASE,
    ),
    # 13.02.2026 / 16.02. / 27/07 / 5/26/2026
    re.compile(
        r"(?<![\d.:/])(?P<a>[0-3]?\d)(?P<sep>[./])(?P<b>[01]?\d)(?:(?P=sep)(?P<ny>(?:20)?\d\d))?(?![\d/])"
        r"(?:\.(?!\d))?"
    ),
]


@dataclass(frozen=True)
class FoundDate:
    start: int
    end: int
    value: date


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _infer_year(month: int, day: int, ref: date) -> date | None:
    """The first such day not long before the reference date (mail talks about the future)."""
    for year in (ref.year, ref.year + 1):
        found = _safe(year, month, day)
        if found and found >= ref - timedelta(days=14):
            return found
    return _safe(ref.year, month, day)


def find_dates(text: str, ref: date, *, day_first: bool = True) -> list[FoundDate]:
    """Every explicit calendar date in the text, in order, years inferred from `ref`."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            g = m.groupdict()
            value: date | None = None
            if g.get("iso"):
                value = _safe(int(g["y"]), int(g["m"]), int(g["d"]))
            elif g.get("cm"):
                month, day = int(g["cm"]), int(g["cd"])
                value = (
                    _safe(int(g["cy"]), month, day) if g.get("cy") else _infer_year(month, day, ref)
                )
            elif g.get("month") or g.get("month2"):
                month = _MONTHS[(g.get("month") or g.get("month2") or "").lower()]
                day = int(g["day"])
                year = g.get("year") or g.get("year2")
                value = _safe(int(year), month, day) if year else _infer_year(month, day, ref)
            elif g.get("a"):
                a, b = int(g["a"]), int(g["b"])
                day, month = (a, b) if day_first or a > 12 else (b, a)
                if g["sep"] == "/" and not day_first and b > 12:
                    day, month = b, a
                if not (1 <= month <= 12):
                    continue
                ny = g.get("ny")
                if ny:
                    year = int(ny) + (2000 if len(ny) == 2 else 0)
                    value = _safe(year, month, day)
                else:
                    value = _infer_year(month, day, ref)
            if value is not None:
                found.append(FoundDate(m.start(), m.end(), value))
                taken.append((m.start(), m.end()))
    found.sort(key=lambda f: f.start)
    return found


def month_named(word: str) -> int | None:
    return _MONTHS.get(word.lower().strip("."))


def weekday_named(word: str) -> int | None:
    return _WEEKDAYS.get(word.lower())


def next_weekday(ref: date, weekday: int) -> date:
    """The next such weekday strictly after `ref`."""
    ahead = (weekday - ref.weekday()) % 7 or 7
    return ref + timedelta(days=ahead)


def next_business_day(day: date) -> date:
    following = day + timedelta(days=1)
    while following.weekday() >= 5:
        following += timedelta(days=1)
    return following


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


WEEKDAY_PATTERN = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
MONTH_PATTERN = _MONTH
