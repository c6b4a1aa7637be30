"""The durable inbox where it is hard (bot/inbound, storage/db.py one_update, the answers):
update ids that come round again, failures around BEGIN and COMMIT, errors in the guard,
a group that became a supergroup, answers that fail half-way, a stop mid-update, the
poller facing an error page or a webhook. Each was a bug found in review."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading

import pytest

from bot.inbound.dispatcher import Dispatcher
from bot.inbound.handling import handle
from bot.inbound.lanes import lane_of
from bot.services import inbox as inbox_service
from messages.common import internal_error
from storage import inbox as inbox_store
from storage.db import Database
from storage.inbox import Inbound


async def units_named(bot, name: str) -> int:
    async with bot.app.bot_data.services.db.read() as tx:
        cur = await tx.units._conn.execute("SELECT COUNT(*) FROM units WHERE name = ?", (name,))
        row = await cur.fetchone()
        await cur.close()
    return row[0]


def texts(api, chat_id: int) -> list[str]:
    return [m.plain for m in api.bot_messages(chat_id)]


class FakeInbox:
    def __init__(self, rows: list[Inbound]) -> None:
        self.rows = rows

    async def waiting(self, after_seq: int = 0, limit: int = 200) -> list[Inbound]:
        return [r for r in self.rows if r.seq > after_seq][:limit]

    async def failed(self, row: Inbound, error: BaseException) -> bool:
        return row.attempts + 1 < inbox_service.MAX_ATTEMPTS


# -- update ids are not always increasing -----------------------------------------------------


async def test_an_update_with_a_lower_id_is_handled_by_the_running_bot(bot, api, admin):
    """Telegram: "If there are no new updates for at least a week, then identifier of the
    next update will be chosen randomly instead of sequentially." The running dispatcher
    only ever asks the inbox for ids above the highest it has seen (`_seen`), so after a
    quiet week every new update whose random id is lower waits until the next restart
    (and is pruned from the inbox two days later, unhandled)."""
    services = bot.app.bot_data.services
    work = Dispatcher(services.inbox, lambda row: handle(bot.app, row))

    before = api.send_text(admin, "/newunit 某局党委")
    await services.inbox.store([Inbound(before["update_id"], lane_of(before), before)])
    await work.idle()
    assert await units_named(bot, "某局党委") == 1

    api._next_update = 17  # a week of silence: the next id is random, here lower
    after = api.send_text(admin, "/newunit 财务科 某局党委")
    await services.inbox.store([Inbound(after["update_id"], lane_of(after), after)])
    await work.idle()  # the same running dispatcher, woken by the poller
    assert await units_named(bot, "财务科") == 1


# -- stopping ---------------------------------------------------------------------------------


async def test_an_update_finished_during_stop_ends_its_lane_cleanly():
    """`stop()` clears the lanes while a worker is inside `_handle`; when that update is
    done the worker does `queue.popleft()` on the emptied deque: IndexError in every lane
    that had an update in hand at SIGTERM (a 'Task exception was never retrieved')."""
    release = asyncio.Event()
    started = asyncio.Event()

    async def handle_row(row: Inbound) -> None:
        started.set()
        await release.wait()

    work = Dispatcher(FakeInbox([Inbound(1, "cA", {}, seq=1)]), handle_row)
    await work.fetch()
    await started.wait()
    worker = work._workers["cA"]
    stopping = asyncio.create_task(work.stop(grace=5))
    await asyncio.sleep(0)
    release.set()
    await stopping
    assert worker.done()
    assert worker.exception() is None


# -- an error in the guard --------------------------------------------------------------------


async def test_an_error_in_the_guard_does_not_let_the_handler_answer_a_rolled_back_change(
        bot, api, admin, monkeypatch):
    """on_error does not stop further handler groups: an error in group -1 (the guard,
    e.g. its replay check failing to read) goes to the error handler, which discards the
    answers; then PTB runs group 0 anyway. The handler writes and answers "✅", the scope is
    rolled back (answers.failed), and the "✅" is sent with the apology: the user is told the
    unit was created, and it was not (and the replay check was skipped)."""
    people = bot.app.bot_data.services.people

    async def broken(_update_id: int, _user_id: int | None) -> tuple[bool, None]:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(people, "arrival", broken)  # the guard's read: replayed? who sent it?
    await bot.send(admin, "/newunit 某局党委")
    assert await units_named(bot, "某局党委") == 0  # undone, as an error should
    assert texts(api, admin.id) == [internal_error()]  # and not also "✅ 已新建单位…"


# -- the write lock and cancellation ----------------------------------------------------------


async def test_a_cancel_while_waiting_to_begin_leaves_no_transaction_open(services, tmp_path):
    """`_savepoint` awaits BEGIN IMMEDIATE on aiosqlite's thread; cancelled meanwhile (the
    stop's grace ran out while another process - `dutybot import`, a backup - held the
    database's write lock), the BEGIN still runs on the thread, but the except clause only
    releases the asyncio lock: the connection stays inside a transaction nobody owns, and
    every later write fails ('cannot start a transaction within a transaction'). The same
    holds for `transaction()` outside an update."""
    db = services.db
    other = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writes

    async def an_update() -> None:
        async with db.one_update() as scope:
            async with db.transaction() as tx:
                await tx.units._conn.execute("SELECT 1")
            await scope.commit()

    task = asyncio.create_task(an_update())
    await asyncio.sleep(0.3)  # waiting in BEGIN IMMEDIATE (busy_timeout)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    other.execute("COMMIT")  # the other writer is done; the BEGIN goes through
    other.close()
    await asyncio.sleep(0.3)
    await db.schema_version()  # whatever was queued on the connection has run
    assert not db._conn.in_transaction
    async with db.transaction():
        pass


async def test_a_failed_commit_does_not_leave_the_transaction_open(services):
    """`UpdateScope.commit()` releases the lock and forgets the transaction in `finally`
    even when COMMIT failed; SQLite keeps a transaction open after a failed COMMIT (here a
    deferred foreign key; in production SQLITE_FULL/IOERR/BUSY), so `one_update()`'s
    rollback does nothing and every later BEGIN fails: the bot can never write again."""
    db = services.db
    with pytest.raises(sqlite3.IntegrityError):
        async with db.one_update() as scope:
            async with db.transaction() as tx:
                await tx.units._conn.execute("PRAGMA defer_foreign_keys = ON")
                await tx.units._conn.execute(
                    "INSERT INTO units (name, kind, parent_id, created_at) "
                    "VALUES ('x', 'committee', 999, '2026-01-01')")
            await scope.commit()
    assert not db._conn.in_transaction
    async with db.transaction():
        pass


# -- answers in the outbox ---------------------------------------------------------------------


async def queue_answers(services, update_id: int, calls: list[dict]) -> int | None:
    """What handling does for an update that wrote: its answers queued with the done mark,
    committed, then sent by `send_now`."""
    db = services.db
    async with db.one_update() as scope:
        queued = await services.inbox.finish(update_id, calls)
        await scope.commit()
    return queued


async def test_an_answer_to_a_group_that_became_a_supergroup_reaches_the_new_chat(
        bot, api, clock):
    """`chat_moved` moves the outbox row's chat_id column, but an answer is sent from its
    payload (`_call(msg.payload)` uses payload['chat_id']), which still names the old chat:
    every later try gets ChatMigrated again, forever (no attempt is counted), and the answer
    never arrives."""
    from datetime import timedelta

    from bot.fake_telegram.api import ApiError

    old, new = -500, -1005000
    api.group(old, "单位群")
    api.group(new, "单位群")
    check_chat = api._check_chat

    def upgraded(params):
        if int(params["chat_id"]) == old:  # Telegram refuses the old id from now on
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": new})
        return check_chat(params)

    api._check_chat = upgraded
    services = bot.app.bot_data.services
    ids = await queue_answers(services, 7001,
                              [{"method": "sendMessage", "chat_id": old, "text": "已收到"}])
    await bot.sender.send_now(ids)
    for _ in range(3):  # the outbox's own sender, after the hold
        clock.advance(timedelta(minutes=11))
        await bot.sender.drain()
    assert texts(api, new) == ["已收到"]


@pytest.mark.parametrize("failure", [
    (0, "connection reset", None),  # a network error: tried again in 30 s
    (429, "Too Many Requests: retry after 5", {"retry_after": 5}),
])
async def test_the_answers_of_one_update_arrive_in_order(bot, api, admin, clock, failure):
    """`send_now` goes on with the next answer after one failed: the first part of a long
    reply (or the edit before its follow-up) is rescheduled in the outbox while the second is
    sent at once, so the chat reads part 2 before part 1 (after a 429 it also ignores
    Telegram's "wait", as `drain` does not)."""
    from datetime import timedelta

    api.started.add(admin.id)
    services = bot.app.bot_data.services
    ids = await queue_answers(services, 7002, [
        {"method": "sendMessage", "chat_id": admin.id, "text": "第一部分"},
        {"method": "sendMessage", "chat_id": admin.id, "text": "第二部分"},
    ])
    api.fail_next("sendMessage", *failure)
    await bot.sender.send_now(ids)
    clock.advance(timedelta(minutes=1))
    bot.sender.paused_until = 0.0  # Telegram's "wait" is over
    await bot.sender.drain()
    assert texts(api, admin.id) == ["第一部分", "第二部分"]


# -- failures after the commit ------------------------------------------------------------------


async def test_a_failure_after_the_commit_does_not_hold_the_answer_back_ten_minutes(
        bot, api, admin, monkeypatch):
    """The change committed, then something after the commit raised (the inbox file's done
    mark, or `held()`'s read): the dispatcher retries the update, the guard stops the
    replay, and `send_now` of the retry has nothing to send, so the answer of the first
    attempt stays held for ANSWER_HOLD (10 min) although the bot is running fine."""
    monkeypatch.setattr("bot.inbound.dispatcher.RETRY_SECONDS", 0)
    services = bot.app.bot_data.services
    done = services.inbox.done
    failures = [sqlite3.OperationalError("disk I/O error")]

    async def flaky_done(update_id: int) -> None:
        if failures:
            raise failures.pop()
        await done(update_id)

    monkeypatch.setattr(services.inbox, "done", flaky_done)
    update = api.send_text(admin, "/newunit 某局党委")
    await services.inbox.store([Inbound(update["update_id"], lane_of(update), update)])
    await Dispatcher(services.inbox, lambda row: handle(bot.app, row)).idle()
    assert await units_named(bot, "某局党委") == 1
    assert texts(api, admin.id) == ["✅ 已新建单位“某局党委”（党委）。"]


# -- the inbox keeps what was not handled -------------------------------------------------------


async def test_the_inbox_prune_keeps_updates_not_handled_yet(bot, api, admin, clock):
    """`prune()` deletes every row received over two days ago, handled or not (`done` is not
    looked at). An update confirmed to Telegram and not handled yet - the bot killed just
    after storing it and started again three days later: the tick's prune runs a second
    after the start, before or while the lanes work - is gone for good."""
    from datetime import timedelta

    services = bot.app.bot_data.services
    update = api.send_text(admin, "/newunit 某局党委")
    await services.inbox.store([Inbound(update["update_id"], lane_of(update), update)])
    later = api.send_text(admin, "/newunit 财务科 某局党委")
    await services.inbox.store([Inbound(later["update_id"], lane_of(later), later)])
    clock.advance(timedelta(days=3))
    await services.inbox.prune()
    waiting = [r.update_id for r in await services.inbox.waiting()]
    assert waiting == [update["update_id"], later["update_id"]]


# -- the poller ---------------------------------------------------------------------------------


async def run_poller_until(bot, predicate, seconds: float = 3.0) -> bool:
    from bot.inbound.poller import Poller

    services = bot.app.bot_data.services
    poller = Poller(bot.app.bot, services.inbox, lambda: None, timeout=0)
    poller.start()
    try:
        for _ in range(int(seconds / 0.05)):
            await asyncio.sleep(0.05)
            if await predicate():
                return True
        return False
    finally:
        died = poller._task.done() and not poller._task.cancelled()
        with contextlib.suppress(Exception):
            await poller.stop()
        assert not died, "the poller task died"


def yielding(monkeypatch, bot, answer=None):
    """The fake Bot API answers without ever suspending; a real request does (and the
    poller's loop relies on that). `answer(url)` may replace a response."""
    request = bot.app.bot._request[0]
    original = request.do_request

    async def do_request(url, method, request_data=None, **kwargs):
        await asyncio.sleep(0.01)
        replaced = answer(url) if answer else None
        if replaced is not None:
            return replaced
        return await original(url, method, request_data, **kwargs)

    monkeypatch.setattr(request, "do_request", do_request)


async def test_the_poller_survives_a_response_that_is_not_json(bot, api, admin, monkeypatch):
    """A proxy's HTML page with status 200 makes PTB raise TelegramError('Invalid server
    response'), which `Poller._run` does not catch (only RetryAfter, InvalidToken, Conflict,
    NetworkError, TimedOut): the poller task dies, nobody awaits it, and the bot keeps
    running without ever receiving an update again. (So does a 403 Forbidden.)"""
    bad = [(200, b"<html><body>502 Bad Gateway</body></html>")]
    yielding(monkeypatch, bot,
             lambda url: bad.pop() if url.endswith("/getUpdates") and bad else None)
    update = api.send_text(admin, "/newunit 某局党委")
    services = bot.app.bot_data.services

    async def stored() -> bool:
        return [r.update_id for r in await services.inbox.waiting()] == [update["update_id"]]

    assert await run_poller_until(bot, stored)


async def test_the_poller_takes_over_from_a_webhook(bot, api, admin, monkeypatch):
    """PTB's updater (used before this change) calls deleteWebhook before polling. The new
    poller never does: a bot that had a webhook set (an earlier deployment, a test) gets
    409 Conflict from every getUpdates, which the poller treats as passing, and receives
    nothing, ever. (The fake answers 409 while a webhook is set, as Telegram does.)"""
    monkeypatch.setattr("bot.inbound.poller.MAX_BACKOFF", 0.05)
    assert api.handle("setWebhook", {"url": "https://bot.example.org/tg"})[0] == 200
    yielding(monkeypatch, bot)
    update = api.send_text(admin, "/newunit 某局党委")
    services = bot.app.bot_data.services

    async def stored() -> bool:
        return [r.update_id for r in await services.inbox.waiting()] == [update["update_id"]]

    assert await run_poller_until(bot, stored, seconds=2.0)


# -- update ids are reused ----------------------------------------------------------------------


async def test_an_update_whose_id_was_used_before_is_answered(bot, api, admin, clock):
    """Update ids are not unique over time (random after a quiet week, another id space
    after moving to a local Bot API server). `processed_updates` forgets after 7 days and the
    inbox after 2, but an answer's outbox key `answer:<update_id>:<n>` stays forever: a new
    update that happens to reuse an old id is handled, its change made, and its answer
    silently dropped by INSERT OR IGNORE."""
    from datetime import timedelta

    first = await bot.send(admin, "/newunit 某局党委")
    await bot.send(admin, "/newunit 财务科 某局党委")
    clock.advance(timedelta(days=8))
    await bot.tick()  # a new day: processed updates and the inbox pruned
    api._next_update = first["update_id"]  # the next random id is one used before
    await bot.send(admin, "/newunit 项目科 某局党委")
    assert await units_named(bot, "项目科") == 1
    assert "项目科" in texts(api, admin.id)[-1]


# -- a task that outlives its update ------------------------------------------------------------


async def test_a_task_started_in_an_update_cannot_write_in_its_name_after_it(services):
    """A task created inside a handler inherits the update's scope; once the update is
    done with, its write is refused rather than opening a transaction nobody commits
    (which would hold the write lock for ever)."""
    db = services.db
    async with db.one_update() as scope:
        async def later() -> None:
            await asyncio.sleep(0.05)
            async with db.transaction():
                pass

        task = asyncio.create_task(later())
        await scope.commit()
    with pytest.raises(RuntimeError):
        await task
    async with db.transaction():  # the write lock is free
        pass


# -- opening the inbox at start-up --------------------------------------------------------------


def _worker_threads() -> set[threading.Thread]:
    """aiosqlite's connection threads (not daemons: one left running, the process never
    exits)."""
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


def _assert_no_thread_outlives(before: set[threading.Thread]) -> None:
    for thread in _worker_threads() - before:
        thread.join(timeout=5)
        assert not thread.is_alive(), f"{thread.name} is still running: the process would hang"


async def test_the_inbox_is_opened_once_when_everyone_asks_at_start_up(tmp_path):
    """`dutybot run` starts the dispatcher, the poller and the clockwork's tick together,
    and each asks `db.inbox()` for the not yet opened inbox at the same moment. Each opened
    a connection of its own, and all switched the new file to WAL at once: now and then one
    got "database is locked" (which no busy timeout waits out), the poller logged
    'getUpdates failed (database is locked)', and that half-opened connection's thread kept
    the process alive after SIGTERM (`Application.stop() complete`, then no exit)."""
    before = _worker_threads()
    for attempt in range(10):  # a fresh inbox file each time: the race is in its creation
        db = await Database.open(tmp_path / f"bot{attempt}.db")
        try:
            boxes = await asyncio.gather(db.inbox(), db.inbox(), db.inbox())
            assert all(box is boxes[0] for box in boxes)
        finally:
            await db.close()
    _assert_no_thread_outlives(before)


async def test_a_connection_that_fails_to_open_leaves_no_thread_behind(tmp_path, monkeypatch):
    """A statement that fails while a connection is set up (here the inbox's schema) closes
    that connection: its thread would otherwise run for ever, and hold the process."""
    monkeypatch.setattr(inbox_store, "_SCHEMA", "CREATE TABLE inbox (")  # fails to run
    before = _worker_threads()
    db = await Database.open(tmp_path / "bot.db")
    try:
        with pytest.raises(sqlite3.OperationalError):
            await db.inbox()
    finally:
        await db.close()
    _assert_no_thread_outlives(before)
