"""Hostile workbooks (issue 20, item 3): each crafted file is refused before openpyxl reads
it, with one Chinese line saying why, and nothing changes. The files are made here against
limits scaled down (tests/hostile.py makes them; bench/hostile_workbooks.py makes them at
full size and times the refusals); the limits themselves are checked at full size where that
is cheap."""

from __future__ import annotations

import io
import pickle
import re
import zipfile
from dataclasses import replace

import pytest

from bot.domain.workbook import COLUMNS, ITEMS, LIMITS, FileKind, UploadProblem, WorkbookLimits
from bot.services.imports import ImportRejected, WorkbookRefused, check_content, parse_file
from bot.workbook_io import read_workbook
from messages.imports import error_line, workbook_refused
from tests import hostile
from tests.test_import import OFFICE, rows
from tests.workbooks import filled

KB = 1024
SMALL = WorkbookLimits(file_bytes=256 * KB, parts=40, unpacked_bytes=256 * KB,
                       part_bytes=32 * KB, ratio=50, ratio_from=16 * KB, elements=5_000,
                       part_elements=1_000, depth=16, tag_bytes=4 * KB, text_chars=300,
                       strings=100, row_cells=30, row_elements=120, rows=5, scan_rows=400,
                       columns=16)


REFUSED = {name: case for name, case in hostile.CRAFTED.items() if case[1] is not None}
# What each refusal line says, against SMALL.
WORDS = {
    "zip bomb (ratio)": "正常不超过 50 倍），疑似“压缩炸弹”",
    "over the unpacked budget": "解压后太大（内容超过 256 KB）",
    "huge declared size": "与记录的大小或校验值不符",
    "data beyond its declared size": "与记录的大小或校验值不符",
    "many members": "内部文件太多（54 个，最多 40 个）",
    "external link": "外部链接",
    "vbaProject.bin": "含有宏",
    "macro-enabled content type": "含有宏",
    "20 001 rows": "工作表“清单”超过 5 行（表头和示例行不算）",
    "one enormous row": "工作表“清单”第3行有超过 30 个单元格",
    "one enormous shared string": "xl/sharedStrings.xml 有一段文字超过 300 个字",
    "too many shared strings": "不同文字太多（超过 100 个）",
    "deeply nested XML": "（工作表“清单”嵌套超过 16 层）",
    "entity expansion (DOCTYPE)": "含有 DTD 声明",
    "one giant tag": "（工作表“清单”中有一个标签超过 4 KB）",
    "too many elements": "（XML 元素超过 5000 个）",
    "styles of too many elements": "（xl/styles.xml 中的XML 元素超过 1000 个）",
    "elements kept outside the rows": "（工作表“清单”中的XML 元素超过 1000 个）",
    "one crowded cell": "（工作表“清单”第3行中的XML 元素超过 120 个）",
    "elements outside the shared strings": "（xl/sharedStrings.xml 中的XML 元素超过 1000 个）",
    "a value far down": "工作表“清单”第401行还有内容",
    "too many blank rows": "工作表“清单”超过 5 行",
}


def test_the_template_filled_in_is_within_the_small_limits():
    book = read_workbook(hostile.base(), SMALL)
    assert len(book.sheets[ITEMS].rows) == 4  # the example and three items


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_crafted_workbook_is_refused_in_one_line_and_changes_nothing(
        services, tmp_path, case):
    db = tmp_path / "bot.db"
    await services.imports.import_file(OFFICE, filled(), "台账.xlsx", SMALL)
    before = rows(db)
    make, problem = REFUSED[case]
    words = WORDS[case]
    data = make(SMALL)
    with pytest.raises(WorkbookRefused) as caught:
        await services.imports.import_file(OFFICE, data, "台账.xlsx", SMALL)
    assert caught.value.problem is problem, caught.value
    line = workbook_refused(caught.value, "台账.xlsx")
    assert line.startswith("⛔") and "\n" not in line and words in line, line
    assert rows(db) == before


def test_a_refusal_names_the_sheet_and_the_row():
    cases = {
        hostile.enormous_row: "⛔ 工作表“清单”第3行有超过 30 个单元格，不予导入。",
        hostile.too_many_rows: "⛔ 工作表“清单”超过 5 行（表头和示例行不算），不予导入。",
        hostile.row_too_far: "⛔ 工作表“清单”第401行还有内容，超出了可导入的范围（前 400 行）。",
    }
    for make, start in cases.items():
        with pytest.raises(WorkbookRefused) as caught:
            parse_file(make(SMALL), SMALL)
        assert workbook_refused(caught.value).startswith(start), workbook_refused(caught.value)


def test_the_row_limit_is_data_rows_the_header_and_example_row_not_counted():
    at_limit = [(None, "问题", f"第{n}个问题", "主体责任", "陈书记", None, None, None,
                 "2026-12-05", None) for n in range(SMALL.rows)]
    book = parse_file(filled(items=at_limit), SMALL)
    assert len(book.sheets[ITEMS].rows) == SMALL.rows + 1  # and the example
    assert not book.sheets[ITEMS].truncated and book.max_rows == SMALL.rows


