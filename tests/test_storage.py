"""storage: a real SQLite file, the real migrations, the repositories."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain.model import (
    Actor,
    Duty,
    Group,
    GroupKind,
    ItemStatus,
    ListKind,
    Person,
    Role,
    UnitKind,
)
from bot.domain.permissions import Scope
from bot.domain.target import Target
from storage.db import Database

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
TODAY = NOW.date()
MIGRATIONS = Path(__file__).resolve().parent.parent / "storage" / "migrations"


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "dutybot.db"


@pytest.fixture
async def db(db_path) -> AsyncIterator[Database]:
    database = await Database.open(db_path)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


@contextmanager
def raw(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A second, plain connection to the same file, for checks the repos do not offer."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        yield conn
    finally:
        conn.close()


async def add_org(db: Database) -> dict[str, int]:
    """某局党委 with 财务科 and 项目科; 陈书记, 李明 (分管财务科), 王芳."""
    async with db.transaction() as tx:
        top = await tx.units.add("某局党委", UnitKind.COMMITTEE, None, NOW)
        fin = await tx.units.add("财务科", UnitKind.DEPARTMENT, top.id, NOW)
        proj = await tx.units.add("项目科", UnitKind.DEPARTMENT, top.id, NOW)
        chen = await tx.persons.add("陈书记", top.id, frozenset({Role.SECRETARY}), frozenset(), NOW)
        li = await tx.persons.add("李明", top.id, frozenset({Role.MEMBER}),
                                  frozenset({fin.id}), NOW)
        wang = await tx.persons.add("王芳", proj.id, frozenset(), frozenset(), NOW)
    return {"top": top.id, "fin": fin.id, "proj": proj.id,
            "chen": chen.id, "li": li.id, "wang": wang.id}


# --- schema and connection ------------------------------------------------------------------


async def test_fresh_schema_has_user_version_of_the_highest_migration(db_path):
    highest = max(int(p.name.split("_", 1)[0]) for p in MIGRATIONS.glob("*.sql"))
    database = await Database.open(db_path)
    try:
        assert await database.schema_version() == 0
        applied = await database.migrate()
        assert applied[-1] == highest
        assert applied == sorted(applied)
        assert await database.schema_version() == highest
    finally:
        await database.close()
    with raw(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == highest


async def test_migrate_twice_is_a_no_op(db):
    version = await db.schema_version()
    assert await db.migrate() == []
    assert await db.schema_version() == version


async def test_reopening_a_migrated_file_applies_nothing(db_path):
    first = await Database.open(db_path)
    await first.migrate()
    await first.close()
    second = await Database.open(db_path)
    try:
        assert await second.migrate() == []
    finally:
        await second.close()


async def test_all_tables_exist(db, db_path):
    with raw(db_path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"units", "persons", "person_roles", "person_oversight", "invites", "groups", "items",
            "events", "conversations", "processed_updates"} <= names


async def test_wal_mode_is_on(db, db_path):
    with raw(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_foreign_keys_are_enforced(db):
    org = await add_org(db)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with db.transaction() as tx:
            await tx.items.add(kind=ListKind.PROBLEM, title="无主事项", duty=Duty.PRINCIPAL,
                               owner_id=9999, unit_id=org["top"], parent_id=None, source=None,
                               due_date=TODAY, now=NOW)
    async with db.read() as tx:
        assert await tx.items.count_in_scope(Scope(everything=True, person_id=None)) == 0


async def test_foreign_key_on_unit_parent(db):
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.units.add("孤儿科", UnitKind.DEPARTMENT, 4242, NOW)


async def test_events_refuse_update_and_delete(db, db_path):
    async with db.transaction() as tx:
        await tx.events.record(Actor(telegram_user_id=1, bootstrap_admin=True), NOW,
                               "unit_created", "unit", 1, name="财务科")
    with raw(db_path) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE events SET kind = 'tampered'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM events")
        assert conn.execute("SELECT kind FROM events").fetchall() == [("unit_created",)]


async def test_failed_transaction_rolls_back_everything_in_it(db):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.transaction() as tx:
            unit = await tx.units.add("财务科", UnitKind.DEPARTMENT, None, NOW)
            await tx.persons.add("李明", unit.id, frozenset({Role.MEMBER}),
                                 frozenset({unit.id}), NOW)
            await tx.updates.claim(77, NOW)
            await tx.conversations.put(1, 1, {"step": "name"}, NOW)
            raise Boom
    async with db.read() as tx:
        assert await tx.units.all() == {}
        assert await tx.persons.all() == {}
        assert not await tx.updates.seen(77)
        assert await tx.conversations.get(1, 1) is None


async def test_database_is_usable_after_a_failed_transaction(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.units.add("甲", UnitKind.DEPARTMENT, None, NOW)
            raise RuntimeError("boom")
    async with db.transaction() as tx:
        await tx.units.add("甲", UnitKind.DEPARTMENT, None, NOW)
    async with db.read() as tx:
        assert [u.name for u in (await tx.units.all()).values()] == ["甲"]


async def test_committed_transaction_is_visible_to_another_connection(db, db_path):
    async with db.transaction() as tx:
        await tx.units.add("财务科", UnitKind.DEPARTMENT, None, NOW)
    with raw(db_path) as conn:
        assert conn.execute("SELECT name FROM units").fetchall() == [("财务科",)]


# --- units and persons ----------------------------------------------------------------------


async def test_units_round_trip(db):
    async with db.transaction() as tx:
        top = await tx.units.add("某局党委", UnitKind.COMMITTEE, None, NOW)
        fin = await tx.units.add("财务科", UnitKind.DEPARTMENT, top.id, NOW)
    async with db.read() as tx:
        units = await tx.units.all()
        assert units == {top.id: top, fin.id: fin}
        assert units[fin.id].parent_id == top.id
        assert units[fin.id].kind is UnitKind.DEPARTMENT
        assert await tx.units.by_name("财务科") == fin
        assert await tx.units.by_name("人事科") is None


async def test_unit_names_are_unique(db):
    async with db.transaction() as tx:
        await tx.units.add("财务科", UnitKind.DEPARTMENT, None, NOW)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.units.add("财务科", UnitKind.BRANCH, None, NOW)


async def test_person_round_trips_with_roles_and_oversight(db):
    org = await add_org(db)
    async with db.transaction() as tx:
        added = await tx.persons.add(
            "赵强", org["top"], frozenset({Role.MEMBER, Role.ADMIN}),
            frozenset({org["fin"], org["proj"]}), NOW,
        )
    async with db.read() as tx:
        got = await tx.persons.get(added.id)
    assert got == added
    assert got.roles == frozenset({Role.MEMBER, Role.ADMIN})
    assert got.oversees == frozenset({org["fin"], org["proj"]})
    assert got.telegram_user_id is None
    assert not got.is_bound


async def test_person_without_roles_or_oversight(db):
    org = await add_org(db)
    async with db.read() as tx:
        wang = await tx.persons.get(org["wang"])
    assert wang == Person(id=org["wang"], name="王芳", unit_id=org["proj"], roles=frozenset())


async def test_person_lookups(db):
    org = await add_org(db)
    async with db.transaction() as tx:
        other_li = await tx.persons.add("李明", org["proj"], frozenset(), frozenset(), NOW)
        await tx.persons.bind(org["li"], 5011)
    async with db.read() as tx:
        assert await tx.persons.get(4242) is None
        bound = await tx.persons.by_telegram_id(5011)
        assert bound is not None and bound.id == org["li"] and bound.is_bound
        assert bound.oversees == frozenset({org["fin"]})
        assert await tx.persons.by_telegram_id(1) is None
        assert [p.id for p in await tx.persons.by_name("李明")] == [org["li"], other_li.id]
        assert await tx.persons.by_name("无名") == []
        found = await tx.persons.by_name_in_unit("李明", org["proj"])
        assert found is not None and found.id == other_li.id
        assert set(await tx.persons.all()) == {org["chen"], org["li"], org["wang"], other_li.id}
        some = await tx.persons.by_ids({org["chen"], org["wang"], 4242})
        assert set(some) == {org["chen"], org["wang"]}
        assert some[org["chen"]].roles == frozenset({Role.SECRETARY})
        assert await tx.persons.by_ids(set()) == {}


async def test_an_update_s_arrival_is_whether_it_was_handled_and_who_sent_it(db):
    """The guard's one statement: the same sender as by_telegram_id, handled or not."""
    org = await add_org(db)
    async with db.transaction() as tx:
        await tx.persons.bind(org["li"], 5011)
    async with db.read() as tx:
        li = await tx.persons.by_telegram_id(5011)
        assert await tx.persons.arrival(7, 5011) == (False, li)
        assert await tx.persons.arrival(7, 1) == (False, None)  # nobody registered
    assert li is not None and li.oversees == frozenset({org["fin"]})
    async with db.transaction() as tx:
        await tx.updates.claim(7, NOW)
    async with db.read() as tx:
        assert await tx.persons.arrival(7, 5011) == (True, li)
        assert await tx.persons.arrival(7, 1) == (True, None)


