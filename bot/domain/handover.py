"""人员交接: when someone leaves a post (换届, 调整, retirement), everything they hold moves
to their successor in one step (issue 24 §5).

`plan_handover` works out what moves and what cannot, from plain data the service read;
it does no I/O. The rules:
  - the successor is another registered person (bound or just invited) of the leaver's
    own unit: a post is handed over within its unit;
  - every open item the leaver holds moves to the successor (talks they must hold among
    them), and every open talk they are due to attend names the successor instead — unless
    the successor already holds the same obligation for the same period (it would be
    there twice), or the talk would be with themselves: such an item is cancelled, and the
    plan says why;
  - their 分管 units and their roles move; a unique role (党委书记, 纪委书记) moves only if
    the successor holds no role that conflicts with it (the 党委 and the 纪委 check each
    other), else it stays behind and the plan says why;
  - their pending 延期 requests move with their items (the answer reaches the successor);
  - decisions waiting on them (验收, 延期 approvals, 对账确认) are decided by role: they move
    to the successor when the leaver's roles do, else the other deciders keep them;
  - their current year's 责任书: not yet signed, it moves to the successor (who signs it)
    unless the successor has one for the year; signed, it stays with the leaver — a
    签字背书 is personal, and it is the basis of 考核 and 追责 (SPEC §11);
  - 问责 cases, held talks, closed items and the 履责纪实 stay under the leaver's name;
  - the leaver's binding ends whether or not anything moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.decisions import DecisionKind, PendingDecision
from bot.domain.model import Item, Person, Role

#: Roles one person holds in an organisation at a time.
UNIQUE_ROLES = frozenset({Role.SECRETARY, Role.DISCIPLINE_SECRETARY})
#: What a unique role cannot be held together with: the 党委 and the 纪委 check each other.
CONFLICTS: dict[Role, frozenset[Role]] = {
    Role.SECRETARY: frozenset({Role.DISCIPLINE_SECRETARY, Role.DISCIPLINE}),
    Role.DISCIPLINE_SECRETARY: frozenset({Role.SECRETARY}),
}


class HandoverProblem(StrEnum):
    SAME_PERSON = "same_person"
    WRONG_UNIT = "wrong_unit"


class CannotHandOver(Exception):
    """The handover cannot be made at all; nothing changes."""

    def __init__(self, problem: HandoverProblem, leaver: Person, successor: Person) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.leaver = leaver
        self.successor = successor


class Why(StrEnum):
    """Why something does not move to the successor."""

    ALREADY_HELD = "already_held"  # the successor holds the same obligation for the period
    SELF_TALK = "self_talk"  # the talk would be the successor's with themselves
    ROLE_CONFLICT = "role_conflict"  # a unique role the successor cannot hold with theirs


class DecisionFate(StrEnum):
    SUCCESSOR = "successor"  # the successor decides it now
    OTHERS = "others"  # the other deciders keep it
    NOBODY = "nobody"  # nobody left to decide: the office must see to it


class LetterFate(StrEnum):
    MOVES = "moves"  # not signed: the successor signs it
    STAYS_SIGNED = "stays_signed"  # signed: the leaver's 签字背书, kept as history
    STAYS_SUCCESSOR_HAS_ONE = "stays_successor_has_one"  # the successor has the year's


@dataclass(frozen=True, slots=True)
class LetterState:
    """The leaver's 责任书 of the current year, as the plan needs it."""

    id: int
    year: int
    signed: bool
    successor_has_one: bool


@dataclass(frozen=True, slots=True)
class Holdings:
    """What the leaver holds, as read for the plan."""

    owned: Sequence[Item] = ()  # every open item they own (talks to hold among them)
    attending: Sequence[Item] = ()  # open talks where they are the one talked with
    already_held: frozenset[int] = frozenset()  # ids whose occurrence the successor has
    requests: Sequence[tuple[int, int]] = ()  # their pending 延期 requests: (id, item id)
    handed_down: Sequence[Item] = ()  # open 分解 children of their items, held by others
    delegated_to_them: frozenset[int] = frozenset()  # ids of their items that are children
    decisions: Sequence[PendingDecision] = ()  # every pending decision (any decider)
    letter: LetterState | None = None
    cases: int = 0  # 问责 cases that concern them


@dataclass(frozen=True, slots=True)
class Left:
    """An item that does not move, and why (it is cancelled: nobody would answer it)."""

    item: Item
    why: Why


@dataclass(frozen=True, slots=True)
class DecisionMove:
    decision: PendingDecision
    fate: DecisionFate


@dataclass(frozen=True, slots=True)
class HandoverPlan:
    leaver: Person
    successor: Person
    items: tuple[Item, ...] = ()  # owned, moving (talks to hold and 分解 children among them)
    attending: tuple[Item, ...] = ()  # talks whose counterpart becomes the successor
    left: tuple[Left, ...] = ()  # items that cannot move: cancelled
    oversees: tuple[int, ...] = ()  # 分管 units moving (the successor's already left out)
    roles: tuple[Role, ...] = ()  # roles moving (the successor's already left out)
    roles_kept: tuple[tuple[Role, Why], ...] = ()  # roles that cannot move
    requests: tuple[int, ...] = ()  # 延期 requests whose requester becomes the successor
    decisions: tuple[DecisionMove, ...] = ()
    handed_down: tuple[Item, ...] = ()  # stay with their holders, under the moved items
    delegated_to_them: frozenset[int] = field(default_factory=frozenset)
    letter: LetterState | None = None
    letter_fate: LetterFate | None = None
    cases: int = 0

    @property
    def talks(self) -> tuple[Item, ...]:
        """The talks the successor must hold now."""
        return tuple(i for i in self.items if i.is_talk)

    @property
    def empty(self) -> bool:
        """Nothing moves: only the leaver's binding ends."""
        return not (self.items or self.attending or self.left or self.oversees or self.roles
                    or self.requests or self.decisions
                    or self.letter_fate is LetterFate.MOVES)

    def fingerprint(self) -> str:
        """What the plan moves, in one line: a plan shown and a plan applied are the same
        plan when their fingerprints are."""
        parts = [f"{self.leaver.id}>{self.successor.id}",
                 "i" + ",".join(str(i.id) for i in self.items),
                 "a" + ",".join(str(i.id) for i in self.attending),
                 "l" + ",".join(str(x.item.id) for x in self.left),
                 "o" + ",".join(map(str, self.oversees)),
                 "r" + ",".join(r.value for r in self.roles),
                 "q" + ",".join(map(str, self.requests)),
                 "d" + ",".join(f"{d.decision.key}={d.fate.value}" for d in self.decisions),
                 "t" + (self.letter_fate.value if self.letter_fate else "")]
        return ";".join(parts)


