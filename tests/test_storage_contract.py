"""The storage contract (issue 23 §2): the same tests over both engines, SQLite and a real
PostgreSQL (tests/postgres_cluster.py; skipped loudly without it, failed in CI).

What a repository promises must hold on either engine: what goes in comes out, ids come
back, a duplicate is ignored where the SQLite text says OR IGNORE, a transaction that fails
leaves nothing, a savepoint undoes only its own part, the schema migrates from zero and from
an older version."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
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
    Unit,
    UnitKind,
)
from bot.domain.permissions import Scope
from bot.domain.target import Target
from storage.db import Database, migration_scripts
from storage.inbox import Inbound
from storage.outbox import NewMessage, OutboxStatus

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
TODAY = NOW.date()
LATEST = migration_scripts()[-1][0]


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path) -> str:
    """Where the database lives: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "contract.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def db(request, target) -> AsyncIterator[Database]:
    """The database at the latest schema (on PostgreSQL a copy of one migrated once)."""
    if target.startswith("postgresql://"):
        target = request.getfixturevalue("pg_migrated_url")
    database = await Database.open(target)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


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


async def add_item(db: Database, org: dict[str, int], title: str = "落实主体责任",
                   due: date | None = None, kind: ListKind = ListKind.RESPONSIBILITY,
                   owner: str = "wang") -> int:
    async with db.transaction() as tx:
        item = await tx.items.add(kind=kind, title=title, duty=Duty.PRINCIPAL,
                                  owner_id=org[owner], unit_id=org["proj"], parent_id=None,
                                  source=None, due_date=due or TODAY + timedelta(days=7),
                                  now=NOW)
    return item.id


# --- schema ----------------------------------------------------------------------------


async def test_a_new_database_migrates_to_the_latest_version(target):
    db = await Database.open(target)
    try:
        assert await db.schema_version() == 0
        assert await db.migrate() == [n for n, _name, _sql in migration_scripts()]
        assert await db.schema_version() == LATEST
        assert await db.migrate() == []  # twice: nothing more
    finally:
        await db.close()


async def test_postgresql_has_the_same_migration_numbers_as_sqlite():
    from storage.postgres import pg_migration_scripts

    assert ([(n, name) for n, name, _sql in pg_migration_scripts()]
            == [(n, name) for n, name, _sql in migration_scripts()])


async def test_an_older_postgresql_database_is_upgraded_in_place_with_its_rows(pg_url):
    """Version 3 with a person, an item and a done item's event; the rest applied on top:
    the rows stay, and 0004 fills in when the done item was finished (json_extract)."""
    db = await Database.open(pg_url)
    try:
        assert await db.migrate(upto=3) == [1, 2, 3]
        org = await add_org(db)
        item_id = await add_item(db, org)
        async with db.transaction() as tx:
            await tx.items.set_status(item_id, ItemStatus.DONE, NOW)
            await tx.events.record(Actor(None), NOW + timedelta(hours=1), "item.status", "item",
                                   item_id, to="done")
        assert await db.migrate() == [n for n, _name, _sql in migration_scripts() if n > 3]
        async with db.read() as tx:
            assert (await tx.items.get(item_id)).status is ItemStatus.DONE
            assert len(await tx.persons.all()) == 3
        async with db._pool.connection() as conn:
            cur = await conn.execute("SELECT finished_at FROM items WHERE id = %s", (item_id,))
            assert (await cur.fetchone())[0] == (NOW + timedelta(hours=1)).isoformat()
    finally:
        await db.close()


async def test_events_are_append_only(db):
    async with db.transaction() as tx:
        await tx.events.record(Actor(5), NOW, "x", "item", 1)
    for statement in ("UPDATE events SET kind = 'y'", "DELETE FROM events"):
        with pytest.raises(Exception, match="append-only"):
            async with db.transaction() as tx:
                await tx.events._conn.execute(statement)
    async with db.read() as tx:
        assert await tx.events.count() == 1


# --- transactions ----------------------------------------------------------------------