async def test_same_name_twice_in_one_unit_is_refused(db):
    org = await add_org(db)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.persons.add("李明", org["top"], frozenset(), frozenset(), NOW)


async def test_a_telegram_account_binds_to_one_person_only(db):
    org = await add_org(db)
    async with db.transaction() as tx:
        await tx.persons.bind(org["li"], 5011)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.persons.bind(org["wang"], 5011)


# --- invites --------------------------------------------------------------------------------


async def test_invite_round_trip_and_mark_used(db):
    org = await add_org(db)
    expires = NOW + timedelta(days=7)
    async with db.transaction() as tx:
        added = await tx.invites.add("CODE1", org["li"], NOW, expires)
    async with db.read() as tx:
        got = await tx.invites.get("CODE1")
        assert await tx.invites.get("NOPE") is None
    assert got == added
    assert got.expires_at == expires
    assert got.used_at is None and got.revoked_at is None

    used_at = NOW + timedelta(hours=1)
    async with db.transaction() as tx:
        await tx.invites.mark_used("CODE1", 5011, used_at)
    async with db.read() as tx:
        got = await tx.invites.get("CODE1")
    assert got.used_at == used_at
    assert got.revoked_at is None


async def test_revoke_open_revokes_only_unused_open_invites(db):
    org = await add_org(db)
    later = NOW + timedelta(days=7)
    revoke_at = NOW + timedelta(hours=2)
    async with db.transaction() as tx:
        for code in ("USED", "OPEN1", "OPEN2"):
            await tx.invites.add(code, org["li"], NOW, later)
        await tx.invites.add("OTHER", org["wang"], NOW, later)
        await tx.invites.mark_used("USED", 5011, NOW)
    async with db.transaction() as tx:
        assert await tx.invites.revoke_open(org["li"], revoke_at) == 2
    async with db.transaction() as tx:
        assert await tx.invites.revoke_open(org["li"], revoke_at) == 0
    async with db.read() as tx:
        assert (await tx.invites.get("USED")).revoked_at is None
        assert (await tx.invites.get("OPEN1")).revoked_at == revoke_at
        assert (await tx.invites.get("OPEN2")).revoked_at == revoke_at
        assert (await tx.invites.get("OTHER")).revoked_at is None


