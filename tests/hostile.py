"""Crafted workbooks, each just past one of the given WorkbookLimits (or, with `scale`, far
past it): the tests make them against limits scaled down, bench/hostile_workbooks.py at
full size. Made in memory from the real template; nothing is checked in.

Each maker takes the limits and returns the file's bytes. CRAFTED names them with the
refusal each must meet.
"""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
from collections.abc import Callable
from datetime import date

from bot.domain.workbook import COLUMNS, ITEMS, UploadProblem, WorkbookLimits
from tests.workbooks import ITEMS_ROWS, PEOPLE_ROWS, UNITS_ROWS, filled, with_macros

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ITEMS_PART = "xl/worksheets/sheet3.xml"  # the template's 清单
STRINGS_PART = "xl/sharedStrings.xml"


def base() -> bytes:
    """The template as `dutybot template` writes it, filled in: it imports cleanly."""
    return filled()


def rezip(data: bytes, replace: dict[str, bytes] | None = None,
          add: dict[str, bytes] | None = None) -> bytes:
    """The same package with some members replaced or added (deflated, as Excel does)."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = replace.get(info.filename, src.read(info.filename))
            dst.writestr(info.filename, body)
        for name, body in add.items():
            dst.writestr(name, body)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def sheet(inner: str | bytes) -> bytes:
    """A worksheet part holding `inner` (its sheetData and anything else)."""
    body = inner.encode() if isinstance(inner, str) else inner
    return b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="' + NS.encode() + \
        b'">' + body + b"</worksheet>"


def _header_row() -> str:
    cells = "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in COLUMNS[ITEMS])
    return f'<row r="1">{cells}</row>'


def _noise(rng: random.Random, n: int) -> str:
    """Text that does not compress much, so a file stays under the ratio limit."""
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


def _with_content_type(data: bytes, part: str, content_type: str) -> bytes:
    types = member(data, "[Content_Types].xml")
    override = f'<Override PartName="/{part}" ContentType="{content_type}"/>'.encode()
    return types.replace(b"</Types>", override + b"</Types>")


def _patch_declared_size(data: bytes, name: str, size: int) -> bytes:
    """The central directory's uncompressed size of `name`, rewritten (the data stays)."""
    raw = bytearray(data)
    encoded = name.encode()
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", raw, at + 28)[0]
        if bytes(raw[at + 46:at + 46 + length]) == encoded:
            struct.pack_into("<I", raw, at + 24, size)
        at = raw.find(b"PK\x01\x02", at + 4)
    return bytes(raw)


# -- the crafted files --------------------------------------------------------------------------


