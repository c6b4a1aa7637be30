"""Importing a workbook through the service, on a real SQLite file with the real migrations:
the template, a round trip, all-or-nothing refusals, re-import, updates and their events."""

from __future__ import annotations

import io
import sqlite3
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.clock import ManualClock
from bot.config import load_settings
from bot.domain.model import Actor, Duty, ListKind, Role, UnitKind
from bot.domain.workbook import (
    ALL_SHEETS,
    COLUMNS,
    EXAMPLES,
    HELP,
    ITEMS,
    PEOPLE,
    SHEETS,
    UNITS,
)
from bot.offload import MiB, OutOfMemory, OutOfTime, WorkerDied
from bot.services.errors import NotAllowed
from bot.services.imports import ImportRejected, UploadProblem, WorkbookRefused, check_upload
from bot.services.items import ItemDraft
from bot.services.registry import Services
from bot.workbook_io import read_workbook, write_template
from messages.format import tg_len
from messages.imports import error_line, import_rejected, template_help, upload_refused
from tests.conftest import MONDAY
from tests.workbooks import (
    ITEMS_ROWS,
    PEOPLE_ROWS,
    UNITS_ROWS,
    filled,
    to_bytes,
    with_macros,
    workbook,
)

OFFICE = Actor(telegram_user_id=None, bootstrap_admin=True)
TABLES = ("units", "persons", "person_roles", "person_oversight", "invites", "items", "events")


def rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that matters, read beside the service's own connection."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return conn.execute(sql).fetchall()


# -- the template ------------------------------------------------------------------------------


def test_the_template_has_the_sheets_headers_examples_and_help(tmp_path):
    path = tmp_path / "模板.xlsx"
    write_template(path, template_help())
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [*ALL_SHEETS, HELP]
    for name in ALL_SHEETS:
        sheet = book[name]
        assert [c.value for c in sheet[1]] == list(COLUMNS[name])
        assert sheet.max_row == 2  # the header and one example
        example = [c.value for c in sheet[2]]
        assert [v.date() if hasattr(v, "date") else v for v in example] == list(EXAMPLES[name])
    help_text = "\n".join(str(c.value) for row in book[HELP].iter_rows() for c in row if c.value)
    for name in ALL_SHEETS:
        for column in COLUMNS[name]:
            assert any(r[0].value == name and r[1].value == column
                       for r in book[HELP].iter_rows(min_row=2)), (name, column)
    for word in ("党委书记", "班子成员", "纪委书记", "纪委委员", "支部书记", "管理员", "主体责任",
                 "一岗双责", "二级党组织", "党支部", "已完成", "保持不变", "不会删除", "公式"):
        assert word in help_text, word


async def test_the_blank_template_imports_nothing(services, tmp_path):
    path = tmp_path / "模板.xlsx"
    write_template(path, template_help())
    result = await services.imports.import_file(OFFICE, path.read_bytes(), path.name)
    assert result.plan.is_empty() and result.plan.examples_skipped == len(ALL_SHEETS)
    assert rows(tmp_path / "bot.db")["events"] == []


# -- a round trip ------------------------------------------------------------------------------