async def test_invite_for_unknown_person_is_refused(db):
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.invites.add("CODE", 4242, NOW, NOW + timedelta(days=1))


# --- items ----------------------------------------------------------------------------------


async def add_item(tx, org, kind, due, *, owner="li", unit="fin", parent_id=None, title=None):
    return await tx.items.add(kind=kind, title=title or f"{kind.value} {due}", duty=Duty.DUAL,
                              owner_id=org[owner], unit_id=org[unit], parent_id=parent_id,
                              source=None, due_date=due, now=NOW)


async def test_item_round_trip_with_codes_per_list(db):
    org = await add_org(db)
    async with db.transaction() as tx:
        problem = await tx.items.add(kind=ListKind.PROBLEM, title="财务报销不规范",
                                     duty=Duty.PRINCIPAL, owner_id=org["chen"],
                                     unit_id=org["fin"], parent_id=None, source="巡察",
                                     due_date=date(2026, 12, 5), now=NOW)
        duty = await add_item(tx, org, ListKind.RESPONSIBILITY, date(2026, 12, 6),
                              parent_id=problem.id)
        measure = await add_item(tx, org, ListKind.MEASURE, date(2026, 12, 7), parent_id=duty.id)
    assert (problem.code, duty.code, measure.code) == ("W0001", "Z0002", "C0003")
    async with db.read() as tx:
        got = await tx.items.get(problem.id)
        assert got == problem
        assert got.status is ItemStatus.OPEN
        assert got.source == "巡察"
        assert got.due_date == date(2026, 12, 5)
        assert await tx.items.by_code("C0003") == measure
        assert (await tx.items.get(measure.id)).parent_id == duty.id
        assert await tx.items.by_code("W9999") is None
        assert await tx.items.get(4242) is None
        assert await tx.items.by_ids([problem.id, measure.id, problem.id, 4242]) == {
            problem.id: problem, measure.id: measure}


