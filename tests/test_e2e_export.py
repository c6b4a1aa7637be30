"""End to end: /导出 (/export) through the real Application, the 台账 arriving as a document
over the fake Bot API; refusals are one line, send no file and change nothing."""

from __future__ import annotations

import io
import json
import sqlite3
from contextlib import closing

import openpyxl

from bot.domain.ledger import EVENTS, FIXES, PERFORMANCE
from bot.domain.workbook import HELP, ITEMS, PEOPLE
from tests.conftest import DISCIPLINE_GROUP, snapshot

FILE = "四责协同台账_2026-11-23.xlsx"


def opened(sent) -> openpyxl.Workbook:
    assert sent.file_name == FILE, sent.plain
    return openpyxl.load_workbook(io.BytesIO(sent.file))


def codes(book: openpyxl.Workbook, sheet: str) -> list[str]:
    return [row[0].value for row in book[sheet].iter_rows(min_row=2)]


def events_of(bot, kind: str) -> list[dict]:
    path = bot.app.bot_data.settings.db_path
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT data FROM events WHERE kind = ?", (kind,)).fetchall()
    return [json.loads(data) for (data,) in rows]


async def test_a_discipline_member_gets_the_ledger_in_private(bot, api, org, world):
    liu = org.users["刘纪委"]
    await bot.send(liu, "/导出")
    sent = api.last(liu.id)
    book = opened(sent)
    assert sorted(codes(book, ITEMS)) == sorted([world["a"], world["b"]])
    assert "刘纪委" in [c for c in codes(book, PEOPLE)]
    assert codes(book, FIXES) == []
    kinds = [row[3].value for row in book[EVENTS].iter_rows(min_row=2)]
    assert "新建事项" in kinds and "登记人员" in kinds
    assert sent.plain.startswith(f"📎 {FILE} 📊 四责协同台账（2026-11-23 导出）")
    assert "清单 2" in sent.plain
    scores = [[c.value for c in r] for r in book[PERFORMANCE].iter_rows(min_row=2)]
    assert {r[0] for r in scores} == {"人员", "单位"}
    assert ["人员", "周支书", "财务科党支部"] in [r[:3] for r in scores]
    assert ["单位", "财务科", "某局党委"] in [r[:3] for r in scores]
    notes = [row[0].value for row in book[HELP].iter_rows()]
    assert "按时完成率和提醒回应率的统计期间：2026-01-01 至 2026-11-23。" in notes
    (event,) = events_of(bot, "ledger.exported")
    assert event["via"] == "chat" and event["counts"][ITEMS] == 2


async def test_an_admin_gets_it_too_with_the_ascii_alias(bot, api, admin, org, world):
    await bot.send(admin, "/export")
    book = opened(api.last(admin.id))
    assert len(codes(book, ITEMS)) == 2


async def test_in_the_discipline_group_a_discipline_member_gets_it(bot, api, org, world):
    group = world["group"]
    assert group.id == DISCIPLINE_GROUP
    await bot.send(org.users["刘纪委"], "/export", chat=group)
    assert len(codes(opened(api.last(group.id)), ITEMS)) == 2


async def test_refusals_are_one_line_and_send_nothing(bot, api, admin, org, world):
    li, chen = org.users["李明"], org.users["陈书记"]
    stranger = api.user(99, "路人")
    unit_group = api.group(-300, "财务科群")
    await bot.send(admin, "/bindgroup 单位 财务科", chat=unit_group)
    before = await snapshot(bot)
    asked = [(li, None, "导出台账只能由纪委或管理员"), (chen, None, "导出台账只能由纪委或管理员"),
             (stranger, None, "还没有绑定身份"),
             (org.users["刘纪委"], unit_group, "台账只在纪委群或私聊中导出"),
             (admin, unit_group, "台账只在纪委群或私聊中导出"),
             (li, world["group"], "导出台账只能由纪委或管理员")]
    for who, chat, says in asked:
        where = chat.id if chat else who.id
        count = len(api.bot_messages(where))
        await bot.send(who, "/导出" if chat is None else "/export", chat=chat)
        new = api.bot_messages(where)[count:]
        assert len(new) == 1 and says in new[0].plain, (who.first_name, new)
        assert "\n" not in new[0].plain and new[0].file is None
    assert not any(m.file for chat in api.messages.values() for m in chat)
    assert await snapshot(bot) == before


async def test_a_ledger_too_big_for_telegram_is_refused_with_the_way_round(bot, api, org, world,
                                                                         monkeypatch):
    monkeypatch.setattr("bot.services.export.MAX_DOCUMENT_BYTES", 1000)
    liu = org.users["刘纪委"]
    before = await snapshot(bot)
    await bot.send(liu, "/导出")
    sent = api.last(liu.id)
    assert sent.file is None and "超过 Telegram 允许机器人发送的" in sent.plain
    assert "dutybot export" in sent.plain
    assert await snapshot(bot) == before  # not sent, so not recorded as exported


def exports_recorded(bot) -> list[tuple[str, str]]:
    path = bot.app.bot_data.settings.db_path
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT subject_id, json_extract(data, '$.via') FROM events "
                            "WHERE kind = 'ledger.exported' ORDER BY id").fetchall()


async def test_the_export_is_recorded_after_it_was_sent_naming_the_file(bot, api, org, world):
    liu = org.users["刘纪委"]
    await bot.send(liu, "/导出")
    assert api.last(liu.id).file_name == FILE
    assert exports_recorded(bot) == [(FILE, "chat")]
    await bot.send(liu, "/导出")  # the second export's 履责纪实 shows the first, in words
    logged = [[c.value for c in r] for r in opened(api.last(liu.id))[EVENTS].iter_rows()]
    assert logged[-1][2:5] == ["刘纪委", "导出台账", f"台账 {FILE}"]


async def test_a_document_telegram_did_not_take_is_not_recorded(bot, api, org, world):
    liu = org.users["刘纪委"]
    before = await snapshot(bot)
    api.fail_next("sendDocument", 400, "Bad Request: file is too big")
    await bot.send(liu, "/导出")
    assert api.last(liu.id).file is None
    assert exports_recorded(bot) == []
    assert await snapshot(bot) == before


async def test_an_export_that_could_not_be_made_is_one_line_and_not_recorded(
        bot, api, org, world, monkeypatch):
    liu = org.users["刘纪委"]
    before = await snapshot(bot)
    with monkeypatch.context() as patched:
        patched.setattr("bot.services.export.EXPORT_SECONDS", 0.001)  # its child is stopped
        await bot.send(liu, "/导出")
    sent = api.last(liu.id)
    assert sent.file is None and "\n" not in sent.plain
    assert "生成台账超过 30 分钟仍未完成，已停止，没有导出" in sent.plain
    assert await snapshot(bot) == before and exports_recorded(bot) == []
    await bot.send(liu, "/导出")  # the next export gets a fresh child
    assert api.last(liu.id).file_name == FILE and exports_recorded(bot) == [(FILE, "chat")]
