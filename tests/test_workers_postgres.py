"""Several `dutybot run` processes on one PostgreSQL (issue 23 §3), as real processes against
the fake Bot API over HTTP: two workers draining 500 messages, one killed with SIGKILL
mid-drain (none lost, only those in flight sent twice, Telegram's flood limits never
exceeded as the fake counts them); the leader killed and another taking over within seconds, polling again
without a 409 storm; one chat's updates handled in order and once, whichever process
handles them. The shared flood windows and the claims also get direct tests."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.server import FakeTelegramServer
from bot.scheduling.rate_limit import SharedRateLimiter
from bot.scheduling.scheduler import CLAIMING_SENDERS
from storage.inbox import Inbound
from storage.postgres import MIGRATION_LOCK, PgDatabase
from tests.botprocess import DUTYBOT, BotProcess, clean_env

LEASE = "3"  # seconds: a killed worker's claims run out quickly here (30 by default)
MESSAGES = 500
CHATS = 100  # private chats, 5 messages each: the per-chat window matters too
FIRST_CHAT = 700_000
TAKEOVER = 5.0  # seconds within which another process leads after the leader's kill


# A clean stop lets the updates in hand finish (up to STOP_GRACE_SECONDS, bot/app.py) and
# then the message in flight, which may be waiting out its chat's flood window (up to the
# same again): seen once, under the whole suite's load, to take longer than the 15 s the
# single-process tests allow.
STOP_DEADLINE = 30.0


def worker(api: FakeTelegram, server: FakeTelegramServer, tmp_path: Path, name: str,
           url: str) -> BotProcess:
    bot = BotProcess(api, server, tmp_path / "dutybot.db", tmp_path / name)
    bot.extra_env.update(DUTYBOT_DATABASE_URL=url, DUTYBOT_WORKER_LEASE=LEASE)
    return bot


@contextmanager
def two_workers(api: FakeTelegram, tmp_path: Path, url: str,
                rules: str | None = None) -> Iterator[tuple[BotProcess, BotProcess]]:
    """The fake Bot API serving, and two workers made (not started); whatever happens,
    both are killed if still running and the fake stops after."""
    server = FakeTelegramServer(api).start()
    bots = (worker(api, server, tmp_path, "first", url),
            worker(api, server, tmp_path, "second", url))
    if rules is not None:
        for bot in bots:
            bot.rules = rules
    try:
        yield bots
    finally:
        for bot in bots:
            bot.kill_if_running()
        server.stop()


def stopped(bot: BotProcess) -> str:
    """A clean stop (within STOP_DEADLINE, exit status 0); what the process printed."""
    rc, output = bot.stop(STOP_DEADLINE)
    assert rc == 0, output[-3000:]
    return output


def migrate(url: str) -> None:
    done = subprocess.run([str(DUTYBOT), "migrate"], env=clean_env(DUTYBOT_DATABASE_URL=url),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def rows(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def queue_messages(url: str, api: FakeTelegram) -> None:
    """MESSAGES answers (they go out in quiet hours too) to CHATS private chats, due now."""
    past = datetime(2020, 1, 1).isoformat()
    batch = []
    for n in range(MESSAGES):
        chat_id = FIRST_CHAT + n % CHATS
        api.user(chat_id, f"用户{chat_id}")
        api.started.add(chat_id)
        payload = {"calls": [{"method": "sendMessage", "chat_id": chat_id, "text": f"第{n}条"}]}
        batch.append((f"bulk:{n}", "telegram", chat_id, "answer", "2020-01-01",
                      json.dumps(payload, ensure_ascii=False), past, past))
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(
            "INSERT INTO outbox (dedup_key, channel, address, kind, day, payload, "
            "next_attempt_at, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", batch)


def delivered(api: FakeTelegram) -> Counter[tuple[int, str]]:
    return Counter((m.chat_id, m.text) for chat_id in list(api.messages)
                   if chat_id >= FIRST_CHAT for m in api.bot_messages(chat_id))


def wait(predicate, what: str, seconds: float, *bots: BotProcess) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {b.workdir.name} ---\n{b.output()[-2000:]}" for b in bots)
            pytest.fail(f"waited {seconds:.0f}s for {what}\n{logs}")
        time.sleep(0.05)


def kill(bot: BotProcess) -> None:
    assert bot.proc is not None
    bot.proc.send_signal(signal.SIGKILL)
    bot.proc.wait()


def leads(bot: BotProcess) -> bool:
    return "this process leads" in bot.output()


def test_two_workers_drain_500_messages_one_killed_none_lost_only_those_in_flight_twice(
        tmp_path: Path, pg_url: str) -> None:
    api = FakeTelegram(send_rate_limit=30)  # Telegram's ceiling: a 31st in a second is a 429
    with two_workers(api, tmp_path, pg_url) as (first, second):
        first.start()
        second.start()
        queue_messages(pg_url, api)  # both running: each takes its share
        claimers = ("SELECT COUNT(DISTINCT claimed_by) FROM outbox "
                    "WHERE dedup_key LIKE 'bulk:%%'")
        wait(lambda: sum(delivered(api).values()) >= 150 and rows(pg_url, claimers) == [(2,)],
             "150 messages out, from both workers", 60, first, second)
        kill(second)  # mid-drain, whatever it holds
        wait(lambda: len(delivered(api)) == MESSAGES, "every message out", 90, first)
        wait(lambda: rows(pg_url, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
             == [(0,)], "every message marked sent", 30, first)
        sent = delivered(api)
        assert len(sent) == MESSAGES  # none lost
        twice = {key: n for key, n in sent.items() if n > 1}
        # those in flight at the kill: a process sends CLAIMING_SENDERS at once
        assert sum(n - 1 for n in twice.values()) <= CLAIMING_SENDERS, twice
        # Telegram's limits, as the fake counted the sends it accepted
        assert api.throttled == 0
        assert api.most_sent(1.0) <= 30
        # about one a second per chat, a burst of three (100 ms left for the wire's jitter)
        assert max(api.most_sent(2.9, chat) for chat in range(FIRST_CHAT, FIRST_CHAT + CHATS)
                   ) <= 3
        senders = rows(pg_url, "SELECT claimed_by, COUNT(*) FROM outbox "
                               "WHERE dedup_key LIKE 'bulk:%%' GROUP BY claimed_by")
        assert len(senders) == 2, (senders, second.output()[-3000:])  # both workers sent
        output = stopped(first)
        assert "Traceback" not in output, output[-3000:]


def test_the_leader_killed_another_takes_over_and_polls_without_a_409_storm(
        tmp_path: Path, pg_url: str) -> None:
    api = FakeTelegram()
    user = api.user(31, "王五")
    with two_workers(api, tmp_path, pg_url) as (first, second):
        first.start()
        wait(lambda: leads(first), "the first process to lead", 10, first)
        second.start()
        time.sleep(2.5)  # two processes side by side: one polls, no conflict at all
        assert not leads(second) and "another process leads" in second.output()
        assert api.conflicts == 0
        assert first.reply_to(user, "/help")
        kill(first)
        killed = time.monotonic()
        wait(lambda: leads(second), "the second process to lead", TAKEOVER, second)
        took = time.monotonic() - killed
        assert took < TAKEOVER
        # polling again: a message sent now is answered by the survivor
        assert second.reply_to(user, "/help")
        time.sleep(2.5)
        # the killed leader's long poll, ended by the new one, is the only 409 there may be
        assert api.conflicts <= 1
        assert "getUpdates failed" not in second.output()
        # nothing planned twice: one row per dedup key, one reminder per key
        assert rows(pg_url, "SELECT dedup_key FROM outbox GROUP BY dedup_key "
                            "HAVING COUNT(*) > 1") == []
        stopped(second)


def test_one_chats_updates_stay_in_order_and_are_handled_once_by_two_workers(
        tmp_path: Path, pg_url: str) -> None:
    api = FakeTelegram()
    users = [api.user(40 + n, f"用户{n}") for n in range(3)]
    with two_workers(api, tmp_path, pg_url) as (first, second):
        first.start()
        second.start()
        sent: dict[int, list[int]] = {u.id: [] for u in users}
        for _n in range(10):
            for user in users:
                update = api.send_text(user, "/help")
                sent[user.id].append(update["update_id"])
        for user in users:
            wait(lambda u=user: len(api.bot_messages(u.id)) >= 10, "ten answers", 30,
                 first, second)
        time.sleep(1.0)
        for user in users:
            assert len(api.bot_messages(user.id)) == 10  # each handled, and answered, once
            handled = rows(pg_url, "SELECT update_id FROM processed_updates WHERE update_id "
                                   "= ANY(%s) ORDER BY processed_at, update_id",
                           (sent[user.id],))
            assert [r[0] for r in handled] == sent[user.id]  # in the order they were sent
        for bot in (first, second):
            output = stopped(bot)
            assert "Traceback" not in output, output[-3000:]


# --- the parts, in one process ------------------------------------------------------------

def test_shared_windows_hold_across_two_limiters(pg_url: str) -> None:
    """Two limiters (two processes) on one database: 5 a second overall between them."""

    async def run() -> list[float]:
        limiters = [SharedRateLimiter(pg_url, overall=(5, 1.0), chat=(100, 1.0))
                    for _ in range(2)]
        times: list[float] = []

        async def send(limiter: SharedRateLimiter, chat: int) -> bool:
            times.append(time.monotonic())
            return True

        try:
            await asyncio.gather(*(
                limiters[n % 2].process_request(send, (limiters[n % 2], n), {}, "sendMessage",
                                                {"chat_id": n}, None) for n in range(12)))
        finally:
            for limiter in limiters:
                await limiter.shutdown()
        return sorted(times)

    times = asyncio.run(run())
    for n in range(len(times) - 5):
        assert times[n + 5] - times[n] >= 0.95  # never six in a second
    assert times[-1] - times[0] < 4


def test_shared_sends_are_spread_over_the_second(pg_url: str) -> None:
    """At most three in any tenth of a second, whichever process sends: what is admitted
    evenly arrives evenly, so the jitter between admission and arrival cannot put a 31st
    into Telegram's second (the burst of 27 at once that 27 a second alone allows)."""

    async def run() -> None:
        limiters = [SharedRateLimiter(pg_url, chat=(100, 1.0)) for _ in range(2)]

        async def send() -> bool:
            return True

        try:
            await asyncio.gather(*(
                limiters[n % 2].process_request(send, (), {}, "sendMessage",
                                                {"chat_id": 1000 + n}, None)
                for n in range(20)))
        finally:
            for limiter in limiters:
                await limiter.shutdown()

    asyncio.run(run())
    admitted = [at for (at,) in rows(pg_url, "SELECT at FROM send_times WHERE scope = "
                                     "'bot_burst' ORDER BY at")][-20:]
    assert len(admitted) == 20
    assert all(later - first >= 0.1 - 1e-6  # (at exactly a tenth: admitted)
               for first, later in zip(admitted, admitted[3:], strict=False))


