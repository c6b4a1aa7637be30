"""Dates as office staff type them: the whole grammar, in one place.

First the text is trimmed, and what Chinese input methods type in full width is folded
to ASCII: the digits ０–９, the separators － ／ ． and the ideographic space. Then:

- a full date: a 4-digit year, a 1–2 digit month, a 1–2 digit day, separated by `-`, `/`
  or `.` (or 年 after the year and 月 after the month), an optional 日 at the end, spaces
  allowed around each separator: 2026-12-05, 2026/12/5, 2026.12.5, 2026年12月5日. The year
  is 2000–2100.
- a day without its year: month and day the same way: 12月5日, 12-05, 12/5, 12.5.
  A due date (`parse_due_date`) is its next occurrence, today included; a day something
  happened (`parse_past_date`) its latest occurrence up to today.
- a due date may also be a day of next week: 下周 and the day's name, 下周一 … 下周六,
  下周日 (or 下周天), the day of the Monday-to-Sunday week after this one (下周五 said on a
  Friday is a week away, said on a Sunday five days away).
- a day something happened may also be 今天/今日, 昨天/昨日 or 前天.

Digits are ASCII digits only (after the folding): other scripts' digits, superscripts and
the like (٣, ², ①) are not dates. Anything longer than MAX_LENGTH is not a date either.
A spreadsheet cell (`parse_full_date`) must be a full date. The examples below are what
/帮助, the date prompts and the README show (messages/common.py renders them).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

#: Every form, as the help shows it (each one parses: tests/test_domain_dates.py).
DUE_EXAMPLES = ("2027-01-31", "2027/1/31", "2027.1.31", "2027年1月31日", "1月31日", "01-31",
                "1/31")
#: A day of next week, as the prompts show it.
NEXT_WEEK_EXAMPLE = "下周五"
#: What a date prompt shows: a few forms, each of which parses.
PROMPT_EXAMPLES = ("2027-01-31", "2027/1/31", "1月31日", NEXT_WEEK_EXAMPLE)
#: 下周 and a day's name: how many days after next week's Monday.
NEXT_WEEK_DAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
#: The words for a day gone by, and how many days ago each is.
RELATIVE_DAYS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
MAX_LENGTH = 32
YEARS = (2000, 2100)

_SEP = r" *[-/.{}] *"
_FULL = re.compile(rf"([0-9]{{4}}){_SEP.format('年')}([0-9]{{1,2}}){_SEP.format('月')}"
                   r"([0-9]{1,2}) *日?", re.ASCII)
_SHORT = re.compile(rf"([0-9]{{1,2}}){_SEP.format('月')}([0-9]{{1,2}}) *日?", re.ASCII)
_NEXT_WEEK = re.compile("下周([" + "".join(NEXT_WEEK_DAYS) + "])")

# Full-width digits and separators that Chinese input methods produce, and its space.
_FULLWIDTH = str.maketrans("０１２３４５６７８９－／．\u3000", "0123456789-/. ")


class DateParseError(ValueError):
    """The text is not a date we understand (the message names the input)."""


class FutureDateError(DateParseError):
    """A day that has not come yet, where a past day is meant."""


def _cleaned(text: str) -> str:
    return text.strip().translate(_FULLWIDTH)


def parse_due_date(text: str, today: date) -> date:
    cleaned = _cleaned(text)
    if len(cleaned) > MAX_LENGTH:
        raise DateParseError(text)
    if match := _FULL.fullmatch(cleaned):
        year, month, day = (int(g) for g in match.groups())
        return _make(year, month, day, text)
    if match := _SHORT.fullmatch(cleaned):
        month, day = (int(g) for g in match.groups())
        # the next occurrence, today included; 2月29日 may be up to eight years away
        for year in range(today.year, today.year + 9):
            candidate = _make_or_none(year, month, day)
            if candidate is not None and candidate >= today:
                return candidate
    if match := _NEXT_WEEK.fullmatch(cleaned):
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=NEXT_WEEK_DAYS[match.group(1)])
    raise DateParseError(text)


def parse_full_date(text: str) -> date:
    """A date with its year (2026-03-31, 2026/3/31, 2026年3月31日): what a spreadsheet
    must say, since a date without a year would mean another day next year."""
    cleaned = _cleaned(text)
    match = _FULL.fullmatch(cleaned) if len(cleaned) <= MAX_LENGTH else None
    if not match:
        raise DateParseError(text)
    year, month, day = (int(g) for g in match.groups())
    return _make(year, month, day, text)


def parse_past_date(text: str, today: date) -> date:
    """A day something happened: as parse_due_date, but a date without a year is its latest
    occurrence up to today. A day after today raises FutureDateError."""
    cleaned = _cleaned(text)
    if cleaned in RELATIVE_DAYS:
        return today - timedelta(days=RELATIVE_DAYS[cleaned])
    if match := _SHORT.fullmatch(cleaned):
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


def _make_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _make(year: int, month: int, day: int, text: str) -> date:
    result = _make_or_none(year, month, day)
    if result is None or not YEARS[0] <= year <= YEARS[1]:
        raise DateParseError(text)
    return result
