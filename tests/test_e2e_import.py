"""End to end: an admin sends the filled-in template to the bot; the real Application fetches
it over the fake Bot API (getFile, then the file URL), imports it whole or not at all, and
replies. Every refusal is checked for what the sender reads and for the database staying
untouched; files the bot must not fetch are never fetched."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.workbook import LIMITS
from bot.fake_telegram import invite_code
from bot.fake_telegram.api import Chat
from bot.offload import MiB, Offloader
from bot.services.imports import MAX_UPLOAD_BYTES
from tests import hostile
from tests.conftest import ADMIN_ID, snapshot
from tests.travel import at
from tests.workbooks import (
    ITEMS_ROWS,
    PEOPLE_ROWS,
    UNITS_ROWS,
    filled,
    to_bytes,
    with_macros,
    workbook,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fetched(api) -> list[str]:
    """The Bot API calls that fetch a file: getFile, and the download itself."""
    return [m for m, _ in api.calls if m.lower() in ("getfile", "download")]


async def test_an_uploaded_workbook_is_imported_and_its_people_can_bind(bot, api, admin, clock):
    await bot.upload(admin, filled(), "2026年台账.xlsx", mime_type=XLSX)
    assert fetched(api) == ["getFile", "download"]
    replies = [m.plain for m in api.bot_messages(admin.id)]
    assert len(replies) == 1
    text = replies[0]
    assert text.startswith("✅ 导入完成（2026年台账.xlsx）")
    assert "单位：新建 5 · 更新 0 · 未变 0" in text
    assert "人员：新建 5 · 更新 0 · 未变 0" in text
    assert "清单事项：新建 3 · 更新 0 · 未变 0" in text
    assert "与模板示例完全相同的 4 行没有导入" in text and "不会删除任何内容" in text
    assert "新登记 5 人" in text
    links = {line.split("（")[0]: invite_code(line) for line in text.splitlines()
             if "start=" in line}
    assert sorted(links) == sorted(p[0] for p in PEOPLE_ROWS)
    # a new person opens their link, and is bound like anyone registered in chat
    zhou = api.user(20, "周支书")
    await bot.send(zhou, f"/start {links['周支书']}")
    assert "绑定成功" in api.last(zhou.id).plain
    await bot.send(zhou, "/我的清单")
    mine = api.last(zhou.id).plain
    assert "C0003" in mine and "逐笔核查公务接待报销凭证" in mine and "Z0101" in mine
    # …and the reminders pick the imported item up: Monday 09:00, due Friday
    clock.set(at(date(2026, 11, 23)))
    await bot.tick()
    digest = api.last(zhou.id)
    assert "今日提醒" in digest.plain and "逐笔核查公务接待报销凭证" in digest.plain
    assert any("C0003" in label for label, _ in digest.buttons)


async def test_the_same_file_again_changes_nothing(bot, api, admin):
    data = filled()
    await bot.upload(admin, data, "台账.xlsx")
    before = await snapshot(bot)
    await bot.upload(admin, data, "台账.xlsx")
    again = api.last(admin.id).plain
    assert "文件内容与系统中一致，没有任何改动" in again and "start=" not in again
    assert "单位：新建 0 · 更新 0 · 未变 5" in again
    assert await snapshot(bot) == before


async def test_a_changed_row_is_updated_and_said_so(bot, api, admin):
    await bot.upload(admin, filled(), "台账.xlsx")
    items = [list(r) for r in ITEMS_ROWS]
    items[0][8] = "2027-01-15"
    before = await snapshot(bot)
    await bot.upload(admin, filled(UNITS_ROWS, PEOPLE_ROWS, items), "台账v2.xlsx")
    text = api.last(admin.id).plain
    assert "清单事项：新建 0 · 更新 1 · 未变 2" in text
    assert "• 清单 W0100 公务接待超标准：截止日期" in text
    units, people, items_count, events = await snapshot(bot)
    assert (units, people, items_count) == before[:3]
    assert events == before[3] + 2  # item.updated, import.applied


async def test_bad_rows_are_listed_by_sheet_row_and_column_and_nothing_changes(bot, api, admin):
    await bot.upload(admin, filled(), "台账.xlsx")
    before = await snapshot(bot)
    book = workbook([*UNITS_ROWS, ("审计科", "某局党委", None)])
    book["清单"]["E4"] = "<王五>&赵六"  # 责任人, escaped in the reply
    book["清单"]["I3"] = "年底前"  # 截止日期
    book["人员"]["B5"] = "副书记"  # 角色
    await bot.upload(admin, to_bytes(book), "台账.xlsx")
    text = api.last(admin.id).plain
    assert text.startswith("❌ 没有导入：文件中有 3 处问题，系统中的内容没有任何改动。")
    assert "人员 第5行 角色: 不认识角色“副书记”" in text
    assert "清单 第3行 截止日期: 看不懂日期“年底前”" in text
    assert "清单 第4行 责任人: 找不到责任人“<王五>&赵六”" in text
    assert text.index("人员 第5行") < text.index("清单 第3行") < text.index("清单 第4行")
    assert await snapshot(bot) == before


async def test_a_long_error_list_is_cut_to_one_message(bot, api, admin):
    items = [(None, "问题", f"事项{n}", "主体责任", "陈书记", None, None, None, f"12月{n % 28 + 1}日",
              None) for n in range(400)]
    await bot.upload(admin, filled(items=items), "台账.xlsx")
    replies = api.bot_messages(admin.id)
    assert len(replies) == 1 and len(replies[0].text) <= 4096
    text = replies[0].plain
    assert "文件中有 400 处问题" in text and "清单 第3行 截止日期: 日期“12月1日”缺少年份" in text
    shown = text.count("缺少年份")
    assert f"…另有 {400 - shown} 项" in text
    assert await snapshot(bot) == (0, 0, 0, 0)


REFUSED = {
    "not an Excel file": (b"%PDF-1.7", "台账.pdf", {"mime_type": "application/pdf"},
                          "只能导入 Excel 工作簿（.xlsx），“台账.pdf”不是 .xlsx 文件", False),
    "an old .xls": (b"\xd0\xcf\x11\xe0", "台账.xls", {}, "旧版 .xls 文件", False),
    "an .xlsm": (b"PK", "台账.xlsm", {}, "含有宏", False),
    "over 5 MB": (b"PK", "台账.xlsx", {"file_size": MAX_UPLOAD_BYTES + 1},
                  "文件太大（5.0 MB），最大 5 MB", False),
    "a corrupt workbook": (b"PK\x03\x04 broken", "台账.xlsx", {}, "不是有效的 .xlsx 工作簿", True),
    "macros inside an .xlsx": (with_macros(filled()), "台账.xlsx", {}, "含有宏（VBA）", True),
    "an old .xls renamed .xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "台账.xlsx", {},
                                  "“台账.xlsx”实际上是旧版 .xls 文件", True),
    "a zip bomb": (hostile.zip_bomb(LIMITS), "台账.xlsx", {}, "疑似“压缩炸弹”，不予导入", True),
    "an external link": (hostile.external_link(LIMITS), "台账.xlsx", {}, "外部链接", True),
    "one enormous row": (hostile.enormous_row(LIMITS), "台账.xlsx", {},
                         "工作表“清单”第3行有超过 1024 个单元格", True),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_wrong_files_are_refused_clearly_and_change_nothing(bot, api, admin, case):
    content, name, details, expected, downloaded = REFUSED[case]
    before = await snapshot(bot)
    await bot.upload(admin, content, name, **details)
    replies = api.bot_messages(admin.id)
    assert len(replies) == 1 and replies[0].plain.startswith("⛔")
    assert expected in replies[0].plain, replies[0].plain
    assert fetched(api) == (["getFile", "download"] if downloaded else [])
    assert await snapshot(bot) == before


async def test_formulas_are_refused_cell_by_cell(bot, api, admin):
    book = workbook()
    book["清单"]["I3"] = "=DATE(2026,12,5)"
    book["人员"]["E3"] = "=1+1"
    await bot.upload(admin, to_bytes(book), "台账.xlsx")
    text = api.last(admin.id).plain
    assert "没有导入" in text
    assert "人员 第3行 手机号: 是公式" in text and "清单 第3行 截止日期: 是公式" in text
    assert await snapshot(bot) == (0, 0, 0, 0)


async def test_a_size_telegram_understated_is_caught_after_download(bot, api, admin):
    await bot.upload(admin, b"x" * (MAX_UPLOAD_BYTES + 1), "台账.xlsx", file_size=1000)
    assert "文件太大" in api.last(admin.id).plain
    assert await snapshot(bot) == (0, 0, 0, 0)


async def test_a_non_admin_upload_gets_a_one_line_hint(bot, api, admin, org):
    before = await snapshot(bot)
    for user in (org.users["李明"], api.user(99, "路人")):
        await bot.upload(user, filled(), "台账.xlsx")
        hint = api.last(user.id).plain
        assert "只有管理员" in hint and "\n" not in hint
    assert fetched(api) == []
    assert await snapshot(bot) == before


async def test_in_a_group_the_admin_is_sent_to_private_chat(bot, api, admin, org):
    group = api.group(-1002, "财务科工作群", privacy=False)
    await bot.send(admin, "/bindgroup 单位 财务科", chat=group)
    before = await snapshot(bot)
    count = len(api.bot_messages(group.id))
    await bot.upload(org.users["李明"], filled(), "台账.xlsx", chat=group)  # members share files
    assert len(api.bot_messages(group.id)) == count
    await bot.upload(admin, filled(), "台账.xlsx", chat=group)
    assert "请在与我的私聊中发送" in api.last(group.id).plain
    assert len(api.bot_messages(group.id)) == count + 1
    assert fetched(api) == []
    assert await snapshot(bot) == before


async def test_in_an_unregistered_group_nothing_happens(bot, api, admin):
    group = Chat(-1003, "supergroup", "别的群", privacy=False)
    api.chats[group.id] = group
    await bot.upload(admin, filled(), "台账.xlsx", chat=group)
    assert api.bot_messages(group.id) == [] and fetched(api) == []


async def test_a_replayed_upload_is_imported_once(bot, api, admin):
    update = api.send_document(admin, filled(), "台账.xlsx")
    await bot.feed(update)
    once = await snapshot(bot)
    await bot.feed(update)  # Telegram hands it out again after a crash
    assert await snapshot(bot) == once
    assert len(api.bot_messages(ADMIN_ID)) == 1


async def test_an_admins_help_mentions_the_upload(bot, api, admin, org):
    await bot.send(admin, "/help")
    assert "Excel（.xlsx）" in api.last(admin.id).plain
    await bot.send(org.users["李明"], "/help")
    assert "Excel" not in api.last(org.users["李明"].id).plain


# -- read in a child process: no file can exhaust or stall the bot -------------------------


def many_items(count: int) -> bytes:
    long = "逐笔核查公务接待报销凭证并建立台账" * 8
    items = [(None, "问题", f"{long}{n}", "主体责任", "陈书记", "某局党委", None, None,
              "2026-12-05", None) for n in range(count)]
    return filled(UNITS_ROWS, PEOPLE_ROWS, items)


async def test_a_workbook_over_the_memory_cap_is_refused_and_the_next_one_imports(
        bot, api, admin):
    imports = bot.app.bot_data.services.imports
    roomy = imports.offload
    imports.offload = Offloader(workers=1, memory=MiB, preload=("openpyxl",))
    try:
        before = await snapshot(bot)
        await bot.upload(admin, many_items(3000), "台账.xlsx")
        (reply,) = api.bot_messages(admin.id)
        assert reply.plain.startswith("⛔ 读取这个文件所需的内存超出上限") and "\n" not in reply.plain
        assert "没有导入任何内容" in reply.plain
        assert await snapshot(bot) == before
        await bot.upload(admin, filled(), "台账.xlsx")  # small enough for the cap
        assert "导入完成" in api.last(admin.id).plain, api.last(admin.id).plain
    finally:
        imports.offload.close()
        imports.offload = roomy


async def test_a_workbook_that_takes_too_long_is_stopped_and_the_next_one_imports(
        bot, api, admin, monkeypatch):
    before = await snapshot(bot)
    with monkeypatch.context() as patched:
        patched.setattr("bot.services.imports.PARSE_SECONDS", 0.001)
        await bot.upload(admin, filled(), "台账.xlsx")
    (reply,) = api.bot_messages(admin.id)
    assert reply.plain.startswith("⛔ 读取这个文件超过 60 秒仍未完成，已停止") and "\n" not in reply.plain
    assert await snapshot(bot) == before
    await bot.upload(admin, filled(), "台账.xlsx")  # the stopped child was replaced
    assert "导入完成" in api.last(admin.id).plain