async def test_item_with_an_explicit_code(db):
    org = await add_org(db)
    async with db.transaction() as tx:
        added = await tx.items.add(kind=ListKind.PROBLEM, title="导入", duty=Duty.FIRST,
                                   owner_id=org["chen"], unit_id=org["top"], parent_id=None,
                                   source=None, due_date=TODAY, now=NOW, code="W2025-01")
    async with db.read() as tx:
        assert await tx.items.by_code("W2025-01") == added


async def test_item_with_unknown_parent_is_refused(db):
    org = await add_org(db)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await add_item(tx, org, ListKind.MEASURE, TODAY, parent_id=4242)


def set_status(db_path: Path, item_id: int, status: ItemStatus) -> None:
    with raw(db_path) as conn:
        conn.execute("UPDATE items SET status = ? WHERE id = ?", (status.value, item_id))


async def test_page_in_scope_groups_lists_then_overdue_first_then_by_due_date(db, db_path):
    org = await add_org(db)
    async with db.transaction() as tx:
        m_overdue = await add_item(tx, org, ListKind.MEASURE, date(2026, 11, 20))
        p_later = await add_item(tx, org, ListKind.PROBLEM, date(2026, 12, 10))
        r_soon = await add_item(tx, org, ListKind.RESPONSIBILITY, date(2026, 11, 24))
        p_overdue = await add_item(tx, org, ListKind.PROBLEM, date(2026, 11, 1))
        p_soon = await add_item(tx, org, ListKind.PROBLEM, date(2026, 11, 25))
        p_done_old = await add_item(tx, org, ListKind.PROBLEM, date(2026, 10, 1))
        p_today = await add_item(tx, org, ListKind.PROBLEM, TODAY)
        m_more_overdue = await add_item(tx, org, ListKind.MEASURE, date(2026, 11, 2))
    set_status(db_path, p_done_old.id, ItemStatus.DONE)  # past due but finished: not overdue

    everything = Scope(everything=True, person_id=None)
    async with db.read() as tx:
        page = await tx.items.page_in_scope(everything, TODAY, 0, 50)
        assert [i.id for i in page] == [
            p_overdue.id, p_done_old.id, p_today.id, p_soon.id, p_later.id,  # 问题
            r_soon.id,  # 责任
            m_more_overdue.id, m_overdue.id,  # 措施
        ]
        second = await tx.items.page_in_scope(everything, TODAY, 2, 3)
        assert [i.id for i in second] == [p_today.id, p_soon.id, p_later.id]
        assert await tx.items.page_in_scope(everything, TODAY, 50, 10) == []
        assert await tx.items.count_in_scope(everything) == 8


async def test_what_counts_as_overdue_depends_on_today(db, db_path):
    org = await add_org(db)
    async with db.transaction() as tx:
        finished = await add_item(tx, org, ListKind.PROBLEM, date(2026, 11, 1))
        active = await add_item(tx, org, ListKind.PROBLEM, date(2026, 11, 10))
    set_status(db_path, finished.id, ItemStatus.VERIFIED)
    everything = Scope(everything=True, person_id=None)
    async with db.read() as tx:
        before = await tx.items.page_in_scope(everything, date(2026, 11, 5), 0, 9)
        after = await tx.items.page_in_scope(everything, date(2026, 11, 15), 0, 9)
    # on 11-05 nothing is overdue: plain due-date order
    assert [i.id for i in before] == [finished.id, active.id]
    # on 11-15 the active item is overdue and jumps ahead; a finished one never is overdue
    assert [i.id for i in after] == [active.id, finished.id]


