"""The sandbox's world: the fake Telegram over HTTP on 127.0.0.1, the real bot as `dutybot
run` assembles it (handlers, durable inbox, outbox, scheduler) pointed at it through the
Bot API base URL, a travelable clock, and a temporary database seeded with the demo unit.

What a page does as a person goes in as Telegram would deliver it (an update the bot polls
for); what the bot sends is read back from the fake's chats."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application, on_run, on_shutdown, on_stop
from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.demo import ADMIN_ID, DISCIPLINE_GROUP, GUIDED, PEOPLE, START, STRANGER, Demo
from bot.fake_telegram import FakeTelegram, Sent, User
from bot.fake_telegram.api import DOWNLOAD_LIMIT
from bot.fake_telegram.driver import driven_bot
from bot.fake_telegram.server import FakeTelegramServer

log = logging.getLogger("dutybot.sandbox")

SETTLE_SECONDS = 15.0  # how long an action waits for the bot's answer before the page shows
PUSH_SECONDS = 30.0  # how long the clock button waits for the pushes (rate limits: ~1/s a chat)
GROUP_TITLE = "局纪委工作群"
SIZE_LIMIT = DOWNLOAD_LIMIT  # what Telegram lets a bot download; larger files are refused


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: str  # as the demo registered them ("党委书记 · 某局党委"), or unregistered


@dataclass(frozen=True)
class Group:
    id: int
    title: str


def _roster() -> list[Person]:
    people = []
    for user_id, name, line in PEOPLE:
        words = line.split()
        people.append(Person(user_id, name, f"{words[2]} · {words[3]}"))
    people.append(Person(GUIDED[0], GUIDED[1], "纪委委员 · 局纪委"))
    return people


def _no_proxy_for_loopback() -> None:
    """The bot reaches the fake on 127.0.0.1: never through a proxy the environment names."""
    for name in ("NO_PROXY", "no_proxy"):
        present = [p for p in os.environ.get(name, "").split(",") if p]
        for host in ("127.0.0.1", "localhost"):
            if host not in present:
                present.append(host)
        os.environ[name] = ",".join(present)


class Sandbox:
    """Start with `await Sandbox.start()`, stop with `await sandbox.stop()` (which removes
    every temporary file)."""

    def __init__(self, folder: Path, api: FakeTelegram, server: FakeTelegramServer,
                 clock: ManualClock, settings: Settings) -> None:
        self.folder = folder
        self.api = api
        self.server = server
        self.clock = clock
        self.settings = settings
        self.app: Application | None = None
        self.people: dict[int, Person] = {}
        self.groups: dict[int, Group] = {}
        self._lock = asyncio.Lock()  # one page action at a time: each waits for its answer

    @classmethod
    async def start(cls, rules: Path | None = None) -> Sandbox:
        folder = Path(tempfile.mkdtemp(prefix="dutybot-sandbox-"))
        api = FakeTelegram()
        server = FakeTelegramServer(api)
        try:
            server.start()
            clock = ManualClock(START)
            settings = load_settings(
                _env_file=None,
                TELEGRAM_BOT_TOKEN=api.token,
                TELEGRAM_API_BASE_URL=server.root,
                DUTYBOT_DB_PATH=folder / "sandbox.db",
                DUTYBOT_DATABASE_URL=None,
                DUTYBOT_WEBHOOK_URL=None,
                DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                DUTYBOT_TIMEZONE="Asia/Shanghai",
                DUTYBOT_BACKUP_DIR=folder / "backups",
                DUTYBOT_RULES=rules,
            )
            sandbox = cls(folder, api, server, clock, settings)
            await sandbox._seed()
            await sandbox._run()
        except BaseException:
            server.stop()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return sandbox

    async def _seed(self) -> None:
        """The demo's units, people and lists, made as the demo makes them (bot/demo.py),
        and its 纪委 group bound; then the run takes over the same database and chats."""
        async with driven_bot(self.settings, self.api, self.clock) as bot:
            demo = Demo(bot, self.api)
            await demo.setup_people()
            await demo.seed_lists()
            group = self.api.group(DISCIPLINE_GROUP, GROUP_TITLE)
            await bot.send(demo.admin, "/bindgroup", chat=group)
            await bot.press(demo.admin, self.api.last(group.id), "纪委群")
        self.api.user(*STRANGER)
        self.people = {p.id: p for p in _roster() if p.id in self.api.users}
        self.people[STRANGER[0]] = Person(STRANGER[0], STRANGER[1], "")
        self.groups = {DISCIPLINE_GROUP: Group(DISCIPLINE_GROUP, GROUP_TITLE)}

    async def _run(self) -> None:
        """As `serve` (bot/app.py) runs the bot, without its signal handlers: the sandbox
        owns Ctrl-C."""
        _no_proxy_for_loopback()
        app = build_application(self.settings, self.api.token, clock=self.clock)
        await app.initialize()
        self.app = app
        try:
            await on_run(app)
            await app.start()
            # the morning's pushes are there before the page opens (the scheduler's own
            # first tick then finds them planned and sent)
            await app.bot_data.scheduler.tick()
            await self._pushes_sent()
        except BaseException:
            self.app = None
            try:
                await on_stop(app)
                if app.running:
                    await app.stop()
            finally:
                await on_shutdown(app)
                await app.shutdown()
            raise

    async def stop(self) -> None:
        try:
            if self.app is not None:
                app, self.app = self.app, None
                try:
                    await on_stop(app)
                    await app.stop()
                finally:
                    await on_shutdown(app)
                    await app.shutdown()
        finally:
            self.server.stop()
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- who and where ---------------------------------------------------------------------

    def person(self, raw: object) -> Person | None:
        """The person a page names, or None for anyone else (never trusted)."""
        try:
            user_id = int(str(raw).strip())
        except ValueError:
            return None
        return self.people.get(user_id)

    def group(self, raw: object) -> Group | None:
        try:
            chat_id = int(str(raw).strip())
        except ValueError:
            return None
        return self.groups.get(chat_id)

    def user(self, person: Person) -> User:
        return self.api.users[person.id]

    def history(self, chat_id: int) -> list[Sent]:
        """The chat's messages as they are now (copies: the fake changes them on its own
        thread when the bot edits one)."""
        return self.api.history(chat_id)

    def version(self, chat_id: int) -> str:
        """Changes whenever the chat does: a message added or edited."""
        messages = self.api.history(chat_id)
        return f"{len(messages)}.{sum(m.edits for m in messages)}"

    def message(self, chat_id: int, message_id: object) -> Sent | None:
        try:
            wanted = int(str(message_id))
        except ValueError:
            return None
        return next((m for m in self.api.history(chat_id) if m.message_id == wanted), None)

    def sender_name(self, message: Sent) -> str:
        user = self.api.users.get(message.sender_id or 0)
        return user.first_name if user else ""

    # -- what a person does ----------------------------------------------------------------

    async def send(self, person: Person, text: str, group: Group | None = None,
                   reply_to: Sent | None = None) -> dict[str, Any] | None:
        chat = self.api.chats[group.id] if group else None
        async with self._lock:
            update = self.api.send_text(self.user(person), text, chat, reply_to)
            await self._settle(update)
        return update

    async def press(self, person: Person, message: Sent, index: int) -> str | None:
        """Tap the message's button number `index`; the toast the bot answered with."""
        data = message.buttons[index][1]
        async with self._lock:
            update = self.api.press(self.user(person), message, data)
            await self._settle(update)
        return self.api.toast(update["callback_query"]["id"])

    async def upload(self, person: Person, content: bytes, file_name: str | None,
                     size: int, mime_type: str | None = None) -> dict[str, Any] | None:
        """A file sent in the person's private chat; `size` is what Telegram reports (the
        content of a file over the limit is not kept: the bot refuses it by its size)."""
        async with self._lock:
            update = self.api.send_document(self.user(person), content, file_name,
                                            mime_type=mime_type, file_size=size)
            await self._settle(update)
        return update

    async def next_workday(self) -> tuple[datetime, dict[str, int]]:
        """The clock to 09:00 of the next working day (the office's calendar), the
        scheduler's tick at once, and the pushes sent: how many went to each chat."""
        assert self.app is not None
        data = self.app.bot_data
        async with self._lock:
            before = {chat: len(self.api.bot_messages(chat)) for chat in list(self.api.messages)}
            day = self.clock.now().date() + timedelta(days=1)
            for _ in range(60):
                if data.services.reminders.calendar.is_workday(day):
                    break
                day += timedelta(days=1)
            moment = datetime.combine(day, START.timetz())
            self.clock.set(moment)
            await data.scheduler.tick()
            await self._pushes_sent()
            pushes: Counter[str] = Counter()
            for chat in list(self.api.messages):
                fresh = len(self.api.bot_messages(chat)) - before.get(chat, 0)
                if fresh > 0:
                    pushes[self._chat_name(chat)] += fresh
        return moment, dict(pushes)

    def _chat_name(self, chat_id: int) -> str:
        chat = self.api.chats[chat_id]
        if chat.type != "private":
            return chat.title or str(chat_id)
        return self.api.users[chat_id].first_name

    async def _settle(self, update: dict[str, Any] | None) -> bool:
        """Wait until the bot has taken the update from the fake, handled it and sent its
        answers (or give up after SETTLE_SECONDS: the page polls for the rest)."""
        if update is None:  # privacy mode: Telegram never delivers it
            return True
        assert self.app is not None
        # the inbox's own flag: set once the answers went out (bot/inbound/handling.py)
        box = await self.app.bot_data.services.db.inbox()
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            last = await box.last_received()
            if last is not None and last >= update["update_id"] and not await box.waiting(0, 1):
                return True
            await asyncio.sleep(0.02)
        log.warning("the bot has not answered update %s yet", update["update_id"])
        return False

    async def _pushes_sent(self) -> None:
        """Wait until nothing ready is left in the outbox."""
        assert self.app is not None
        delivery, sender = self.app.bot_data.services.delivery, self.app.bot_data.sender
        deadline = time.monotonic() + PUSH_SECONDS
        await asyncio.sleep(0.05)
        ready = None
        while time.monotonic() < deadline:
            ready = await delivery.next_ready()
            if ready is None:
                return
            await asyncio.sleep(0.05)
        if ready is not None:  # the page shows what went; say what did not, and why not yet
            log.warning("after %.0f s the outbox still has message %s (%s, attempt %s) ready; "
                        "the sender is paused for %.1f s", PUSH_SECONDS, ready.id, ready.kind,
                        ready.attempts, sender.pause_left())
