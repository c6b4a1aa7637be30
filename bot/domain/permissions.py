"""Who may do what, and who sees which items (SPEC §6 scope rule)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain.model import Actor, Item, Person, Role, Unit

SEE_ALL_ROLES = frozenset(
    {Role.SECRETARY, Role.DISCIPLINE_SECRETARY, Role.DISCIPLINE, Role.ADMIN}
)
DISCIPLINE_ROLES = frozenset({Role.DISCIPLINE_SECRETARY, Role.DISCIPLINE})
CREATE_ITEM_ROLES = frozenset({Role.ADMIN, Role.SECRETARY}) | DISCIPLINE_ROLES


def is_admin(actor: Actor) -> bool:
    return Role.ADMIN in actor.roles


def can_register_people(actor: Actor) -> bool:
    return is_admin(actor)


def can_manage_units(actor: Actor) -> bool:
    return is_admin(actor)


def can_bind_groups(actor: Actor) -> bool:
    return is_admin(actor)


def can_manage_channels(actor: Actor) -> bool:
    """The office's group robots: added on the console, listed to admins in chat."""
    return is_admin(actor)


def can_create_items(actor: Actor) -> bool:
    return bool(actor.roles & CREATE_ITEM_ROLES)


def can_change_reminder_settings(actor: Actor) -> bool:
    return is_admin(actor)


def can_record_meetings(actor: Actor) -> bool:
    """A 民主生活会 is the 书记's to report; the office records it for them too."""
    return is_admin(actor) or Role.SECRETARY in actor.roles


def is_discipline(actor: Actor) -> bool:
    return bool(actor.roles & DISCIPLINE_ROLES)


def can_work_on(actor: Actor, item: Item) -> bool:
    """进行中, 已完成, 申请延期, recording a talk: the owner's own moves, nobody else's."""
    return actor.person_id is not None and actor.person_id == item.owner_id


def can_note(actor: Actor, item: Item, scope: Scope) -> bool:
    """A progress note (or a leader's 督促) from anyone who can see the item."""
    return actor.person_id is not None and scope.covers(item)


# Who approves the 延期 of an ordinary item (SPEC §5): the 书记 or the office.
APPROVER_ROLES = frozenset({Role.SECRETARY, Role.ADMIN})
# Whom a 整改 goes to, in turn, when nobody holding the roles before is left besides its
# leader: the 纪委; then the 书记; then the office.
_CHECKER_TIERS = (DISCIPLINE_ROLES, frozenset({Role.SECRETARY}), frozenset({Role.ADMIN}))
# Whoever may be asked to decide anything that waits: a 整改's 验收 and 延期 (the tiers
# above), an ordinary 延期 (APPROVER_ROLES), a 对账确认 (letters.CONFIRMER_ROLES). The
# decisions' sources read only these people, not everyone (bot/services/decisions.py).
DECIDER_ROLES = APPROVER_ROLES.union(*_CHECKER_TIERS)


def rectification_checkers(item: Item, people: Iterable[Person]) -> list[Person]:
    """Who 验收s a 整改 (销号/退回) and decides its 延期: the 纪委, never its own leader.
    When the leader is the only 纪委 member, the 书记 (then the office) does, so that a
    request or a 待验收 never reaches nobody."""
    people = list(people)
    for roles in _CHECKER_TIERS:
        found = [p for p in people if p.roles & roles and p.id != item.owner_id]
        if found:
            return found
    return []


def extension_approvers(item: Item, people: Iterable[Person]) -> list[Person]:
    """SPEC §5: the 纪委 approve a 整改's 延期 (see rectification_checkers); the 书记 or
    the office anything else. Never the item's owner."""
    if item.needs_verification:
        return rectification_checkers(item, people)
    return [p for p in people if p.roles & APPROVER_ROLES and p.id != item.owner_id]


