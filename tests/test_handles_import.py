"""The 人员 sheet's messenger handles (企业微信账号, 飞书ID): imported and stored, updated and
logged, refused cell by cell with nothing changed, left alone by a file without the columns,
and any text at all in the two cells either stored exactly as a valid id or refused."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.domain.channels import FEISHU_ID, PLAIN_ID, Handle
from bot.domain.workbook import COLUMNS, PEOPLE, Problem, Stored, cell_text
from bot.services.imports import ImportRejected
from messages.imports import error_line, import_rejected_all, import_summary, template_help
from tests.test_domain_workbook import STORED, book, run
from tests.test_domain_workbook import UNIT_ROWS as PURE_UNITS
from tests.test_import import OFFICE, rows
from tests.workbooks import PEOPLE_ROWS, filled, to_bytes, workbook

WECOM, FEISHU = Handle.WECOM_USERID.value, Handle.FEISHU_OPEN_ID.value
OPEN_ID = "ou_7d8a6e6df7621556ce0d21922b676706"


def with_handles(handles: dict[str, tuple[object, object]]) -> list[tuple[object, ...]]:
    """The test people, with (企业微信账号, 飞书ID) for those named."""
    return [(*r, *handles.get(str(r[0]), (None, None))) for r in PEOPLE_ROWS]


async def stored_handles(services) -> dict[str, dict[str, str]]:
    """Each person's handles by name, as the robots will read them (PersonRepo.handles)."""
    async with services.db.read() as tx:
        people = await tx.persons.all()
        handles = await tx.persons.handles(set(people))
    return {p.name: handles.get(p.id, {}) for p in people.values()}


# -- the template ------------------------------------------------------------------------------


def test_the_columns_are_optional_and_explained_in_the_help_sheet():
    assert COLUMNS[PEOPLE][-2:] == ("企业微信账号", "飞书ID")
    help_rows = template_help()
    text = "\n".join(str(c) for row in help_rows for c in row)
    for words in ("钉钉按手机号", "企业微信按企业微信账号（markdown）或手机号", "飞书只能按飞书ID（open_id）",
                  "通讯录", "账号", "开放平台", "ou_"):
        assert words in text, words
    for column in ("企业微信账号", "飞书ID"):
        row = next(r for r in help_rows if r[:2] == (PEOPLE, column))
        assert row[2] == "" and "可选" in row[3]  # not required, and says so


# -- importing ---------------------------------------------------------------------------------


async def test_good_values_are_stored_for_new_people(services):
    people = with_handles({"陈书记": ("ChenShuJi", OPEN_ID), "李明": (10086, None),
                           "王芳": (None, "a1b2c3"), "刘纪委": ("  liu.jw@ju-1  ", None)})
    await services.imports.import_file(OFFICE, filled(people=people), "人员.xlsx")
    handles = await stored_handles(services)
    assert handles["陈书记"] == {"mobile": "13800000001", WECOM: "ChenShuJi", FEISHU: OPEN_ID}
    assert handles["李明"] == {"mobile": "13800000002", WECOM: "10086"}  # a number cell
    assert handles["王芳"] == {FEISHU: "a1b2c3"}
    assert handles["刘纪委"] == {WECOM: "liu.jw@ju-1"}  # the outer spaces go, as for any cell
    assert handles["周支书"] == {}


async def test_changed_handles_are_updated_listed_and_logged(services, tmp_path):
    first = with_handles({"陈书记": ("ChenShuJi", OPEN_ID), "李明": ("LiMing", None)})
    await services.imports.import_file(OFFICE, filled(people=first), "v1.xlsx")
    again = await services.imports.import_file(OFFICE, filled(people=first), "v1.xlsx")
    assert again.plan.is_empty()
    second = with_handles({"陈书记": ("ChenShuJi", None), "李明": ("LiMing2", "ou_abc"),
                           "王芳": ("WangFang", None)})
    result = await services.imports.import_file(OFFICE, filled(people=second), "v2.xlsx")
    assert (result.plan.created(PEOPLE), result.plan.updated(PEOPLE)) == (0, 3)
    handles = await stored_handles(services)
    assert handles["陈书记"] == {"mobile": "13800000001", WECOM: "ChenShuJi"}  # cleared
    assert handles["李明"] == {"mobile": "13800000002", WECOM: "LiMing2", FEISHU: "ou_abc"}
    assert handles["王芳"] == {WECOM: "WangFang"}
    summary = import_summary(result)
    assert "人员 陈书记（某局党委）：飞书ID" in summary
    assert "人员 李明（某局党委）：企业微信账号、飞书ID" in summary
    async with services.db.read() as tx:
        li = next(p for p in (await tx.persons.all()).values() if p.name == "李明")
        events = await tx.events.for_subject("person", li.id)
    assert events[-1].data["changes"] == {WECOM: ["LiMing", "LiMing2"], FEISHU: [None, "ou_abc"]}