def check_pair(leaver: Person, successor: Person) -> None:
    """The two people themselves: different people, of one unit."""
    if leaver.id == successor.id:
        raise CannotHandOver(HandoverProblem.SAME_PERSON, leaver, successor)
    if leaver.unit_id != successor.unit_id:
        raise CannotHandOver(HandoverProblem.WRONG_UNIT, leaver, successor)


def moving_roles(leaver: Person, successor: Person
                 ) -> tuple[tuple[Role, ...], tuple[tuple[Role, Why], ...]]:
    """(roles that move, roles that stay behind and why). A role the successor holds
    already is neither: nothing to move."""
    moving: list[Role] = []
    kept: list[tuple[Role, Why]] = []
    for role in sorted(leaver.roles - successor.roles):
        if role in UNIQUE_ROLES and successor.roles & CONFLICTS.get(role, frozenset()):
            kept.append((role, Why.ROLE_CONFLICT))
        else:
            moving.append(role)
    return tuple(moving), tuple(kept)


def plan_handover(leaver: Person, successor: Person, holdings: Holdings) -> HandoverPlan:
    """What moves from `leaver` to `successor`, and what cannot (see the module's rules).
    Raises CannotHandOver when the two cannot hand over at all."""
    check_pair(leaver, successor)
    items: list[Item] = []
    left: list[Left] = []
    for item in sorted(holdings.owned, key=_order):
        if item.id in holdings.already_held:
            left.append(Left(item, Why.ALREADY_HELD))
        elif item.counterpart_id == successor.id:
            left.append(Left(item, Why.SELF_TALK))
        else:
            items.append(item)
    attending: list[Item] = []
    for item in sorted(holdings.attending, key=_order):
        if item.owner_id == leaver.id:
            continue  # their own talk with themselves: moves as an owned item, or is left
        if item.id in holdings.already_held:
            left.append(Left(item, Why.ALREADY_HELD))
        elif item.owner_id == successor.id:
            left.append(Left(item, Why.SELF_TALK))
        else:
            attending.append(item)
    roles, kept = moving_roles(leaver, successor)
    moved_ids = {i.id for i in items}
    letter_fate = _letter_fate(holdings.letter)
    decisions = tuple(
        DecisionMove(d, _decision_fate(d, leaver, successor, bool(kept), letter_fate))
        for d in holdings.decisions if leaver.id in d.decider_ids)
    return HandoverPlan(
        leaver=leaver, successor=successor, items=tuple(items), attending=tuple(attending),
        left=tuple(left),
        oversees=tuple(sorted(leaver.oversees - successor.oversees)),
        roles=roles, roles_kept=kept,
        requests=tuple(rid for rid, item_id in holdings.requests if item_id in moved_ids),
        decisions=decisions,
        handed_down=tuple(sorted((c for c in holdings.handed_down
                                  if c.owner_id != leaver.id), key=_order)),
        delegated_to_them=frozenset(holdings.delegated_to_them & moved_ids),
        letter=holdings.letter, letter_fate=letter_fate, cases=holdings.cases)


def talk_title(item: Item, leaver: Person, successor: Person) -> str | None:
    """A talk the successor attends instead names them: its title, made by the bot as
    "<kind>：<name>" or by a rule's {with}, names the leaver once; None: leave it as is."""
    if item.title.count(leaver.name) != 1:
        return None
    return item.title.replace(leaver.name, successor.name)


def _order(item: Item) -> tuple:
    return (item.due_date, item.code)


def _letter_fate(letter: LetterState | None) -> LetterFate | None:
    if letter is None:
        return None
    if letter.signed:
        return LetterFate.STAYS_SIGNED
    if letter.successor_has_one:
        return LetterFate.STAYS_SUCCESSOR_HAS_ONE
    return LetterFate.MOVES


def _decision_fate(decision: PendingDecision, leaver: Person, successor: Person,
                   roles_kept: bool, letter_fate: LetterFate | None) -> DecisionFate:
    others = set(decision.decider_ids) - {leaver.id}
    if decision.kind is DecisionKind.SIGNATURE:  # the leaver's own 责任书
        return DecisionFate.SUCCESSOR if letter_fate is LetterFate.MOVES else (
            DecisionFate.OTHERS if others else DecisionFate.NOBODY)
    # decided by role: the successor takes it with the leaver's roles — never their own
    # work or request, which the next in line decides (the 书记, then the office: see
    # permissions.rectification_checkers)
    if decision.subject_id == successor.id:
        return DecisionFate.OTHERS
    if not roles_kept:
        return DecisionFate.SUCCESSOR
    return DecisionFate.OTHERS if others else DecisionFate.NOBODY
