"""Drafts of the 纪委's two reports on the 问责 register (SPEC §11, issue 22): the quarterly
责任追究情况报告 and the bimonthly 典型案例通报, drafted when their obligation comes due.

Pure: the cases of the period in, counts by 追责情形, by 处理 and by unit out, with the
典型案例 listed. The 纪委 checks the draft and sends it on; the bot decides nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from bot.domain.cases import Case

QUARTERLY = "accountability_quarterly"  # the obligation rules' keys (bot/default_rules.toml)
BIMONTHLY = "typical_cases_bimonthly"
REPORT_RULES = (QUARTERLY, BIMONTHLY)
UNDECIDED = ""  # a case whose 处理 is not decided yet


@dataclass(frozen=True, slots=True)
class TypicalCase:
    code: str
    person: str
    unit: str
    situation: str
    handling: str | None
    finding: str


@dataclass(frozen=True, slots=True)
class CaseReport:
    rule: str  # QUARTERLY or BIMONTHLY
    start: date
    end: date
    total: int
    misconduct: int  # 违纪违法 cases (一案双查)
    by_situation: list[tuple[str, int]]  # the 情形's words, count; most first
    by_handling: list[tuple[str, int]]  # 处理 (UNDECIDED: not yet), count
    by_unit: list[tuple[str, int]]
    typical: list[TypicalCase]


def span(rule: str, due: date) -> tuple[date, date]:
    """The months a report covers: the quarter, or the two months, ending on `due`."""
    months = 3 if rule == QUARTERLY else 2
    first = due.month - months + 1
    year = due.year
    if first < 1:
        first += 12
        year -= 1
    return date(year, first, 1), due


def report(rule: str, due: date, cases: list[Case], people: Mapping[int, str],
           units: Mapping[int, str]) -> CaseReport:
    """The cases recorded in the report's span count."""
    start, end = span(rule, due)
    inside = [c for c in cases if c.recorded_on is not None and start <= c.recorded_on <= end]

    def ranked(counter: Counter[str]) -> list[tuple[str, int]]:
        return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))

    return CaseReport(
        rule=rule, start=start, end=end, total=len(inside),
        misconduct=sum(1 for c in inside if c.misconduct),
        by_situation=ranked(Counter(c.situation_text or c.situation for c in inside)),
        by_handling=ranked(Counter(c.handling or UNDECIDED for c in inside)),
        by_unit=ranked(Counter(units.get(c.unit_id, "") for c in inside)),
        typical=[TypicalCase(c.code, people.get(c.person_id, ""), units.get(c.unit_id, ""),
                             c.situation_text or c.situation, c.handling, c.finding)
                 for c in inside if c.typical],
    )


@cache
def _payload() -> TypeAdapter[CaseReport]:
    """Built when the outbox first writes or reads case reports (pydantic's schema of
    the whole tree takes milliseconds), not at import, at every start."""
    return TypeAdapter(CaseReport)


def to_payload(draft: CaseReport) -> dict[str, Any]:
    """JSON-safe, for the outbox: counted when queued, written when sent."""
    return _payload().dump_python(draft, mode="json")


def from_payload(payload: dict[str, Any]) -> CaseReport:
    return _payload().validate_python(payload)