async def test_template_filled_in_imports_as_if_typed_in_chat(services, tmp_path):
    db = tmp_path / "bot.db"
    result = await services.imports.import_file(OFFICE, filled(), "台账.xlsx")
    assert [(result.plan.created(s), result.plan.updated(s)) for s in SHEETS] == \
        [(5, 0), (5, 0), (3, 0)]
    units = {r[1]: r for r in query(db, "SELECT id, name, kind, parent_id FROM units")}
    assert units["项目科"][2] == UnitKind.DEPARTMENT.value  # no 类型: a department under a parent
    assert units["局纪委"][2] == UnitKind.SUBORDINATE.value
    assert units["财务科党支部"][3] == units["财务科"][0]
    people = {r[0]: r[1:] for r in query(db, "SELECT name, phone, note FROM persons")}
    assert people["陈书记"] == ("13800000001", None)  # a number cell, read as the digits
    assert people["李明"] == ("13800000002", "分管财务")
    async with services.db.read() as tx:
        everyone = {p.name: p for p in (await tx.persons.all()).values()}
        w = await tx.items.by_code("W0100")
        z = await tx.items.by_code("Z0101")
        c = await tx.items.by_code("C0003")  # the bot's own code series: kind letter + id
    assert everyone["李明"].roles == {Role.MEMBER}
    assert everyone["李明"].oversees == {units["财务科"][0]}
    assert (w.kind, w.duty, w.source, w.due_date) == (ListKind.PROBLEM, Duty.PRINCIPAL, "巡察",
                                                      date(2026, 12, 5))
    assert z.parent_id == w.id and z.status.value == "in_progress"
    assert c.parent_id == z.id and c.owner_id == everyone["周支书"].id
    assert c.unit_id == units["财务科党支部"][0] and c.due_date == date(2026, 11, 27)
    # an imported item is an item like any other: the owner's /待办 lists it
    todo = await services.items.todo(everyone["周支书"])
    assert [v.item.code for v in todo.views] == ["C0003"]
    # every new person has a fresh one-time invite, valid for the configured days
    assert sorted(i.name for i in result.invites) == sorted(p[0] for p in PEOPLE_ROWS)
    invite = next(i for i in result.invites if i.name == "周支书")
    assert invite.unit == "财务科党支部" and invite.expires_at == MONDAY + timedelta(days=7)
    assert query(db, "SELECT COUNT(*) FROM invites WHERE used_at IS NULL") == [(5,)]
    kinds = query(db, "SELECT kind, COUNT(*) FROM events GROUP BY kind ORDER BY kind")
    assert kinds == [("import.applied", 1), ("item.created", 3), ("person.registered", 5),
                     ("unit.created", 5)]


async def test_importing_the_same_file_again_changes_nothing(services, tmp_path):
    data = filled()
    await services.imports.import_file(OFFICE, data, "台账.xlsx")
    before = rows(tmp_path / "bot.db")
    again = await services.imports.import_file(OFFICE, data, "台账.xlsx")
    assert again.plan.is_empty() and again.invites == ()
    assert again.plan.unchanged == {UNITS: 5, PEOPLE: 5, ITEMS: 3}
    assert rows(tmp_path / "bot.db") == before


async def test_a_changed_row_updates_the_record_and_is_logged(services, tmp_path):
    db = tmp_path / "bot.db"
    await services.imports.import_file(OFFICE, filled(), "台账.xlsx")
    people = [list(r) for r in PEOPLE_ROWS]
    people[1][4] = "13900000000"
    people[1][1] = "班子成员、管理员"
    items = [list(r) for r in ITEMS_ROWS]
    items[0][8] = date(2027, 1, 15)
    items[2][9] = "已完成"  # the measure without a code: found by list, title, owner, unit
    services.clock.advance(timedelta(hours=1))
    result = await services.imports.import_file(OFFICE, filled(UNITS_ROWS, people, items), "v2")
    assert [(result.plan.created(s), result.plan.updated(s)) for s in SHEETS] == \
        [(0, 0), (0, 1), (0, 2)]
    assert result.invites == ()
    assert query(db, "SELECT code, due_date, status FROM items ORDER BY id") == [
        ("W0100", "2027-01-15", "open"), ("Z0101", "2026-12-10", "in_progress"),
        ("C0003", "2026-11-27", "done")]
    assert query(db, "SELECT updated_at > created_at FROM items ORDER BY id") == \
        [(1,), (0,), (1,)]
    async with services.db.read() as tx:
        w = await tx.items.by_code("W0100")
        li = next(p for p in (await tx.persons.all()).values() if p.name == "李明")
        w_events = await tx.events.for_subject("item", w.id)
        li_events = await tx.events.for_subject("person", li.id)
    assert li.roles == {Role.MEMBER, Role.ADMIN}
    assert [e.kind for e in w_events] == ["item.created", "item.updated"]
    assert w_events[-1].data["changes"] == {"due_date": ["2026-12-05", "2027-01-15"]}
    assert w_events[-1].data["via"] == "import" and w_events[-1].actor_person_id is None
    assert li_events[-1].data["changes"] == {"roles": [["member"], ["admin", "member"]],
                                             "phone": ["13800000002", "13900000000"]}


