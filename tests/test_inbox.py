"""The durable inbox in-process: stored before confirmed, handled once, answered once its
change committed; chats served at once, each in order; reads never wait for a write."""

from __future__ import annotations

import asyncio

import pytest

from bot.inbound.dispatcher import Dispatcher
from bot.inbound.handling import handle
from bot.inbound.lanes import lane_of
from bot.services import inbox as inbox_service
from messages.common import internal_error
from storage.inbox import Inbound
from storage.outbox import ANSWER_KIND, OutboxStatus


async def count(bot, sql: str, *args) -> int:
    async with bot.app.bot_data.services.db.read() as tx:
        cur = await tx.units._conn.execute(sql, args)  # a test's own question
        row = await cur.fetchone()
        await cur.close()
    return row[0]


async def units_named(bot, name: str) -> int:
    return await count(bot, "SELECT COUNT(*) FROM units WHERE name = ?", name)


def texts(api, chat_id: int) -> list[str]:
    return [m.plain for m in api.bot_messages(chat_id)]


def dispatcher(bot) -> Dispatcher:
    services = bot.app.bot_data.services
    return Dispatcher(services.inbox, lambda row: handle(bot.app, row))


async def test_an_update_stored_but_not_handled_is_handled_once_after_a_restart(
        bot, api, admin):
    """Killed after storing (and confirming) an update, before its change committed."""
    update = api.send_text(admin, "/newunit 某局党委")
    await bot.app.bot_data.services.inbox.store(
        [Inbound(update["update_id"], lane_of(update), update)])
    api.wait_for_updates(update["update_id"] + 1, 0)  # Telegram will not send it again
    assert await units_named(bot, "某局党委") == 0 and texts(api, admin.id) == []

    await dispatcher(bot).idle()  # the next start
    assert await units_named(bot, "某局党委") == 1
    assert texts(api, admin.id) == ["✅ 已新建单位“某局党委”（党委）。"]
    await dispatcher(bot).idle()  # and the one after: nothing again
    assert await units_named(bot, "某局党委") == 1 and len(texts(api, admin.id)) == 1
    assert await bot.app.bot_data.services.inbox.waiting_count() == 0


async def test_a_replayed_update_changes_nothing_and_is_not_answered_again(bot, api, admin):
    """Telegram hands an update out again when the confirming poll never came."""
    update = await bot.send(admin, "/newunit 某局党委")
    await bot.feed(update)
    assert await units_named(bot, "某局党委") == 1
    assert len(texts(api, admin.id)) == 1


async def test_a_change_that_committed_is_answered_after_a_restart(bot, api, admin,
                                                                     monkeypatch):
    """Killed after the commit, before the answer was sent: the answer waits in the
    outbox, held back from the outbox's own sender, and goes out once at the next start."""
    sender = bot.app.bot_data.sender

    async def killed(_ids: list[int]) -> None:
        return None

    monkeypatch.setattr(sender, "send_now", killed)
    await bot.send(admin, "/newunit 某局党委")
    assert await units_named(bot, "某局党委") == 1 and texts(api, admin.id) == []
    assert await sender.drain() == 0  # held for its handler: not sent twice meanwhile
    monkeypatch.undo()

    assert await bot.app.bot_data.services.delivery.release_answers() == 1  # the next start
    assert await sender.drain() == 1
    assert texts(api, admin.id) == ["✅ 已新建单位“某局党委”（党委）。"]
    assert await sender.drain() == 0 and len(texts(api, admin.id)) == 1


async def test_answers_go_out_in_quiet_hours(bot, api, admin, monkeypatch):
    """Quiet hours hold reminders back, never the answer to somebody who just asked."""
    monkeypatch.setattr(bot.app.bot_data.sender, "send_now", lambda ids: asyncio.sleep(0))
    await bot.send(admin, "/newunit 某局党委")
    monkeypatch.undo()

    async def quiet() -> bool:
        return True

    monkeypatch.setattr(bot.app.bot_data.services.delivery, "quiet", quiet)
    await bot.app.bot_data.services.delivery.release_answers()
    assert await bot.sender.drain() == 1
    assert texts(api, admin.id) == ["✅ 已新建单位“某局党委”（党委）。"]


