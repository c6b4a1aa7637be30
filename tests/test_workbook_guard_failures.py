"""Workbooks the package guard (bot/workbook_guard.py) once got wrong (found in review): a
hostile one it never looked at, one whose sheet names it lost, and a legitimate one it
refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.domain.workbook import LIMITS, UploadProblem
from bot.services.imports import WorkbookRefused, parse_file
from bot.workbook_guard import WorkbookUnreadable, inspect_package
from tests import hostile
from tests.test_hostile_workbooks import SMALL

RELS = "xl/_rels/workbook.xml.rels"


def _add_raw(data: bytes, name: str, body: bytes) -> bytes:
    """`data` with one more member, deflated, named exactly `name` (a name ending in '/'
    included: zipfile then calls it a folder, but keeps and reads its data)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        dst.writestr(info, body)
    return out.getvalue()


def test_a_sheet_in_a_member_named_like_a_folder_is_checked_too():
    """openpyxl strips only the leading '/' of an absolute relationship target, so
    Target="/xl/worksheets/sheet3.xml/" reads the member 'xl/worksheets/sheet3.xml/'; the
    guard skips every member whose name ends in '/' (ZipInfo.is_dir), so that sheet (here a
    row far wider than allowed; at full size, a zip bomb) is never checked."""
    data = hostile.enormous_row(SMALL)
    wide = hostile.member(data, hostile.ITEMS_PART)
    rels = hostile.member(data, RELS).replace(b'Target="/xl/worksheets/sheet3.xml"',
                                              b'Target="/xl/worksheets/sheet3.xml/"')
    data = _add_raw(hostile.rezip(hostile.base(), {RELS: rels}), "xl/worksheets/sheet3.xml/", wide)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # openpyxl reads that member
        assert archive.read("xl/worksheets/sheet3.xml/") == wide
    with pytest.raises(WorkbookRefused) as caught:
        parse_file(data, SMALL)
    assert caught.value.problem is UploadProblem.ROW_TOO_WIDE


def test_a_folder_named_member_holding_a_zip_bomb_is_refused_at_full_size():
    """The same at production limits: about 1 GB of XML in a 1 MB member nobody checks
    (openpyxl would stream all of it; only the child's time limit would stop it)."""
    bomb = hostile.sheet(b"<sheetData/>" + b" " * (LIMITS.unpacked_bytes * 2))
    base = hostile.base()
    rels = hostile.member(base, RELS).replace(b'Target="/xl/worksheets/sheet3.xml"',
                                              b'Target="/xl/worksheets/sheet3.xml/"')
    data = _add_raw(hostile.rezip(base, {RELS: rels}), "xl/worksheets/sheet3.xml/", bomb)
    assert len(data) < LIMITS.file_bytes
    with pytest.raises(WorkbookUnreadable) as caught:
        inspect_package(data, LIMITS)
    assert caught.value.problem in (UploadProblem.ZIP_BOMB, UploadProblem.UNPACKED_TOO_BIG)


def test_a_stray_worksheet_part_does_not_blind_the_row_checks():
    """A worksheet part that sorts before xl/workbook.xml (here 'xl/a.xml', which openpyxl
    never reads) makes the guard work out the sheet names before it has kept the workbook
    part: it caches {} and from then on no sheet is one of ours, so a value far down the
    清单 is no longer refused (the reader stops at scan_rows and drops it silently)."""
    decoy = hostile.sheet("<sheetData><row/></sheetData>")
    data = hostile.rezip(hostile.row_too_far(SMALL), add={"xl/a.xml": decoy})
    with pytest.raises(WorkbookRefused) as caught:
        parse_file(data, SMALL)
    assert caught.value.problem is UploadProblem.ROW_TOO_FAR


def _with_calc_chain(data: bytes, cells: int) -> bytes:
    """Excel's calcChain.xml: one <c> per formula cell of the workbook (openpyxl never
    reads it, and drops it on load)."""
    body = "".join(f'<c r="B{n}" i="4"/>' if n == 2 else f'<c r="B{n}"/>'
                   for n in range(2, cells + 2))
    chain = f'<calcChain xmlns="{hostile.NS}">{body}</calcChain>'.encode()
    types = hostile._with_content_type(
        data, "xl/calcChain.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml")
    rels = hostile.member(data, RELS).replace(
        b"</Relationships>",
        b'<Relationship Id="rIdC" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/calcChain" Target="calcChain.xml"/></Relationships>')
    return hostile.rezip(data, {"[Content_Types].xml": types, RELS: rels},
                         {"xl/calcChain.xml": chain})


def test_a_workbook_with_many_formulas_elsewhere_is_not_refused_for_its_calc_chain():
    """An office's workbook whose 说明/统计 sheet holds 120 000 formulas (20 000 rows × 6)
    carries a calcChain.xml of 120 000 elements. openpyxl does not parse it, but the guard
    counts it as a part 'openpyxl parses whole' (part_elements = 100 000) and refuses the
    file as too complex. (The same for pivotCacheRecords, comments, drawings.)"""
    data = _with_calc_chain(hostile.base(), 120_000)
    assert len(data) < LIMITS.file_bytes
    book = parse_file(data, LIMITS)  # raises WorkbookRefused(TOO_MANY_ELEMENTS) today
    assert book.sheets