def test_the_inbox_opened_again_waits_for_no_lock(pg_url: str) -> None:
    """The inbox's connection opened again (the server restarted) finds its table made and
    makes nothing, so it waits for no lock: not the migration lock another process holds,
    not the table a reader holds (its schema's ALTER TABLE would want it alone)."""

    async def run() -> None:
        db = await PgDatabase.open(pg_url)
        try:
            await db.migrate()
            await db.inbox()  # made the first time
        finally:
            await db.close()
        with psycopg.connect(pg_url) as other:  # in a transaction till the block ends
            other.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            other.execute("LOCK TABLE inbox IN ACCESS SHARE MODE")
            again = await PgDatabase.open(pg_url)
            try:
                box = await asyncio.wait_for(again.inbox(), 3)
                assert await box.last_received() is None
            finally:
                await again.close()

    asyncio.run(run())


def test_inbox_claims_one_update_per_chat_and_a_dead_workers_claim_runs_out(
        pg_url: str) -> None:
    async def run() -> None:
        db = await PgDatabase.open(pg_url)
        try:
            await db.migrate()
            box = await db.inbox()
            now = datetime.now()
            await box.add_many([Inbound(1, "c1", {"update_id": 1}),
                                Inbound(2, "c1", {"update_id": 2}),
                                Inbound(3, "c2", {"update_id": 3})], now)
            mine = await box.claim("a", 10, 1.0)
            assert [r.update_id for r in mine] == [1, 3]  # the earliest of each chat
            assert await box.claim("b", 10, 1.0) == []  # nothing free: c1 waits on 1
            await box.mark_done([1])
            assert [r.update_id for r in await box.claim("b", 10, 5.0)] == [2]
            await asyncio.sleep(1.2)  # "a" died holding 3: its claim runs out
            assert [r.update_id for r in await box.claim("b", 10, 5.0)] == [3]
            await box.release("b")
            assert {r.update_id for r in await box.claim("c", 10, 5.0)} == {2, 3}
        finally:
            await db.close()

    asyncio.run(run())