async def test_rows_not_in_the_file_are_left_alone(services, tmp_path):
    await services.imports.import_file(OFFICE, filled(), "台账.xlsx")
    before = rows(tmp_path / "bot.db")
    result = await services.imports.import_file(
        OFFICE, filled(UNITS_ROWS[:1], PEOPLE_ROWS[:1], ITEMS_ROWS[:1]), "一部分.xlsx")
    assert result.plan.is_empty()
    assert rows(tmp_path / "bot.db") == before


async def test_items_made_in_chat_never_take_an_imported_code(services):
    people = [("陈书记", "党委书记", "某局党委", None, None, None)]
    items = [("W0002", "问题", "一", "主体责任", "陈书记", None, None, None, "2026-12-05", None)]
    await services.imports.import_file(OFFICE, filled(UNITS_ROWS[:1], people, items), "a.xlsx")
    view = await services.items.create(OFFICE, ItemDraft(
        ListKind.PROBLEM, "二", Duty.PRINCIPAL, "陈书记", "某局党委", date(2026, 12, 6)))
    assert view.item.code == "W0003"  # id 2 would be W0002, which the import holds
    again = await services.items.create(OFFICE, ItemDraft(
        ListKind.PROBLEM, "三", Duty.PRINCIPAL, "陈书记", "某局党委", date(2026, 12, 7)))
    assert again.item.code == "W0004"


# -- all or nothing ----------------------------------------------------------------------------


def _change(sheet: str, row: int, column: str, value: object) -> Callable[[Any], None]:
    def apply(book: Any) -> None:
        book[sheet].cell(row, COLUMNS[sheet].index(column) + 1).value = value
    return apply


def _bare_number(sheet: str, row: int, column: str, value: float) -> Callable[[Any], None]:
    def apply(book: Any) -> None:
        cell = book[sheet].cell(row, COLUMNS[sheet].index(column) + 1)
        cell.value, cell.number_format = value, "General"
    return apply


def _rename_header(book: Any) -> None:
    book[PEOPLE].cell(1, COLUMNS[PEOPLE].index("手机号") + 1).value = "电话"


def _duplicate_person(book: Any) -> None:
    book[PEOPLE].append(["李明", "管理员", "某局党委", None, None, None])


