"""Shared fixtures: a fake Telegram, a clock at a known Monday, a real bot on a temp DB."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.domain.bodies import BODIES, DEFAULT
from bot.domain.permissions import Scope
from bot.domain.vocabulary import configure_body
from bot.fake_telegram import FakeTelegram, User, invite_code
from bot.fake_telegram.driver import BotDriver, driven_bot
from bot.services.registry import Services
from tests.browser import browser, page  # noqa: F401  (fixtures: a real chromium, tests/browser.py)

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
ADMIN_ID = 1
DISCIPLINE_GROUP = -1001


@pytest.fixture(autouse=True)
def body_names():
    """The supervising body's words (bot/domain/bodies.py) for one test: `body_names("纪工委")`
    names it so; every test ends with the default again, whatever it set."""
    yield lambda word: configure_body(BODIES[word])
    configure_body(DEFAULT)


@pytest.fixture
def api() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.chdir(tmp_path)  # no stray .env
    return load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db", DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                         TELEGRAM_API_BASE_URL="https://api.telegram.org")


@pytest.fixture
async def services(tmp_path) -> AsyncIterator[Services]:
    """The services alone on a fresh database (no admins from the configuration)."""
    settings = load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db")
    services = await Services.open(settings, ManualClock(MONDAY))
    try:
        yield services
    finally:
        await services.close()


@pytest.fixture
async def bot(settings, api, clock) -> AsyncIterator[BotDriver]:
    async with driven_bot(settings, api, clock) as driver:
        yield driver


@pytest.fixture
def admin(api) -> User:
    return api.user(ADMIN_ID, "办公室郑晓")


class Org:
    """A small 局党委 set up through the real commands."""

    def __init__(self, bot: BotDriver, api: FakeTelegram, admin: User) -> None:
        self.bot, self.api, self.admin = bot, api, admin
        self.users: dict[str, User] = {}

    async def build(self) -> Org:
        for line in ("/newunit 某局党委", "/newunit 财务科 某局党委", "/newunit 项目科 某局党委",
                     "/newunit 财务科党支部 财务科 党支部", "/newunit 局纪委 某局党委 二级党组织"):
            await self.bot.send(self.admin, line)
        await self.person(10, "陈书记", "/登记 陈书记 党委书记 某局党委")
        await self.person(11, "李明", "/登记 李明 班子成员 某局党委 分管:财务科")
        await self.person(12, "王芳", "/登记 王芳 班子成员 某局党委 分管:项目科")
        await self.person(13, "刘纪委", "/登记 刘纪委 纪委书记 局纪委")
        await self.person(14, "周支书", "/登记 周支书 支部书记 财务科党支部")
        return self

    async def person(self, user_id: int, name: str, line: str, bind: bool = True) -> User:
        await self.bot.send(self.admin, line)
        code = invite_code(self.api.last(self.admin.id).plain)
        user = self.api.user(user_id, name)
        self.users[name] = user
        if bind:
            await self.bot.send(user, f"/start {code}")
        return user

    async def item(self, kind: str, title: str, duty: str, owner: str, unit: str, due: str,
                   parent: str | None = None, by: User | None = None) -> str:
        """Create an item through the guided /新建 flow, typing every answer."""
        who = by or self.admin
        await self.bot.send(who, "/新建")
        answers = [kind, title, duty, owner, unit]
        if kind != "问题":
            answers.append(parent or "跳过")
        answers += ["跳过", due]
        for answer in answers:
            await self.bot.send(who, answer)
        await self.bot.press(who, self.api.last(who.id), "确认创建")
        text = self.api.last(who.id).plain
        assert "已新建" in text, text
        return re.search(r"[WZC]\d{4}", text).group(0)


@pytest.fixture
async def org(bot, api, admin) -> Org:
    return await Org(bot, api, admin).build()


async def snapshot(bot: BotDriver) -> tuple[int, ...]:
    """How much is stored: units, people, items, events. Equal before and after = nothing changed."""
    db = bot.app.bot_data.services.db
    async with db.read() as tx:
        units = await tx.units.all()
        people = await tx.persons.all()
        total = await tx.items.count_in_scope(Scope(True, None))
        events = await tx.events.count()
    return len(units), len(people), total, events


@pytest.fixture
async def world(bot, api, admin, org, clock):
    """Two items with due dates in the fortnight from Monday 23 Nov 2026, and a 纪委 group."""
    group = api.group(DISCIPLINE_GROUP, "局纪委工作群")
    await bot.send(admin, "/bindgroup 纪委", chat=group)
    a = await org.item("措施", "逐笔核查公务接待报销凭证", "一岗双责", "周支书", "财务科党支部",
                       "2026-11-27")
    b = await org.item("责任", "建立在建工程廉政风险点台账", "一岗双责", "王芳", "项目科",
                       "2026-12-02")
    return {"a": a, "b": b, "group": group}


# --- PostgreSQL (issue 23): tests/postgres_cluster.py ----------------------------------

@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL cluster for the session (skipped loudly without PostgreSQL,
    failed in CI)."""
    from tests.postgres_cluster import Cluster, find_bin, unavailable

    bindir = find_bin()
    if bindir is None:
        unavailable("initdb/pg_ctl not found")
    cluster = Cluster(bindir)
    try:
        cluster.start()
    except Exception as exc:  # pragma: no cover - the machine's problem, said in one line
        cluster.stop()
        unavailable(f"the throwaway cluster did not start: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """A fresh, empty PostgreSQL database for one test: its postgresql:// URL."""
    url = pg_cluster.new_database()
    yield url
    pg_cluster.drop_database(url)


@pytest.fixture
def pg_migrated_url(pg_cluster) -> str:
    """A fresh PostgreSQL database already at the latest schema: its URL."""
    url = pg_cluster.new_database(migrated=True)
    yield url
    pg_cluster.drop_database(url)


def pytest_terminal_summary(terminalreporter):
    """Skipped PostgreSQL tests are said at the end of every run, not only with -rs."""
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if "POSTGRESQL TESTS NOT RUN" in str(getattr(r, "longrepr", ""))]
    if skipped:
        reason = str(skipped[0].longrepr[2]).removeprefix("Skipped: ")
        terminalreporter.write_line(f"!!! {len(skipped)} {reason}", yellow=True, bold=True)
