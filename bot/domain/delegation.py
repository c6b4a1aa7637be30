"""责任传导 across owners (issue 22 §4): an item handed down (分解) to owners one level below.

分解 is its own relation, parent item → child item, beside the 问题 → 责任 → 措施 chain of
`items.parent_id` (bot/domain/chain.py), which it never touches. The rules:

- the levels of the chain are 党委 (the 党委书记, who holds the 党委's items) → 班子成员 →
  下级党组织 (its 书记). An owner's level is the highest their roles give: 党委书记 is the
  党委 level, else 班子成员, else 下级党组织书记; anyone else (the 纪委, the office) holds
  no level, and their items are not handed down this way;
- a child is held exactly one level below its parent: a 党委 item goes to a 班子成员; a
  班子成员's goes to the 书记 of a 下级党组织 in a unit that 班子成员 分管 (or below it); a
  下级党组织's item is not handed down further;
- a child is of the same list (问题/责任/措施) as its parent, and only the three lists are
  handed down; its deadline is no later than its parent's;
- a child has one parent, and no item is its own ancestor (no cycles);
- a parent is not 已完成 while a child is still open, unless its owner says so explicitly
  (the override is recorded in the 履责纪实).

温差落差: for each level, the completion rate and the on-time rate of its items in the
relation, and the pairs where the lower level lags its parent — see `lags`.

Plain and pure: every failure is a DelegationProblem naming the field to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import IntEnum

from bot.domain.model import THREE_LISTS, Actor, Item, ItemStatus, Person, Role, Unit
from bot.domain.permissions import DISCIPLINE_ROLES, can_work_on, descendants, is_admin

#: An item counts as done (完成) in these statuses; a cancelled one does not count at all.
DONE_STATUSES = frozenset({ItemStatus.DONE, ItemStatus.VERIFIED})
NOT_COUNTED = frozenset({ItemStatus.CANCELLED})


class Level(IntEnum):
    """The levels of the chain, top first."""

    COMMITTEE = 0  # 党委 (its 书记)
    MEMBER = 1  # 班子成员
    BRANCH = 2  # 下级党组织 (its 书记)


class DelegationProblem(ValueError):
    """A 分解 that cannot be made as given: `field` names what to fix (words in messages/).

    Fields: parent (the item handed down), owner (the child's owner), due (the child's
    deadline), kind (the child's list), cycle, children (open children block 已完成),
    code (an unknown item code), rights (not the parent's owner nor the office)."""

    def __init__(self, field: str, detail: str = "") -> None:
        super().__init__(f"{field}: {detail}" if detail else field)
        self.field = field
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Link:
    """One 分解: `child_id` was handed down from `parent_id`."""

    parent_id: int
    child_id: int


def can_hand_down(actor: Actor, parent: Item) -> bool:
    """分解 is the parent item's owner's move, or the office's."""
    return is_admin(actor) or can_work_on(actor, parent)


def can_see_chain_report(actor: Actor) -> bool:
    """/传导: the 纪委, the 书记 (第一责任), and the office."""
    return bool(actor.roles & (DISCIPLINE_ROLES | {Role.SECRETARY, Role.ADMIN}))


def level_of(person: Person) -> Level | None:
    if Role.SECRETARY in person.roles:
        return Level.COMMITTEE
    if Role.MEMBER in person.roles:
        return Level.MEMBER
    if Role.BRANCH_SECRETARY in person.roles:
        return Level.BRANCH
    return None


def check_parent(parent: Item, owner: Person, require_open: bool = True) -> Level:
    """The item to hand down: on one of the three lists, still open (unless a relation
    of the past is recorded: `require_open` False), held by someone at the 党委 or
    班子成员 level. Its owner's level."""
    if parent.kind not in THREE_LISTS:
        raise DelegationProblem("parent", "kind")
    if require_open and not parent.is_active:
        raise DelegationProblem("parent", "closed")
    level = level_of(owner)
    if level is None or level is Level.BRANCH:
        raise DelegationProblem("parent", "level")
    return level


def check_owner(parent_owner: Person, child_owner: Person, units: Mapping[int, Unit]) -> None:
    """The child's owner is exactly one level below the parent's (see the module text)."""
    parent_level = level_of(parent_owner)
    child_level = level_of(child_owner)
    if parent_level is None or parent_level is Level.BRANCH:
        raise DelegationProblem("parent", "level")
    if child_level is not Level(parent_level + 1):
        raise DelegationProblem("owner", "level")
    if parent_level is Level.MEMBER and child_owner.unit_id not in descendants(
            parent_owner.oversees, units):
        raise DelegationProblem("owner", "oversees")


def check_due(child_due: date, parent_due: date, today: date | None = None) -> None:
    """No later than the parent's deadline; and (given `today`) not already past."""
    if child_due > parent_due:
        raise DelegationProblem("due", parent_due.isoformat())
    if today is not None and child_due < today:
        raise DelegationProblem("due", "past")


def check_kind(child: Item, parent: Item) -> None:
    if child.kind is not parent.kind:
        raise DelegationProblem("kind", parent.kind.value)


def would_cycle(parent_id: int, child_id: int, parent_of: Mapping[int, int]) -> bool:
    """True if handing `child_id` down from `parent_id` closes a loop: the child is the
    parent itself or one of its ancestors in the relation (`parent_of`: child → parent)."""
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == child_id:
            return True
        seen.add(current)
        current = parent_of.get(current)
    return False


def check_link(parent_id: int, child_id: int, parent_of: Mapping[int, int]) -> None:
    """One parent per child, and no cycle."""
    if would_cycle(parent_id, child_id, parent_of):
        raise DelegationProblem("cycle")
    held = parent_of.get(child_id)
    if held is not None and held != parent_id:
        raise DelegationProblem("cycle", "other_parent")


def open_children(children: Iterable[Item]) -> list[Item]:
    """The children still open (neither done nor cancelled), by code."""
    return sorted((c for c in children if c.status not in DONE_STATUSES | NOT_COUNTED),
                  key=lambda c: c.code)


def check_close(children: Iterable[Item], override: bool) -> list[Item]:
    """A parent goes to 已完成 only when every child is done or cancelled, or with an
    explicit override. The open children the override passes over (recorded by the
    caller); refused without it."""
    still_open = open_children(children)
    if still_open and not override:
        raise DelegationProblem("children", "、".join(c.code for c in still_open))
    return still_open


@dataclass(frozen=True, slots=True)
class Rollup:
    """A parent's progress: its children done / counted, and its own status."""

    status: ItemStatus
    done: int
    total: int  # cancelled children are not counted
    overdue: int

    @property
    def all_done(self) -> bool:
        return self.done == self.total


def rollup(parent: Item, children: Iterable[Item], today: date) -> Rollup:
    counted = [c for c in children if c.status not in NOT_COUNTED]
    return Rollup(status=parent.status,
                  done=sum(c.status in DONE_STATUSES for c in counted),
                  total=len(counted),
                  overdue=sum(c.is_overdue(today) for c in counted))


# -- 温差落差 ----------------------------------------------------------------------------

#: The plain definition the report prints with its list.
LAG_RULE = ("下级事项“落差”：① 下级事项已逾期，而上级事项未逾期；"
            "或 ② 上级事项已完成，而下级事项仍未完成。")


class LagReason(IntEnum):
    OVERDUE = 1  # the child is overdue while its parent is not
    LEFT_OPEN = 2  # the parent is done while the child is not


def lags(parent: Item, child: Item, today: date) -> LagReason | None:
    """Whether the lower level lags its parent (LAG_RULE), and how."""
    if child.status in NOT_COUNTED or parent.status in NOT_COUNTED:
        return None
    if child.is_overdue(today) and not parent.is_overdue(today):
        return LagReason.OVERDUE
    if parent.status in DONE_STATUSES and child.status not in DONE_STATUSES:
        return LagReason.LEFT_OPEN
    return None


@dataclass(frozen=True, slots=True)
class LevelFigures:
    level: Level
    total: int  # items at this level in the relation (cancelled not counted)
    done: int
    due: int  # fell due by today, or finished early
    on_time: int  # of those, finished on or before the due date

    @property
    def done_rate(self) -> float | None:
        return self.done / self.total if self.total else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


@dataclass(frozen=True, slots=True)
class Lag:
    parent: Item
    child: Item
    reason: LagReason


@dataclass(frozen=True, slots=True)
class ChainReport:
    today: date
    levels: tuple[LevelFigures, ...]  # 党委, 班子成员, 下级党组织
    lags: tuple[Lag, ...]  # most overdue first
    links: int


def chain_report(links: Iterable[Link], items: Mapping[int, Item],
                 people: Mapping[int, Person], finished_on: Mapping[int, date | None],
                 today: date) -> ChainReport:
    """Every item in the relation (a parent or a child), by its owner's level: how many
    are done, and of those that fell due (or were finished early), how many on time — an
    item finished with no date on record (imported as done) counts as on time. Then the
    pairs where the child lags its parent (LAG_RULE)."""
    links = [lk for lk in links if lk.parent_id in items and lk.child_id in items]
    members = {i for lk in links for i in (lk.parent_id, lk.child_id)}
    tallies = {level: [0, 0, 0, 0] for level in Level}
    for item_id in sorted(members):
        item = items[item_id]
        owner = people.get(item.owner_id)
        level = level_of(owner) if owner is not None else None
        if level is None or item.status in NOT_COUNTED:
            continue
        tally = tallies[level]
        tally[0] += 1
        done = item.status in DONE_STATUSES
        tally[1] += done
        if done or item.due_date < today:
            tally[2] += 1
            finished = finished_on.get(item_id)
            tally[3] += done and (finished is None or finished <= item.due_date)
    found = []
    for lk in links:
        parent, child = items[lk.parent_id], items[lk.child_id]
        reason = lags(parent, child, today)
        if reason is not None:
            found.append(Lag(parent, child, reason))
    found.sort(key=lambda lag: (lag.child.due_date, lag.child.code))
    return ChainReport(
        today=today,
        levels=tuple(LevelFigures(level, *tallies[level]) for level in Level),
        lags=tuple(found), links=len(links))