async def test_page_in_scope_filters_by_owner_and_units(db):
    org = await add_org(db)
    async with db.transaction() as tx:
        wang_own = await add_item(tx, org, ListKind.PROBLEM, TODAY, owner="wang", unit="proj")
        wang_in_fin = await add_item(tx, org, ListKind.PROBLEM, TODAY, owner="wang", unit="fin")
        chen_top = await add_item(tx, org, ListKind.PROBLEM, TODAY, owner="chen", unit="top")
    own_only = Scope(everything=False, person_id=org["wang"])
    li_scope = Scope(everything=False, person_id=org["li"], unit_ids=frozenset({org["fin"]}))
    nobody = Scope(everything=False, person_id=None)
    async with db.read() as tx:
        assert {i.id for i in await tx.items.page_in_scope(own_only, TODAY, 0, 10)} == {
            wang_own.id, wang_in_fin.id}
        assert [i.id for i in await tx.items.page_in_scope(li_scope, TODAY, 0, 10)] == [
            wang_in_fin.id]
        assert await tx.items.page_in_scope(nobody, TODAY, 0, 10) == []
        assert await tx.items.count_in_scope(own_only) == 2
        assert await tx.items.count_in_scope(li_scope) == 1
        assert await tx.items.count_in_scope(nobody) == 0
        assert chen_top.id not in {i.id for i in await tx.items.page_in_scope(li_scope, TODAY, 0, 9)}


async def test_due_for_owner_lists_active_items_due_by_the_date_most_urgent_first(db, db_path):
    org = await add_org(db)
    async with db.transaction() as tx:
        later = await add_item(tx, org, ListKind.PROBLEM, date(2026, 12, 20))
        soon = await add_item(tx, org, ListKind.MEASURE, date(2026, 11, 25))
        overdue = await add_item(tx, org, ListKind.RESPONSIBILITY, date(2026, 11, 1))
        on_the_day = await add_item(tx, org, ListKind.PROBLEM, date(2026, 11, 26))
        done = await add_item(tx, org, ListKind.PROBLEM, date(2026, 11, 2))
        verifying = await add_item(tx, org, ListKind.PROBLEM, date(2026, 11, 3))
        returned = await add_item(tx, org, ListKind.PROBLEM, date(2026, 11, 4))
        someone_else = await add_item(tx, org, ListKind.PROBLEM, date(2026, 11, 5), owner="wang")
    set_status(db_path, done.id, ItemStatus.DONE)
    set_status(db_path, verifying.id, ItemStatus.PENDING_VERIFICATION)
    set_status(db_path, returned.id, ItemStatus.RETURNED)
    async with db.read() as tx:
        due = await tx.items.due_for_owner(org["li"], date(2026, 11, 26))
    ids = [i.id for i in due]
    assert ids == [overdue.id, returned.id, soon.id, on_the_day.id]
    assert later.id not in ids and someone_else.id not in ids


async def test_candidates_for_parent_are_active_items_of_the_list_newest_first(db, db_path):
    org = await add_org(db)
    async with db.transaction() as tx:
        p1 = await add_item(tx, org, ListKind.PROBLEM, TODAY)
        await add_item(tx, org, ListKind.RESPONSIBILITY, TODAY)
        p2 = await add_item(tx, org, ListKind.PROBLEM, TODAY)
        p3 = await add_item(tx, org, ListKind.PROBLEM, TODAY)
    set_status(db_path, p2.id, ItemStatus.CANCELLED)
    async with db.read() as tx:
        assert [i.id for i in await tx.items.candidates_for_parent(ListKind.PROBLEM, 10)] == [
            p3.id, p1.id]
        assert len(await tx.items.candidates_for_parent(ListKind.PROBLEM, 1)) == 1


# --- groups, events, conversations, updates --------------------------------------------------


async def test_group_upsert_and_get(db):
    org = await add_org(db)
    group = Group(chat_id=-1001, kind=GroupKind.DISCIPLINE, title="纪委群")
    async with db.transaction() as tx:
        await tx.groups.upsert(group, NOW)
    async with db.read() as tx:
        assert await tx.groups.get(-1001) == group
        assert await tx.groups.get(-1002) is None
    moved = Group(chat_id=-1001, kind=GroupKind.UNIT, title="财务科群", unit_id=org["fin"])
    async with db.transaction() as tx:
        await tx.groups.upsert(moved, NOW)
    async with db.read() as tx:
        assert await tx.groups.get(-1001) == moved


