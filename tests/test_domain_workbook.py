"""The import workbook, pure: rows read and checked, cross-references resolved against the
file and what is stored together, and the merge plan (create, update, leave alone)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.domain.dates import DateParseError
from bot.domain.model import Duty, Item, ItemStatus, ListKind, Person, Role, Unit, UnitKind
from bot.domain.workbook import (
    CODE_PREFIX,
    COLUMNS,
    EXAMPLES,
    ITEMS,
    PEOPLE,
    UNITS,
    ImportPlan,
    ItemRef,
    Problem,
    RawWorkbook,
    RowError,
    Sheet,
    Stored,
    cell_date,
    plan_import,
    read_rows,
)

EMPTY = Stored(units={}, people={}, contacts={}, items={})


def sheet(name: str, rows, header=None, **extra) -> Sheet:
    return Sheet(name, tuple(header or COLUMNS[name]),
                 tuple((n, tuple(r)) for n, r in enumerate(rows, start=2)), **extra)


def book(units=(), people=(), items=(), **sheets: Sheet) -> RawWorkbook:
    found = {UNITS: sheet(UNITS, units), PEOPLE: sheet(PEOPLE, people),
             ITEMS: sheet(ITEMS, items)}
    found.update({k: v for k, v in sheets.items() if v is not None})
    for name, value in sheets.items():
        if value is None:
            del found[name]
    return RawWorkbook(found)


def run(raw: RawWorkbook, stored: Stored = EMPTY) -> tuple[ImportPlan | None, list[RowError]]:
    rows, errors = read_rows(raw)
    return plan_import(rows, stored, errors)


def problems(errors: list[RowError]) -> list[tuple[str, int | None, str | None, Problem]]:
    return [(e.sheet, e.row, e.column, e.problem) for e in errors]


UNIT_ROWS = [("某局党委", None, "党委"), ("财务科", "某局党委", "部门")]
PEOPLE_ROWS = [("陈书记", "党委书记", "某局党委", None, None, None),
               ("李明", "班子成员", "某局党委", "财务科", "13800000000", "分管财务")]


def item(code=None, kind="问题", title="公务接待超标准", duty="主体责任", owner="陈书记",
         unit=None, parent=None, source=None, due="2026-12-05", status=None):
    return (code, kind, title, duty, owner, unit, parent, source, due, status)


# A database with the same small organisation and two items.
STORED = Stored(
    units={1: Unit(1, "某局党委", UnitKind.COMMITTEE), 2: Unit(2, "财务科", UnitKind.DEPARTMENT, 1)},
    people={1: Person(1, "陈书记", 1, frozenset({Role.SECRETARY})),
            2: Person(2, "李明", 1, frozenset({Role.MEMBER}), frozenset({2}))},
    contacts={1: (None, None), 2: ("13800000000", "分管财务")},
    items={
        1: Item(1, "W0001", ListKind.PROBLEM, "公务接待超标准", Duty.PRINCIPAL, 1, 1,
                date(2026, 12, 5)),
        2: Item(2, "Z0002", ListKind.RESPONSIBILITY, "建立台账", Duty.DUAL, 2, 2,
                date(2026, 12, 10), ItemStatus.IN_PROGRESS, parent_id=1),
        3: Item(3, "L0003", ListKind.OBLIGATION, "年度主体责任报告", Duty.PRINCIPAL, 1, 1,
                date(2027, 1, 31), rule_key="annual_principal_report"),
    },
)


# -- cells -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [date(2026, 3, 31), datetime(2026, 3, 31, 0, 0),
                                   "2026-03-31", "2026/3/31", "2026年3月31日",
                                   " 2026.3.31 ", "２０２６－０３－３１"])
def test_dates_as_excel_stores_them_or_as_typed(value):
    assert cell_date(value) == date(2026, 3, 31)


@pytest.mark.parametrize("value", ["3月31日", "明天", "2026-02-30", 12, 46112, 46112.0, 46112.5,
                                   True, "1999-12-31", datetime(1900, 1, 5)])
def test_dates_we_do_not_guess(value):
    with pytest.raises(DateParseError):
        cell_date(value)


def test_a_new_workbook_is_planned_parents_first():
    plan, errors = run(book(UNIT_ROWS[::-1], PEOPLE_ROWS, [
        item("C0103", "措施", "逐笔核查", "一岗双责", "李明", "财务科", "Z0102",
             due=date(2026, 12, 1)),
        item("Z0102", "责任", "建立台账", "一岗双责", "李明", "财务科", "W0101"),
        item("ｗ０１０１", source="巡察"),  # full-width, lower case: read as W0101
        item(None, "问题", "另一个问题", status="进行中"),
    ]))
    assert errors == []
    assert [u.name for u in plan.units] == ["某局党委", "财务科"]  # the parent first
    assert [u.kind for u in plan.units] == [UnitKind.COMMITTEE, UnitKind.DEPARTMENT]
    li = next(p for p in plan.people if p.name == "李明")
    assert li.oversees == ("财务科",) and li.phone == "13800000000" and li.note == "分管财务"
    codes = [i.code for i in plan.items]
    assert codes.index("W0101") < codes.index("Z0102") < codes.index("C0103")
    c1 = next(i for i in plan.items if i.code == "C0103")
    assert c1.parent == ItemRef(code="Z0102") and c1.owner == ("李明", "某局党委")
    assert c1.unit == "财务科" and c1.due == date(2026, 12, 1)
    w1 = next(i for i in plan.items if i.code == "W0101")
    assert w1.unit == "某局党委" and w1.status is ItemStatus.OPEN and w1.source == "巡察"
    other = next(i for i in plan.items if i.code is None)
    assert other.status is ItemStatus.IN_PROGRESS
    assert [plan.created(s) for s in (UNITS, PEOPLE, ITEMS)] == [2, 2, 4]


def test_the_template_examples_are_skipped_and_blank_rows_ignored():
    raw = book([EXAMPLES[UNITS], *UNIT_ROWS, (None, "  ", None)],
               [EXAMPLES[PEOPLE]], [EXAMPLES[ITEMS]])
    rows, errors = read_rows(raw)
    assert errors == [] and rows.examples_skipped == 3
    assert [u.name for u in rows.units] == ["某局党委", "财务科"] and rows.items == ()


def test_missing_sheet_and_missing_header_are_named():
    header = [c for c in COLUMNS[PEOPLE] if c != "手机号"]
    raw = book(**{ITEMS: None, PEOPLE: sheet(PEOPLE, [], header=header)})
    _, errors = run(raw)
    assert problems(errors) == [(PEOPLE, 1, "手机号", Problem.HEADER_MISSING),
                                (ITEMS, None, None, Problem.SHEET_MISSING)]


def test_columns_may_come_in_any_order_and_extra_columns_are_ignored():
    header = ["备注", "多余的列", *reversed(COLUMNS[UNITS])]
    raw = book(**{UNITS: sheet(UNITS, [(None, "x", "党委", None, "某局党委")], header=header)})
    rows, errors = read_rows(raw)
    assert errors == [] and rows.units[0].name == "某局党委"


def test_formulas_are_reported_by_cell():
    raw = book(UNIT_ROWS, **{ITEMS: sheet(ITEMS, [], formulas=((3, 8), (4, 20)))})
    _, errors = run(raw)
    assert problems(errors) == [(ITEMS, 3, "截止日期", Problem.FORMULA),
                                (ITEMS, 4, "U列", Problem.FORMULA)]


def test_every_bad_cell_is_reported_with_sheet_row_and_column():
    _, errors = run(book(
        [("某局党委", None, "大党委"), ("某局党委", None, None), (None, "某局党委", None)],
        [("陈书记", "党委书记、大领导", "某局党委", None, None, None),
         ("陈书记", "书记", "某局党委", None, None, None),
         ("很" * 41, "班子成员", "某局党委", None, None, None),
         ("王五", None, "某局党委", None, "1" * 41, None)],
        [item(kind="清单"), item(title=None), item(due="3月5日"), item(due="下周"),
         item(code="W 0001"), item(code="W0009"), item(code="w0009"),
         item(duty=None, owner=None)],
    ))
    assert problems(errors) == [
        (UNITS, 2, "类型", Problem.UNKNOWN_TERM),
        (UNITS, 3, "名称", Problem.DUPLICATE_ROW),
        (UNITS, 4, "名称", Problem.REQUIRED),
        (PEOPLE, 2, "角色", Problem.UNKNOWN_ROLE),
        (PEOPLE, 3, "姓名", Problem.DUPLICATE_ROW),  # 书记 is 党委书记; same name, same unit
        (PEOPLE, 4, "姓名", Problem.BAD_NAME),
        (PEOPLE, 5, "角色", Problem.REQUIRED),
        (PEOPLE, 5, "手机号", Problem.TOO_LONG),
        (ITEMS, 2, "清单类型", Problem.UNKNOWN_TERM),
        (ITEMS, 3, "标题", Problem.REQUIRED),
        (ITEMS, 4, "截止日期", Problem.DATE_WITHOUT_YEAR),
        (ITEMS, 5, "截止日期", Problem.BAD_DATE),
        (ITEMS, 6, "编号", Problem.BAD_CODE),
        (ITEMS, 8, "编号", Problem.DUPLICATE_ROW),  # codes are read upper-case
        (ITEMS, 9, "责任类型", Problem.REQUIRED),
        (ITEMS, 9, "责任人", Problem.REQUIRED),
    ]
    unknown = next(e for e in errors if e.problem is Problem.UNKNOWN_ROLE)
    assert unknown.value == "大领导" and "党委书记" in unknown.choices
    assert next(e for e in errors if e.sheet == UNITS and e.row == 3).number == 2


def test_unknown_units_anywhere_are_named():
    _, errors = run(book(
        [("某局党委", None, None), ("财务科", "市局党委", None)],
        [("李明", "班子成员", "市局", "财务科、审计科", None, None)],
        [item(owner="陈书记", unit="不存在科")],
    ), STORED)
    assert problems(errors) == [
        (UNITS, 3, "上级单位", Problem.UNKNOWN_UNIT),
        (PEOPLE, 2, "所在单位", Problem.UNKNOWN_UNIT),
        (PEOPLE, 2, "分管单位", Problem.UNKNOWN_UNIT),
        (ITEMS, 2, "所在单位", Problem.UNKNOWN_UNIT),
    ]
    assert [e.value for e in errors] == ["市局党委", "市局", "审计科", "不存在科"]


def test_a_unit_cycle_is_refused_even_through_stored_units():
    _, errors = run(book([("某局党委", "财务科", None)]), STORED)
    assert problems(errors) == [(UNITS, 2, "上级单位", Problem.UNIT_CYCLE)]
    _, errors = run(book([("甲", "乙", None), ("乙", "甲", None), ("丙", "丙", None)]))
    assert [e.row for e in errors] == [2, 3, 4]
    assert {e.problem for e in errors} == {Problem.UNIT_CYCLE}


def test_owners_by_name_by_name_at_unit_and_by_the_items_unit():
    people = [("王芳", "班子成员", "某局党委", None, None, None),
              ("王芳", "支部书记", "财务科", None, None, None)]
    plan, errors = run(book(UNIT_ROWS, people, [
        item(owner="王芳@财务科"), item(title="二", owner="王芳", unit="某局党委"),
    ]))
    assert errors == []
    assert [i.owner for i in plan.items] == [("王芳", "财务科"), ("王芳", "某局党委")]
    assert plan.items[0].unit == "财务科"  # the owner's unit when none is given
    _, errors = run(book(UNIT_ROWS, people, [
        item(owner="王芳"), item(owner="王五"), item(owner="王芳@项目科"),
    ]))
    assert problems(errors) == [(ITEMS, 2, "责任人", Problem.AMBIGUOUS_PERSON),
                                (ITEMS, 3, "责任人", Problem.UNKNOWN_PERSON),
                                (ITEMS, 4, "责任人", Problem.UNKNOWN_PERSON)]
    assert errors[0].choices == ("某局党委", "财务科")


def test_stored_people_and_items_may_be_named():
    plan, errors = run(book(items=[
        item("C0005", "措施", "核查凭证", "一岗双责", "李明", "财务科", "Z0002"),
    ]), STORED)
    assert errors == []
    (c5,) = plan.items
    assert c5.parent == ItemRef(item_id=2, code="Z0002") and c5.owner == ("李明", "某局党委")


@pytest.mark.parametrize(("rows", "problem"), [
    ([item("Z0011", "责任", owner="陈书记", parent="W0404")], Problem.UNKNOWN_PARENT),
    ([item("Z0011", "责任", parent="Z0011")], Problem.PARENT_CYCLE),
    ([item("Z0011", "责任", parent="Z0012"), item("Z0012", "责任", title="二", parent="Z0011")],
     Problem.PARENT_CYCLE),
    ([item("W0011", parent="W0001")], Problem.PROBLEM_HAS_NO_PARENT),
    ([item("C0011", "措施", parent="W0001")], Problem.WRONG_PARENT_KIND),
    ([item("Z0011", "责任", parent="L0003")], Problem.WRONG_PARENT_KIND),
])
def test_parents_must_exist_keep_the_chain_and_make_no_cycle(rows, problem):
    _, errors = run(book(items=rows), STORED)
    assert errors and {e.problem for e in errors} == {problem}
    assert {e.column for e in errors} == {"上级事项编号"}


def test_the_same_rows_again_change_nothing():
    plan, errors = run(book(
        UNIT_ROWS, PEOPLE_ROWS,
        [item(None), item("Z0002", "责任", "建立台账", "一岗双责", "李明", "财务科", "W0001",
                          due="2026-12-10")],
    ), STORED)
    assert errors == [] and plan.is_empty()
    assert plan.unchanged == {UNITS: 2, PEOPLE: 2, ITEMS: 2}


def test_one_stored_item_named_by_two_rows_is_refused():
    _, errors = run(book(items=[item("W0001"), item(None)]), STORED)
    assert problems(errors) == [(ITEMS, 3, "标题", Problem.SAME_ITEM)]
    assert errors[0].number == 2


def test_changed_rows_become_updates_with_what_changed():
    plan, errors = run(book(
        [("某局党委", None, None), ("财务科", "某局党委", "党支部")],
        [("李明", "班子成员、管理员", "某局党委", None, "13900000000", "分管财务")],
        [item("W0001", due=date(2027, 1, 15), status="进行中"),
         item("Z0002", "责任", "建立台账", "一岗双责", "陈书记", "某局党委", None, due="2026-12-10")],
    ), STORED)
    assert errors == []
    assert plan.units[0].changes == {"kind": ("department", "branch")}
    li = plan.people[0]
    assert li.person_id == 2 and li.changes == {
        "roles": (["member"], ["admin", "member"]), "oversees": (["财务科"], []),
        "phone": ("13800000000", "13900000000")}
    w, z = plan.items
    assert w.item_id == 1 and w.changes == {"due_date": ("2026-12-05", "2027-01-15"),
                                            "status": ("open", "in_progress")}
    assert z.item_id == 2 and z.status is ItemStatus.IN_PROGRESS  # an empty 状态 keeps it
    assert z.changes == {"owner": ("李明@某局党委", "陈书记@某局党委"),
                         "unit": ("财务科", "某局党委"), "parent_code": ("W0001", None)}
    assert plan.updated(ITEMS) == 2 and plan.created(ITEMS) == 0


def test_workflow_statuses_are_the_bots_not_the_workbooks():
    held = dict(STORED.items)
    held[2] = Item(2, "Z0002", ListKind.RESPONSIBILITY, "建立台账", Duty.DUAL, 2, 2,
                   date(2026, 12, 10), ItemStatus.EXTENSION_REQUESTED, parent_id=1)
    stored = Stored(STORED.units, STORED.people, STORED.contacts, held)
    z = item("Z0002", "责任", "建立台账", "一岗双责", "李明", "财务科", "W0001", due="2026-12-10")
    _, errors = run(book(items=[item("W0001", status="延期审批中"), (*z[:9], "进行中")]), stored)
    assert problems(errors) == [(ITEMS, 2, "状态", Problem.STATUS_NOT_IMPORTABLE),
                                (ITEMS, 3, "状态", Problem.STATUS_HELD)]
    assert errors[0].choices == ("未开始", "进行中", "已完成", "已取消")
    plan, errors = run(book(items=[z]), stored)  # 状态 left empty: the row is unchanged
    assert errors == [] and plan.is_empty()


def test_stored_items_keep_their_list_and_obligations_are_not_imported():
    _, errors = run(book(items=[item("W0001", kind="措施"), item("L0003")]), STORED)
    assert problems(errors) == [(ITEMS, 2, "清单类型", Problem.KIND_CHANGED),
                                (ITEMS, 3, "编号", Problem.NOT_A_LIST_ITEM)]
    assert errors[1].choices == ("履责",)


def test_uncoded_rows_that_match_two_stored_items_ask_for_a_code():
    twins = dict(STORED.items)
    twins[4] = Item(4, "W0004", ListKind.PROBLEM, "公务接待超标准", Duty.PRINCIPAL, 1, 1,
                    date(2026, 12, 6))
    stored = Stored(STORED.units, STORED.people, STORED.contacts, twins)
    _, errors = run(book(items=[item(None)]), stored)
    assert problems(errors) == [(ITEMS, 2, "编号", Problem.AMBIGUOUS_ITEM)]
    assert errors[0].choices == ("W0001", "W0004")
    _, errors = run(book(items=[item(None, title="新"), item(None, title="新")]), STORED)
    assert problems(errors) == [(ITEMS, 3, "标题", Problem.DUPLICATE_ROW)]


def test_one_pass_reports_cell_and_reference_problems_without_knock_on_errors():
    _, errors = run(book(
        [("某局党委", None, None), ("财务科", "某局党委", "科室")],  # a bad 类型
        [("李明", "大领导", "财务科", None, None, None)],  # a bad 角色, in that unit
        [item("W0011", due="下周"),  # a bad date
         item("Z0011", "责任", owner="李明", parent="W0011"),  # names the three broken rows
         item("Z0012", "责任", owner="王五")],  # and one unknown 责任人
    ))
    assert problems(errors) == [(UNITS, 3, "类型", Problem.UNKNOWN_TERM),
                                (PEOPLE, 2, "角色", Problem.UNKNOWN_ROLE),
                                (ITEMS, 2, "截止日期", Problem.BAD_DATE),
                                (ITEMS, 4, "责任人", Problem.UNKNOWN_PERSON)]


def test_with_a_sheet_missing_references_are_not_checked_yet():
    rows, read_errors = read_rows(book(items=[item(owner="王五")], **{PEOPLE: None}))
    plan, errors = plan_import(rows, EMPTY, read_errors)
    assert plan is None and problems(errors) == [(PEOPLE, None, None, Problem.SHEET_MISSING)]


def test_names_and_titles_are_cleaned_as_in_chat():
    """NFC and trimmed like a name typed in chat, so both find the same record."""
    raw = book(units=[("Cafe\u0301党委", None, "党委")],
               people=[(" Jose\u0301 ", "党委书记", "Café党委", None, None, None)],
               items=[item(title=" 公务\n接待 超标准 ", owner="José", unit="Café党委")])
    rows, errors = read_rows(raw)
    assert errors == []
    assert rows.units[0].name == "Café党委" and rows.people[0].name == "José"
    assert rows.people[0].unit == "Café党委" and rows.items[0].title == "公务 接待 超标准"
    plan, errors = plan_import(rows, EMPTY, errors)
    assert errors == [] and len(plan.items) == 1


def test_invisible_characters_are_one_error_each_naming_the_character():
    raw = book(units=[("某局\u202e党委", None, "党委")],
               people=[("\u200b", "党委书记", "某局党委", None, None, None)],
               items=[item(title="\u2066公务接待\u2069", owner="陈书记")])
    _, errors = run(raw)
    bad = [(e.sheet, e.column, e.problem, e.value, e.choices) for e in errors
           if e.problem is Problem.BAD_CHARACTERS]
    assert bad == [(UNITS, "名称", Problem.BAD_CHARACTERS, "U+202E", ("bidi",)),
                   (PEOPLE, "姓名", Problem.BAD_CHARACTERS, "U+200B", ("invisible",)),
                   (ITEMS, "标题", Problem.BAD_CHARACTERS, "U+2066", ("bidi",))]


# -- what contradicts itself -------------------------------------------------------------------


def test_a_code_of_another_list_is_refused_once():
    _, errors = run(book(items=[
        item("Z0100"),  # a 问题 numbered as a 责任
        item("C0101", "责任", title="二"),
        item("G0102", title="三"),  # a 整改's letter
        item("W0001", kind="措施", title="四"),  # stored as a 问题: that is what is said
    ]), STORED)
    assert problems(errors) == [(ITEMS, 2, "编号", Problem.CODE_OF_OTHER_LIST),
                                (ITEMS, 3, "编号", Problem.CODE_OF_OTHER_LIST),
                                (ITEMS, 4, "编号", Problem.CODE_OF_OTHER_LIST),
                                (ITEMS, 5, "清单类型", Problem.KIND_CHANGED)]
    assert [e.choices for e in errors[:3]] == [("responsibility", "problem"),
                                               ("measure", "responsibility"),
                                               ("rectification", "problem")]


@pytest.mark.parametrize("code", ["P-001", "W1", "W001", "W0000000001", "X0001", "W٠٠٠١",
                                  "W0001A", "W 0001", "W@0001"])
def test_codes_outside_the_bots_own_pattern_are_refused(code):
    rows, errors = read_rows(book(items=[item(code), item(None, "责任", parent=code)]))
    assert problems(errors) == [(ITEMS, 2, "编号", Problem.BAD_CODE),
                                (ITEMS, 3, "上级事项编号", Problem.BAD_CODE)]
    assert rows.items == ()


def test_a_bare_number_in_a_date_cell_is_not_taken_for_a_date():
    _, errors = run(book(items=[item(due=46361), item(title="二", due=20261205.0)]), STORED)
    assert problems(errors) == [(ITEMS, 2, "截止日期", Problem.DATE_IS_NUMBER),
                                (ITEMS, 3, "截止日期", Problem.DATE_IS_NUMBER)]
    assert [e.value for e in errors] == ["46361", "20261205"]


@pytest.mark.parametrize(("due", "why"), [
    ("2026-02-30", ("day", "2026", "2", "28")),
    ("2028/2/30", ("day", "2028", "2", "29")),
    ("２０２６年４月３１日", ("day", "2026", "4", "30")),
    ("2026.13.01", ("month", "13")),
    ("2026-00-10", ("month", "0")),
    ("2150-01-01", ("year", "2000", "2100")),
    (datetime(1900, 1, 5), ("year", "2000", "2100")),
])
def test_an_impossible_date_says_why_once(due, why):
    _, errors = run(book(items=[item(due=due)]), STORED)
    assert problems(errors) == [(ITEMS, 2, "截止日期", Problem.IMPOSSIBLE_DATE)]
    assert errors[0].choices == why


def test_the_row_limit_counts_data_rows_not_the_header_or_the_example():
    limit = [(f"单位{n}", None, None) for n in range(20_000)]
    rows, errors = read_rows(book([EXAMPLES[UNITS], *limit]))
    assert errors == [] and len(rows.units) == 20_000 and rows.examples_skipped == 1
    _, errors = read_rows(book([EXAMPLES[UNITS], *limit, ("再一个", None, None)]))
    assert problems(errors) == [(UNITS, None, None, Problem.TOO_MANY_ROWS)]
    assert errors[0].number == 20_000
    small = RawWorkbook(book(limit[:5]).sheets, max_rows=5)
    assert read_rows(small)[1] == []
    over = RawWorkbook(book(limit[:6]).sheets, max_rows=5)
    assert problems(read_rows(over)[1]) == [(UNITS, None, None, Problem.TOO_MANY_ROWS)]
    cut = RawWorkbook({**book().sheets, UNITS: sheet(UNITS, limit[:2], truncated=True)})
    assert problems(read_rows(cut)[1]) == [(UNITS, None, None, Problem.TOO_MANY_ROWS)]


def test_the_code_letters_are_the_ones_the_bot_numbers_items_with():
    from storage import items

    assert items.CODE_PREFIX is CODE_PREFIX