def test_outbox_claims_keep_a_message_and_a_chat_to_one_worker(pg_url: str) -> None:
    from bot.domain.target import Target

    async def run() -> None:
        db = await PgDatabase.open(pg_url)
        try:
            await db.migrate()
            now = datetime.now().astimezone()
            async with db.transaction() as tx:
                for n, chat in enumerate((1, 1, 2)):
                    await tx.outbox.add(dedup_key=f"k{n}", target=Target.telegram(chat),
                                        person_id=None, kind="answer", day=now.date(),
                                        payload={"calls": []}, now=now)
            until = now + timedelta(seconds=30)
            async with db.transaction() as tx:
                a = await tx.outbox.claim_next(now, until, "a")
                b = await tx.outbox.claim_next(now, until, "b")
                c = await tx.outbox.claim_next(now, until, "c")
            assert a is not None and a.dedup_key == "k0"
            assert b is not None and b.dedup_key == "k2"  # chat 1 has one in flight
            assert c is None
            async with db.transaction() as tx:  # sent: the chat's next may go
                await tx.outbox.part_sent(a.id, 1, True, now, 5)
                d = await tx.outbox.claim_next(now, until, "c")
            assert d is not None and d.dedup_key == "k1"
            async with db.transaction() as tx:
                await tx.outbox.part_sent(d.id, 1, True, now, 6)
            later = now + timedelta(seconds=31)  # "b" died: its claim runs out
            async with db.transaction() as tx:
                e = await tx.outbox.claim_next(later, later + timedelta(seconds=30), "c")
            assert e is not None and e.dedup_key == "k2"
        finally:
            await db.close()

    asyncio.run(run())