async def test_events_record_and_read_back(db):
    org = await add_org(db)
    async with db.read() as tx:
        li = await tx.persons.get(org["li"])
    actor = Actor(telegram_user_id=5011, person=li, update_id=900)
    async with db.transaction() as tx:
        await tx.events.record(actor, NOW, "item_created", "item", 7, code="W0007", title="标题")
        await tx.events.record(actor, NOW, "item_updated", "item", 7, status="done")
        await tx.events.record(actor, NOW, "item_created", "item", 8)
    async with db.read() as tx:
        events = await tx.events.for_subject("item", 7)
        assert await tx.events.count() == 3
    assert [ev.kind for ev in events] == ["item_created", "item_updated"]
    assert events[0].data == {"code": "W0007", "title": "标题"}
    assert events[0].actor_person_id == org["li"]
    assert events[0].actor_telegram_id == 5011
    assert events[0].subject_id == "7"
    assert events[0].at == NOW


async def test_events_latest_of_one_kind_newest_first(db):
    actor = Actor(telegram_user_id=5011, bootstrap_admin=True)
    async with db.transaction() as tx:
        for n in range(5):
            await tx.events.record(actor, NOW, "item.note", "item", 7, text=f"第{n}条")
        await tx.events.record(actor, NOW, "item.status", "item", 7, to="done")
        await tx.events.record(actor, NOW, "item.note", "item", 8, text="别的事项")
    async with db.read() as tx:
        latest = await tx.events.latest("item", 7, "item.note", 3)
        assert await tx.events.count_of("item", 7, "item.note") == 5
        assert await tx.events.count_of("item", 9, "item.note") == 0
        assert await tx.events.latest("item", 9, "item.note", 3) == []
    assert [e.data["text"] for e in latest] == ["第4条", "第3条", "第2条"]


async def test_conversation_put_get_delete(db):
    state = {"flow": "register", "step": "roles", "roles": ["member"], "name": "赵强"}
    async with db.transaction() as tx:
        assert await tx.conversations.get(1, 2) is None
        await tx.conversations.put(1, 2, state, NOW)
    async with db.read() as tx:
        got_state, updated_at = await tx.conversations.get(1, 2)
        assert await tx.conversations.get(1, 3) is None
    assert got_state == state
    assert list(got_state) == list(state)  # key order kept
    assert updated_at == NOW

    later = NOW + timedelta(minutes=5)
    async with db.transaction() as tx:
        await tx.conversations.put(1, 2, {"flow": "new_item"}, later)
    async with db.read() as tx:
        assert await tx.conversations.get(1, 2) == ({"flow": "new_item"}, later)

    async with db.transaction() as tx:
        await tx.conversations.delete(1, 2)
        await tx.conversations.delete(1, 2)  # deleting twice is harmless
    async with db.read() as tx:
        assert await tx.conversations.get(1, 2) is None


async def test_conversations_are_per_chat_and_user(db):
    async with db.transaction() as tx:
        await tx.conversations.put(1, 2, {"who": "a"}, NOW)
        await tx.conversations.put(-100, 2, {"who": "b"}, NOW)
    async with db.read() as tx:
        assert (await tx.conversations.get(1, 2))[0] == {"who": "a"}
        assert (await tx.conversations.get(-100, 2))[0] == {"who": "b"}


async def test_update_claim_is_true_once_then_false(db):
    async with db.transaction() as tx:
        assert not await tx.updates.seen(501)
        assert await tx.updates.claim(501, NOW) is True
        assert await tx.updates.claim(501, NOW) is False
        assert await tx.updates.seen(501)
    async with db.transaction() as tx:
        assert await tx.updates.claim(501, NOW) is False
        assert await tx.updates.claim(502, NOW) is True


async def test_items_by_ids_reads_more_than_one_statement_can_bind(tmp_path):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from bot.domain.model import Duty, ListKind, Role, UnitKind
    from storage.db import Database

    now = datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    db = await Database.open(tmp_path / "many.db")
    await db.migrate()
    async with db.transaction() as tx:
        unit = await tx.units.add("党委", UnitKind.COMMITTEE, None, now)
        person = await tx.persons.add("甲", unit.id, frozenset({Role.MEMBER}), frozenset(), now)
        for n in range(2000):
            await tx.items.add(kind=ListKind.PROBLEM, title=f"事项{n}", duty=Duty.DUAL,
                               owner_id=person.id, unit_id=unit.id, parent_id=None, source=None,
                               due_date=date(2026, 12, 1), now=now)
    async with db.read() as tx:
        found = await tx.items.by_ids(range(1, 2101))
    await db.close()
    assert sorted(found) == list(range(1, 2001))


# --- the reminder plan and the outbox ---------------------------------------------------