async def test_a_failed_transaction_leaves_nothing(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.units.add("某局党委", UnitKind.COMMITTEE, None, NOW)
            raise RuntimeError("boom")
    async with db.read() as tx:
        assert await tx.units.all() == {}


async def test_a_unique_violation_rolls_the_transaction_back(db):
    await add_org(db)
    with pytest.raises(Exception):  # noqa: B017 - sqlite3 and psycopg name it differently
        async with db.transaction() as tx:
            await tx.units.add("新单位", UnitKind.DEPARTMENT, None, NOW)
            await tx.units.add("财务科", UnitKind.DEPARTMENT, None, NOW)
    async with db.read() as tx:
        assert await tx.units.by_name("新单位") is None
    async with db.transaction() as tx:  # the connection is usable again
        assert (await tx.units.add("新单位", UnitKind.DEPARTMENT, None, NOW)).id > 0


async def test_an_update_scope_commits_once_and_a_refused_part_is_undone_alone(db):
    async with db.one_update() as scope:
        async with db.transaction() as tx:
            await tx.units.add("甲", UnitKind.DEPARTMENT, None, NOW)
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.units.add("乙", UnitKind.DEPARTMENT, None, NOW)
                raise RuntimeError("refused")
        async with db.read() as tx:  # sees its own write
            assert await tx.units.by_name("甲") is not None
        await scope.commit()
    async with db.read() as tx:
        assert [u.name for u in (await tx.units.all()).values()] == ["甲"]


async def test_an_update_scope_left_uncommitted_is_rolled_back(db):
    async with db.one_update(), db.transaction() as tx:
        await tx.units.add("甲", UnitKind.DEPARTMENT, None, NOW)
    async with db.read() as tx:
        assert await tx.units.all() == {}


# --- units and persons -----------------------------------------------------------------


async def test_units_and_persons_round_trip(db):
    org = await add_org(db)
    async with db.read() as tx:
        units = await tx.units.all()
        assert [u.name for u in units.values()] == ["某局党委", "财务科", "项目科"]
        assert units[org["fin"]].parent_id == org["top"]
        assert (await tx.units.by_name("项目科")).kind is UnitKind.DEPARTMENT
        li = await tx.persons.get(org["li"])
        assert li.roles == frozenset({Role.MEMBER}) and li.oversees == frozenset({org["fin"]})
        assert [p.name for p in await tx.persons.by_name("王芳")] == ["王芳"]
        assert (await tx.persons.by_name_in_unit("王芳", org["proj"])).id == org["wang"]
        assert await tx.persons.by_name_in_unit("王芳", org["fin"]) is None
        assert list(await tx.persons.all()) == [org["chen"], org["li"], org["wang"]]
        assert set(await tx.persons.directory()) == set(await tx.persons.all())
        assert set(await tx.persons.by_ids({org["li"], org["wang"]})) == {org["li"], org["wang"]}
        # the few who may decide something, not everyone; with all their roles
        deciders = await tx.persons.with_roles({Role.SECRETARY, Role.DISCIPLINE})
        assert list(deciders) == [org["chen"]]
        assert deciders[org["chen"]].roles == frozenset({Role.SECRETARY})
        assert await tx.persons.with_roles({Role.DISCIPLINE}) == {}
        assert set(await tx.units.by_ids({org["fin"], org["proj"]})) == {org["fin"], org["proj"]}
    async with db.transaction() as tx:  # 陈书记 leaves (人员交接): no longer one of them
        await tx.handover.end_binding(org["chen"], NOW)
    async with db.read() as tx:
        assert await tx.persons.with_roles({Role.SECRETARY}) == {}
        assert await tx.persons.by_ids({org["chen"]}, active=True) == {}
        assert set(await tx.persons.by_ids({org["chen"]})) == {org["chen"]}


async def test_persons_bind_roles_contacts_handles_and_delivery_marks(db):
    org = await add_org(db)
    async with db.transaction() as tx:
        await tx.persons.bind(org["wang"], 10**10 + 7)  # Telegram ids exceed 32 bits
        wang = await tx.persons.get(org["wang"])
        await tx.persons.set_roles([Person(id=wang.id, name=wang.name, unit_id=wang.unit_id,
                                           roles=frozenset({Role.ADMIN}),
                                           oversees=frozenset({org["fin"]}))])
        await tx.persons.set_contacts([(org["wang"], "13800000000", "备注")])
        await tx.persons.set_handles(org["wang"], "wangfang", None)
        since = await tx.persons.mark_undeliverable(org["li"], NOW)
        again = await tx.persons.mark_undeliverable(org["li"], NOW + timedelta(days=1))
    assert since == again == NOW.isoformat()
    async with db.read() as tx:
        wang = await tx.persons.by_telegram_id(10**10 + 7)
        assert wang.id == org["wang"] and wang.telegram_user_id == 10**10 + 7
        assert wang.roles == frozenset({Role.ADMIN}) and wang.oversees == frozenset({org["fin"]})
        handles = await tx.persons.handles({org["wang"], org["li"]})
        assert sorted(handles[org["wang"]].values()) == ["13800000000", "wangfang"]
        assert handles[org["li"]] == {}
        assert await tx.persons.undeliverable() == {org["li"]}
    async with db.transaction() as tx:
        await tx.persons.clear_undeliverable(org["li"])
    async with db.read() as tx:
        assert await tx.persons.undeliverable() == set()


async def test_ids_given_by_an_import_are_followed_by_new_ones(db):
    """`next_id` + `add_many` (the imports) give ids themselves; an `add` after them takes
    the next one (PostgreSQL's identity is moved past them)."""
    async with db.transaction() as tx:
        first = await tx.units.next_id()
        await tx.units.add_many([Unit(id=first, name="甲", kind=UnitKind.COMMITTEE,
                                      parent_id=None),
                                 Unit(id=first + 1, name="乙", kind=UnitKind.DEPARTMENT,
                                      parent_id=first)], NOW)
        pid = await tx.persons.next_id()
        await tx.persons.add_many([(Person(id=pid, name="赵", unit_id=first,
                                           roles=frozenset({Role.SECRETARY}),
                                           oversees=frozenset()), "139", None)], NOW)
        added = await tx.units.add("丙", UnitKind.DEPARTMENT, first, NOW)
        person = await tx.persons.add("钱", first, frozenset(), frozenset(), NOW)
    assert added.id == first + 2 and person.id == pid + 1
    async with db.read() as tx:
        assert (await tx.persons.get(pid)).roles == frozenset({Role.SECRETARY})


async def test_invites(db):
    org = await add_org(db)
    async with db.transaction() as tx:
        await tx.invites.add("ABC123", org["wang"], NOW, NOW + timedelta(days=7))
        await tx.invites.add("DEF456", org["wang"], NOW, NOW + timedelta(days=7))
        await tx.invites.mark_used("ABC123", 42, NOW)
        assert await tx.invites.revoke_open(org["wang"], NOW) == 1
    async with db.read() as tx:
        used = await tx.invites.get("ABC123")
        assert used.used_at == NOW and used.person_id == org["wang"]
        assert (await tx.invites.get("DEF456")).revoked_at == NOW
        assert await tx.invites.get("NOPE") is None


# --- items and events ------------------------------------------------------------------


async def test_items_round_trip_and_queries(db):
    org = await add_org(db)
    first = await add_item(db, org, "一", TODAY + timedelta(days=3))
    second = await add_item(db, org, "二", TODAY - timedelta(days=1))
    third = await add_item(db, org, "三", TODAY + timedelta(days=30), kind=ListKind.PROBLEM)
    async with db.transaction() as tx:
        await tx.items.set_status(third, ItemStatus.DONE, NOW)
        await tx.items.set_due(first, TODAY + timedelta(days=2), NOW)
    async with db.read() as tx:
        item = await tx.items.get(first)
        assert item.title == "一" and item.due_date == TODAY + timedelta(days=2)
        assert (await tx.items.by_code(item.code)).id == first
        assert [i.id for i in await tx.items.owned_active(org["wang"], 10)] == [second, first]
        assert [i.id for i in await tx.items.of_kind(ListKind.RESPONSIBILITY)] == [second, first]
        assert [i.id for i in await tx.items.of_kind(
            ListKind.PROBLEM, statuses=[ItemStatus.DONE])] == [third]
        assert set(await tx.items.by_ids([first, third])) == {first, third}
        assert [i.id for i in await tx.items.due_for_owner(org["wang"], TODAY)] == [second]
        everything = Scope(everything=True, person_id=None)
        assert await tx.items.count_in_scope(everything) == 3
        assert await tx.items.count_in_scope(
            Scope(everything=False, person_id=org["li"], unit_ids=frozenset({org["proj"]}))) == 3
        assert await tx.items.count_in_scope(Scope(everything=False, person_id=org["li"])) == 0
        page = await tx.items.page_in_scope(everything, TODAY, 0, 2)
        assert len(page) == 2
        assert [i.id for i in await tx.items.candidates_for_parent(ListKind.RESPONSIBILITY, 5)] == [
            second, first]


async def test_an_item_finished_keeps_when_it_was_finished(db):
    """The 0004 trigger, on both engines: finished_at set when done, cleared on reopening."""
    org = await add_org(db)
    item_id = await add_item(db, org)
    later = NOW + timedelta(days=1)
    async with db.transaction() as tx:
        await tx.items.set_status(item_id, ItemStatus.DONE, later)
    async with db.transaction() as tx:
        await tx.items.set_status(item_id, ItemStatus.VERIFIED, later + timedelta(days=1))
    async with db.read() as tx:
        cur = await tx.items._conn.execute("SELECT finished_at FROM items WHERE id = ?",
                                           (item_id,))
        assert (await cur.fetchone())[0] == later.isoformat()
    async with db.transaction() as tx:
        await tx.items.set_status(item_id, ItemStatus.OPEN, later)
    async with db.read() as tx:
        cur = await tx.items._conn.execute("SELECT finished_at FROM items WHERE id = ?",
                                           (item_id,))
        assert (await cur.fetchone())[0] is None


async def test_events_record_and_read_back(db):
    actor = Actor(10**10 + 1, update_id=77)
    async with db.transaction() as tx:
        await tx.events.record(actor, NOW, "item.status", "item", 5, to="done", 说明="中文")
        await tx.events.record_many(actor, NOW, [("item.note", "item", 5, {"text": "a"}),
                                                 ("item.note", "item", 6, {"text": "b"})])
    async with db.read() as tx:
        events = await tx.events.for_subject("item", 5)
        assert [e.kind for e in events] == ["item.status", "item.note"]
        assert events[0].data == {"to": "done", "说明": "中文"} and events[0].at == NOW
        assert events[0].actor_telegram_id == 10**10 + 1 and events[0].subject_id == "5"
        assert [e.data["text"] for e in await tx.events.latest("item", 6, "item.note", 1)] == [
            "b"]
        assert await tx.events.count_of("item", "5", "item.note") == 1
        assert await tx.events.count() == 3


# --- groups, conversations, updates ----------------------------------------------------


async def test_groups_conversations_and_processed_updates(db):
    org = await add_org(db)
    chat = -(10**12) - 5
    async with db.transaction() as tx:
        await tx.groups.upsert(Group(chat, GroupKind.DISCIPLINE, "纪委群", None), NOW)
        await tx.groups.upsert(Group(chat, GroupKind.DISCIPLINE, "纪委工作群", None), NOW)
        await tx.groups.upsert(Group(-7, GroupKind.UNIT, "项目科群", org["proj"]), NOW)
        assert await tx.groups.mark_undeliverable(-7, NOW) == NOW.isoformat()
        assert await tx.groups.mark_undeliverable(-8, NOW) is None
        await tx.conversations.put(1, 2, {"flow": "register", "步骤": 1}, NOW)
        await tx.conversations.put(1, 2, {"flow": "register", "步骤": 2}, NOW)
        assert await tx.updates.claim(900, NOW) is True
        assert await tx.updates.claim(900, NOW) is False
        assert await tx.updates.claim(901, NOW - timedelta(days=3)) is True
    async with db.read() as tx:
        assert (await tx.groups.get(chat)).title == "纪委工作群"
        assert await tx.groups.discipline_chats() == (chat,)
        assert await tx.conversations.get(1, 2) == ({"flow": "register", "步骤": 2}, NOW)
        assert await tx.updates.seen(900) and not await tx.updates.seen(902)
        assert await tx.updates.seen_among([900, 901, 902]) == {900, 901}
    async with db.transaction() as tx:
        await tx.groups.clear_undeliverable(-7)
        await tx.groups.move(-7, -70)
        await tx.conversations.delete(1, 2)
        assert await tx.updates.prune(NOW - timedelta(days=1)) == 1
    async with db.read() as tx:
        assert (await tx.groups.get(-70)).unit_id == org["proj"]
        assert await tx.groups.get(-7) is None
        assert await tx.conversations.get(1, 2) is None
        assert await tx.updates.seen_among([900, 901]) == {900}


# --- outbox ----------------------------------------------------------------------------


def message(key: str, chat: int = 5, kind: str = "text", day: date = TODAY) -> NewMessage:
    return NewMessage(key, Target.telegram(chat), None, kind, day, {"text": key})


async def test_outbox_queues_once_per_key_and_hands_out_in_order(db):
    async with db.transaction() as tx:
        first = await tx.outbox.add(dedup_key="a", target=Target.telegram(10**12), person_id=None,
                                    kind="text", day=TODAY, payload={"text": "甲"}, now=NOW)
        again = await tx.outbox.add(dedup_key="a", target=Target.telegram(1), person_id=None,
                                    kind="text", day=TODAY, payload={}, now=NOW)
        ids = await tx.outbox.add_many([message("b"), message("a"), message("c")], NOW)
    assert first and again is None and set(ids) == {"b", "c"} and ids["b"] > first
    async with db.read() as tx:
        assert await tx.outbox.pending_count() == 3
        ready = await tx.outbox.next_ready(NOW)
        assert ready.id == first and ready.chat_id == 10**12 and ready.payload == {"text": "甲"}
        assert (await tx.outbox.next_ready(NOW, after_id=first)).dedup_key == "b"
        assert await tx.outbox.queued(["a", "z"]) == {"a"}
        assert sorted(await tx.outbox.keys_starting("b")) == ["b"]
        assert [m.id for m in await tx.outbox.by_ids([ids["c"], first])] == [first, ids["c"]]
        assert [m.dedup_key for m in await tx.outbox.next_per_target(NOW, "telegram")] == [
            "a", "b"]
    async with db.transaction() as tx:
        await tx.outbox.part_sent(first, 1, True, NOW, 555)
        await tx.outbox.retry_later(ids["b"], NOW + timedelta(minutes=5), "429")
        await tx.outbox.finish(ids["c"], OutboxStatus.FAILED, "bad request")
    async with db.read() as tx:
        assert [m.id for m in await tx.outbox.by_status(OutboxStatus.SENT)] == [first]
        assert [m.id for m in await tx.outbox.by_status(OutboxStatus.FAILED)] == [ids["c"]]
        assert await tx.outbox.next_ready(NOW) is None  # b waits five minutes
        waiting = await tx.outbox.next_ready(NOW + timedelta(minutes=5))
        assert waiting.id == ids["b"] and waiting.attempts == 1


async def test_outbox_digests_answers_and_moves(db):
    org = await add_org(db)
    yesterday = TODAY - timedelta(days=1)
    async with db.transaction() as tx:
        stale = await tx.outbox.add(dedup_key="d1", target=Target.telegram(5),
                                    person_id=org["wang"], kind="digest", day=yesterday,
                                    payload={}, now=NOW)
        held = await tx.outbox.add(dedup_key="ans", target=Target.telegram(5), person_id=None,
                                   kind="answer", day=TODAY, payload={},
                                   now=NOW, not_before=NOW + timedelta(hours=1))
        await tx.outbox.add(dedup_key="g", target=Target.telegram(-9), person_id=None,
                            kind="text", day=TODAY, payload={}, now=NOW)
    async with db.read() as tx:
        assert await tx.outbox.next_ready(NOW, after_id=0, answers_only=True) is None
    async with db.transaction() as tx:
        assert await tx.outbox.supersede_stale(("digest",), TODAY) == [stale]
        assert await tx.outbox.release_answers(NOW) == 1
        await tx.outbox.follow_person(org["wang"], 6)
        await tx.outbox.move_chat(-9, -90)
    async with db.read() as tx:
        assert (await tx.outbox.next_ready(NOW, answers_only=True)).id == held
        assert [m.id for m in await tx.outbox.by_status(OutboxStatus.SUPERSEDED)] == [stale]
        assert [m.target.address for m in await tx.outbox.by_status(OutboxStatus.PENDING)] == [
            "5", "-90"]


async def test_sent_telegram_messages_of_a_key_family(db):
    """The notices to redraw (issue 24): sent, to Telegram, with their message id."""
    async with db.transaction() as tx:
        sent = await tx.outbox.add(dedup_key="rectification_assigned:1:10",
                                   target=Target.telegram(10), person_id=None,
                                   kind="rectification_assigned", day=TODAY,
                                   payload={"item": 1}, now=NOW)
        for key, target in (("rectification_assigned:1:11", Target.telegram(11)),
                            ("rectification_assigned:12:10", Target.telegram(10)),
                            ("rectification_assigned:1:r", Target.robot(3))):
            row = await tx.outbox.add(dedup_key=key, target=target, person_id=None,
                                      kind="rectification_assigned", day=TODAY,
                                      payload={}, now=NOW)
            if key.endswith(":10") or key.endswith(":r"):
                await tx.outbox.part_sent(row, 1, True, NOW, 88)
        await tx.outbox.part_sent(sent, 1, True, NOW, 77)
    async with db.read() as tx:
        assert await tx.outbox.sent_telegram("rectification_assigned:1:") == [
            (10, 77, {"item": 1})]
        assert await tx.outbox.sent_telegram("rectification_assigned:9:") == []


async def test_summary_changes_within_a_period(db):
    """Newly overdue: open items that fell due in [since, until) before today (issue 24:
    the summary's period); without `until`, up to today."""
    org = await add_org(db)
    for days in (3, 10, -1):
        await add_item(db, org, title=f"事项{days}", due=TODAY - timedelta(days=days))
    async with db.read() as tx:
        week = await tx.summary.changes(NOW - timedelta(days=7), TODAY)
        assert week.newly_overdue == 1
        start = datetime.combine(TODAY - timedelta(days=10), datetime.min.time(), TZ)
        period = await tx.summary.changes(start, TODAY, start + timedelta(days=5))
        assert period.newly_overdue == 1 and period.finished == 0 and period.escalated == 0


async def test_on_time_by_due_day_sums_to_on_time_at_any_day(db):
    """The weekly trend's one scan (issue 25): what `on_time(start, day)` counts at each
    day, summed from the rows by due date."""
    org = await add_org(db)
    start = TODAY - timedelta(days=40)
    for n, (days, status) in enumerate(((-35, ItemStatus.DONE), (-20, ItemStatus.OPEN),
                                        (-10, ItemStatus.DONE), (-3, ItemStatus.CANCELLED),
                                        (5, ItemStatus.DONE), (12, ItemStatus.OPEN))):
        item = await add_item(db, org, title=f"事项{n}", due=TODAY + timedelta(days=days))
        if status is not ItemStatus.OPEN:
            async with db.transaction() as tx:
                await tx.items.set_status(item, status, NOW - timedelta(days=2 * n))
    async with db.read() as tx:
        days = await tx.summary.on_time_by_due_day(start)
        for until in (TODAY - timedelta(days=30), TODAY - timedelta(days=8), TODAY):
            rows = await tx.summary.on_time(start, until)
            summed = [(c, t) for due, finished, c, t in days if due < until or finished]
            assert (sum(c for c, _ in summed), sum(t for _, t in summed)) == (
                sum(r.counted for r in rows), sum(r.on_time for r in rows)), until


# --- the durable inbox -----------------------------------------------------------------


async def test_the_inbox_stores_once_and_hands_out_in_arrival_order(db):
    inbox = await db.inbox()
    await inbox.add_many([Inbound(30, "chat:1", {"update_id": 30, "文": "甲"}),
                          Inbound(10, "chat:2", {"update_id": 10})], NOW)
    await inbox.add_many([Inbound(30, "chat:1", {"update_id": 30}),
                          Inbound(20, "chat:1", {"update_id": 20})], NOW + timedelta(days=2))
    waiting = await inbox.waiting(0, 10)
    assert [u.update_id for u in waiting] == [30, 10, 20]
    assert waiting[0].payload == {"update_id": 30, "文": "甲"}
    assert await inbox.last_received() == 20
    await inbox.count_attempt(10)
    await inbox.mark_done([30])
    assert [(u.update_id, u.attempts) for u in await inbox.waiting(0, 10)] == [(10, 1), (20, 0)]
    assert [u.update_id for u in await inbox.waiting(waiting[1].seq, 10)] == [20]
    assert await inbox.old_waiting(NOW + timedelta(days=1)) == [10]
    assert await inbox.prune(NOW + timedelta(days=1), [10]) == 2
    assert [u.update_id for u in await inbox.waiting(0, 10)] == [20]


async def test_postgresql_upgrades_from_every_older_version(pg_cluster):
    numbers = [n for n, _name, _sql in migration_scripts()]
    for version in numbers[:-1]:
        url = pg_cluster.new_database()
        db = await Database.open(url)
        try:
            assert await db.migrate(upto=version) == [n for n in numbers if n <= version]
            assert await db.schema_version() == version
            assert await db.migrate() == [n for n in numbers if n > version]
            assert await db.schema_version() == LATEST
        finally:
            await db.close()  # (dropped with the cluster)


@contextlib.asynccontextmanager
async def both_engines(tmp_path: Path, pg_url: str) -> AsyncIterator[tuple[Any, Any]]:
    """A new database on each engine, migrated: (SQLite, PostgreSQL)."""
    sqlite_db = await Database.open(tmp_path / "schema.db")
    pg_db = await Database.open(pg_url)
    try:
        await sqlite_db.migrate()
        await pg_db.migrate()
        yield sqlite_db, pg_db
    finally:
        await sqlite_db.close()
        await pg_db.close()


async def test_both_engines_have_the_same_tables_and_columns(tmp_path, pg_url):
    """The PostgreSQL migrations say what the SQLite ones say (SQLite's implicit rowid is a
    column there, and the schema version a table)."""
    async with both_engines(tmp_path, pg_url) as (sqlite_db, pg_db):
        cur = await sqlite_db._conn.execute(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'")
        lite = {(t, c) for t, c in await cur.fetchall()}
        async with pg_db._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND column_name <> 'rowid' "
                "AND table_name <> 'dutybot_schema'")
            pg = {(t, c) for t, c in await cur.fetchall()}
        assert pg == lite



async def test_both_engines_have_the_same_indexes(tmp_path, pg_url):
    """Every index the SQLite migrations make, the PostgreSQL ones make too: its name, table,
    columns in order (an expression as "(expr)"), whether it is unique and whether partial —
    a query quick on one engine is not a scan on the other, and a rule one keeps the other
    keeps. (Keys are left out: each engine names its own. Unseen: a predicate's or an
    expression's text.)"""
    async with both_engines(tmp_path, pg_url) as (sqlite_db, pg_db):
        cur = await sqlite_db._conn.execute(
            "SELECT m.name, m.tbl_name, l.\"unique\", l.partial, (SELECT group_concat(c, ',') "
            "FROM (SELECT coalesce(i.name, '(expr)') AS c FROM pragma_index_info(m.name) i "
            "ORDER BY i.seqno)) FROM sqlite_master m "
            "JOIN pragma_index_list(m.tbl_name) l ON l.name = m.name "
            "WHERE m.type = 'index' AND m.sql IS NOT NULL")
        lite = {(n, t, bool(u), bool(p), c) for n, t, u, p, c in await cur.fetchall()}
        async with pg_db._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT i.relname, t.relname, x.indisunique, x.indpred IS NOT NULL, "
                "string_agg(coalesce(a.attname, '(expr)'), ',' ORDER BY k.n) "
                "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_class t ON t.oid = x.indrelid "
                "JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = current_schema() "
                "CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) "
                "LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
                "WHERE NOT x.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x')) "
                "GROUP BY i.relname, t.relname, x.indisunique, x.indpred IS NOT NULL")
            pg = {(n, t, bool(u), bool(p), c) for n, t, u, p, c in await cur.fetchall()}
        assert {n for n, *_ in pg} == {n for n, *_ in lite}
        assert pg == lite