# Rows: 2 is the template's example; the units, people and items above start at row 3.
BAD_ROWS = {
    "unknown owner": (_change(ITEMS, 4, "责任人", "赵六"), "清单 第4行 责任人: 找不到责任人“赵六”"),
    "duplicate name in one unit": (_duplicate_person, "人员 第8行 姓名: “李明”与第4行重复"),
    "unknown parent item": (_change(ITEMS, 5, "上级事项编号", "Z9999"),
                            "清单 第5行 上级事项编号: 找不到上级事项“Z9999”"),
    "parent cycle": (_change(ITEMS, 4, "上级事项编号", "Z0101"),
                     "清单 第4行 上级事项编号: 上级事项“Z0101”会形成循环"),
    "parent of the wrong list": (_change(ITEMS, 5, "上级事项编号", "W0100"),
                                 "清单 第5行 上级事项编号: 上级事项“W0100”必须是责任清单中的事项"),
    "unparseable date": (_change(ITEMS, 3, "截止日期", "年底前"),
                         "清单 第3行 截止日期: 看不懂日期“年底前”"),
    "date without a year": (_change(ITEMS, 3, "截止日期", "12月5日"),
                            "清单 第3行 截止日期: 日期“12月5日”缺少年份"),
    "unknown role": (_change(PEOPLE, 5, "角色", "副书记"), "人员 第5行 角色: 不认识角色“副书记”"),
    "missing required cell": (_change(ITEMS, 3, "标题", None), "清单 第3行 标题: 不能为空"),
    "sheet missing": (lambda book: book.remove(book[ITEMS]), "清单: 缺少这个工作表"),
    "header missing": (_rename_header, "人员 第1行 手机号: 缺少这一列"),
    "unknown unit": (_change(PEOPLE, 7, "所在单位", "党支部"), "人员 第7行 所在单位: 找不到单位“党支部”"),
    "unknown parent unit": (_change(UNITS, 5, "上级单位", "局机关"),
                            "单位 第5行 上级单位: 找不到单位“局机关”"),
    "unit cycle": (_change(UNITS, 3, "上级单位", "财务科党支部"),
                   "单位 第3行 上级单位: 上级单位“财务科党支部”会形成循环"),
    "unknown 分管单位": (_change(PEOPLE, 4, "分管单位", "财务处"),
                       "人员 第4行 分管单位: 找不到单位“财务处”"),
    "unknown list": (_change(ITEMS, 3, "清单类型", "任务"), "清单 第3行 清单类型: 不认识“任务”"),
    "formula": (_change(ITEMS, 3, "截止日期", "=DATE(2026,12,5)"), "清单 第3行 截止日期: 是公式"),
    # names and titles are cleaned as in chat (bot/domain/text.py)
    "bidi override in a name": (_change(PEOPLE, 4, "姓名", "李\u202e明"),
                                "人员 第4行 姓名: 含有看不见的文字方向控制符（U+202E）"),
    "zero-width space in a unit": (_change(UNITS, 4, "名称", "财务\u200b科"),
                                   "单位 第4行 名称: 含有看不见的零宽字符（U+200B）"),
    "bidi isolate in a 分管单位": (_change(PEOPLE, 4, "分管单位", "\u2066财务科\u2069"),
                                 "人员 第4行 分管单位: 含有看不见的文字方向控制符（U+2066）"),
    "zero-width joiner in a 责任人": (_change(ITEMS, 4, "责任人", "李\u200d明"),
                                    "清单 第4行 责任人: 含有看不见的零宽字符（U+200D）"),
    "a title of invisible characters": (_change(ITEMS, 3, "标题", "\u200b\ufeff\u2060"),
                                        "清单 第3行 标题: 只有看不见的字符"),
    "a name of invisible characters": (_change(UNITS, 5, "名称", "\u3164"),
                                       "单位 第5行 名称: 只有看不见的字符"),
    "a word joiner in a title": (_change(ITEMS, 3, "标题", "公务\u2060接待"),
                                 "清单 第3行 标题: 含有看不见的零宽字符（U+2060）"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
async def test_a_bad_row_is_named_and_nothing_at_all_is_imported(services, tmp_path, case):
    db = tmp_path / "bot.db"
    await services.imports.import_file(OFFICE, filled(), "台账.xlsx")
    before = rows(db)
    spoil, expected = BAD_ROWS[case]
    book = workbook([*UNITS_ROWS, ("审计科", "某局党委", "部门")])  # a good new row too
    spoil(book)
    with pytest.raises(ImportRejected) as caught:
        await services.imports.import_file(OFFICE, to_bytes(book), "台账.xlsx")
    lines = [error_line(e) for e in caught.value.errors]
    assert any(line.startswith(expected) for line in lines), lines
    assert rows(db) == before


# Each is one problem, reported once (row 3 is W0100, a 问题 due 2026-12-05).
CONTRADICTIONS = {
    "a code of another list": (
        _change(ITEMS, 3, "编号", "Z0100"),
        "清单 第3行 编号: 编号“Z0100”以 Z 开头，是责任清单的编号，与清单类型“问题”不符（问题 W、责任 Z、措施 C）"),
    "a 整改's letter": (
        _change(ITEMS, 3, "编号", "G0100"),
        "清单 第3行 编号: 编号“G0100”以 G 开头，是整改事项的编号，与清单类型“问题”不符（问题 W、责任 Z、措施 C）"),
    "a code outside the bot's pattern": (
        _change(ITEMS, 3, "编号", "P-001"),
        "清单 第3行 编号: “P-001”不是本系统的编号：编号是清单的字母加至少4位数字，如 W0001"
        "（问题 W、责任 Z、措施 C）；新事项可留空，由系统编号"),
    "a parent code outside the pattern": (
        _change(ITEMS, 4, "上级事项编号", "W100"),
        "清单 第4行 上级事项编号: “W100”不是本系统的编号"),
    "an Excel serial not formatted as a date": (
        _bare_number(ITEMS, 3, "截止日期", 46361),
        "清单 第3行 截止日期: “46361”是一个数字，不是日期：请把这一格设为日期格式，或写成 2026-03-31"),
    "an impossible date": (
        _change(ITEMS, 3, "截止日期", "2026-02-30"),
        "清单 第3行 截止日期: 2026-02-30 不是有效日期（2026年2月只有28天）"),
    "an impossible month": (
        _change(ITEMS, 3, "截止日期", "2026年13月1日"),
        "清单 第3行 截止日期: 2026年13月1日 不是有效日期（没有13月）"),
    "a year out of range": (
        _change(ITEMS, 3, "截止日期", "2206-12-05"),
        "清单 第3行 截止日期: 2206-12-05 不是有效日期（年份须在 2000—2100 之间）"),
}


@pytest.mark.parametrize("case", list(CONTRADICTIONS))
async def test_a_row_that_contradicts_itself_is_one_error_and_nothing_changes(
        services, tmp_path, case):
    db = tmp_path / "bot.db"
    await services.imports.import_file(OFFICE, filled(), "台账.xlsx")
    before = rows(db)
    spoil, expected = CONTRADICTIONS[case]
    book = workbook()
    spoil(book)
    with pytest.raises(ImportRejected) as caught:
        await services.imports.import_file(OFFICE, to_bytes(book), "台账.xlsx")
    lines = [error_line(e) for e in caught.value.errors]
    assert len(lines) == 1 and lines[0].startswith(expected), lines
    assert rows(db) == before


async def test_every_bad_row_is_listed_and_a_long_list_fits_one_message(services, tmp_path):
    items = [(None, "问题", f"事项{n}", "主体责任", "查无此人", None, None, None, "明年", None)
             for n in range(300)]
    with pytest.raises(ImportRejected) as caught:
        await services.imports.import_file(OFFICE, filled(items=items), "台账.xlsx")
    errors = caught.value.errors
    assert len(errors) == 300  # each row once: a row whose cells are wrong goes no further
    assert [e.row for e in errors] == list(range(3, 303))
    text = import_rejected(errors)
    assert tg_len(text) <= 4096 and "…另有" in text and "清单 第3行 截止日期" in text
    assert rows(tmp_path / "bot.db")["units"] == []


async def test_only_an_admin_may_import(services, tmp_path):
    stranger = Actor(telegram_user_id=5, person=None)
    with pytest.raises(NotAllowed):
        await services.imports.import_file(stranger, filled(), "台账.xlsx")
    assert rows(tmp_path / "bot.db")["units"] == []


@pytest.mark.parametrize(("data", "problem"), [
    (b"PK\x03\x04 this is not a workbook", UploadProblem.CORRUPT),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old .xls or an encrypted file",
     UploadProblem.NOT_WORKBOOK),
    (with_macros(filled()), UploadProblem.MACROS),
])
async def test_files_that_are_not_plain_workbooks_are_refused(services, tmp_path, data, problem):
    with pytest.raises(WorkbookRefused) as caught:
        await services.imports.import_file(OFFICE, data, "台账.xlsx")
    assert caught.value.problem is problem
    assert rows(tmp_path / "bot.db")["units"] == []


@pytest.mark.parametrize(("name", "mime", "size", "problem"), [
    ("台账.xlsx", None, 1000, None),
    ("台账.XLSX", None, 5 * 1024 * 1024, None),
    ("台账.xlsx", None, 5 * 1024 * 1024 + 1, UploadProblem.TOO_BIG),
    ("台账.xlsm", None, 1000, UploadProblem.MACROS),
    ("台账.xls", None, 1000, UploadProblem.OLD_XLS),
    ("台账.pdf", "application/pdf", 1000, UploadProblem.NOT_XLSX),
    ("台账", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 1000, None),
    (None, None, 1000, UploadProblem.NOT_XLSX),
])
def test_what_is_told_before_downloading(name, mime, size, problem):
    assert check_upload(name, mime, size) is problem


def test_a_workbook_read_from_bytes_keeps_excel_dates():
    book = workbook(items=[ITEMS_ROWS[0]])
    data = io.BytesIO()
    book.save(data)
    raw = read_workbook(data.getvalue())
    values = raw.sheets[ITEMS].rows[-1][1]
    assert values[COLUMNS[ITEMS].index("截止日期")].date() == date(2026, 12, 5)


async def test_a_unit_moved_and_a_new_分管_are_stored_and_logged(services, tmp_path):
    db = tmp_path / "bot.db"
    await services.imports.import_file(OFFICE, filled(), "台账.xlsx")
    units = [list(r) for r in UNITS_ROWS] + [["审计科", "某局党委", None]]
    units[2] = ["项目科", "审计科", "党支部"]  # under a unit this same file creates
    people = [list(r) for r in PEOPLE_ROWS]
    people[2][3] = "项目科、审计科"
    result = await services.imports.import_file(OFFICE, filled(units, people), "v2.xlsx")
    assert [(result.plan.created(s), result.plan.updated(s)) for s in SHEETS] == \
        [(1, 1), (0, 1), (0, 0)]
    ids = {name: i for i, name in query(db, "SELECT id, name FROM units")}
    assert query(db, "SELECT kind, parent_id FROM units WHERE name = '项目科'") == \
        [("branch", ids["审计科"])]
    async with services.db.read() as tx:
        wang = next(p for p in (await tx.persons.all()).values() if p.name == "王芳")
        moved = await tx.events.for_subject("unit", ids["项目科"])
    assert wang.oversees == {ids["项目科"], ids["审计科"]}
    assert moved[-1].kind == "unit.updated"
    assert moved[-1].data["changes"] == {"kind": ["department", "branch"],
                                         "parent": ["某局党委", "审计科"]}


async def test_a_整改_or_an_obligation_cannot_be_changed_by_importing(services, tmp_path):
    await services.imports.import_file(OFFICE, filled(), "台账.xlsx")
    async with services.db.transaction() as tx:
        chen = next(p for p in (await tx.persons.all()).values() if p.name == "陈书记")
        fix = await tx.items.add(kind=ListKind.RECTIFICATION, title="巡察反馈问题整改",
                                 duty=Duty.SUPERVISION, owner_id=chen.id, unit_id=chen.unit_id,
                                 parent_id=None, source="巡察", due_date=date(2026, 12, 31),
                                 now=MONDAY)
    before = rows(tmp_path / "bot.db")
    items = [(fix.code, "问题", "巡察反馈问题整改", "监督责任", "陈书记", None, None, None,
              "2027-01-31", None)]
    with pytest.raises(ImportRejected) as caught:
        await services.imports.import_file(OFFICE, filled(items=items), "台账.xlsx")
    assert [error_line(e) for e in caught.value.errors] == [
        f"清单 第3行 编号: 编号“{fix.code}”在系统中是整改事项，不在三张清单中，不能通过导入修改"]
    assert rows(tmp_path / "bot.db") == before


# -- one short write; read in a child process -----------------------------------------------


def lists(count: int, prefix: str = "") -> list[tuple[object, ...]]:
    """`count` 问题 with codes, each with a 责任 under it and a 措施 (no code) under that."""
    rows: list[tuple[object, ...]] = []
    for n in range(count):
        rows += [(f"W{n + 100:04d}", "问题", f"{prefix}问题{n}", "主体责任", "陈书记", "某局党委",
                  None, "巡察", "2026-12-05", None),
                 (f"Z{n + 100:04d}", "责任", f"{prefix}责任{n}", "一岗双责", "李明", "财务科",
                  f"W{n + 100:04d}", None, "2026-12-10", "进行中"),
                 (None, "措施", f"{prefix}措施{n}", "一岗双责", "周支书", None, f"Z{n + 100:04d}",
                  "自查", "2026-12-20", None)]
    return rows


def counting(monkeypatch) -> list[str]:
    """Every statement sent to SQLite (an execute or an executemany: one round trip each
    to the connection's thread), from now on."""
    import aiosqlite

    sent: list[str] = []
    for name in ("execute", "executemany"):
        original = getattr(aiosqlite.Connection, name)

        def wrapper(self, sql, *args, _original=original, **kwargs):
            sent.append(sql)
            return _original(self, sql, *args, **kwargs)
        monkeypatch.setattr(aiosqlite.Connection, name, wrapper)
    return sent


async def test_an_import_is_a_few_statements_however_many_rows(services, tmp_path, monkeypatch):
    await services.imports.import_file(OFFICE, filled(items=[]), "人员.xlsx")
    small, large = filled(items=lists(2)), filled(items=lists(200, "大"))
    sent = counting(monkeypatch)
    await services.imports.import_file(OFFICE, small, "少.xlsx")
    few = len(sent)
    sent.clear()
    result = await services.imports.import_file(OFFICE, large, "多.xlsx")
    # the first two of each code are the small file's: updated, the rest created
    assert (result.plan.created(ITEMS), result.plan.updated(ITEMS)) == (596, 4)
    assert len(sent) == few, sent  # not one more statement for 594 more rows
    stored = query(tmp_path / "bot.db", "SELECT code, kind, parent_id IS NOT NULL FROM items "
                   "WHERE title LIKE '大%' ORDER BY id")
    assert sorted(Counter(kind for _, kind, _ in stored).values()) == [200, 200, 200]
    assert all(code.startswith("C") for code, kind, _ in stored if kind == "measure")
    assert all(has_parent for _, kind, has_parent in stored if kind != "problem")


async def test_new_items_are_numbered_past_codes_already_held(services, tmp_path):
    people = [("陈书记", "党委书记", "某局党委", None, None, None)]

    def problem(code: str | None, title: str) -> tuple[object, ...]:
        return (code, "问题", title, "主体责任", "陈书记", None, None, None, "2026-12-05", None)

    # W0003 held by an earlier import; the file gives W0002 to a later row itself
    await services.imports.import_file(OFFICE, filled(UNITS_ROWS[:1], people,
                                                      [problem("W0003", "早已导入")]), "a.xlsx")
    await services.imports.import_file(OFFICE, filled(UNITS_ROWS[:1], people, [
        problem(None, "甲"), problem(None, "乙"), problem("W0002", "丙")]), "b.xlsx")
    codes = dict(query(tmp_path / "bot.db", "SELECT title, code FROM items"))
    # id 2 would be W0002 (the file's own) and id 3 W0003 (stored): both passed over
    assert codes == {"早已导入": "W0003", "甲": "W0004", "乙": "W0005", "丙": "W0002"}


class Failing:
    """An offloader whose child never finishes the job, in the given way."""

    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    async def run(self, fn, *args, **limits):
        raise self.failure


@pytest.mark.parametrize(("failure", "problem"), [
    (OutOfMemory(256 * MiB), UploadProblem.TOO_COMPLEX),
    (OutOfTime(60), UploadProblem.TOO_SLOW),
    (WorkerDied(-11), UploadProblem.CORRUPT),
])
async def test_a_file_the_child_could_not_read_is_refused_with_its_reason(
        tmp_path, failure, problem):
    settings = load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db")
    services = await Services.open(settings, ManualClock(MONDAY), offload=Failing(failure))
    try:
        with pytest.raises(WorkbookRefused) as caught:
            await services.imports.import_file(OFFICE, filled(), "台账.xlsx")
    finally:
        await services.close()
    assert caught.value.problem is problem
    assert upload_refused(problem).startswith("⛔")
    assert rows(tmp_path / "bot.db")["units"] == []
