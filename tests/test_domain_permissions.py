"""bot.domain.permissions: who may do what, and which items they see."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.model import Actor, Duty, Item, ListKind, Person, Role, Unit, UnitKind
from bot.domain.permissions import (
    NOTHING,
    Scope,
    can_bind_groups,
    can_create_items,
    can_decide_extension,
    can_manage_units,
    can_register_people,
    can_verify,
    descendants,
    extension_approvers,
    is_admin,
    may_approve_extensions,
    rectification_checkers,
    scope_of,
)

# 1 某局党委
# ├── 2 财务科 ── 4 财务科党支部 ── 5 财务科第一党小组
# └── 3 项目科 ── 6 项目科党支部
UNITS = {
    u.id: u
    for u in (
        Unit(1, "某局党委", UnitKind.COMMITTEE),
        Unit(2, "财务科", UnitKind.DEPARTMENT, parent_id=1),
        Unit(3, "项目科", UnitKind.DEPARTMENT, parent_id=1),
        Unit(4, "财务科党支部", UnitKind.BRANCH, parent_id=2),
        Unit(5, "财务科第一党小组", UnitKind.BRANCH, parent_id=4),
        Unit(6, "项目科党支部", UnitKind.BRANCH, parent_id=3),
    )
}


def person(pid: int = 10, *roles: Role, unit_id: int = 1, oversees: set[int] = frozenset()) -> Person:
    return Person(id=pid, name=f"人{pid}", unit_id=unit_id, roles=frozenset(roles),
                  oversees=frozenset(oversees))


def item(owner_id: int, unit_id: int, item_id: int = 100) -> Item:
    return Item(id=item_id, code=f"W{item_id:04d}", kind=ListKind.PROBLEM, title="t",
                duty=Duty.PRINCIPAL, owner_id=owner_id, unit_id=unit_id,
                due_date=date(2026, 12, 1))


def test_no_person_sees_nothing():
    scope = scope_of(None, UNITS)
    assert scope == NOTHING
    assert not scope.everything
    assert not scope.covers(item(owner_id=10, unit_id=1))


def test_plain_person_sees_only_own_items():
    scope = scope_of(person(10, Role.BRANCH_SECRETARY, unit_id=4), UNITS)
    assert not scope.everything
    assert scope.unit_ids == frozenset()
    assert scope.covers(item(owner_id=10, unit_id=4))
    assert not scope.covers(item(owner_id=11, unit_id=4))  # same unit, someone else's


def test_person_without_roles_sees_only_own_items():
    scope = scope_of(person(10), UNITS)
    assert scope == Scope(everything=False, person_id=10)


def test_member_sees_overseen_units_and_their_descendants():
    scope = scope_of(person(10, Role.MEMBER, oversees={2}), UNITS)
    assert not scope.everything
    assert scope.unit_ids == frozenset({2, 4, 5})


def test_member_does_not_see_sibling_or_parent_units():
    scope = scope_of(person(10, Role.MEMBER, oversees={2}), UNITS)
    assert scope.covers(item(owner_id=99, unit_id=2))
    assert scope.covers(item(owner_id=99, unit_id=5))
    assert not scope.covers(item(owner_id=99, unit_id=3))
    assert not scope.covers(item(owner_id=99, unit_id=6))
    assert not scope.covers(item(owner_id=99, unit_id=1))


def test_member_still_sees_own_items_outside_overseen_units():
    scope = scope_of(person(10, Role.MEMBER, oversees={2}), UNITS)
    assert scope.covers(item(owner_id=10, unit_id=6))


def test_member_overseeing_several_units_sees_all_their_subtrees():
    scope = scope_of(person(10, Role.MEMBER, oversees={4, 3}), UNITS)
    assert scope.unit_ids == frozenset({3, 4, 5, 6})


def test_member_without_oversight_sees_only_own_items():
    scope = scope_of(person(10, Role.MEMBER), UNITS)
    assert scope == Scope(everything=False, person_id=10)


def test_oversight_without_member_role_gives_no_unit_view():
    scope = scope_of(person(10, Role.BRANCH_SECRETARY, oversees={2}), UNITS)
    assert scope.unit_ids == frozenset()


@pytest.mark.parametrize(
    "role", [Role.SECRETARY, Role.DISCIPLINE_SECRETARY, Role.DISCIPLINE, Role.ADMIN]
)
def test_see_all_roles_see_everything(role):
    scope = scope_of(person(10, role), UNITS)
    assert scope.everything
    assert scope.covers(item(owner_id=99, unit_id=6))


def test_see_all_role_wins_over_member_oversight():
    scope = scope_of(person(10, Role.MEMBER, Role.DISCIPLINE, oversees={2}), UNITS)
    assert scope.everything


def test_descendants_includes_the_units_themselves_and_survives_a_cycle():
    cyclic = {1: Unit(1, "甲", UnitKind.DEPARTMENT, parent_id=2),
              2: Unit(2, "乙", UnitKind.DEPARTMENT, parent_id=1)}
    assert descendants([1], cyclic) == frozenset({1, 2})
    assert descendants([6], UNITS) == frozenset({6})
    assert descendants([], UNITS) == frozenset()


def test_scope_covers_by_owner_or_by_unit():
    scope = Scope(everything=False, person_id=7, unit_ids=frozenset({3}))
    assert scope.covers(item(owner_id=7, unit_id=1))
    assert scope.covers(item(owner_id=8, unit_id=3))
    assert not scope.covers(item(owner_id=8, unit_id=1))
    assert Scope(everything=True, person_id=None).covers(item(owner_id=8, unit_id=1))


def actor(*roles: Role, bootstrap_admin: bool = False) -> Actor:
    p = person(10, *roles) if roles else None
    return Actor(telegram_user_id=500, person=p, bootstrap_admin=bootstrap_admin)


@pytest.mark.parametrize(
    ("role", "register", "bind", "create"),
    [
        (Role.ADMIN, True, True, True),
        (Role.SECRETARY, False, False, True),
        (Role.DISCIPLINE_SECRETARY, False, False, True),
        (Role.DISCIPLINE, False, False, True),
        (Role.MEMBER, False, False, False),
        (Role.BRANCH_SECRETARY, False, False, False),
    ],
)
def test_permissions_per_role(role, register, bind, create):
    a = actor(role)
    assert can_register_people(a) is register
    assert can_manage_units(a) is register
    assert can_bind_groups(a) is bind
    assert can_create_items(a) is create


def test_unbound_actor_may_do_nothing():
    a = Actor(telegram_user_id=500)
    assert a.roles == frozenset()
    assert not is_admin(a)
    assert not can_register_people(a)
    assert not can_bind_groups(a)
    assert not can_create_items(a)


def test_bootstrap_admin_without_person_gets_admin_role():
    a = Actor(telegram_user_id=1, bootstrap_admin=True)
    assert a.roles == frozenset({Role.ADMIN})
    assert a.person_id is None
    assert is_admin(a)
    assert can_register_people(a)
    assert can_bind_groups(a)
    assert can_create_items(a)


def test_bootstrap_admin_keeps_the_persons_own_roles():
    a = actor(Role.MEMBER, bootstrap_admin=True)
    assert a.roles == frozenset({Role.MEMBER, Role.ADMIN})
    assert a.person_id == 10


# Who decides a 延期 and who 验收s a 整改 ----------------------------------------------------

def fix(owner_id: int) -> Item:
    return Item(id=200, code="G0001", kind=ListKind.RECTIFICATION, title="t", duty=Duty.DUAL,
                owner_id=owner_id, unit_id=1, due_date=date(2026, 12, 1))


SECRETARY = person(1, Role.SECRETARY)
MEMBER = person(2, Role.MEMBER)
DISCIPLINE_HEAD = person(3, Role.DISCIPLINE_SECRETARY)
DISCIPLINE_MEMBER = person(4, Role.DISCIPLINE)
OFFICE = person(5, Role.ADMIN)


def as_actor(p: Person) -> Actor:
    return Actor(telegram_user_id=p.id + 1000, person=p)


def test_the_discipline_check_a_rectification_never_its_own_leader():
    people = [SECRETARY, MEMBER, DISCIPLINE_HEAD, DISCIPLINE_MEMBER, OFFICE]
    assert rectification_checkers(fix(2), people) == [DISCIPLINE_HEAD, DISCIPLINE_MEMBER]
    assert rectification_checkers(fix(3), people) == [DISCIPLINE_MEMBER]
    for p in people:
        assert can_verify(as_actor(p), fix(2), people) is (p in (DISCIPLINE_HEAD,
                                                                 DISCIPLINE_MEMBER))
    assert not can_verify(as_actor(DISCIPLINE_HEAD), fix(3), people)


def test_when_the_leader_is_the_only_discipline_member_the_secretary_checks():
    people = [SECRETARY, MEMBER, DISCIPLINE_HEAD, OFFICE]
    assert rectification_checkers(fix(3), people) == [SECRETARY]
    assert can_verify(as_actor(SECRETARY), fix(3), people)
    assert not can_verify(as_actor(DISCIPLINE_HEAD), fix(3), people)
    assert not can_verify(as_actor(MEMBER), fix(3), people)
    assert can_decide_extension(as_actor(SECRETARY), fix(3), 3, people)
    assert not can_decide_extension(as_actor(DISCIPLINE_HEAD), fix(3), 3, people)
    # the secretary as the only one: then the office
    both = person(6, Role.SECRETARY, Role.DISCIPLINE_SECRETARY)
    assert rectification_checkers(fix(6), [both, MEMBER, OFFICE]) == [OFFICE]
    assert rectification_checkers(fix(6), [both, MEMBER]) == []


def test_ordinary_extensions_go_to_the_secretary_and_the_office():
    people = [SECRETARY, MEMBER, DISCIPLINE_HEAD, OFFICE]
    ordinary = item(owner_id=2, unit_id=1)
    assert extension_approvers(ordinary, people) == [SECRETARY, OFFICE]
    assert extension_approvers(item(owner_id=1, unit_id=1), people) == [OFFICE]
    assert can_decide_extension(as_actor(SECRETARY), ordinary, 2, people)
    assert not can_decide_extension(as_actor(SECRETARY), item(1, 1), 1, people)  # own
    assert not can_decide_extension(as_actor(DISCIPLINE_HEAD), ordinary, 2, people)
    assert can_decide_extension(actor(bootstrap_admin=True), ordinary, 2, people)
    assert extension_approvers(fix(2), people) == [DISCIPLINE_HEAD]
    assert may_approve_extensions(as_actor(DISCIPLINE_MEMBER))
    assert not may_approve_extensions(as_actor(MEMBER))
