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
                          ((), "give a name"), (("王芳", "--all-unbound"), "give a name")):
        result = run(tmp_path, server.root, *args)
        assert result.returncode != 0
        assert len(lines(result.stderr)) == 1 and message in result.stderr, result.stderr