async def test_candidates_leave_out_an_item_whose_ladder_was_marked_ended(db, db_path):
    org = await add_org(db)
    due = TODAY - timedelta(days=30)
    finals = ("T+7", "T+3", "T+1")
    async with db.transaction() as tx:
        made = [await tx.items.add(kind=ListKind.PROBLEM, title=f"事项{n}", duty=Duty.DUAL,
                                   owner_id=org["wang"], unit_id=org["proj"], parent_id=None,
                                   source=None, due_date=due, now=NOW) for n in range(5)]
        ended, moved, other_policy, partly, untouched = (i.id for i in made)
        await tx.reminders.add_many([("p:1", partly, "T+1", due, None),
                                     ("p:1", partly, "T+7", due, None),
                                     ("p:1", moved, "T+1", due, None)], TODAY)
        await tx.reminders.mark_ended([(ended, due), (moved, due - timedelta(days=9))], finals)
        await tx.reminders.mark_ended([(other_policy, due)], ("T+10", "T+3", "T+1"))
    async with db.read() as tx:
        items, planned = await tx.reminders.candidates(TODAY, finals)
        everything, _ = await tx.reminders.candidates(TODAY)
    assert sorted(i.id for i in items) == [moved, other_policy, partly, untouched]
    assert planned == {partly: {"T+1", "T+7"}, moved: {"T+1"}}
    assert sorted(i.id for i in everything) == sorted(i.id for i in made)
    with raw(db_path) as conn:
        indexes = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reminders'")}
        (mark,) = conn.execute("SELECT plan_ended FROM items WHERE id = ?", (ended,)).fetchone()
        scan = " ".join(r[-1] for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM items i WHERE status = 'open' AND due_date <= ? "
            "AND i.plan_ended IS NOT (i.due_date || ?)", (TODAY.isoformat(), " T+7")))
    assert "reminders_due_item_stage" in indexes and "reminders_item" not in indexes
    assert mark == f"{due.isoformat()} T+7,T+3,T+1"
    assert "COVERING INDEX items_status_due_plan" in scan  # the mark is read in the index


async def test_outbox_add_many_returns_the_ids_of_what_it_queued(db):
    from storage.outbox import NewMessage

    def message(key: str, chat_id: int) -> NewMessage:
        return NewMessage(dedup_key=key, target=Target.telegram(chat_id), person_id=None, kind="digest",
                          day=TODAY, payload={"name": key, "entries": []})

    async with db.transaction() as tx:
        first = await tx.outbox.add(dedup_key="a", target=Target.telegram(1), person_id=None, kind="digest",
                                    day=TODAY, payload={"name": "a", "entries": []}, now=NOW)
        queued = await tx.outbox.add_many([message("a", 1), message("b", 2),
                                           message("c", 3)], NOW)
        assert await tx.outbox.add_many([], NOW) == {}
    assert set(queued) == {"b", "c"} and first not in queued.values()
    async with db.read() as tx:
        ready = await tx.outbox.next_ready(NOW, first)
    assert ready is not None and ready.id == queued["b"] and ready.chat_id == 2
    assert ready.payload == {"name": "b", "entries": []}


async def test_a_large_commit_is_checkpointed_beside_it_not_inside_it(db, db_path, monkeypatch):
    """The WAL is copied back into the database file by a task of its own once it passes
    CHECKPOINT_BYTES, not by the commit that crossed the size (whoever wrote it waited)."""
    import storage.db

    monkeypatch.setattr(storage.db, "CHECKPOINT_BYTES", 256 * 1024)
    size = db_path.stat().st_size
    now = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    async with db.transaction() as tx:
        await tx.events.record_many(Actor(telegram_user_id=None), now, [
            ("item.note", "item", n, {"text": "逐笔核查报销凭证" * 20}) for n in range(2000)])
    assert db_path.stat().st_size == size  # the commit left its pages in the WAL
    assert db._checkpoint is not None
    await db._checkpoint
    assert db_path.stat().st_size > size  # copied back, beside the commit
    assert db._checkpoint is None
    with raw(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] >= 2000
    async with db.transaction() as tx:  # the next write starts the WAL over, cut back
        await tx.events.record(Actor(telegram_user_id=None), now, "item.note", "item", 1)
    assert Path(f"{db_path}-wal").stat().st_size < 256 * 1024
    assert db._checkpoint is None  # and a short WAL starts no checkpoint