async def test_a_file_without_the_columns_leaves_the_handles_alone(services, tmp_path):
    people = with_handles({"陈书记": ("ChenShuJi", OPEN_ID)})
    await services.imports.import_file(OFFICE, filled(people=people), "新模板.xlsx")
    before = rows(tmp_path / "bot.db")
    old = workbook()  # an older template: no 企业微信账号, no 飞书ID
    old[PEOPLE].delete_cols(len(COLUMNS[PEOPLE]) - 1, 2)
    assert [c.value for c in old[PEOPLE][1]] == list(COLUMNS[PEOPLE][:-2])
    result = await services.imports.import_file(OFFICE, to_bytes(old), "旧模板.xlsx")
    assert result.plan.is_empty(), result.plan
    assert rows(tmp_path / "bot.db") == before
    # and a new person from such a file simply has none
    old[PEOPLE].append(["赵六", "纪委委员", "局纪委"])
    await services.imports.import_file(OFFICE, to_bytes(old), "旧模板.xlsx")
    assert (await stored_handles(services))["赵六"] == {}


BAD = [
    ("企业微信账号", "张三", "不是有效的企业微信账号"),
    ("企业微信账号", "zhang san", "不是有效的企业微信账号"),
    ("企业微信账号", "x" * 65, "不是有效的企业微信账号"),
    ("企业微信账号", "<@all>", "不是有效的企业微信账号"),
    ("飞书ID", "ou_", "不是有效的飞书ID"),
    ("飞书ID", "ou_abc-def", "不是有效的飞书ID"),
    ("飞书ID", "飞书张三", "不是有效的飞书ID"),
    ("飞书ID", 'ou_1"><at user_id="all', "不是有效的飞书ID"),
]


@pytest.mark.parametrize(("column", "value", "says"), BAD)
async def test_a_bad_value_is_named_and_nothing_at_all_changes(services, tmp_path, column, value,
                                                               says):
    await services.imports.import_file(OFFICE, filled(), "台账.xlsx")
    before = rows(tmp_path / "bot.db")
    good = {"陈书记": ("ChenShuJi", OPEN_ID)}  # a good change beside the bad cell
    bad = (value, None) if column == "企业微信账号" else (None, value)
    people = with_handles({**good, "李明": bad})
    with pytest.raises(ImportRejected) as refused:
        await services.imports.import_file(OFFICE, filled(people=people), "坏.xlsx")
    errors = refused.value.errors
    assert [(e.sheet, e.row, e.column, e.problem) for e in errors] == \
        [(PEOPLE, 4, column, Problem.BAD_HANDLE)]  # the header, the example, 陈书记, 李明
    line = error_line(errors[0])
    assert line.startswith(f"人员 第4行 {column}: “") and says in line
    assert "没有任何改动" in import_rejected_all(errors)[0]
    assert rows(tmp_path / "bot.db") == before


# -- any text in the two cells -------------------------------------------------------------------


PURE_PEOPLE = [("陈书记", "党委书记", "某局党委", None, None, None)]
CELL = st.one_of(st.none(), st.text(max_size=80), st.from_regex(PLAIN_ID, fullmatch=True),
                 st.from_regex(FEISHU_ID, fullmatch=True), st.integers(0, 10**20),
                 st.floats(allow_nan=False))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
@given(wecom=CELL, feishu=CELL, stored=st.booleans())
@example(wecom=" ou_x ", feishu="ou_x\n", stored=False)
@example(wecom="ｗｅｃｏｍ", feishu="ｏｕ＿ｘ", stored=True)
@example(wecom="a\u200bb", feishu="ou_\u0661", stored=True)
def test_any_text_is_stored_exactly_as_a_valid_id_or_refused(wecom, feishu, stored):
    """Never a crash; a cell is either refused (that cell named, nothing planned) or taken as
    it reads, outer spaces aside, and then it is a valid id for its messenger."""
    raw = book(PURE_UNITS, [(*PURE_PEOPLE[0], wecom, feishu)])
    old = {1: {WECOM: "Old", FEISHU: "ou_old"}} if stored else {}
    plan, errors = run(raw, Stored(STORED.units, STORED.people, STORED.contacts, {}, old))
    cells = {"企业微信账号": (wecom, PLAIN_ID, WECOM), "飞书ID": (feishu, FEISHU_ID, FEISHU)}
    refused = {e.column for e in errors}
    assert all(e.problem is Problem.BAD_HANDLE and e.row == 2 for e in errors), errors
    for column, (value, pattern, key) in cells.items():
        text = cell_text(value)
        valid = text == "" or pattern.fullmatch(text) is not None
        assert (column in refused) is not valid, (column, value)
        if plan is not None:
            (change,) = plan.people or [None]
            wanted = text or None
            taken = change.handles[key] if change else old.get(1, {}).get(key)
            assert taken == wanted
            assert taken is None or pattern.fullmatch(taken)
    assert (plan is None) == bool(errors)

