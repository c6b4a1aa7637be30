"""Webhook mode (issue 23): `dutybot run --webhook-url … --listen …` as its own process,
the fake Bot API posting updates to it as Telegram does (through "the reverse proxy":
the fake posts the webhook URL's path to the --listen address), and hostile requests
straight to the server.

What is asserted: what users see in their chats, what the inbox (the durable one, its own
file) holds, the HTTP statuses, and the bot's log lines.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.config import load_settings
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.api import WEBHOOK_CONFLICT
from bot.fake_telegram.server import FakeTelegramServer
from bot.inbound.webhook import MAX_BODY, SECRET_HEADER, WebhookServer
from bot.services.registry import Services
from storage.db import Database, migration_scripts
from storage.inbox import inbox_path
from tests.botprocess import ADMIN_ID, DEADLINE, BotProcess, assert_clean_exit, unfinished
from tests.conftest import MONDAY

WEBHOOK_URL = "https://bot.example.org/tg"
WEBHOOK_ARGS = ("--webhook-url", WEBHOOK_URL, "--listen", "127.0.0.1:0")
_LISTENING = re.compile(r"webhook mode: listening on 127\.0\.0\.1:(\d+)")


def stored_ids(db_path: Path) -> set[int]:
    box = inbox_path(db_path)
    if not box.exists():
        return set()
    with closing(sqlite3.connect(f"file:{box}?mode=ro", uri=True, timeout=5)) as conn:
        return {r[0] for r in conn.execute("SELECT update_id FROM inbox")}


def kept_secret(db_path: Path) -> str:
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)) as conn:
        (secret,) = conn.execute(
            "SELECT value FROM bot_state WHERE key = 'webhook_secret'").fetchone()
    return secret


def start_webhook_bot(bot: BotProcess, args: tuple[str, ...] = WEBHOOK_ARGS, **env: str) -> str:
    """Start in webhook mode; point "the reverse proxy" at its port; its root URL."""
    bot.start(*args, **env)
    match = _LISTENING.search(bot.output())
    assert match, bot.output()[-2000:]
    root = f"http://127.0.0.1:{match.group(1)}"
    bot.api.webhook_proxy = root
    return root


def help_update(update_id: int, user_id: int, name: str) -> dict[str, Any]:
    """What Telegram would post when `user_id` types /help in their private chat."""
    return {"update_id": update_id, "message": {
        "message_id": 10_000 + update_id, "date": 1_790_000_000,
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": name},
        "text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}


# -- one webhook bot for the module ------------------------------------------------------------


class World:
    def __init__(self, api: FakeTelegram, bot: BotProcess, root: str) -> None:
        self.api = api
        self.bot = bot
        self.root = root
        self.admin = api.user(ADMIN_ID, "办公室郑晓")
        self.secret = kept_secret(bot.db_path)

    def update(self, update_id: int, user_id: int, name: str) -> dict[str, Any]:
        """/help from a user who opened the bot (so Telegram lets the bot answer)."""
        self.api.user(user_id, name)
        self.api.started.add(user_id)
        return help_update(update_id, user_id, name)

    def post(self, body: bytes, secret: str | None = "right", path: str = "/tg",
             **headers: str) -> httpx.Response:
        if secret is not None:
            headers[SECRET_HEADER] = self.secret if secret == "right" else secret
        headers.setdefault("Content-Type", "application/json")
        return httpx.post(self.root + path, content=body, headers=headers, timeout=DEADLINE)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    workdir = tmp_path_factory.mktemp("webhook")
    bot = BotProcess(api, server, workdir / "dutybot.db", workdir)
    try:
        root = start_webhook_bot(bot)
        yield World(api, bot, root)
        rc, output = bot.stop()
        assert_clean_exit(rc, output, api.token)
        assert world_secret_not_logged(output, kept_secret(bot.db_path))
    finally:
        bot.kill_if_running()
        api.webhook = None  # the fake's delivery thread stops
        server.stop()


def world_secret_not_logged(output: str, secret: str) -> bool:
    return secret not in output


def test_the_webhook_is_set_with_the_kept_secret_and_the_polled_update_kinds(world):
    calls = [p for m, p in world.api.calls if m == "setWebhook"]
    assert len(calls) == 1
    params = calls[0]
    assert params["url"] == WEBHOOK_URL
    assert params["secret_token"] == world.secret
    assert re.fullmatch(r"[A-Za-z0-9_-]{64}", world.secret)
    assert params["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert str(params["drop_pending_updates"]).lower() == "false"
    info = world.api.handle("getWebhookInfo", {})[1]["result"]
    assert info["url"] == WEBHOOK_URL
    # polling is off: no getUpdates at all (Telegram would answer 409)
    assert not [m for m, _ in world.api.calls if m.lower() == "getupdates"]


def test_an_update_posted_by_telegram_is_answered(world):
    answer = world.bot.reply_to(world.admin, "/help")
    assert "/我的清单" in answer or "mylist" in answer
    delivered = [s for _, s in world.api.deliveries]
    assert delivered and set(delivered) == {200}


@pytest.mark.parametrize("secret", [None, "", "bogus-Value-42", "x" * 300])
def test_a_wrong_or_missing_secret_is_refused_with_403_and_nothing_stored(world, secret):
    update = world.update(800_001, 4242, "冒充者")
    before = world.bot.output()
    response = world.post(json.dumps(update).encode(), secret=secret)
    assert response.status_code == 403
    assert 800_001 not in stored_ids(world.bot.db_path)
    assert not world.api.bot_messages(4242)  # nobody was answered
    def logged() -> list[str]:
        return [ln for ln in world.bot.output()[len(before):].splitlines() if "webhook:" in ln]

    world.bot.wait_for(logged, "the refusal's log line")
    time.sleep(0.05)  # and nothing more
    lines = logged()
    assert len(lines) == 1 and "403" in lines[0] and "secret" in lines[0]
    assert world.secret not in lines[0] and (not secret or secret not in lines[0])


def test_a_near_miss_of_the_secret_is_refused(world):
    near = world.secret[:-1] + ("A" if world.secret[-1] != "A" else "B")
    update = world.update(800_002, 4243, "冒充者")
    assert world.post(json.dumps(update).encode(), secret=near).status_code == 403
    assert world.post(json.dumps(update).encode(), secret=world.secret + "x").status_code == 403
    assert 800_002 not in stored_ids(world.bot.db_path)


def test_a_body_over_one_megabyte_is_refused_with_413(world):
    update = json.dumps(world.update(800_003, 4244, "大包")).encode()
    body = update + b" " * (MAX_BODY + 1 - len(update))
    assert len(body) == MAX_BODY + 1
    response = world.post(body)
    assert response.status_code == 413
    assert 800_003 not in stored_ids(world.bot.db_path)
    # exactly the limit is still an update
    body = update + b" " * (MAX_BODY - len(update))
    assert world.post(body).status_code == 200
    world.bot.wait_for(lambda: 4244 in world.api.messages, "the answer to the 1 MB update")


def test_a_body_that_is_not_an_update_is_refused_with_400(world):
    for body in (b"", b"{", b"\xff\xfe", b"[]", b'"text"', b'{"message": {}}',
                 b'{"update_id": "7"}', b'{"update_id": true}', b'{"update_id": -1}',
                 b'{"update_id": 800004, "message": "not a message"}',
                 b"[" * 100_000):
        response = world.post(body)
        assert response.status_code == 400, body[:40]
    assert 800_004 not in stored_ids(world.bot.db_path)


def test_other_paths_and_methods_are_not_updates(world):
    update = json.dumps(world.update(800_005, 4245, "路人")).encode()
    assert world.post(update, path="/other").status_code == 404
    assert httpx.get(world.root + "/tg", timeout=DEADLINE).status_code == 405
    assert 800_005 not in stored_ids(world.bot.db_path)


def test_a_replayed_update_is_answered_200_and_handled_once(world):
    update = json.dumps(world.update(800_006, 4246, "重放")).encode()
    assert world.post(update).status_code == 200
    assert world.post(update).status_code == 200
    world.bot.wait_for(lambda: 4246 in world.api.messages, "the answer to the update")
    world.bot.settle()
    assert world.post(update).status_code == 200  # after it was handled, too
    world.bot.settle()
    assert len(world.api.bot_messages(4246)) == 1


def test_healthz_reports_the_database_the_last_tick_and_the_backlog(world):
    def ticked() -> bool:
        return httpx.get(world.root + "/healthz", timeout=DEADLINE).json()["last_tick"] is not None

    world.bot.wait_for(ticked, "the first planner tick")
    response = httpx.get(world.root + "/healthz", timeout=DEADLINE)
    assert response.status_code == 200
    health = response.json()
    assert health["ok"] is True and health["database"] == "ok"
    assert isinstance(health["outbox_backlog"], int) and health["outbox_backlog"] >= 0
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", health["last_tick"])


# -- kill -9 right after the 200, and back to polling ------------------------------------------


def test_a_kill_right_after_the_200_loses_nothing_and_polling_removes_the_webhook(tmp_path):
    """12 updates queued at Telegram, delivered one by one; SIGKILL the moment the 6th is
    answered 200. After a restart: every change applied exactly once (six 新建单位 by the
    admin), every user answered, and at most one answer sent again (the kill may fall
    between an answer and its "done" mark: the house rule, tests/kill_sweep.py)."""
    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    bot = BotProcess(api, server, tmp_path / "dutybot.db", tmp_path)
    admin = api.user(ADMIN_ID, "办公室郑晓")
    users = [api.user(50_000 + n, f"用户{n}") for n in range(6)]
    units = [f"第{n}党支部" for n in range(6)]
    killed_after: list[int] = []

    def kill_on_the_sixth_200(update: dict[str, Any], status: int) -> None:
        if status == 200 and not killed_after:
            answered = sum(1 for _, s in api.deliveries if s == 200)
            if answered == 6 and bot.proc is not None:
                bot.proc.kill()  # SIGKILL, the moment the 6th update was answered 200
                killed_after.append(update["update_id"])

    try:
        start_webhook_bot(bot)
        secret = kept_secret(bot.db_path)
        api.after_delivery = kill_on_the_sixth_200
        for user, unit in zip(users, units, strict=True):  # queued at once, delivered in turn
            api.send_text(admin, f"/newunit {unit}")
            api.send_text(user, "/help")
        deadline = time.monotonic() + DEADLINE
        while not killed_after and time.monotonic() < deadline:
            time.sleep(0.01)
        assert killed_after, "the bot was never killed"
        assert bot.proc is not None
        bot.proc.wait()
        api.after_delivery = None
        # the six answered 200 are in the inbox, whether handled before the kill or not
        answered = [i for i, s in api.deliveries if s == 200]
        assert len(answered) == 6 and set(answered) <= stored_ids(bot.db_path)
        # restarted from the settings this time; the same secret, from the database
        start_webhook_bot(bot, (), DUTYBOT_WEBHOOK_URL=WEBHOOK_URL, DUTYBOT_LISTEN="127.0.0.1:0")
        assert kept_secret(bot.db_path) == secret
        bot.wait_for(lambda: all(api.bot_messages(u.id) for u in users)
                     and len(api.bot_messages(ADMIN_ID)) >= 6,
                     "all 12 updates to be answered", [ADMIN_ID, *(u.id for u in users)])
        bot.settle()
        with closing(sqlite3.connect(bot.db_path)) as conn:
            made = [r[0] for r in conn.execute("SELECT name FROM units ORDER BY id")]
        assert made == units  # every change once, none lost, none twice
        counts = [len(api.bot_messages(u.id)) for u in [admin, *users]]
        assert all(counts) and sum(counts) - 12 <= 1, counts  # at most one sent again
        assert [p["secret_token"] for m, p in api.calls if m == "setWebhook"] == [secret] * 2
        rc, output = bot.stop()
        assert_clean_exit(rc, output, api.token)

        # back to plain polling: the webhook is removed (its updates kept), in one line
        bot.start()
        bot.wait_for(lambda: api.webhook is None, "the poller to remove the webhook")
        assert api.handle("getWebhookInfo", {})[1]["result"]["url"] == ""
        # the line is logged once Telegram has answered, a moment after the fake forgot it
        bot.wait_for(lambda: "removed the webhook" in bot.output(), "the line saying so")
        removed = [ln for ln in bot.output().splitlines() if "removed the webhook" in ln]
        assert len(removed) == 1 and "bot.example.org" in removed[0]
        assert secret not in bot.output()
        someone = api.user(60_001, "轮询")
        assert "/help" in bot.reply_to(someone, "/help") or api.bot_messages(someone.id)
        deletes = [p for m, p in api.calls if m == "deleteWebhook"]
        assert len(deletes) == 1 and str(deletes[0]["drop_pending_updates"]).lower() == "false"
        rc, output = bot.stop()
        assert_clean_exit(rc, output, api.token)
        assert unfinished(bot.db_path) == 0
    finally:
        api.after_delivery = None
        bot.kill_if_running()
        api.webhook = None
        server.stop()


# -- the fake Bot API's webhook methods, as Telegram answers them ------------------------------


@pytest.mark.parametrize(("params", "description"), [
    ({"url": "http://bot.example.org/tg"}, "An HTTPS URL must be provided"),
    ({"url": "https://bot.example.org:9000/tg"}, "only on ports 80, 88, 443 or 8443"),
    ({"url": WEBHOOK_URL, "secret_token": "has space"}, "unallowed characters"),
    ({"url": WEBHOOK_URL, "secret_token": "密钥"}, "unallowed characters"),
    ({"url": WEBHOOK_URL, "secret_token": "a" * 257}, "too long"),
    ({"url": WEBHOOK_URL, "max_connections": 101}, "max_connections"),
])
def test_the_fake_refuses_a_webhook_as_telegram_does(params, description):
    api = FakeTelegram()
    status, body = api.handle("setWebhook", params)
    assert status == 400 and body["ok"] is False and description in body["description"]
    assert api.webhook is None


def test_the_fake_answers_409_to_getupdates_while_a_webhook_is_set():
    api = FakeTelegram()
    assert api.handle("setWebhook", {"url": WEBHOOK_URL, "secret_token": "a" * 256})[0] == 200
    assert api.handle("getUpdates", {}) == (409, {"ok": False, "error_code": 409,
                                                  "description": WEBHOOK_CONFLICT})
    assert api.handle("getWebhookInfo", {})[1]["result"]["url"] == WEBHOOK_URL
    assert api.handle("deleteWebhook", {})[0] == 200
    assert api.handle("getUpdates", {})[0] == 200


# -- the secret: once per database, not per process ----------------------------------------------


async def test_the_secret_is_made_once_and_shared_by_every_process(tmp_path):
    settings_ = load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db")
    first = await Services.open(settings_, ManualClock(MONDAY))
    second = await Services.open(settings_, ManualClock(MONDAY))
    try:
        secrets = await asyncio.gather(first.webhook.secret(), second.webhook.secret(),
                                       first.webhook.secret())
        assert len(set(secrets)) == 1
        assert await second.webhook.secret("configured-one") == "configured-one"
        assert await first.webhook.secret() == secrets[0]  # the configured one is not kept
    finally:
        await first.close()
        await second.close()


async def test_the_webhook_migration_upgrades_a_database_in_place(tmp_path):
    db = await Database.open(tmp_path / "old.db")
    try:
        for number, _name, sql in migration_scripts():
            if number < 14:
                await db._conn.executescript(
                    f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
        assert await db.schema_version() == 13
        assert await db.migrate() == [n for n, _, _ in migration_scripts() if n >= 14]
        async with db.transaction() as tx:
            now = MONDAY
            assert await tx.state.put_first("k", "one", now) == "one"
            assert await tx.state.put_first("k", "two", now) == "one"
    finally:
        await db.close()


def test_a_bad_webhook_setting_stops_run_in_one_line(tmp_path):
    import subprocess

    from tests.botprocess import DUTYBOT, clean_env

    env = clean_env(TELEGRAM_BOT_TOKEN=FakeTelegram().token,
                    DUTYBOT_DB_PATH=str(tmp_path / "bot.db"))
    for args, name in ((("--webhook-url", "http://bot.example.org/tg"), "DUTYBOT_WEBHOOK_URL"),
                       (("--listen", "localhost"), "DUTYBOT_LISTEN")):
        done = subprocess.run([str(DUTYBOT), "run", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=DEADLINE)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and name in lines[0], done.stderr
    env["DUTYBOT_WEBHOOK_SECRET"] = "not allowed!"
    done = subprocess.run([str(DUTYBOT), "run"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=DEADLINE)
    assert done.returncode == 2 and "DUTYBOT_WEBHOOK_SECRET" in done.stderr
    assert "not allowed!" not in done.stderr


# -- hostile requests against the server in-process ---------------------------------------------


SECRET = "s3cr3t-Token_for-tests"


class ServerThread:
    """A WebhookServer on its own event loop in a thread (so hypothesis can drive it with
    a plain HTTP client), on a fresh database."""

    def __init__(self, tmp_path: Path) -> None:
        self.db_path = tmp_path / "bot.db"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.services: Services | None = None
        self.server: WebhookServer | None = None

    def __enter__(self) -> ServerThread:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self.loop).result(DEADLINE)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(DEADLINE)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(DEADLINE)
        self.loop.close()

    async def _open(self) -> None:
        self.services = await Services.open(load_settings(DUTYBOT_DB_PATH=self.db_path),
                                            ManualClock(MONDAY))
        self.server = WebhookServer(self.services.inbox, SECRET, "/tg", "127.0.0.1", 0,
                                    self.services.webhook.health)
        await self.server.start()

    async def _close(self) -> None:
        if self.server is not None:
            await self.server.stop()
        if self.services is not None:
            await self.services.close()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(DEADLINE)

    @property
    def root(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    with ServerThread(tmp_path_factory.mktemp("hosted")) as hosted:
        yield hosted


_VALID = {"update_id": 1, "message": {"message_id": 1, "date": 1_790_000_000,
                                      "chat": {"id": 7, "type": "private"}, "text": "hi"}}
_header_values = st.one_of(
    st.none(), st.just(SECRET), st.just(SECRET[:-1]), st.just(SECRET + "x"),
    st.binary(max_size=300).filter(lambda b: not set(b) & {10, 13}))
_bodies = st.one_of(
    st.binary(max_size=3000),
    st.builds(lambda n, extra: json.dumps({**_VALID, "update_id": n, **extra}).encode(),
              st.integers(min_value=-5, max_value=2**64),
              st.dictionaries(st.sampled_from(["message", "callback_query", "x"]),
                              st.one_of(st.none(), st.integers(), st.text(max_size=5)),
                              max_size=2)),
    st.builds(lambda n: json.dumps({**_VALID, "update_id": n}).encode(),
              st.integers(min_value=0, max_value=2**63 - 1)),
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=_bodies, header=_header_values)
def test_hostile_requests_never_get_a_5xx_and_store_only_valid_updates(hosted, body, header):
    """Raw bytes on the socket (no HTTP client's manners): any body, any header value."""
    before = stored_ids(hosted.db_path)
    secret = header.encode() if isinstance(header, str) else header
    status = raw_post(hosted.server.port, body, secret)
    assert status < 500
    after = stored_ids(hosted.db_path)
    valid = _is_update(body)
    # HTTP strips the whitespace around a header value
    if secret is not None and secret.strip(b" \t") == SECRET.encode() and valid is not None:
        assert status == 200
        assert after == before | {valid}
    else:
        assert status in (400, 403, 413)
        assert after == before


def raw_post(port: int, body: bytes, secret: bytes | None) -> int:
    """POST /tg written byte for byte; the status the server answered."""
    head = [b"POST /tg HTTP/1.1", b"Host: 127.0.0.1", b"Content-Type: application/json",
            b"Content-Length: " + str(len(body)).encode(), b"Connection: close"]
    if secret is not None:
        head.append(SECRET_HEADER.encode() + b": " + secret)
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as conn:
        conn.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
        answer = b""
        while b"\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert match, f"no HTTP answer: {answer[:200]!r}"
    return int(match.group(1))


def _is_update(body: bytes) -> int | None:
    """The update_id of a body the bot takes as an update (an object with an integer id
    in range whose known fields PTB can read), else None."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        return None
    if not 0 <= data["update_id"] <= 2**63 - 1:
        return None
    from telegram import Update

    try:
        Update.de_json(data, None)
    except Exception:
        return None
    return data["update_id"]


def test_healthz_answers_503_when_the_database_is_not_reachable(tmp_path):
    with ServerThread(tmp_path) as hosted:
        assert httpx.get(hosted.root + "/healthz", timeout=DEADLINE).status_code == 200
        assert hosted.services is not None
        hosted.run(hosted.services.db.close())
        response = httpx.get(hosted.root + "/healthz", timeout=DEADLINE)
        assert response.status_code == 503
        assert response.json() == {"ok": False, "database": "unreachable", "last_tick": None,
                                   "outbox_backlog": None}
        hosted.services = None  # closed already


def test_a_chunked_body_over_the_limit_and_a_huge_declared_one_get_413(hosted):
    """Without a Content-Length (chunked), refused once the body passes 1 MB; one that
    declares more than the server would ever drain is answered at once and cut off."""
    before = stored_ids(hosted.db_path)
    assert hosted.server is not None
    port = hosted.server.port
    head = (b"POST /tg HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            + SECRET_HEADER.encode() + b": " + SECRET.encode() + b"\r\n\r\n")
    chunk = b" " * 65_536
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(17)) + b"0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as conn:
        conn.sendall(head + body)
        assert conn.recv(4096).startswith(b"HTTP/1.1 413 ")
    head = (b"POST /tg HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000\r\n"
            + SECRET_HEADER.encode() + b": " + SECRET.encode() + b"\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as conn:
        conn.sendall(head + b"{" * 1000)
        assert conn.recv(4096).startswith(b"HTTP/1.1 413 ")
    assert stored_ids(hosted.db_path) == before


def test_webhook_mode_that_cannot_start_says_why_in_one_line(tmp_path):
    """The --listen address taken, or Telegram refusing the URL: one Chinese line, exit 1,
    no traceback, and the secret nowhere in the output."""
    import subprocess

    from tests.botprocess import DUTYBOT, clean_env

    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    env = clean_env(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=server.root,
                    DUTYBOT_DB_PATH=str(tmp_path / "bot.db"),
                    DUTYBOT_WEBHOOK_SECRET="the-Secret_of-this-test")
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            done = subprocess.run([str(DUTYBOT), "run", "--webhook-url", WEBHOOK_URL,
                                   "--listen", f"127.0.0.1:{port}"], env=env, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=DEADLINE * 2)
        assert done.returncode == 1, done.stderr
        assert f"无法在 127.0.0.1:{port} 上监听" in done.stderr
        api.fail_next("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host: "
                                         "Name or service not known")
        done = subprocess.run([str(DUTYBOT), "run", "--webhook-url", WEBHOOK_URL,
                               "--listen", "127.0.0.1:0"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=DEADLINE * 2)
        assert done.returncode == 1, done.stderr
        assert "Telegram 拒绝设置 Webhook（" in done.stderr  # with Telegram's words (PTB's case)
        assert "failed to resolve host" in done.stderr.lower()
        for output in (done.stdout, done.stderr):
            assert "Traceback" not in output and "the-Secret_of-this-test" not in output
    finally:
        api.webhook = None
        server.stop()


def test_a_malformed_secret_header_is_refused_and_not_logged(hosted, caplog):
    assert hosted.server is not None
    near = SECRET.encode() + b"\x00"
    with caplog.at_level("INFO"):
        status = raw_post(hosted.server.port, json.dumps(_VALID).encode(), near)
    assert status == 400
    assert SECRET not in caplog.text and "malformed HTTP request" in caplog.text