def _without_the_example(data: bytes) -> bytes:
    xml = hostile.member(data, hostile.ITEMS_PART)
    xml, found = re.subn(rb'<row r="2"[^>]*>.*?</row>', b"", xml, count=1, flags=re.S)
    assert found == 1
    return hostile.rezip(data, {hostile.ITEMS_PART: xml})


async def test_data_row_limit_plus_one_without_an_example_is_refused(services, tmp_path):
    # the package's check cannot tell an example row, so it lets one more row by; the rows
    # read are counted exactly
    data = _without_the_example(hostile.too_many_rows(SMALL))
    before = rows(tmp_path / "bot.db")
    with pytest.raises(ImportRejected) as caught:
        await services.imports.import_file(OFFICE, data, "台账.xlsx", SMALL)
    assert [error_line(e) for e in caught.value.errors if e.row is None] == [
        "清单: 超过 5 行（表头和示例行不算），请分成几个文件导入"]
    assert rows(tmp_path / "bot.db") == before


@pytest.mark.parametrize("big", [True, False])
async def test_a_lying_dimension_is_not_trusted(services, tmp_path, big):
    data = hostile.lying_dimension(LIMITS, scale=6, big=big)
    book = parse_file(data, LIMITS)
    items = book.sheets[ITEMS].rows
    assert len(items) == 7  # the example and six items, whatever the sheet claims
    assert all(len(values) <= len(COLUMNS[ITEMS]) for _, values in items)
    result = await services.imports.import_file(OFFICE, data, "台账.xlsx")
    assert result.plan.created(ITEMS) == 6


def test_only_the_first_columns_are_read():
    book = parse_file(hostile.base(), replace(SMALL, columns=3))
    assert {len(values) for _, values in book.sheets[ITEMS].rows} == {3}


@pytest.mark.parametrize("make", [hostile.zip_bomb, hostile.huge_declared_size,
                                  hostile.external_link, hostile.deep_xml,
                                  hostile.entity_expansion, hostile.styles_bomb])
def test_the_production_limits_refuse_the_cheap_ones_at_full_size(make):
    with pytest.raises(WorkbookRefused):
        parse_file(make(LIMITS))  # the production limits are parse_file's default


def test_a_refusal_survives_a_trip_to_a_child_process():
    try:
        parse_file(hostile.enormous_row(SMALL), SMALL)
    except WorkbookRefused as exc:
        again = pickle.loads(pickle.dumps(exc))
        assert again == exc and workbook_refused(again) == workbook_refused(exc)
    else:
        pytest.fail("not refused")


@pytest.mark.parametrize(("name", "data", "problem", "kind", "words"), [
    ("台账.xls", filled(), UploadProblem.RENAMED_XLSX, None,
     "⛔ “台账.xls”实际上是 Excel 工作簿（.xlsx），只是扩展名不对。请把扩展名改为 .xlsx 后再导入。"),
    ("台账.csv", filled(), UploadProblem.RENAMED_XLSX, None, "实际上是 Excel 工作簿（.xlsx）"),
    ("台账.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), UploadProblem.NOT_WORKBOOK,
     FileKind.OLE2, "⛔ “台账.xlsx”实际上是旧版 .xls 文件（或旧版 Word 文档，或设置了打开密码的工作簿），"
                    "不是 .xlsx 工作簿，不能导入。"),
    ("台账.xlsx", b"%PDF-1.7\n", UploadProblem.NOT_WORKBOOK, FileKind.PDF,
     "“台账.xlsx”实际上是PDF 文件，不是 .xlsx 工作簿"),
    ("台账.xls", b"<html><table></table></html>", UploadProblem.NOT_WORKBOOK, FileKind.OTHER,
     "“台账.xls”的内容不是 .xlsx 工作簿"),
    ("台账.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", UploadProblem.OLD_XLS, None, "旧版 .xls 文件"),
    ("台账.pdf", b"%PDF-1.7\n", UploadProblem.NOT_XLSX, FileKind.PDF, "“台账.pdf”不是 .xlsx 文件"),
])
def test_a_name_its_content_contradicts_is_told_what_it_really_is(name, data, problem, kind,
                                                                   words):
    refused = check_content(name, data)
    assert refused is not None and (refused.problem, refused.kind) == (problem, kind)
    assert words in workbook_refused(refused)


def test_a_word_document_renamed_xlsx_is_told_apart():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w/>")
    refused = check_content("台账.xlsx", out.getvalue())
    assert refused is not None and refused.kind is FileKind.DOCX
    with pytest.raises(WorkbookRefused) as caught:  # as the bot finds out after downloading
        parse_file(out.getvalue())
    assert "“台账.xlsx”实际上是Word 文档，不是 .xlsx 工作簿" in workbook_refused(caught.value, "台账.xlsx")
