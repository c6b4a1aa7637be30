"""Due dates as office staff type them.

Accepted: 2026-12-05, 2026/12/5, 2026.12.5, 2026年12月5日, 12月5日, 12-05, 12/5
(a date without a year is its next occurrence, today included).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_SHORT = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")

# Full-width digits and separators that Chinese input methods produce.
_FULLWIDTH = str.maketrans("０１２３４５６７８９－／．", "0123456789-/.")


class DateParseError(ValueError):
    """The text is not a date we understand (the message names the input)."""


class FutureDateError(DateParseError):
    """A day that has not come yet, where a past day is meant."""


def parse_due_date(text: str, today: date) -> date:
    cleaned = text.strip().translate(_FULLWIDTH)
    if match := _FULL.match(cleaned):
        year, month, day = (int(g) for g in match.groups())
        return _make(year, month, day, text)
    if match := _SHORT.match(cleaned):
        month, day = (int(g) for g in match.groups())
        # the next occurrence, today included; 2月29日 may be up to eight years away
        for year in range(today.year, today.year + 9):
            candidate = _make_or_none(year, month, day)
            if candidate is not None and candidate >= today:
                return candidate
    raise DateParseError(text)


def parse_full_date(text: str) -> date:
    """A date with its year (2026-03-31, 2026/3/31, 2026年3月31日): what a spreadsheet
    must say, since a date without a year would mean another day next year."""
    match = _FULL.match(text.strip().translate(_FULLWIDTH))
    if not match:
        raise DateParseError(text)
    year, month, day = (int(g) for g in match.groups())
    return _make(year, month, day, text)


def parse_past_date(text: str, today: date) -> date:
    """A day something happened: as parse_due_date, but a date without a year is its latest
    occurrence up to today. A day after today raises FutureDateError."""
    cleaned = text.strip().translate(_FULLWIDTH)
    if cleaned in _RELATIVE:
        return today - timedelta(days=_RELATIVE[cleaned])
    if match := _SHORT.match(cleaned):
        month, day = (int(g) for g in match.groups())
        for year in range(today.year, today.year - 9, -1):
            candidate = _make_or_none(year, month, day)
            if candidate is not None and candidate <= today:
                return candidate
        raise DateParseError(text)
    result = parse_due_date(text, today)
    if result > today:
        raise FutureDateError(text)
    return result


_RELATIVE = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}


def _make_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _make(year: int, month: int, day: int, text: str) -> date:
    result = _make_or_none(year, month, day)
    if result is None or not 2000 <= year <= 2100:
        raise DateParseError(text)
    return result