# --- the reminder plan, obligations, policy, talks, 延期 ---------------------------------


async def test_the_reminder_plan_runs_once_a_day_and_counts_what_it_adds(db):
    org = await add_org(db)
    item_id = await add_item(db, org, due=TODAY + timedelta(days=1))
    due = TODAY + timedelta(days=1)
    rows = [(f"p:{org['wang']}", item_id, "T-1", due, None),
            (f"p:{org['wang']}", item_id, "T-3", due, None)]
    async with db.transaction() as tx:
        assert await tx.reminders.claim_day(TODAY, NOW) is True
        assert await tx.reminders.claim_day(TODAY, NOW) is False
        await tx.reminders.record_run(TODAY, 2)
        assert await tx.reminders.add_many(rows, TODAY) == 2
        assert await tx.reminders.add_many(rows[:1], TODAY) == 0  # planned before
        items, planned = await tx.reminders.candidates(TODAY + timedelta(days=3))
        assert [i.id for i in items] == [item_id]
        assert planned == {item_id: {"T-1", "T-3"}}
        await tx.reminders.mark_ended([(item_id, due)], ("T-1",))
        assert (await tx.reminders.candidates(TODAY + timedelta(days=3), ("T-1",)))[0] == []
        assert len((await tx.reminders.candidates(TODAY + timedelta(days=3), ("T+7",)))[0]) == 1
        unsent = await tx.reminders.unsent()
        assert [(u.stage, u.owner_id, u.item_due) for u in unsent] == [
            ("T-1", org["wang"], due), ("T-3", org["wang"], due)]
        outbox_id = await tx.outbox.add(dedup_key="digest", target=Target.telegram(5),
                                        person_id=org["wang"], kind="digest", day=TODAY,
                                        payload={}, now=NOW)
        await tx.reminders.attach([(u.id, outbox_id) for u in unsent])
        assert [r.stage for r in await tx.reminders.in_message(outbox_id)] == ["T-1", "T-3"]
        await tx.reminders.mark_sent(outbox_id, TODAY)
        await tx.reminders.mark_sent(outbox_id, TODAY)  # delivered twice: counted once
        assert await tx.reminders.acknowledge(f"p:{org['wang']}", item_id, NOW) == 2
        assert await tx.reminders.acknowledge(f"p:{org['wang']}", item_id, NOW) == 0
        assert await tx.reminders.acknowledge("p:999", item_id, NOW) is None
        await tx.reminders.detach_from([outbox_id])
        assert await tx.reminders.in_message(outbox_id) == []