def test_copy_db_into_a_postgresql_database_a_bot_runs_on_is_refused(
        tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every `run` holds the run lock shared (storage/workers.py); copy-db wants it alone."""
    from bot.cli import main
    from storage.db import Database
    from storage.workers import Leadership

    source = tmp_path / "old.db"

    async def make_source() -> None:
        db = await Database.open(source)
        await db.migrate()
        await db.close()

    async def copy_while_running() -> int:
        running = Leadership(pg_url)
        await running.open()  # what `dutybot run` holds for its life
        try:
            return await asyncio.to_thread(main, ["copy-db", str(source), pg_url])
        finally:
            await running.close()

    asyncio.run(make_source())
    assert asyncio.run(copy_while_running()) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "正由运行中的机器人使用" in err, err
    assert rows(pg_url, "SELECT COUNT(*) FROM information_schema.tables "
                        "WHERE table_name = 'units'") == [(0,)]  # nothing written
    assert main(["copy-db", str(source), pg_url]) == 0  # once the bot is gone


def test_the_leader_killed_mid_stream_every_change_applied_once(
        tmp_path: Path, pg_url: str) -> None:
    """One chat's 20 changes, the leader (the poller, and a handler) SIGKILLed after the 8th:
    the survivor takes over the polling (the last 10 are sent after the kill) and the dead
    one's claim when its lease runs out; every unit is made exactly once, in order, and
    every command answered."""
    from tests.botprocess import ADMIN_ID

    api = FakeTelegram()
    admin = api.user(ADMIN_ID, "办公室郑晓")
    units = [f"第{n}党支部" for n in range(20)]
    made = "SELECT name FROM units ORDER BY id"
    with two_workers(api, tmp_path, pg_url) as (first, second):
        first.start()
        wait(lambda: leads(first), "the first process to lead", 10, first)
        second.start()
        for unit in units[:10]:
            api.send_text(admin, f"/newunit {unit}")
        wait(lambda: len(rows(pg_url, made)) >= 8, "eight units made", 30, first, second)
        kill(first)
        for unit in units[10:]:  # only a poller that took over receives these
            api.send_text(admin, f"/newunit {unit}")
        wait(lambda: len(rows(pg_url, made)) >= 20, "all twenty units made", 60, second)
        wait(lambda: len(api.bot_messages(ADMIN_ID)) >= 20, "twenty answers", 30, second)
        time.sleep(1.0)
        assert [r[0] for r in rows(pg_url, made)] == units  # each once, in order
        assert len(api.bot_messages(ADMIN_ID)) <= 21  # the one in flight at the kill
        output = stopped(second)
        assert "Traceback" not in output, output[-3000:]


def test_the_leader_killed_after_planning_the_new_one_plans_nothing_twice(
        tmp_path: Path, pg_url: str) -> None:
    """Today's reminders planned and pushed by the leader, which is then SIGKILLed: the
    survivor leads and ticks again, and each person still has exactly one digest today."""
    from zoneinfo import ZoneInfo

    from tests.botprocess import NO_OBLIGATIONS
    from tests.workbooks import filled

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    owners = {"陈书记": 41, "李明": 42, "周支书": 43}
    items = [(None, "措施", f"{name}今天到期的事项", "一岗双责", name,
              "财务科党支部" if name == "周支书" else "某局党委", None, "自查", today, None)
             for name in owners]
    book = tmp_path / "org.xlsx"
    book.write_bytes(filled(items=items))
    migrate(pg_url)
    done = subprocess.run([str(DUTYBOT), "import", str(book)], capture_output=True, text=True,
                          env=clean_env(DUTYBOT_DATABASE_URL=pg_url), timeout=120)
    assert done.returncode == 0, done.stderr
    with psycopg.connect(pg_url) as conn:  # bound, as after /start with their invites
        for name, uid in owners.items():
            conn.execute("UPDATE persons SET telegram_user_id = %s WHERE name = %s", (uid, name))
    api = FakeTelegram()
    for name, uid in owners.items():
        api.user(uid, name)
        api.started.add(uid)
    # today a workday whatever the day the test runs; every hour a sending hour
    rules = (NO_OBLIGATIONS + f'[reminders]\nsend_time = "00:00"\nquiet_hours = ""\n\n'
             f"[calendar.{today.year}]\nworkdays = [{today.isoformat()}]\n")

    def digests() -> Counter:
        return Counter(uid for uid in owners.values() for m in api.bot_messages(uid)
                       if "今天到期的事项" in m.plain)

    def ticked() -> str | None:
        found = rows(pg_url, "SELECT value FROM bot_state WHERE key = 'planner_tick'")
        return found[0][0] if found else None

    with two_workers(api, tmp_path, pg_url, rules) as (first, second):
        first.start()
        wait(lambda: leads(first), "the first process to lead", 10, first)
        second.start()
        wait(lambda: len(digests()) == len(owners), "each owner's digest", 30, first)
        before = ticked()
        kill(first)
        wait(lambda: leads(second), "the second process to lead", TAKEOVER, second)
        # taking over, it ticks at once (not at its next 30 s): today planned again, over
        # what the first one planned
        wait(lambda: ticked() != before, "the new leader's tick", 10, second)
        time.sleep(1.0)
        assert digests() == Counter(owners.values()), digests()  # one each, none twice
        assert rows(pg_url, "SELECT dedup_key FROM outbox GROUP BY dedup_key "
                            "HAVING COUNT(*) > 1") == []
        stopped(second)
