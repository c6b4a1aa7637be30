"""The 人员交接 repository (storage/handover.py) on both engines, SQLite and a real
PostgreSQL (tests/postgres_cluster.py; skipped loudly without it): every method, as the
storage contract asks (issue 23 §2)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.domain.model import Duty, ItemStatus, ListKind
from bot.domain.target import Target
from storage.db import Database
from storage.outbox import ANSWER_KIND, OutboxStatus
from tests.test_storage_contract import NOW, TODAY, add_org


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path) -> AsyncIterator[Database]:
    target = str(tmp_path / "handover.db") if request.param == "sqlite" else \
        request.getfixturevalue("pg_migrated_url")
    database = await Database.open(target)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


async def test_every_read_and_move_of_a_handover(db):
    org = await add_org(db)
    li, chen, wang = org["li"], org["chen"], org["wang"]
    due = TODAY + timedelta(days=5)

    async def item(owner: int, **more):
        return await tx.items.add(kind=more.pop("kind", ListKind.RESPONSIBILITY),
                                  title="事项", duty=Duty.DUAL, owner_id=owner,
                                  unit_id=org["top"], parent_id=None, source=None,
                                  due_date=due, now=NOW, **more)

    async with db.transaction() as tx:
        mine = await item(li)
        done = await item(li, status=ItemStatus.DONE)
        duty = await item(li, kind=ListKind.OBLIGATION, rule_key="r", period="2026")
        await item(chen, kind=ListKind.OBLIGATION, rule_key="r", period="2026")  # chen has it
        talk = await item(chen, kind=ListKind.OBLIGATION, counterpart_id=li)
        child = await item(wang)
        await tx.delegations.add(mine.id, child.id, li, NOW)
        request = await tx.extensions.add(item_id=mine.id, requester_id=li, old_due=due,
                                          new_due=due + timedelta(days=9), reason="理由",
                                          prev_status=ItemStatus.OPEN, now=NOW)
        letter = await tx.letters.add(li, TODAY.year, TODAY, NOW)
        await tx.reminders.add_many([(f"p:{li}", mine.id, "T-7", due, None),
                                     (f"p:{li}", duty.id, "T-7", due, None),
                                     (f"p:{chen}", duty.id, "T-7", due, None)], TODAY)
        for key, kind in (("digest:x", "digest"), ("answer:x", ANSWER_KIND)):
            await tx.outbox.add(dedup_key=key, target=Target.telegram(11), person_id=li,
                                kind=kind, day=TODAY, payload={}, now=NOW)
        await tx.persons.bind(li, 11)
        await tx.invites.add("code-li", li, NOW, NOW + timedelta(days=7))

    async with db.read() as tx:
        h = tx.handover
        assert [i.id for i in await h.owned(li)] == [mine.id, duty.id]  # not the done one
        assert done.id not in {i.id for i in await h.owned(li)}
        assert [i.id for i in await h.attending(li)] == [talk.id]
        assert await h.already_held(li, chen) == {duty.id}
        assert await h.already_held(li, wang) == set()
        assert await h.pending_requests(li) == [(request.id, mine.id)]
        children, delegated = await h.handed_down([mine.id, child.id])
        assert [c.id for c in children] == [child.id] and delegated == {child.id}
        assert await h.handed_down([]) == ([], set())
        state = await h.letter(li, wang, TODAY)
        assert state.id == letter.id and not state.signed and not state.successor_has_one
        assert await h.letter(wang, li, TODAY) is None
        assert await h.cases_concerning(li) == 0
        assert await h.former() == set()

    async with db.transaction() as tx:
        h = tx.handover
        await h.move_items([mine.id], wang, NOW)
        await h.move_counterpart([talk.id], wang, NOW)
        await h.retitle([(talk.id, "廉政谈话：王芳")], NOW)
        await h.move_requests([request.id], wang)
        await h.move_letter(letter.id, wang)
        assert await h.readdress_reminders(li, chen) == 1  # chen had duty's T-7 already
        superseded = await h.supersede_queued(li)
        await h.end_binding(li, NOW)

    async with db.read() as tx:
        assert (await tx.items.get(mine.id)).owner_id == wang
        assert (await tx.items.get(talk.id)).counterpart_id == wang
        assert (await tx.items.get(talk.id)).title == "廉政谈话：王芳"
        assert (await tx.extensions.get(request.id)).requester_id == wang
        assert (await tx.letters.get(letter.id)).person_id == wang
        assert {r.recipient for r in await tx.reminders.unsent()} == {f"p:{chen}", f"p:{li}"}
        assert [m.dedup_key for m in await tx.outbox.by_status(OutboxStatus.SUPERSEDED)] == [
            "digest:x"] and len(superseded) == 1
        assert [m.dedup_key for m in await tx.outbox.by_status(OutboxStatus.PENDING)] == [
            "answer:x"]
        assert await tx.persons.by_telegram_id(11) is None
        assert li not in await tx.persons.all() and li in await tx.persons.directory()
        assert (await tx.persons.get(li)).roles == frozenset()
        assert (await tx.invites.get("code-li")).revoked_at is not None
        assert await tx.handover.former() == {li}