async def test_triggers_policy_talks_and_extension_requests(db):
    from bot.domain.obligations import Trigger

    org = await add_org(db)
    item_id = await add_item(db, org)
    async with db.transaction() as tx:
        assert await tx.obligations.add_trigger(Trigger("民主生活会", TODAY), NOW) is True
        assert await tx.obligations.add_trigger(Trigger("民主生活会", TODAY), NOW) is False
        before = await tx.obligations.fingerprint()
        await tx.policy.put("send_time", "09:00", NOW)
        await tx.policy.put("send_time", "08:30", NOW)
        talk = await tx.talks.add(item_id=None, holder_id=org["chen"],
                                  counterpart_id=org["wang"], kind="廉政谈话", held_on=TODAY,
                                  note="", now=NOW)
        request = await tx.extensions.add(item_id=item_id, requester_id=org["wang"],
                                          old_due=TODAY, new_due=TODAY + timedelta(days=9),
                                          reason="材料未齐", prev_status=ItemStatus.OPEN,
                                          now=NOW)
    assert talk.id > 0 and request.id > 0
    async with db.read() as tx:
        assert await tx.obligations.triggers() == [Trigger("民主生活会", TODAY)]
        assert await tx.obligations.existing(["x"]) == set()
        assert len(before) == 5 and before[0] == 3
        assert await tx.policy.all() == {"send_time": "08:30"}
        assert [t.kind for t in await tx.talks.held(TODAY, TODAY, org["chen"])] == ["廉政谈话"]
        assert (await tx.extensions.pending_for(item_id)).reason == "材料未齐"
        assert [r.id for r in await tx.extensions.pending()] == [request.id]
    async with db.transaction() as tx:
        assert await tx.policy.clear() == 1


