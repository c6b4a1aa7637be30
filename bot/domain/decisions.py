"""Decisions waiting on someone (issue 22 §6): plain data shared by every kind of them.

A 整改 waiting for its 验收, a 延期 request waiting for its approver, a year-end 对账确认, a
责任书 not yet signed (签字背书): each is a duty of its decider, shown in their digest with
its age and escalated like an overdue item. Each source (items, 责任书, 对账) reads its own
pending decisions from storage as `PendingDecision`s; the reminder side treats them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class DecisionKind(StrEnum):
    ACCEPTANCE = "acceptance"  # 验收 of a 整改 (待验收)
    EXTENSION = "extension"  # 延期 approval (延期审批中)
    RECONCILIATION = "reconciliation"  # 对账确认 of a year-end item
    SIGNATURE = "signature"  # 签字背书 of a 责任书


@dataclass(frozen=True, slots=True)
class PendingDecision:
    """One decision someone is waiting for."""

    kind: DecisionKind
    key: str  # stable and unique among all pending decisions: "item:42", "letter:7"
    code: str  # what the decider sees to find it: an item code, a 责任书's label
    title: str
    decider_ids: tuple[int, ...]  # any one of them may decide
    since: date  # waiting since (its age counts from here)
    unit_id: int | None = None  # whose unit it concerns, for scopes
    discipline: bool = False  # the 纪委's own decision: escalates within the 纪委 only
    subject_id: int | None = None  # whose work or request it is (never told of its escalation)
    ref: int | None = None  # what its buttons carry: an item (验收), a 延期 request
