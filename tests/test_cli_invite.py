"""`dutybot invite`: fresh invite codes and links from the console, for one person or for
everyone not yet bound."""

from __future__ import annotations

from pathlib import Path

from bot.clock import SystemClock
from bot.config import load_settings
from bot.domain.model import Actor, Role, UnitKind
from bot.services.people import RegistrationDraft
from bot.services.registry import Services
from tests.test_cli import TOKEN, dutybot, lines, server  # noqa: F401 (fixture)
from tests.test_cli_failures import connected, listener  # noqa: F401 (fixture)


async def seed(db: Path) -> None:
    settings = load_settings(DUTYBOT_DB_PATH=db)
    services = await Services.open(settings, SystemClock(settings.tz))
    office = Actor(telegram_user_id=None, bootstrap_admin=True)
    try:
        await services.people.create_unit(office, "某局党委", UnitKind.COMMITTEE, None)
        await services.people.create_unit(office, "财务科", UnitKind.DEPARTMENT, "某局党委")
        for name, unit in (("李明", "某局党委"), ("王芳", "某局党委"), ("王芳", "财务科")):
            await services.people.register(office, RegistrationDraft(
                name, frozenset({Role.MEMBER}), unit))
        li = await services.people.reinvite(office, "李明")
        await services.people.bind(555, li[1].code, None)
    finally:
        await services.close()


def run(tmp_path: Path, root: str, *args: str):
    return dutybot(tmp_path, "invite", *args, TELEGRAM_BOT_TOKEN=TOKEN,
                   TELEGRAM_API_BASE_URL=root, DUTYBOT_DB_PATH=str(tmp_path / "bot.db"))


async def test_one_person_and_all_unbound(tmp_path, server):  # noqa: F811
    await seed(tmp_path / "bot.db")
    one = run(tmp_path, server.root, "王芳", "--unit", "财务科")
    assert one.returncode == 0, one.stderr
    name, unit, code, link = one.stdout.strip().split("\t")
    assert (name, unit) == ("王芳", "财务科")
    assert link == f"https://t.me/{server.api.bot_username}?start={code}"
    every = run(tmp_path, server.root, "--all-unbound")
    rows = [line.split("\t") for line in lines(every.stdout)]
    assert [(r[0], r[1]) for r in rows] == [("王芳", "某局党委"), ("王芳", "财务科")]  # not 李明
    assert code not in every.stdout  # a fresh code each time; the older one stops working


async def test_refusals_are_one_line(tmp_path, server):  # noqa: F811
    await seed(tmp_path / "bot.db")
    for args, message in ((("王芳",), "有多位“王芳”"), (("张三",), "找不到人员“张三”"),
                          ((), "请给出一个姓名"), (("王芳", "--all-unbound"), "请给出一个姓名")):
        result = run(tmp_path, server.root, *args)
        assert result.returncode != 0
        assert len(lines(result.stderr)) == 1 and message in result.stderr, result.stderr


def without_token(tmp_path: Path, root: str, *args: str, **settings: str):
    """`dutybot invite` with no TELEGRAM_BOT_TOKEN; the Bot API address points at `root`,
    where a test can see whether anyone called."""
    return dutybot(tmp_path, "invite", *args, TELEGRAM_API_BASE_URL=root,
                   DUTYBOT_DB_PATH=str(tmp_path / "bot.db"), **settings)


async def test_without_a_token_the_codes_are_printed_and_nothing_is_sent(tmp_path, listener):  # noqa: F811
    await seed(tmp_path / "bot.db")
    root, sock = listener
    done = without_token(tmp_path, root, "--all-unbound")
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in lines(done.stdout)]
    assert [(r[0], r[1]) for r in rows] == [("王芳", "某局党委"), ("王芳", "财务科")]
    assert all(len(r[2]) >= 6 and r[3] == "" for r in rows)  # a code each, no link yet
    [note] = lines(done.stderr)
    assert note.startswith("dutybot: invite: 只打印了邀请码") and "DUTYBOT_BOT_USERNAME" in note
    assert "Traceback" not in done.stderr
    assert not connected(sock)  # no getMe: no network at all


async def test_the_bot_username_setting_gives_the_links(tmp_path, listener):  # noqa: F811
    await seed(tmp_path / "bot.db")
    root, sock = listener
    done = without_token(tmp_path, root, "王芳", "--unit", "财务科",
                         DUTYBOT_BOT_USERNAME="@office_duty_bot")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    name, unit, code, link = done.stdout.strip().split("\t")
    assert (name, unit) == ("王芳", "财务科")
    assert link == f"https://t.me/office_duty_bot?start={code}"
    assert not connected(sock)


def test_a_malformed_bot_username_is_one_line(tmp_path):
    done = without_token(tmp_path, "http://127.0.0.1:9", "--all-unbound",
                         DUTYBOT_BOT_USERNAME="t.me/офис")
    assert done.returncode == 2 and done.stdout == ""
    [line] = lines(done.stderr)
    assert line.startswith("dutybot: DUTYBOT_BOT_USERNAME: 应为机器人的用户名")
    assert not (tmp_path / "bot.db").exists()