# --- office group robots ---------------------------------------------------------------


async def test_robot_channels_and_their_rate_windows(db):
    org = await add_org(db)
    hook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="
    async with db.transaction() as tx:
        unit = await tx.channels.add("财务科群", "wecom", hook + "b", None, None, org["fin"],
                                     True, NOW, confidential=True)
        body = await tx.channels.add("纪委工作群", "dingtalk", hook + "a", "SEC", "督办",
                                     None, False, NOW)
        first = await tx.channels.sent(unit.id, NOW)
        second = await tx.channels.sent(unit.id, NOW + timedelta(seconds=1))
        await tx.channels.resend_time(first, NOW + timedelta(seconds=2))
        await tx.channels.unsend(second)
        await tx.channels.pause(body.id, NOW + timedelta(minutes=1))
        await tx.channels.mark_broken("纪委工作群", "关键词不符", NOW)
        await tx.channels.mark_broken("纪委工作群", "签名不符", NOW + timedelta(hours=1))
    assert second > first
    async with db.read() as tx:
        assert [c.name for c in await tx.channels.all()] == ["纪委工作群", "财务科群"]
        assert (await tx.channels.primary_of(org["fin"])).id == unit.id
        assert (await tx.channels.by_webhook(hook + "b")).confidential is True
        stored = await tx.channels.by_name("纪委工作群")
        assert (stored.broken_since, stored.broken_reason) == (NOW, "签名不符")
        assert stored.resume_at == NOW + timedelta(minutes=1) and stored.secret == "SEC"
        assert await tx.channels.sends_since(unit.id, NOW) == [NOW + timedelta(seconds=2)]
    async with db.transaction() as tx:
        await tx.channels.prune_sends(NOW + timedelta(seconds=5))
        assert await tx.channels.remove("财务科群") is True
        assert await tx.channels.remove("财务科群") is False
    async with db.read() as tx:
        assert await tx.channels.sends_since(unit.id, NOW - timedelta(days=1)) == []
        assert await tx.channels.get(unit.id) is None


async def test_postgresql_connections_dropped_by_the_server_are_opened_again(pg_cluster,
                                                                               pg_migrated_url):
    """A server restart or an administrator ending sessions: the next write and the next
    read open new connections instead of failing for ever."""
    import psycopg

    db = await Database.open(pg_migrated_url)
    try:
        async with db.transaction() as tx:
            await tx.units.add("甲", UnitKind.DEPARTMENT, None, NOW)
        async with db.read() as tx:
            assert len(await tx.units.all()) == 1
        name = pg_migrated_url.split("/")[3].split("?")[0]
        with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        with pytest.raises(psycopg.OperationalError):  # the one in flight fails …
            async with db.transaction() as tx:
                await tx.units.add("乙", UnitKind.DEPARTMENT, None, NOW)
        async with db.transaction() as tx:  # … the next opens a new connection
            await tx.units.add("丙", UnitKind.DEPARTMENT, None, NOW)
        async with db.read() as tx:
            assert [u.name for u in (await tx.units.all()).values()] == ["甲", "丙"]
    finally:
        await db.close()
