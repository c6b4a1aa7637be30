"""The Excel 台账: the writer cell by cell on a small hand-made ledger, and the round trip
export → import through the real services (issue 6: nothing changes)."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from bot.domain.channels import Handle
from bot.domain.ledger import (
    EVENTS,
    EXTRA_COLUMNS,
    FIXES,
    LEDGER_COLUMNS,
    OBLIGATIONS,
    PERFORMANCE,
    TALKS,
    Ledger,
    LedgerEvent,
    LedgerItem,
    LedgerPerson,
    LedgerTalk,
    LedgerUnit,
    Score,
    Verdict,
    chain_of,
    import_status,
    overdue_days,
    person_labels,
)
from bot.domain.model import CONSOLE, Duty, ItemStatus, ListKind, Role, UnitKind
from bot.domain.workbook import COLUMNS, HELP, ITEMS, PEOPLE, UNITS
from bot.ledger_io import display_width, write_ledger, write_ledger_file
from bot.services.errors import NotAllowed, NotBound, WrongChat
from bot.services.export import check_export
from messages.export import WORDS, event_details
from storage.ledger import LedgerSnapshot
from tests.conftest import TZ, snapshot
from tests.test_e2e_fixes import create_fix
from tests.test_e2e_replies import first_digest, item_state

MADE = datetime(2026, 11, 30, 10, 30, tzinfo=TZ)
UPDATED = datetime(2026, 11, 20, 8, 15, 30, tzinfo=TZ)
HOSTILE = "=1+1"


def hand_made() -> Ledger:
    units = {
        1: LedgerUnit(1, "某局党委", UnitKind.COMMITTEE, None),
        2: LedgerUnit(2, "财务科", UnitKind.DEPARTMENT, 1),
        3: LedgerUnit(3, "局纪委", UnitKind.SUBORDINATE, 1),
    }
    people = {
        1: LedgerPerson(1, "陈书记", 1, frozenset({Role.SECRETARY}), (), "13800000001", None,
                        True, True, "ChenShuJi", "ou_7d8a6e6df7621556ce0d21922b676706"),
        2: LedgerPerson(2, "李明", 1, frozenset({Role.MEMBER, Role.ADMIN}), (2,), None,
                        "<b>分管</b> & 财务", False, True),
        3: LedgerPerson(3, "刘纪委", 3, frozenset({Role.DISCIPLINE_SECRETARY}), (), None, None,
                        True, True),
        4: LedgerPerson(4, "张三", 2, frozenset({Role.BRANCH_SECRETARY}), (), None, None,
                        False, True),
        5: LedgerPerson(5, "张三", 3, frozenset({Role.DISCIPLINE}), (), None, None, False, True),
    }

    def item(id_: int, code: str, kind: ListKind, title: str, owner: int, unit: int, due: date,
             status: ItemStatus = ItemStatus.OPEN, parent: int | None = None,
             counterpart: int | None = None, source: str | None = None,
             duty: Duty = Duty.DUAL, chain: tuple[str | None, str | None] = (None, None)
             ) -> LedgerItem:
        return LedgerItem(id_, code, kind, title, duty, owner, unit, parent, source, due, status,
                          counterpart, "talk.annual" if counterpart else None,
                          "2026" if counterpart else None, UPDATED, *chain)

    items = [
        item(1, "W0001", ListKind.PROBLEM, "公务接待<b>超标准</b> & 报销", 1, 1,
             date(2026, 12, 5), source="巡察", duty=Duty.PRINCIPAL),
        item(2, "Z0002", ListKind.RESPONSIBILITY, HOSTILE, 2, 2, date(2026, 11, 25),
             ItemStatus.IN_PROGRESS, parent=1, chain=("W0001", None)),
        item(3, "C0003", ListKind.MEASURE, "逐笔核查凭证", 4, 2, date(2026, 11, 27),
             ItemStatus.EXTENSION_REQUESTED, parent=2, chain=("Z0002", "W0001")),
        item(4, "L0004", ListKind.OBLIGATION, "廉政谈话：李明", 1, 1, date(2026, 12, 31),
             counterpart=2, duty=Duty.FIRST),
        item(5, "G0005", ListKind.RECTIFICATION, "财务科整改", 2, 1, date(2026, 12, 31),
             ItemStatus.PENDING_VERIFICATION, source="巡察"),
        item(6, "G0006", ListKind.RECTIFICATION, "整改方案：财务科整改", 2, 1,
             date(2026, 12, 4), ItemStatus.VERIFIED, parent=5),
    ]
    talks = [LedgerTalk(1, None, 3, 4, "提醒谈话", date(2026, 11, 18), "#N/A", UPDATED)]
    events = [
        LedgerEvent(1, UPDATED, 1, 10, "item.created", "item", "1",
                    '{"code": "W0001", "kind": "problem", "title": "公务接待", "due_date": '
                    '"2026-12-05"}', "W0001"),
        LedgerEvent(2, UPDATED, 3, 13, "item.status", "item", "6",
                    '{"action": "verify", "from": "pending_verification", "to": "verified"}',
                    "G0006"),
        LedgerEvent(3, UPDATED, None, None, "reminder_sent", "item", "3",
                    '{"stage": "T-1", "recipient": "p:4"}', "C0003"),
        LedgerEvent(4, UPDATED, None, 1, "unit.created", "unit", "2",
                    '{"name": "财务科", "kind": "department", "parent": "某局党委"}', None),
        LedgerEvent(5, UPDATED, 3, 13, "item.status", "item", "5",
                    '{"action": "return", "from": "pending_verification", "to": "returned", '
                    '"reason": "未清退"}', "G0005"),
    ]
    verdicts = [Verdict(6, UPDATED, 3, "verify"), Verdict(5, UPDATED, 3, "return")]
    return Ledger(made_at=MADE, units=units, people=people, lists=items[:3],
                  obligations=[items[3]], talk_items=[items[3]], talks=talks,
                  fixes=[items[5], items[4]], verdicts=verdicts, events=events,
                  person_scores=[Score("李明", "某局党委", 4, 3, 0.75, 2, 1, 0.5, 68)],
                  unit_scores=[Score("财务科", None, 0, 0, None, 0, 0, None, None)],
                  score_period=(date(2026, 1, 1), date(2026, 11, 30)))


def values(sheet) -> list[list[object]]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(write_ledger(hand_made(), WORDS)))


def test_the_sheets_and_their_headers(book):
    assert book.sheetnames == [UNITS, PEOPLE, ITEMS, OBLIGATIONS, TALKS, FIXES, EVENTS,
                               PERFORMANCE, HELP]
    assert values(book[UNITS])[0] == list(COLUMNS[UNITS])
    assert values(book[PEOPLE])[0] == [*COLUMNS[PEOPLE], *EXTRA_COLUMNS[PEOPLE]]
    assert values(book[ITEMS])[0] == [*COLUMNS[ITEMS], *EXTRA_COLUMNS[ITEMS]]
    for name in (OBLIGATIONS, TALKS, FIXES, EVENTS, PERFORMANCE):
        assert values(book[name])[0] == list(LEDGER_COLUMNS[name])
    for name in book.sheetnames[:-1]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert all(c.font.bold for c in sheet[1]), name
        assert sheet.column_dimensions["A"].width >= 6, name


def test_units_and_people_read_as_the_import_template(book):
    assert values(book[UNITS])[1:] == [["某局党委", None, "党委"], ["财务科", "某局党委", "部门"],
                                       ["局纪委", "某局党委", "二级党组织"]]
    rows = values(book[PEOPLE])[1:]
    assert rows[0] == ["陈书记", "党委书记", "某局党委", None, "13800000001", None, "ChenShuJi",
                       "ou_7d8a6e6df7621556ce0d21922b676706", "是"]
    assert rows[1] == ["李明", "班子成员、管理员", "某局党委", "财务科", None, "<b>分管</b> & 财务",
                       None, None, "否"]
    assert [r[0] for r in rows] == ["陈书记", "李明", "刘纪委", "张三", "张三"]
    assert book[PEOPLE]["E2"].data_type == "s"  # a phone number stays text


def test_the_three_lists_with_their_chain(book):
    sheet = book[ITEMS]
    rows = values(sheet)[1:]
    assert rows[0] == ["W0001", "问题", "公务接待<b>超标准</b> & 报销", "主体责任", "陈书记", "某局党委",
                       None, "巡察", datetime(2026, 12, 5), "未开始", "未开始", "W0001", None,
                       datetime(2026, 11, 20, 8, 15, 30)]
    assert rows[1][:10] == ["Z0002", "责任", HOSTILE, "一岗双责", "李明", "财务科", "W0001", None,
                            datetime(2026, 11, 25), "进行中"]
    assert rows[1][10:13] == ["进行中", "W0001 → Z0002", 5]
    # mid-workflow: 状态 left empty (the import keeps it), the status itself beside it
    assert rows[2][:10] == ["C0003", "措施", "逐笔核查凭证", "一岗双责", "张三@财务科", "财务科",
                            "Z0002", None, datetime(2026, 11, 27), None]
    assert rows[2][10:13] == ["延期审批中", "W0001 → Z0002 → C0003", 3]
    assert len(rows) == 3  # obligations and 整改 have their own sheets
    # a leading = is text, never a formula
    assert sheet["C3"].data_type == "s" and sheet["C3"].value == HOSTILE
    assert sheet["I2"].is_date and sheet["I2"].number_format == "yyyy-mm-dd"
    assert sheet["N2"].is_date and "h" in sheet["N2"].number_format
    assert sheet.column_dimensions["C"].width == display_width("公务接待<b>超标准</b> & 报销") + 2


def test_obligations_talks_and_fixes(book):
    assert values(book[OBLIGATIONS])[1:] == [
        ["L0004", "廉政谈话：李明", "第一责任", "陈书记", "某局党委", "李明", "talk.annual", "2026",
         datetime(2026, 12, 31), "未开始", None, datetime(2026, 11, 20, 8, 15, 30)]]
    talks = values(book[TALKS])[1:]
    assert talks == [
        ["L0004", "廉政谈话：李明", "陈书记", "某局党委", "李明", "某局党委", datetime(2026, 12, 31),
         "未开始", None, None, None, None, None],
        [None, None, "刘纪委", "局纪委", "张三", "财务科", None, None, None,
         datetime(2026, 11, 18), "提醒谈话", "#N/A", datetime(2026, 11, 20, 8, 15, 30)],
    ]
    assert book[TALKS]["L3"].data_type == "s"  # #N/A is text, not an error value
    assert values(book[FIXES])[1:] == [
        ["G0005", "财务科整改", "巡察", "李明", "某局党委", "一岗双责", "G0006",
         datetime(2026, 12, 4), "已销号", datetime(2026, 12, 31), "待验收", None, "待验收", None,
         None, 1]]


def test_the_event_log_in_words(book):
    rows = values(book[EVENTS])[1:]
    assert rows[0] == [1, datetime(2026, 11, 20, 8, 15, 30), "陈书记", "新建事项", "W0001",
                       "新建问题事项“公务接待”；截止日期：2026-12-05"]
    assert rows[1][2:] == ["刘纪委", "状态变更", "G0006", "验收销号（待验收 → 已销号）"]
    assert rows[2][2:] == ["系统", "提醒送达", "C0003", "阶段 T-1，告知 张三@财务科"]
    assert rows[3][2:] == ["管理员（Telegram 1）", "新建单位", "财务科",
                           "新建单位“财务科”；类型：部门；上级：某局党委"]
    assert rows[4][5] == "退回（待验收 → 已退回）；理由：未清退"
    assert not any("{" in str(r[5]) for r in rows)


def test_scores_are_numbers_with_a_percent_format(book):
    sheet = book[PERFORMANCE]
    assert values(sheet)[1:] == [["人员", "李明", "某局党委", 4, 3, 0.75, 2, 1, 0.5, 68],
                                 ["单位", "财务科", None, 0, 0, None, 0, 0, None, None]]
    assert sheet["F2"].number_format == "0.0%" and sheet["I2"].number_format == "0.0%"
    assert sheet["J2"].number_format == "0"


def test_the_help_sheet_counts_every_sheet():
    written = write_ledger_file(hand_made(), WORDS)
    assert written.counts == {UNITS: 3, PEOPLE: 5, ITEMS: 3, OBLIGATIONS: 1, TALKS: 2, FIXES: 1,
                              EVENTS: 5, PERFORMANCE: 2}
    sheet = openpyxl.load_workbook(io.BytesIO(written.data))[HELP]
    text = [[c.value for c in row] for row in sheet.iter_rows()]
    text = [row[:1] if row[1:] == [None, None] else row for row in text]
    assert text[0] == ["四责协同助手 · 台账说明"]
    assert ["导出时间：2026-11-30 10:30（北京时间）"] in text
    assert [EVENTS, text[-2][1], 5] == text[-2] and text[-1][0] == PERFORMANCE


def test_control_characters_are_dropped_and_long_text_cut():
    ledger = hand_made()
    long = LedgerTalk(2, None, 3, 4, "工作约谈", date(2026, 11, 19), "记\x07录" + "长" * 40_000, UPDATED)
    ledger = Ledger(made_at=MADE, units=ledger.units, people=ledger.people, lists=[],
                    talks=[long])
    sheet = openpyxl.load_workbook(io.BytesIO(write_ledger(ledger, WORDS)))[TALKS]
    note = sheet["L2"].value
    assert note.startswith("记录长") and len(note) == 32_767 and note.endswith("…")


# -- the pure helpers ------------------------------------------------------------------------


def test_chains_statuses_and_overdue_days():
    lists = list(hand_made().lists)
    assert chain_of(lists[2]) == "W0001 → Z0002 → C0003" and chain_of(lists[0]) == "W0001"
    today = date(2026, 11, 30)
    assert overdue_days(date(2026, 11, 27), ItemStatus.RETURNED, today) == 3
    assert overdue_days(date(2026, 11, 27), ItemStatus.DONE, today) is None
    assert overdue_days(today, ItemStatus.OPEN, today) is None
    assert import_status(ItemStatus.CANCELLED) is ItemStatus.CANCELLED
    for held in (ItemStatus.PENDING_VERIFICATION, ItemStatus.EXTENSION_REQUESTED,
                 ItemStatus.RETURNED, ItemStatus.VERIFIED):
        assert import_status(held) is None
    ledger = hand_made()
    labels = person_labels(ledger.people, ledger.units)
    assert labels[1] == "陈书记" and labels[4] == "张三@财务科" and labels[5] == "张三@局纪委"
    assert display_width("ab") == 2 and display_width("台账") == 4


def test_unknown_event_kinds_are_listed_as_words_not_json():
    text = event_details("something.new", {"reason": "因公出差", "extra": [1, 2], "none": None},
                         lambda key: key)
    assert text == "理由：因公出差；extra：1、2"
    assert event_details("meeting_held", {"event": "democratic_life_meeting"}, str) == \
        "登记民主生活会召开"
    changes = {"changes": {"due_date": ["2026-12-01", "2026-12-15"], "status": ["open", "done"]}}
    assert event_details("item.updated", changes, str) == \
        "截止日期：2026-12-01 → 2026-12-15；状态：未开始 → 已完成"


# -- who may export, and where -----------------------------------------------------------------


def test_who_may_export_where():
    from bot.domain.model import Actor, Group, GroupKind, Person

    def actor(*roles: Role, bound: bool = True) -> Actor:
        person = Person(1, "某人", 1, frozenset(roles)) if bound else None
        return Actor(telegram_user_id=5, person=person)

    unit_group = Group(-5, GroupKind.UNIT, "财务科群", 2)
    discipline_group = Group(-6, GroupKind.DISCIPLINE, "纪委群")
    check_export(actor(Role.DISCIPLINE), None)
    check_export(actor(Role.ADMIN), discipline_group)
    check_export(Actor(telegram_user_id=1, bootstrap_admin=True), None)
    with pytest.raises(WrongChat):
        check_export(actor(Role.DISCIPLINE), unit_group)
    with pytest.raises(NotAllowed):
        check_export(actor(Role.MEMBER), None)
    with pytest.raises(NotAllowed):
        check_export(actor(Role.SECRETARY), discipline_group)
    with pytest.raises(NotBound):
        check_export(actor(bound=False), None)


# -- the round trip through the real services ------------------------------------------------


async def test_export_then_import_of_the_same_data_changes_nothing(bot, api, org, clock, world):
    services = bot.app.bot_data.services
    # an item mid-workflow: a 延期 waiting for approval; a 整改 waiting for its 验收
    zhou = org.users["周支书"]
    digest = await first_digest(bot, api, clock, zhou)
    await bot.press(zhou, digest, "申请延期")
    await bot.send(zhou, "2026-12-15")
    await bot.send(zhou, "凭证量大")
    assert (await item_state(bot, world["a"]))[0].status is ItemStatus.EXTENSION_REQUESTED
    main, plan = await create_fix(bot, api, org.users["刘纪委"])
    # hostile titles and a duplicate name in another unit
    await org.person(20, "李明", "/登记 李明 纪委委员 局纪委")
    hostile = await org.item("问题", HOSTILE, "主体责任", "陈书记", "某局党委", "2026-12-20")
    child = await org.item("责任", "<b>规范</b> & 接待", "一岗双责", "李明@某局党委", "财务科",
                           "2026-12-22", parent=hostile)
    # messenger handles, one of them all digits (an Excel number if it were not text)
    async with services.db.transaction() as tx:
        people = {p.name: p.id for p in (await tx.persons.all()).values()}
        await tx.persons.set_handles(people["陈书记"], "ChenShuJi", "ou_7d8a6e6df76215")
        await tx.persons.set_handles(people["王芳"], "10086", None)
        await tx.persons.set_handles(people["周支书"], None, "a1b2c3")
    handles = {
        Handle.WECOM_USERID.value: COLUMNS[PEOPLE].index("企业微信账号"),
        Handle.FEISHU_OPEN_ID.value: COLUMNS[PEOPLE].index("飞书ID"),
    }
    exported = await services.export.export_for_console(WORDS)
    book = openpyxl.load_workbook(io.BytesIO(exported.data))
    in_sheet = {r[0]: {h: r[i] for h, i in handles.items() if r[i] is not None}
                for r in values(book[PEOPLE])[1:]}
    async with services.db.read() as tx:
        stored = await tx.persons.handles(set(people.values()))
    # the sheet holds what is stored (the 手机号 aside)
    assert {name: in_sheet[name] for name in ("陈书记", "王芳", "周支书")} == {
        name: {h: v for h, v in stored[people[name]].items() if h != Handle.MOBILE.value}
        for name in ("陈书记", "王芳", "周支书")}
    assert in_sheet["王芳"] == {"wecom_userid": "10086"}
    codes = [r[0] for r in values(book[ITEMS])[1:]]
    assert world["a"] in codes and world["b"] in codes and hostile in codes
    row = values(book[ITEMS])[1 + codes.index(child)]
    assert row[4:7] == ["李明@某局党委", "财务科", hostile] and row[11] == f"{hostile} → {child}"
    assert [(r[0], r[6]) for r in values(book[FIXES])[1:]] == [(main, plan)]
    before = await snapshot(bot)
    result = await services.imports.import_file(CONSOLE, exported.data, "台账.xlsx")
    assert result.plan.is_empty(), result.plan
    assert result.invites == ()
    assert await snapshot(bot) == before
    assert (await item_state(bot, world["a"]))[0].status is ItemStatus.EXTENSION_REQUESTED
    async with services.db.read() as tx:
        assert await tx.persons.handles(set(people.values())) == stored


async def test_the_snapshot_reads_one_moment_and_holds_up_no_writer(bot, org):
    services = bot.app.bot_data.services
    with LedgerSnapshot(services.db.path) as snapshot:
        units = snapshot.units()
        # the bot writes meanwhile, on its own connection, without waiting
        await services.people.create_unit(CONSOLE, "新成立科", None, "某局党委")
        assert snapshot.units() == units  # the snapshot still sees its moment
        assert [u.name for u in snapshot.units().values()] == [u.name for u in units.values()]
    with LedgerSnapshot(services.db.path) as later:
        assert "新成立科" in [u.name for u in later.units().values()]


def test_the_summary_s_performance_becomes_the_score_rows():
    from bot.domain.model import Person, Unit
    from bot.domain.performance import Tally
    from bot.services.export import scores_of
    from bot.services.summary import Performance, PersonScore, UnitScore

    top, branch = Unit(1, "某局党委", UnitKind.COMMITTEE), Unit(2, "财务科", UnitKind.DEPARTMENT, 1)
    li = Person(7, "李明", 1, frozenset({Role.MEMBER}))
    tally = Tally(counted=4, on_time=3, reminded=2, answered=1)
    people, units = scores_of(Performance(
        date(2026, 1, 1), date(2026, 11, 30), [PersonScore(li, top, tally)],
        [UnitScore(top, tally), UnitScore(branch, Tally())]))
    assert people == [Score("李明", "某局党委", 4, 3, 0.75, 2, 1, 0.5, tally.score)]
    assert tally.score == round(100 * (0.7 * 0.75 + 0.3 * 0.5))
    assert units == [Score("某局党委", None, 4, 3, 0.75, 2, 1, 0.5, tally.score),
                     Score("财务科", "某局党委", 0, 0, None, 0, 0, None, None)]


def test_every_action_and_every_event_kind_the_services_record_has_words():
    import re
    from pathlib import Path

    from bot.domain.transitions import Action
    from messages.export import ACTION_NAMES, EVENT_NAMES

    assert set(ACTION_NAMES) == set(Action)
    services = Path(__file__).resolve().parent.parent / "bot" / "services"
    recorded = set()
    for source in services.glob("*.py"):
        recorded |= set(re.findall(
            r'"([a-z]+(?:[._][a-z]+)+)",\s*"(?:item|unit|person|group|talk|import|policy|'
            r'meeting|ledger)"', source.read_text(encoding="utf-8")))
    assert {"item.created", "talk.held", "reminder_sent", "ledger.exported"} <= recorded
    assert recorded - set(EVENT_NAMES) == set()


def test_a_sheet_past_excel_s_row_limit_goes_on_in_further_sheets(monkeypatch):
    monkeypatch.setattr("bot.ledger_io.EXCEL_ROWS", 3)  # a header and two rows a sheet
    written = write_ledger_file(hand_made(), WORDS)
    book = openpyxl.load_workbook(io.BytesIO(written.data))
    parts = [EVENTS, f"{EVENTS}（续1）", f"{EVENTS}（续2）"]
    assert [n for n in book.sheetnames if n.startswith(EVENTS)] == parts
    assert [values(book[n])[0] for n in parts] == [list(LEDGER_COLUMNS[EVENTS])] * 3
    assert [r[0] for n in parts for r in values(book[n])[1:]] == [1, 2, 3, 4, 5]
    assert book[parts[2]].freeze_panes == "A2" and written.counts[EVENTS] == 5


@pytest.mark.parametrize("reason, says", [("memory", "所需的内存超出上限"),
                                          ("time", "超过 30 分钟仍未完成"),
                                          ("died", "生成台账时出错")])
def test_an_export_that_could_not_be_made_says_why_in_one_line(reason, says):
    from bot.services.errors import ExportFailed
    from messages.refusals import refusal

    text = refusal(ExportFailed(reason))
    assert says in text and "没有导出" in text and "\n" not in text


async def test_the_child_writes_into_a_file_of_ours_and_it_is_removed(bot, monkeypatch,
                                                                      tmp_path):
    import tempfile

    from bot.offload import OutOfMemory
    from bot.services.errors import ExportFailed

    scratch = tmp_path / "scratch"  # tmp_path holds the bot's database
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    services = bot.app.bot_data.services
    exported = await services.export.export_for_console(WORDS)
    assert openpyxl.load_workbook(io.BytesIO(exported.data)).sheetnames[0] == UNITS
    assert list(scratch.iterdir()) == []

    async def out_of_memory(*args, **kwargs):
        raise OutOfMemory(1)

    monkeypatch.setattr(services.export.offload, "run", out_of_memory)
    with pytest.raises(ExportFailed):
        await services.export.export_for_console(WORDS)
    assert list(scratch.iterdir()) == []
