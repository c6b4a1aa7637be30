"""The import workbook on disk: openpyxl reads it into plain rows and writes the template.

Blocking (openpyxl is synchronous): the bot calls `read_workbook` off the event loop. The
package is checked against the limits first (bot/workbook_guard.py); all checking of what
the rows say is in bot/domain/workbook.py.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.vocabulary import DUTY_NAMES, LIST_NAMES, UNIT_KIND_NAMES
from bot.domain.workbook import (
    ALL_SHEETS,
    CASES,
    COLUMNS,
    EXAMPLES,
    HELP,
    IMPORT_STATUSES,
    ITEMS,
    LIMITS,
    NO,
    REQUIRED,
    UNITS,
    YES,
    RawWorkbook,
    Sheet,
    UploadProblem,
    WorkbookLimits,
    cell_text,
)
from bot.workbook_guard import WorkbookUnreadable, file_kind, inspect_package

__all__ = ["WorkbookUnreadable", "file_kind", "read_file", "read_workbook", "write_template"]


def read_file(path: Path, limits: WorkbookLimits = LIMITS) -> bytes:
    """A workbook's bytes from a path, no more than `limits.file_bytes` of them: a folder,
    a missing or unreadable file, or one too big is refused before it is read."""
    try:
        if not path.exists():
            raise WorkbookUnreadable(UploadProblem.NO_SUCH_FILE)
        if not path.is_file():
            raise WorkbookUnreadable(UploadProblem.NOT_A_FILE)
        size = path.stat().st_size
        if size > limits.file_bytes:
            raise WorkbookUnreadable(UploadProblem.TOO_BIG, limit=limits.file_bytes, found=size)
        with path.open("rb") as file:
            data = file.read(limits.file_bytes + 1)
    except OSError:
        raise WorkbookUnreadable(UploadProblem.UNREADABLE) from None
    if len(data) > limits.file_bytes:  # it grew since
        raise WorkbookUnreadable(UploadProblem.TOO_BIG, limit=limits.file_bytes, found=len(data))
    return data


def read_workbook(source: bytes | Path, limits: WorkbookLimits = LIMITS) -> RawWorkbook:
    """The 单位 / 人员 / 清单 sheets as plain values, read-only and without computing
    anything: a formula comes back as its text and is reported, never evaluated. Raises
    WorkbookUnreadable for a file that is not a workbook or is beyond `limits`."""
    data = read_file(source, limits) if isinstance(source, Path) else source
    inspect_package(data, limits)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False,
                                      keep_links=False)
    except MemoryError:  # the child's memory cap, not the file's form
        raise
    except Exception as exc:  # a broken file can fail anywhere inside openpyxl
        raise WorkbookUnreadable(UploadProblem.CORRUPT) from exc
    try:
        sheets = {}
        for name in ALL_SHEETS:
            if name in book.sheetnames:
                sheet = book[name]
                if not hasattr(sheet, "iter_rows"):  # a chart sheet of that name
                    continue
                sheets[name] = _read_sheet(name, sheet, limits)
        return RawWorkbook(sheets, limits.rows)
    except (WorkbookUnreadable, MemoryError):
        raise
    except Exception as exc:
        raise WorkbookUnreadable(UploadProblem.CORRUPT) from exc
    finally:
        book.close()


def _read_sheet(name: str, sheet: Worksheet, limits: WorkbookLimits) -> Sheet:
    """The header and the non-blank rows below it: at most `limits.rows` + 1 (the example
    row may be among them); one more makes the sheet `truncated`. A sheet's `<dimension>`
    is not trusted (openpyxl would pad every row to the width it claims, and stop at the
    last row it claims); only the first `limits.columns` columns are read."""
    sheet.reset_dimensions()
    header: tuple[object, ...] = ()
    rows: list[tuple[int, tuple[object, ...]]] = []
    formulas: list[tuple[int, int]] = []
    truncated = False
    for number, cells in enumerate(sheet.iter_rows(min_row=1, max_col=limits.columns),
                                   start=1):
        if number > limits.scan_rows:  # the guard saw no value this far down
            break
        values = _trimmed(tuple(c.value for c in cells))
        if not values:
            continue
        formulas += [(number, i) for i, c in enumerate(cells) if c.data_type == "f"]
        if number == 1:
            header = values
            continue
        if not any(cell_text(v) for v in values):
            continue
        if len(rows) > limits.rows:  # the limit, and one example row
            truncated = True
            break
        rows.append((number, values))
    return Sheet(name, header, tuple(rows), tuple(formulas), truncated)


def _trimmed(values: tuple[object, ...]) -> tuple[object, ...]:
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return values[:end]


# -- the template -------------------------------------------------------------------------

_WIDTHS = {"名称": 24, "上级单位": 24, "姓名": 12, "角色": 20, "所在单位": 24, "分管单位": 30,
           "手机号": 16, "备注": 30, "企业微信账号": 18, "飞书ID": 24, "编号": 10,
           "清单类型": 10, "标题": 44, "责任类型": 12, "责任人": 14, "上级事项编号": 14,
           "来源": 12, "截止日期": 14, "状态": 10, "被问责人": 14, "追责情形": 10, "查明问题": 44,
           "处理日期": 14}
_YES_NO = {True: YES, False: NO}
_CHOICES = {(UNITS, "类型"): UNIT_KIND_NAMES, (ITEMS, "清单类型"): LIST_NAMES,
            (ITEMS, "责任类型"): DUTY_NAMES, (ITEMS, "状态"): IMPORT_STATUSES,
            (CASES, "一案双查"): _YES_NO, (CASES, "典型案例"): _YES_NO}
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_EXAMPLE_FONT = Font(italic=True, color="808080")
_ROWS_WITH_CHOICES = 5000


def write_template(path: Path | IO[bytes], help_rows: list[tuple[str, ...]]) -> None:
    """A blank workbook: the three sheets with their headers and one example row each,
    drop-down lists where the values are fixed, and the 说明 sheet (`help_rows`)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ALL_SHEETS:
        sheet = book.create_sheet(name)
        columns = COLUMNS[name]
        sheet.append(list(columns))
        sheet.append(list(EXAMPLES[name]))
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            letter = sheet.cell(1, index).column_letter
            head = sheet.cell(1, index)
            head.font = Font(bold=True)
            head.fill = _REQUIRED_FILL if column in REQUIRED[name] else _HEADER_FILL
            sheet.cell(2, index).font = _EXAMPLE_FONT
            sheet.column_dimensions[letter].width = _WIDTHS.get(column, 14)
            span = f"{letter}2:{letter}{_ROWS_WITH_CHOICES}"
            if column in ("截止日期", "处理日期"):
                sheet.cell(2, index).number_format = "yyyy-mm-dd"
            if column in ("编号", "手机号", "上级事项编号", "下级事项编号", "企业微信账号",
                          "飞书ID"):
                sheet.cell(2, index).number_format = "@"
            names = _CHOICES.get((name, column))
            if names:
                choice = DataValidation(type="list", formula1=f'"{",".join(names.values())}"',
                                        allow_blank=True, showErrorMessage=False)
                choice.add(span)
                sheet.add_data_validation(choice)
    _write_help(book.create_sheet(HELP), help_rows)
    book.save(path)


def _write_help(sheet: Worksheet, rows: list[tuple[str, ...]]) -> None:
    """One-cell rows are notes (the first is the title); four-cell rows are the table of
    columns, its first row the table's header."""
    for width, letter in zip((10, 14, 8, 90), "ABCD", strict=True):
        sheet.column_dimensions[letter].width = width
    table_started = False
    for row in rows:
        sheet.append(list(row))
        number = sheet.max_row
        if len(row) == 1:
            sheet.cell(number, 1).font = Font(bold=True, size=14) if number == 1 else Font()
            continue
        for index in range(1, len(row) + 1):
            cell = sheet.cell(number, index)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if not table_started:
                cell.font = Font(bold=True)
                cell.fill = _HEADER_FILL
        table_started = True