async def test_an_unexpected_error_undoes_the_change_and_says_so(bot, api, admin,
                                                                 monkeypatch):
    """The unit was written; rendering the answer failed: nothing of it stays."""
    import handlers.people as people_handlers

    def broken(*_args, **_kwargs) -> str:
        raise RuntimeError("a bug in a text")

    monkeypatch.setattr(people_handlers, "unit_created", broken)
    await bot.send(admin, "/newunit 某局党委")
    assert await units_named(bot, "某局党委") == 0
    assert await count(bot, "SELECT COUNT(*) FROM events") == 0
    assert texts(api, admin.id) == [internal_error()]
    monkeypatch.undo()
    await bot.send(admin, "/newunit 某局党委")  # the next try works
    assert await units_named(bot, "某局党委") == 1


async def test_a_refusal_undoes_only_its_own_part(bot, api, admin):
    """A refusal inside an update is a savepoint rolled back, not the whole update."""
    await bot.send(admin, "/newunit 某局党委")
    await bot.send(admin, "/newunit 某局党委")  # exists: refused, the first stands
    assert await units_named(bot, "某局党委") == 1
    assert len(texts(api, admin.id)) == 2


async def test_answers_are_recorded_with_the_update(bot, api, admin):
    """One outbox message per update, its calls in order, sent part by part."""
    update = await bot.send(admin, "/newunit 某局党委")
    async with bot.app.bot_data.services.db.read() as tx:
        sent = await tx.outbox.by_status(OutboxStatus.SENT)
    answers = [m for m in sent if m.kind == ANSWER_KIND]
    assert len(answers) == 1 and answers[0].dedup_key.startswith(
        f"answer:{update['update_id']}:")
    assert [c["method"] for c in answers[0].payload["calls"]] == ["sendMessage"]
    assert answers[0].parts_sent == 1


async def test_a_command_that_changes_nothing_is_answered_before_it_is_marked(bot, api,
                                                                              admin):
    """No answer of it is queued: it went out at once, before the update was marked done
    (killed in between, it is answered once more after the restart)."""
    await bot.send(admin, "/help")
    async with bot.app.bot_data.services.db.read() as tx:
        queued = [m for s in OutboxStatus for m in await tx.outbox.by_status(s)]
    assert queued == [] and len(texts(api, admin.id)) == 1
    assert await bot.app.bot_data.services.inbox.waiting_count() == 0


# -- lanes and the dispatcher ----------------------------------------------------------------


def test_lanes_keep_one_chat_together():
    private = {"update_id": 1, "message": {"chat": {"id": 5}, "from": {"id": 5}}}
    press = {"update_id": 2, "callback_query": {"from": {"id": 5}, "message": {
        "chat": {"id": -100}}}}
    member = {"update_id": 3, "my_chat_member": {"chat": {"id": -100}, "from": {"id": 9}}}
    inline = {"update_id": 4, "inline_query": {"from": {"id": 7}}}
    odd = {"update_id": 5, "poll": {"id": "x"}}
    assert [lane_of(u) for u in (private, press, member, inline, odd)] == [
        "c5", "c-100", "c-100", "u7", "-"]
    assert lane_of({"update_id": 6, "message": {"chat": {"id": "5"}}}) == "-"  # not a chat id


class FakeInbox:
    """The inbox service's surface the dispatcher uses, in memory."""

    def __init__(self, rows: list[Inbound]) -> None:
        self.rows = rows
        self.failures: list[int] = []

    async def waiting(self, after_seq: int = 0, limit: int = 200) -> list[Inbound]:
        return [r for r in self.rows if r.seq > after_seq][:limit]

    async def failed(self, row: Inbound, error: BaseException) -> bool:
        self.failures.append(row.update_id)
        return row.attempts + 1 < inbox_service.MAX_ATTEMPTS


def rows(*lanes: str) -> list[Inbound]:
    return [Inbound(n, lane, {}, seq=n) for n, lane in enumerate(lanes, start=1)]


async def test_a_slow_chat_holds_up_only_itself():
    release = asyncio.Event()
    order: list[int] = []

    async def handle_row(row: Inbound) -> None:
        if row.update_id == 1:  # chat A's workbook, being read
            await release.wait()
        order.append(row.update_id)

    inbox = FakeInbox(rows("cA", "cA", "cB", "cB"))
    work = Dispatcher(inbox, handle_row)
    await work.fetch()
    for _ in range(20):
        await asyncio.sleep(0)
    assert order == [3, 4]  # chat B served meanwhile; A's second waits for its first
    release.set()
    await work.idle()
    assert order == [3, 4, 1, 2]