def may_approve_extensions(actor: Actor) -> bool:
    """Whether this person could be asked to decide any 延期 at all (/延期审批)."""
    return bool(actor.roles & (APPROVER_ROLES | DISCIPLINE_ROLES))


def can_decide_extension(actor: Actor, item: Item, requester_id: int,
                         people: Iterable[Person]) -> bool:
    """An approver of this item (the office's configured admins included for an ordinary
    one), and never for their own request."""
    if actor.person_id is not None and actor.person_id == requester_id:
        return False
    if item.needs_verification:
        return actor.person_id is not None and actor.person_id in {
            p.id for p in rectification_checkers(item, people)}
    return bool(actor.roles & APPROVER_ROLES)


def may_check_rectifications(actor: Actor) -> bool:
    """Whether this person could be asked to 验收 a 整改 at all (see rectification_checkers)."""
    return actor.person is not None and bool(
        actor.roles & frozenset().union(*_CHECKER_TIERS))


def can_verify(actor: Actor, item: Item, people: Iterable[Person]) -> bool:
    """销号 and 退回 are the 纪委's (or the 书记's, when the leader is the only 纪委
    member), never the owner's own."""
    return actor.person_id is not None and actor.person_id in {
        p.id for p in rectification_checkers(item, people)}


def can_create_rectifications(actor: Actor) -> bool:
    return is_discipline(actor)


def can_see_all_rectifications(actor: Actor) -> bool:
    return is_discipline(actor) or is_admin(actor) or Role.SECRETARY in actor.roles


def can_schedule_talks(actor: Actor) -> bool:
    """An ad-hoc 约谈 is set by the 纪委 or the 书记, who then hold it themselves."""
    return actor.person is not None and bool(
        actor.roles & (DISCIPLINE_ROLES | {Role.SECRETARY}))


def can_see_weekly(actor: Actor) -> bool:
    """The weekly summary is the 纪委's picture, and the 书记's (第一责任)."""
    return bool(actor.roles & (DISCIPLINE_ROLES | {Role.SECRETARY}))


def can_see_overdue(actor: Actor) -> bool:
    """/逾期 looks beyond one's own items: those who see all, and 分管 leaders."""
    return bool(actor.roles & SEE_ALL_ROLES) or (
        actor.person is not None and Role.MEMBER in actor.roles and bool(actor.person.oversees))


def can_export(actor: Actor) -> bool:
    """The whole 台账 leaves the bot only for the 纪委 and the office."""
    return bool(actor.roles & (DISCIPLINE_ROLES | {Role.ADMIN}))


def descendants(unit_ids: Iterable[int], units: Mapping[int, Unit]) -> frozenset[int]:
    """The given units and every unit below them in the tree."""
    children: dict[int, list[int]] = {}
    for unit in units.values():
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit.id)
    seen: set[int] = set()
    stack = list(unit_ids)
    while stack:
        uid = stack.pop()
        if uid in seen:
            continue
        seen.add(uid)
        stack.extend(children.get(uid, ()))
    return frozenset(seen)


@dataclass(frozen=True, slots=True)
class Scope:
    """The items a person may see: everything, or their own plus some units."""

    everything: bool
    person_id: int | None
    unit_ids: frozenset[int] = frozenset()

    def covers(self, item: Item) -> bool:
        return (
            self.everything
            or item.owner_id == self.person_id
            or item.unit_id in self.unit_ids
        )


NOTHING = Scope(everything=False, person_id=None)


def scope_of(person: Person | None, units: Mapping[int, Unit]) -> Scope:
    """SPEC §6: own items; a 班子成员 also the units they 分管 (and below);
    the 书记, the 纪委 and the office see all."""
    if person is None:
        return NOTHING
    if person.roles & SEE_ALL_ROLES:
        return Scope(everything=True, person_id=person.id)
    if Role.MEMBER in person.roles and person.oversees:
        return Scope(
            everything=False,
            person_id=person.id,
            unit_ids=descendants(person.oversees, units),
        )
    return Scope(everything=False, person_id=person.id)