def zip_bomb(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """One member that inflates far beyond its size: spaces, compressed about 1000 times."""
    size = min(limits.unpacked_bytes // 2, max(2 * limits.ratio_from, 4096) * scale)
    return rezip(base(), {ITEMS_PART: sheet(b"<sheetData/>" + b" " * size)})


def over_budget(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """Members each under the ratio check's size, together over the unpacked budget."""
    each = max(limits.ratio_from - 1, 1)
    count = limits.unpacked_bytes // each + 2
    return rezip(base(), add={f"xl/media/pad{n}.bin": b"\0" * each for n in range(count)})


def huge_declared_size(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """A member whose directory entry claims nearly 4 GB."""
    return _patch_declared_size(base(), ITEMS_PART, 0xFFFF_FFF0)


def lying_declared_size(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """A member holding more than its directory entry declares."""
    data = base()
    return _patch_declared_size(data, ITEMS_PART, len(member(data, ITEMS_PART)) // 2)


def many_members(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """More members than any workbook has (with `scale`, as many as fit in the file)."""
    count = (limits.parts + 1) * scale
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        for n in range(count):
            dst.writestr(f"m/{n}", b"")
    return out.getvalue()


def external_link(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """A workbook pointing at another file (Excel would fetch it to update the values)."""
    part = "xl/externalLinks/externalLink1.xml"
    link = (f'<externalLink xmlns="{NS}"><externalBook xmlns:r="http://schemas.openxmlformats'
            '.org/officeDocument/2006/relationships" r:id="rId1"/></externalLink>').encode()
    data = base()
    types = _with_content_type(data, part, "application/vnd.openxmlformats-officedocument."
                                           "spreadsheetml.externalLink+xml")
    return rezip(data, {"[Content_Types].xml": types}, {part: link})


def vba_project(limits: WorkbookLimits, scale: int = 1) -> bytes:
    return with_macros(base())


def macro_content_type(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """No VBA project, but the package says it is macro-enabled."""
    data = base()
    types = member(data, "[Content_Types].xml").replace(
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
    return rezip(data, {"[Content_Types].xml": types})


def lying_dimension(limits: WorkbookLimits, scale: int = 1, big: bool = True) -> bytes:
    """The 清单 sheet claims A1:XFD1048576 (openpyxl pads every row to 16 384 cells), or,
    with big=False, A1:C2 (openpyxl stops after row 2). `scale` rows of items; either way
    the rows are read as they are."""
    rows = list(ITEMS_ROWS) + [
        (None, "问题", f"第{n}个问题", "主体责任", "陈书记", None, None, None,
         date(2026, 12, 5), None) for n in range(max(scale - len(ITEMS_ROWS), 0))]
    data = filled(UNITS_ROWS, PEOPLE_ROWS, rows)
    xml = member(data, ITEMS_PART)
    claim = b"A1:XFD1048576" if big else b"A1:C2"
    xml, found = re.subn(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="' + claim + b'"/>', xml)
    assert found == 1
    return rezip(data, {ITEMS_PART: xml})


def too_many_rows(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """The template, its example row, and one data row more than allowed."""
    rows = [(None, "问题", f"第{n}个问题", "主体责任", "陈书记", None, None, None,
             date(2026, 12, 5), None) for n in range(limits.rows + 1)]
    return filled(UNITS_ROWS, PEOPLE_ROWS, rows)


def enormous_row(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """One row of far more cells than any import needs (openpyxl holds a row whole)."""
    rng = random.Random(1)
    count = (limits.row_cells + 1) * scale
    cells = "".join(f"<c><v>{rng.randrange(10**9)}</v></c>" for _ in range(count))
    return rezip(base(), {ITEMS_PART: sheet(f"<sheetData>{_header_row()}<row r=\"3\">"
                                            f"{cells}</row></sheetData>")})


def _with_strings(data: bytes, strings: list[str]) -> bytes:
    sst = (f'<sst xmlns="{NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'
           + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>").encode()
    types = _with_content_type(data, STRINGS_PART, "application/vnd.openxmlformats-"
                                                   "officedocument.spreadsheetml.sharedStrings+xml")
    rels = member(data, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    cell = sheet(f'<sheetData>{_header_row()}<row r="3"><c t="s"><v>0</v></c></row></sheetData>')
    return rezip(data, {"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels,
                        ITEMS_PART: cell}, {STRINGS_PART: sst})


def enormous_string(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """One shared string longer than Excel allows in a cell."""
    return _with_strings(base(), [_noise(random.Random(2), (limits.text_chars + 1) * scale)])


def many_strings(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """More shared strings than the limit (openpyxl keeps every one in memory)."""
    return _with_strings(base(), [f"s{n}" for n in range((limits.strings + 1) * scale)])


def deep_xml(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """Elements nested far deeper than any workbook's."""
    depth = min((limits.depth + 1) * scale, max(limits.ratio_from // 8, limits.depth + 1))
    return rezip(base(), {ITEMS_PART: sheet("<sheetData><row><c>" + "<x>" * depth
                                            + "</x>" * depth + "</c></row></sheetData>")})


def entity_expansion(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """The 'billion laughs': a DOCTYPE whose entities expand to gigabytes."""
    entities = '<!ENTITY a0 "ha">' + "".join(
        f'<!ENTITY a{n} "{("&a" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]><worksheet xmlns="{NS}">'
           '<sheetData><row><c t="inlineStr"><is><t>&a9;</t></is></c></row></sheetData>'
           "</worksheet>")
    return rezip(base(), {ITEMS_PART: xml.encode()})


def giant_tag(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """One start tag of more bytes than the limit: attribute after attribute."""
    count = (limits.tag_bytes // 4 + 1) * scale  # about twice the limit
    attrs = " ".join(f'a{n}="1"' for n in range(count))
    return rezip(base(), {ITEMS_PART: sheet(f"<sheetData><row><c {attrs}/></row></sheetData>")})


def too_many_elements(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """Rows within every other limit (blank cells, each as wide as allowed) whose cells
    together pass the package's elements. Random styles keep the ratio ordinary."""
    rng = random.Random(3)
    per_row = limits.row_cells
    rows = (limits.elements * scale) // (per_row + 1) + 1
    assert rows <= limits.scan_rows, "these limits cannot be passed in one sheet"
    body = "".join("<row>" + "".join(f'<c s="{rng.randrange(10_000)}"/>' for _ in range(per_row))
                   + "</row>" for _ in range(rows))
    return rezip(base(), {ITEMS_PART: sheet(f"<sheetData>{body}</sheetData>")})


def kept_elements(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """Elements of no meaning in a sheet, outside its rows: openpyxl keeps them all until
    the sheet ends (each row is dropped once read)."""
    rng = random.Random(4)
    count = (limits.part_elements + 1) * scale
    junk = "".join(f'<x a="{rng.randrange(100)}"/>' for _ in range(count))
    return rezip(base(), {ITEMS_PART: sheet(f"<sheetData>{_header_row()}</sheetData>"
                                            f"<junk>{junk}</junk>")})


def crowded_cell(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """One cell of many children: within the row's cells, over its elements."""
    rng = random.Random(5)
    children = "".join(f'<x a="{rng.randrange(100)}"/>'
                       for _ in range((limits.row_elements + 1) * scale))
    return rezip(base(), {ITEMS_PART: sheet(
        f'<sheetData>{_header_row()}<row r="3"><c><v>1</v>{children}</c></row></sheetData>')})


def stray_strings(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """Shared strings with elements outside any string (openpyxl keeps those too)."""
    rng = random.Random(6)
    stray = "".join(f'<x a="{rng.randrange(100)}"/>'
                    for _ in range((limits.part_elements + 1) * scale))
    data = _with_strings(base(), ["一"])
    sst = member(data, STRINGS_PART).replace(b"</sst>", stray.encode() + b"</sst>")
    return rezip(data, {STRINGS_PART: sst})


def styles_bomb(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """A styles part of more elements than openpyxl should build objects for."""
    data = base()
    styles = member(data, "xl/styles.xml")
    count = (limits.part_elements + 1) * scale
    styles, found = re.subn(rb'<cellXfs count="\d+">',
                            b'<cellXfs count="%d">' % count + b"<xf/>" * count, styles)
    assert found == 1
    return rezip(data, {"xl/styles.xml": styles})


def row_too_far(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """A value far below anything the reader looks at."""
    far = (limits.scan_rows + 1) * scale
    return rezip(base(), {ITEMS_PART: sheet(
        f'<sheetData>{_header_row()}<row r="{far}"><c t="inlineStr"><is><t>藏在下面</t></is>'
        "</c></row></sheetData>")})


def blank_rows(limits: WorkbookLimits, scale: int = 1) -> bytes:
    """More (empty) rows than the reader looks at."""
    return rezip(base(), {ITEMS_PART: sheet(
        "<sheetData>" + "<row/>" * ((limits.scan_rows + 1) * scale) + "</sheetData>")})


Maker = Callable[..., bytes]

#: name → (maker, the refusal it must meet; None: not refused, read quickly all the same)
CRAFTED: dict[str, tuple[Maker, UploadProblem | None]] = {
    "zip bomb (ratio)": (zip_bomb, UploadProblem.ZIP_BOMB),
    "over the unpacked budget": (over_budget, UploadProblem.UNPACKED_TOO_BIG),
    "huge declared size": (huge_declared_size, UploadProblem.SIZE_MISMATCH),
    "data beyond its declared size": (lying_declared_size, UploadProblem.SIZE_MISMATCH),
    "many members": (many_members, UploadProblem.TOO_MANY_PARTS),
    "external link": (external_link, UploadProblem.EXTERNAL_LINKS),
    "vbaProject.bin": (vba_project, UploadProblem.MACROS),
    "macro-enabled content type": (macro_content_type, UploadProblem.MACROS),
    "20 001 rows": (too_many_rows, UploadProblem.TOO_MANY_ROWS),
    "one enormous row": (enormous_row, UploadProblem.ROW_TOO_WIDE),
    "one enormous shared string": (enormous_string, UploadProblem.TEXT_TOO_LONG),
    "too many shared strings": (many_strings, UploadProblem.TOO_MANY_STRINGS),
    "deeply nested XML": (deep_xml, UploadProblem.XML_TOO_DEEP),
    "entity expansion (DOCTYPE)": (entity_expansion, UploadProblem.XML_DTD),
    "one giant tag": (giant_tag, UploadProblem.XML_TAG_TOO_LONG),
    "too many elements": (too_many_elements, UploadProblem.TOO_MANY_ELEMENTS),
    "styles of too many elements": (styles_bomb, UploadProblem.TOO_MANY_ELEMENTS),
    "elements kept outside the rows": (kept_elements, UploadProblem.TOO_MANY_ELEMENTS),
    "one crowded cell": (crowded_cell, UploadProblem.TOO_MANY_ELEMENTS),
    "elements outside the shared strings": (stray_strings, UploadProblem.TOO_MANY_ELEMENTS),
    "a value far down": (row_too_far, UploadProblem.ROW_TOO_FAR),
    "too many blank rows": (blank_rows, UploadProblem.TOO_MANY_ROWS),
    "lying <dimension> (huge)": (lying_dimension, None),
}