async def test_an_update_stored_while_the_inbox_is_read_is_handled_at_once():
    """The poller wakes the dispatcher after each stored batch; a wake that comes while the
    dispatcher is still reading the inbox (and found nothing yet) must not be lost: the
    update is handled at once, not after IDLE_SECONDS (a second a person would wait)."""
    handled = asyncio.Event()

    async def handle_row(row: Inbound) -> None:
        handled.set()

    inbox = FakeInbox([])
    work = Dispatcher(inbox, handle_row)
    read = inbox.waiting

    async def waiting(after_seq: int = 0, limit: int = 200) -> list[Inbound]:
        found = await read(after_seq, limit)
        if not found and not inbox.rows:  # stored (and the dispatcher woken) meanwhile
            inbox.rows.append(Inbound(1, "cA", {}, seq=1))
            work.wake()
        return found

    inbox.waiting = waiting  # type: ignore[method-assign]
    work.start()
    try:
        await asyncio.wait_for(handled.wait(), 0.5)
    finally:
        await work.stop(grace=1)


async def test_a_failing_update_is_tried_again_in_its_place_then_given_up(monkeypatch):
    monkeypatch.setattr("bot.inbound.dispatcher.RETRY_SECONDS", 0)
    order: list[int] = []

    async def handle_row(row: Inbound) -> None:
        if row.update_id == 1 and row.attempts < 2:
            raise RuntimeError("database is locked")
        if row.update_id == 3:
            raise RuntimeError("always")
        order.append(row.update_id)

    inbox = FakeInbox(rows("cA", "cA", "cB"))
    await Dispatcher(inbox, handle_row).idle()
    assert order == [1, 2]  # 2 waited for 1's retries
    assert inbox.failures.count(1) == 2
    assert inbox.failures.count(3) == inbox_service.MAX_ATTEMPTS


async def test_at_most_so_many_updates_at_once():
    running = 0
    peak = 0

    async def handle_row(row: Inbound) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    inbox = FakeInbox(rows(*(f"c{n}" for n in range(12))))
    await Dispatcher(inbox, handle_row, max_at_once=3).idle()
    assert peak == 3


# -- reads never queue behind a write --------------------------------------------------------


async def test_a_read_does_not_wait_for_a_write_in_progress(bot, admin):
    db = bot.app.bot_data.services.db
    await bot.send(admin, "/newunit 某局党委")
    writing = asyncio.Event()
    finish = asyncio.Event()

    async def slow_update() -> None:
        async with db.one_update() as scope:
            async with db.transaction() as tx:
                await tx.units._conn.execute("UPDATE units SET name = '改名' WHERE id = 1")
            writing.set()
            await finish.wait()  # the write lock is held meanwhile
            await scope.rollback()

    task = asyncio.create_task(slow_update())
    await writing.wait()
    # another user's read: not queued behind the write, and it sees only what committed
    assert await asyncio.wait_for(units_named(bot, "某局党委"), 1) == 1
    finish.set()
    await task
    assert await units_named(bot, "某局党委") == 1


async def test_inside_an_update_reads_see_its_own_writes(bot, admin):
    db = bot.app.bot_data.services.db
    await bot.send(admin, "/newunit 某局党委")
    async with db.one_update() as scope:
        async with db.transaction() as tx:
            await tx.units._conn.execute("UPDATE units SET name = '改名' WHERE id = 1")
        assert await units_named(bot, "改名") == 1
        await scope.commit()
    assert await units_named(bot, "改名") == 1


@pytest.mark.parametrize("commit", [True, False])
async def test_an_update_left_unfinished_is_rolled_back(bot, admin, commit):
    db = bot.app.bot_data.services.db
    await bot.send(admin, "/newunit 某局党委")
    with pytest.raises(asyncio.CancelledError):
        async with db.one_update() as scope:
            async with db.transaction() as tx:
                await tx.units._conn.execute("UPDATE units SET name = '改名' WHERE id = 1")
            if commit:
                await scope.commit()
            raise asyncio.CancelledError  # a stop in the middle
    assert await units_named(bot, "改名" if commit else "某局党委") == 1
    async with db.transaction():  # and the write lock is free again
        pass
