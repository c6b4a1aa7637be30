"""责任书 签字背书 and year-end 对账 (SPEC §11; source texts 002 §10, 004): plain data and rules.

At the start of each year (the rules file's `[letters] issue`) every 班子成员 and every
下级党组织书记 receives their 党风廉政建设责任书: the items they hold for the year on the
责任清单 (with the 措施 they carry out and the 整改 set to them), and confirms it with one
tap, 签字背书, recorded with its time.

At year end (`[letters] reconcile`) each holder's items are reconciled one by one (对账销号):
the holder says 已完成, or 未完成 with a reason; then the 纪委 or the 党委 (书记, 党委办公室)
confirms each line — 对账确认, never the holder themself, and never called 销号, which is the
整改's 验收 (a 整改 already 验收销号 counts as reconciled). For each 未完成 line the confirmer
chooses whether it carries over (结转) into next year's list and 责任书, with its history.

During the year nothing here changes an item: the owner's 已完成 closes it as SPEC §5 says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.domain.model import Actor, Item, ItemStatus, ListKind, Person, Role
from bot.domain.permissions import DISCIPLINE_ROLES

#: Who receives a 责任书: each 班子成员 and each 下级党组织书记.
HOLDER_ROLES = frozenset({Role.MEMBER, Role.BRANCH_SECRETARY})
#: What is on it: the holder's items on the 责任清单, the 措施 they carry out, their 整改.
LETTER_KINDS = (ListKind.RESPONSIBILITY, ListKind.MEASURE, ListKind.RECTIFICATION)
#: Who may give the 对账确认: the 纪委, or the 党委 (书记, 党委办公室).
CONFIRMER_ROLES = DISCIPLINE_ROLES | {Role.SECRETARY, Role.ADMIN}
REASON_MAX = 500
#: A bot that was down on the issue day sends the 责任书 when it is back, within this long;
#: later in the year (a bot installed in June) the office sends them from the console.
ISSUE_CATCH_UP = timedelta(days=30)


class Answer(StrEnum):
    DONE = "done"  # 已完成
    UNDONE = "undone"  # 未完成 (with a reason)


class Carry(StrEnum):
    CARRY = "carry"  # 结转: into next year's list
    DROP = "drop"  # 不结转


class LineState(StrEnum):
    WAITING = "waiting"  # the holder has not answered yet
    ANSWERED = "answered"  # waits for 对账确认
    CONFIRMED = "confirmed"  # 对账确认 given (or the 整改 was 验收销号)


@dataclass(frozen=True, slots=True)
class Letter:
    id: int
    person_id: int
    year: int
    issued_on: date
    signed_at: datetime | None = None

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


@dataclass(frozen=True, slots=True)
class Line:
    """One item of a holder's year-end 对账."""

    id: int
    letter_id: int
    holder_id: int
    year: int
    item_id: int
    code: str
    title: str
    due_date: date
    unit_id: int
    answer: Answer | None = None
    reason: str | None = None
    answered_at: datetime | None = None
    confirmed_by: int | None = None  # None with confirmed_at set: the 整改's 验收销号
    confirmed_at: datetime | None = None
    carry: Carry | None = None
    carried_item_id: int | None = None

    @property
    def state(self) -> LineState:
        if self.confirmed_at is not None:
            return LineState.CONFIRMED
        if self.answer is not None:
            return LineState.ANSWERED
        return LineState.WAITING


class LetterProblem(ValueError):
    """Something asked of a 责任书 or an 对账 line that cannot be done: `field` names why."""

    def __init__(self, field: str, detail: str = "") -> None:
        super().__init__(f"{field}: {detail}" if detail else field)
        self.field = field
        self.detail = detail


def is_holder(person: Person) -> bool:
    return bool(person.roles & HOLDER_ROLES)


def holders(people: Mapping[int, Person]) -> list[Person]:
    """Who receives a 责任书, by id."""
    return [p for p in sorted(people.values(), key=lambda p: p.id) if is_holder(p)]


def on_letter(item: Item, person_id: int, year: int) -> bool:
    """The item belongs on this holder's 责任书 for this year."""
    return (item.owner_id == person_id and item.kind in LETTER_KINDS
            and item.due_date.year == year and item.status is not ItemStatus.CANCELLED)


def letter_items(items: Iterable[Item], person_id: int, year: int) -> list[Item]:
    return sorted((i for i in items if on_letter(i, person_id, year)),
                  key=lambda i: (i.due_date, i.id))


def opening(item: Item) -> tuple[Answer | None, bool]:
    """Where an item's 对账 line starts: a 整改 already 验收销号 is reconciled (answered and
    confirmed); an item its owner closed as 已完成 is answered 已完成 and waits for 对账确认;
    any other waits for the holder's answer."""
    if item.status is ItemStatus.VERIFIED:
        return Answer.DONE, True
    if item.status is ItemStatus.DONE:
        return Answer.DONE, False
    return None, False


def check_sign(actor: Actor, letter: Letter) -> None:
    """签字背书: by the holder, once."""
    if actor.person is None or actor.person.id != letter.person_id:
        raise LetterProblem("holder")
    if letter.signed:
        raise LetterProblem("signed")


def check_answer(actor: Actor, line: Line, answer: Answer, reason: str | None) -> None:
    """The holder answers their own line until it is confirmed; 未完成 needs its reason."""
    if actor.person is None or actor.person.id != line.holder_id:
        raise LetterProblem("holder")
    if line.state is LineState.CONFIRMED:
        raise LetterProblem("confirmed", line.code)
    if answer is Answer.UNDONE and not (reason or "").strip():
        raise LetterProblem("reason", line.code)


def can_confirm(actor: Actor, holder_id: int | None = None) -> bool:
    """The 纪委 or the 党委 (书记, 党委办公室) — never the holder of the line themself."""
    person = actor.person
    if person is None or not person.roles & CONFIRMER_ROLES:
        return False
    return holder_id is None or person.id != holder_id


def check_confirm(actor: Actor, line: Line, carry: Carry | None) -> None:
    """对账确认 of one line: by a confirmer, of an answered line, once; a 未完成 line with
    the choice whether it carries over, a 已完成 line without one."""
    if not can_confirm(actor, line.holder_id):
        raise LetterProblem("own" if actor.person is not None
                            and actor.person.id == line.holder_id else "confirmer")
    if line.state is LineState.CONFIRMED:
        raise LetterProblem("confirmed", line.code)
    if line.state is LineState.WAITING:
        raise LetterProblem("answer", line.code)
    if line.answer is Answer.UNDONE and carry is None:
        raise LetterProblem("carry", line.code)
    if line.answer is Answer.DONE and carry is not None:
        raise LetterProblem("carry_done", line.code)


def carried_due(due: date) -> date:
    """The deadline of an item carried into next year: the same day a year on (28 Feb for
    29 Feb)."""
    try:
        return due.replace(year=due.year + 1)
    except ValueError:
        return due.replace(year=due.year + 1, day=28)


def issue_due(today: date, issue_on: date, reconcile_on: date) -> bool:
    """The 责任书 go out on their day (or the first workday after it: a bot that was down
    catches up within ISSUE_CATCH_UP), never once the 对账 has begun."""
    return issue_on <= today < min(reconcile_on, issue_on + ISSUE_CATCH_UP)


def reconcile_due(today: date, reconcile_on: date) -> bool:
    """The 对账 opens on its day and stays open until the year ends."""
    return reconcile_on <= today and today.year == reconcile_on.year
