"""Real .xlsx files for the import tests: the template, filled in as an office would."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date

import openpyxl

from bot.domain.workbook import ITEMS, PEOPLE, UNITS
from bot.workbook_io import write_template
from messages.imports import template_help

Row = Sequence[object]

UNITS_ROWS: list[Row] = [
    ("某局党委", None, "党委"),
    ("财务科", "某局党委", "部门"),
    ("项目科", "某局党委", None),
    ("财务科党支部", "财务科", "党支部"),
    ("局纪委", "某局党委", "二级党组织"),
]
PEOPLE_ROWS: list[Row] = [
    ("陈书记", "党委书记", "某局党委", None, 13800000001, None),
    ("李明", "班子成员", "某局党委", "财务科", "13800000002", "分管财务"),
    ("王芳", "班子成员", "某局党委", "项目科", None, None),
    ("刘纪委", "纪委书记", "局纪委", None, None, None),
    ("周支书", "支部书记", "财务科党支部", None, None, None),
]
ITEMS_ROWS: list[Row] = [
    ("W0100", "问题", "公务接待超标准", "主体责任", "陈书记", "某局党委", None, "巡察",
     date(2026, 12, 5), None),
    ("Z0101", "责任", "规范公务接待审批", "一岗双责", "李明", "财务科", "W0100", None,
     "2026/12/10", "进行中"),
    (None, "措施", "逐笔核查公务接待报销凭证", "一岗双责", "周支书", None, "Z0101", "自查",
     "2026年11月27日", None),
]


def workbook(units: Iterable[Row] = UNITS_ROWS, people: Iterable[Row] = PEOPLE_ROWS,
             items: Iterable[Row] = ITEMS_ROWS) -> openpyxl.Workbook:
    """The template as `dutybot template` writes it, with these rows below the examples."""
    buffer = io.BytesIO()
    write_template(buffer, template_help())
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    for name, rows in ((UNITS, units), (PEOPLE, people), (ITEMS, items)):
        for row in rows:
            book[name].append(list(row))
    return book


def to_bytes(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filled(units: Iterable[Row] = UNITS_ROWS, people: Iterable[Row] = PEOPLE_ROWS,
           items: Iterable[Row] = ITEMS_ROWS) -> bytes:
    return to_bytes(workbook(units, people, items))


def with_macros(data: bytes) -> bytes:
    """The same workbook with a VBA project inside, as Excel saves an .xlsm."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for entry in src.infolist():
            dst.writestr(entry, src.read(entry.filename))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really VBA")
    return out.getvalue()
