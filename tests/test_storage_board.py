"""The 看板's repository (storage/board.py, migration 0015) on both engines, SQLite and a
real PostgreSQL (the storage contract's fixtures: tests/test_storage_contract.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.model import ItemStatus
from bot.domain.summary import Timing
from tests.test_storage_contract import NOW, TODAY, add_item, add_org, db, target  # noqa: F401


async def test_links_are_used_once_and_sessions_found_by_hash(db):  # noqa: F811
    org = await add_org(db)
    later = NOW + timedelta(minutes=10)
    async with db.transaction() as tx:
        link_id = await tx.board.add_link("h1", org["li"], "chat", NOW, later)
    async with db.read() as tx:
        link = await tx.board.link("h1")
        assert (link.id, link.person_id, link.via, link.used_at) == (link_id, org["li"],
                                                                     "chat", None)
        assert link.expires_at == later and await tx.board.link("nope") is None
    async with db.transaction() as tx:
        assert await tx.board.use_link(link_id, NOW)
        assert not await tx.board.use_link(link_id, NOW)  # once
        session_id = await tx.board.add_session("s1", org["li"], link_id, NOW,
                                                NOW + timedelta(hours=8))
    async with db.read() as tx:
        assert (await tx.board.link("h1")).used_at == NOW
        session = await tx.board.session("s1")
        assert (session.id, session.person_id, session.link_id) == (session_id, org["li"],
                                                                    link_id)
        assert await tx.board.session("s2") is None
    async with db.transaction() as tx:
        assert await tx.board.end_session("s1", NOW + timedelta(hours=1))
        assert not await tx.board.end_session("s1", NOW + timedelta(hours=1))
    async with db.read() as tx:
        assert (await tx.board.session("s1")).expires_at == NOW + timedelta(hours=1)


async def test_the_figures_in_a_scope(db):  # noqa: F811
    org = await add_org(db)
    late = await add_item(db, org, "逾期的", TODAY - timedelta(days=3))
    soon = await add_item(db, org, "临期的", TODAY + timedelta(days=2))
    done = await add_item(db, org, "按时完成的", TODAY - timedelta(days=1))
    async with db.transaction() as tx:
        await tx.items.set_status(done, ItemStatus.DONE, NOW - timedelta(days=2))
    everything = None
    only_li = (frozenset({org["fin"]}), org["li"])  # 财务科: none of 王芳's 项目科 items
    async with db.read() as tx:
        census = await tx.board.census(TODAY, everything, None)
        assert {(c.timing, c.count) for c in census} >= {(Timing.OVERDUE, 1), (Timing.SOON, 1)}
        assert await tx.board.census(TODAY, *only_li) == []
        assert await tx.board.census(TODAY, frozenset(), org["wang"])  # one's own items
        on_time = await tx.board.on_time(TODAY.replace(month=1, day=1), TODAY, everything, None)
        assert sum(r.counted for r in on_time) == 2 and sum(r.on_time for r in on_time) == 1
        assert await tx.board.on_time(TODAY.replace(month=1, day=1), TODAY, *only_li) == []
        days = await tx.board.due_days(TODAY - timedelta(days=30), TODAY, everything, None)
        assert [(d.counted, d.on_time) for d in days] == [(1, 0), (1, 1)]
        lines, count = await tx.board.soon_lines(TODAY, 10, everything, None)
        assert count == 1 and [x.title for x in lines] == ["临期的"]
        assert await tx.board.soon_lines(TODAY, 10, *only_li) == ([], 0)
        talks = await tx.board.talks(TODAY.replace(month=1, day=1), TODAY.replace(
            month=12, day=31), everything, None)
        assert talks.required == 0 and talks.adhoc == 0
    assert late and soon
