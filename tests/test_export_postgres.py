"""The Excel 台账 on PostgreSQL (issue 23): /导出 and `dutybot export` give what they give on
SQLite. The same actions are taken through the real bot on both engines, and the workbooks
compared sheet by sheet and cell by cell; the 问责 sheet is in the 纪委's private export only."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from bot.cli import main
from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.domain.ledger import CASES, EVENTS, FIXES
from bot.domain.model import Actor, UnitKind
from bot.domain.workbook import ITEMS
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.driver import driven_bot
from bot.services.cases import CaseDraft
from tests.conftest import ADMIN_ID, DISCIPLINE_GROUP, MONDAY, Org
from tests.test_inspections import RECORD

FILE = "四责协同台账_2026-11-23.xlsx"

Sheets = dict[str, list[tuple]]


def sheets(data: bytes) -> Sheets:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


async def exports_after_the_same_actions(settings: Settings) -> tuple[Sheets, Sheets]:
    """An office set up, two items, an inspection whose finding became a 整改, a 问责 case;
    then the 纪委 member's /导出 in private and /export in the 纪委 group."""
    api = FakeTelegram()
    async with driven_bot(settings, api, ManualClock(MONDAY)) as bot:
        admin = api.user(ADMIN_ID, "办公室郑晓")
        org = await Org(bot, api, admin).build()
        group = api.group(DISCIPLINE_GROUP, "局纪委工作群")
        await bot.send(admin, "/bindgroup 纪委", chat=group)
        await org.item("措施", "逐笔核查公务接待报销凭证", "一岗双责", "周支书", "财务科党支部",
                       "2026-11-27")
        await org.item("责任", "建立在建工程廉政风险点台账", "一岗双责", "王芳", "项目科",
                       "2026-12-02")
        liu = org.users["刘纪委"]
        await bot.send(liu, RECORD)
        await bot.press(liu, api.last(liu.id), "J0001 落实：转为问题和整改")
        services = bot.app.bot_data.services
        async with services.db.read() as tx:
            person = next(p for p in (await tx.persons.all()).values() if p.name == "刘纪委")
        await services.cases.record(
            Actor(telegram_user_id=liu.id, person=person),
            CaseDraft(person="周支书", situation="4", finding="对下属违规报销压案不查",
                      handling="诫勉", decided_on="12月1日", misconduct=True))
        await bot.send(liu, "/导出")
        private = api.last(liu.id)
        assert private.file_name == FILE, private.plain
        await bot.send(liu, "/export", chat=group)
        in_group = api.last(group.id)
        assert in_group.file_name == FILE, in_group.plain
        return sheets(private.file), sheets(in_group.file)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("DUTYBOT_DATABASE_URL", "DUTYBOT_DB_PATH", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def settings_for(tmp_path: Path, url: str | None) -> Settings:
    extra = {"DUTYBOT_DATABASE_URL": url} if url else {}
    return load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db", DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                         TELEGRAM_API_BASE_URL="https://api.telegram.org", **extra)


async def test_the_ledger_on_postgresql_is_the_ledger_on_sqlite(env, tmp_path, pg_migrated_url):
    (tmp_path / "lite").mkdir()
    (tmp_path / "pg").mkdir()
    on_sqlite = await exports_after_the_same_actions(settings_for(tmp_path / "lite", None))
    on_pg = await exports_after_the_same_actions(settings_for(tmp_path / "pg", pg_migrated_url))
    assert not (tmp_path / "pg" / "bot.db").exists()  # PostgreSQL's, not a file's
    for lite, pg in zip(on_sqlite, on_pg, strict=True):
        assert list(pg) == list(lite)  # the same sheets, in the same order
        assert {k: len(v) for k, v in pg.items()} == {k: len(v) for k, v in lite.items()}
        for name in lite:
            assert pg[name] == lite[name], name  # cell by cell
    private, in_group = on_pg
    # the 问责 sheet in the 纪委's private export, never in a group's
    assert CASES in private and CASES not in in_group
    assert private[CASES][1][0] == "A0001" and private[CASES][1][1] == "周支书"
    # the rows are there, and dates are dates (not text)
    assert len(private[ITEMS]) == 1 + 3 and len(private[FIXES]) == 1 + 1
    header = private[ITEMS][0]
    due = private[ITEMS][1][header.index("截止日期")]
    assert isinstance(due, datetime), due
    # the 履责纪实 names an item's 编号 (the event's subject joined to its item)
    logged = " ".join(str(c) for row in private[EVENTS] for c in row)
    assert re.search(r"W\d{4}", logged) and "登记问责案件" in logged


async def test_dutybot_export_on_postgresql_writes_the_file(env, tmp_path, pg_migrated_url,
                                                          capsys):
    await exports_after_the_same_actions(settings_for(tmp_path, pg_migrated_url))
    env.setenv("DUTYBOT_DATABASE_URL", pg_migrated_url)
    target = tmp_path / "台账.xlsx"
    assert await asyncio.to_thread(main, ["export", str(target)]) == 0, capsys.readouterr().err
    assert "台账" in capsys.readouterr().out
    written = sheets(target.read_bytes())
    assert CASES in written  # the operator at the console exports everything
    assert len(written[ITEMS]) == 1 + 3 and written[CASES][1][0] == "A0001"
    # recorded in the 履责纪实 once written: the next export shows it
    again = tmp_path / "again.xlsx"
    assert await asyncio.to_thread(main, ["export", str(again)]) == 0
    logged = [row[3] for row in sheets(again.read_bytes())[EVENTS]]
    assert logged[-1] == "导出台账"
    assert not (tmp_path / "bot.db").exists()


async def test_the_childs_postgresql_snapshot_is_read_only_and_keeps_its_moment(
        env, tmp_path, pg_migrated_url):
    """What the export's child reads: one read-only REPEATABLE READ snapshot (a later
    write is not in it); a server it cannot reach is said without the password."""
    from storage.db import Database, DatabaseUnreachable
    from storage.ledger import LedgerSnapshot

    db = await Database.open(pg_migrated_url)
    try:
        async with db.transaction() as tx:
            top = await tx.units.add("某局党委", UnitKind.COMMITTEE, None, MONDAY)

        def read_then_look_again() -> tuple[int, int]:
            with LedgerSnapshot(pg_migrated_url) as snapshot:
                before = len(snapshot.units())
                asyncio.run(add_one())
                after = len(snapshot.units())
                assert list(snapshot._rows(
                    "SELECT current_setting('transaction_read_only'), "
                    "current_setting('transaction_isolation')")) == [("on", "repeatable read")]
                return before, after

        async def add_one() -> None:
            other = await Database.open(pg_migrated_url)
            try:
                async with other.transaction() as tx:
                    await tx.units.add("财务科", UnitKind.DEPARTMENT, top.id, MONDAY)
            finally:
                await other.close()

        assert await asyncio.to_thread(read_then_look_again) == (1, 1)
        async with db.read() as tx:
            assert len(await tx.units.all()) == 2
    finally:
        await db.close()
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(DatabaseUnreachable) as refused:
        LedgerSnapshot(f"postgresql://dutybot:s3cret-pw@127.0.0.1:{port}/dutybot")
    assert "s3cret-pw" not in str(refused.value)
