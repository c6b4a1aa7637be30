"""A streaming .xlsx writer: rows go straight into the zip as SpreadsheetML, nothing held.

The 台账 of 500 000 items is about 11 million cells. openpyxl (write-only, with lxml)
spends about 9 µs of CPU on each, XlsxWriter (constant memory) about 6; PyExcelerate and
the fast Rust-backed writer hold each sheet whole in memory (bench/README.md (e) has the
figures). This module spends about 1.3 µs a cell, deflating included.
What the 台账 needs of the format is small: several sheets, column widths, a frozen header
row, a few fixed cell styles (a bold shaded header, dates, percentages, wrapped text). So
this module writes exactly that, one row at a time, each cell as an inline string, a
number or a date's serial number, into one deflated zip entry per sheet; its memory does
not grow with the rows.

Strings are always inline text (`t="inlineStr"`): a value such as `=1+1` or `#N/A` is
never a formula or an error value. The caller cleans its text of the control characters
XML cannot carry (bot/ledger_io.py `_text`).

Rows are gathered into chunks of about 1 MB of XML, then encoded and deflated into the
zip entry. (A thread that deflated one chunk while the next was made showed no gain on a
busy two-core machine and cost the export's child about 200 MiB more address space — a
malloc arena, a stack — against its RLIMIT_AS cap: not done.)

One sheet is open at a time: `sheet()` closes the one before. A sheet's XML is kept under
the zip's 2 GiB entry limit: `Sheet.rows` stops there and sets `Sheet.cut`, and the
caller starts a continuation sheet.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import BinaryIO

# Cell styles (the indexes of styles.xml's cellXfs below).
PLAIN, DATE, DATETIME, PERCENT, INTEGER = 0, 1, 2, 3, 4
HEADER, HEADER_EXTRA, TITLE, WRAP, WRAP_HEADER = 5, 6, 7, 8, 9
#: the number formats the styles show, as openpyxl reads them back
FORMATS = {DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd h:mm:ss", PERCENT: "0.0%", INTEGER: "0"}

#: bytes of XML in one sheet before `Sheet.full` (zipfile refuses an entry over 2 GiB
#: without ZIP64, which not every spreadsheet program reads)
SHEET_BYTES = 1_900_000_000
_CHUNK = 1 << 20  # characters of XML gathered before they are encoded and deflated

_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (the 1900 date system)
_EPOCH_DAY = _EPOCH.toordinal()

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def column_letter(n: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _attr(text: str) -> str:
    return escape(text).replace('"', "&quot;")


def day_serial(value: date) -> int:
    """A date as Excel's day number (as openpyxl writes it: 1900-01-01 to 02-28 one less)."""
    days = value.toordinal() - _EPOCH_DAY
    return days - 1 if 0 < days <= 60 else days


def moment_serial(value: datetime) -> float:
    """A naive datetime as Excel's serial number, as openpyxl computes it."""
    return day_serial(value) + (value.hour * 3600 + value.minute * 60 + value.second
                                + value.microsecond / 10**6) / 86400


class Workbook:
    """Sheets written one after another into `file` (a binary file open for writing, or a
    path). `close()` writes the parts that list them; the file is a workbook only then."""

    def __init__(self, file: BinaryIO | str, compresslevel: int = 6,
                 made: datetime | None = None) -> None:
        self.made = made  # the file's creation time in its properties (aware), if given
        self._zip = zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED,
                                    compresslevel=compresslevel)
        self._titles: list[str] = []
        self._open: Sheet | None = None

    def sheet(self, title: str, widths: Sequence[float] = (), *,
              freeze_header: bool = False) -> Sheet:
        """A new sheet, the one before it closed. `widths`: the columns' widths from A on."""
        if self._open is not None:
            self._open.close()
        self._titles.append(title)
        number = len(self._titles)
        stream = self._zip.open(f"xl/worksheets/sheet{number}.xml", "w")
        self._open = Sheet(stream, widths, freeze_header, selected=number == 1)
        return self._open

    def abort(self) -> None:
        """Stop after a failure: the file is closed, its last sheet cut short (the caller
        throws it away)."""
        if self._open is not None:
            self._open.stop()
            self._open = None
        self._zip.close()

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None
        if not self._titles:
            self.sheet("Sheet1").close()
        n = len(self._titles)
        parts = self._zip.writestr
        sheets = "".join(f'<sheet name="{_attr(t)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, t in enumerate(self._titles, start=1))
        parts("xl/workbook.xml", f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
              '<workbookPr/><bookViews><workbookView/></bookViews>'
              f"<sheets>{sheets}</sheets></workbook>")
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                       f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
        parts("xl/_rels/workbook.xml.rels",
              f'{_XML}<Relationships xmlns="{_PKG_REL}">{rels}'
              f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
              "</Relationships>")
        parts("xl/styles.xml", _STYLES)
        made = ""
        if self.made is not None and self.made.tzinfo is not None:
            moment = self.made.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            made = (f'<dcterms:created xsi:type="dcterms:W3CDTF">{moment}</dcterms:created>'
                    f'<dcterms:modified xsi:type="dcterms:W3CDTF">{moment}</dcterms:modified>')
        parts("docProps/core.xml", _CORE.format(made=made))
        parts("docProps/app.xml", _APP)
        parts("_rels/.rels", _ROOT_RELS)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1))
        parts("[Content_Types].xml", _TYPES.format(sheets=overrides))
        self._zip.close()


class Sheet:
    """One worksheet being written: `append` a row at a time, or `rows` many."""

    def __init__(self, stream: BinaryIO, widths: Sequence[float], freeze_header: bool,
                 selected: bool) -> None:
        self._stream = stream
        self.row = 0  # rows written
        self.cut = False  # `rows` stopped because the sheet was full
        self.size = 0  # bytes of XML written
        self._letters: list[str] = []
        self._closed = False
        view = ' tabSelected="1"' if selected else ""
        pane = ('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
                if freeze_header else "")
        cols = "".join(f'<col min="{n}" max="{n}" width="{w:g}" customWidth="1"/>'
                       for n, w in enumerate(widths, start=1))
        self._write(f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
                    f'<sheetViews><sheetView{view} workbookViewId="0">{pane}</sheetView>'
                    '</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                    + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>")

    @property
    def full(self) -> bool:
        """Near the zip entry's limit: start a continuation sheet."""
        return self.size >= SHEET_BYTES

    def append(self, values: Sequence[object], styles: Sequence[int] | int = PLAIN) -> None:
        """One row; `styles`: one style for every cell, or one per cell."""
        if isinstance(styles, int):
            styles = [styles] * len(values)
        self.row += 1
        self._write(_row(self.row, values, self._letters_for(len(values)), styles))

    def rows(self, rows: Iterable[Sequence[object]], numbers: dict[int, int] | None = None,
             limit: int | None = None) -> int:
        """Rows of plain cells (`numbers`: column index → style of a number in it), at most
        `limit` of them or until the sheet is `full` (then `cut` is set: the rest, if any,
        is for a continuation sheet); how many were written."""
        numbers = numbers or {}
        letters = self._letters_for(256)
        parts: list[str] = []
        gathered = written = 0
        row = self.row
        write = self._write
        for values in rows:
            row += 1
            text = _plain_row(row, values, letters, numbers)
            parts.append(text)
            gathered += len(text)
            written += 1
            if gathered >= _CHUNK:
                write("".join(parts))
                parts.clear()
                gathered = 0
                if self.size >= SHEET_BYTES:
                    self.cut = True
                    break
            if written == limit:
                break
        if parts:
            write("".join(parts))
        self.row = row
        return written

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._write("</sheetData></worksheet>")
            self._stream.close()

    def stop(self) -> None:
        """The sheet left unfinished (after a failure): its zip entry closed as it is."""
        if not self._closed:
            self._closed = True
            self._stream.close()

    def _write(self, text: str) -> None:
        data = text.encode("utf-8", "replace")
        self.size += len(data)
        self._stream.write(data)

    def _letters_for(self, n: int) -> list[str]:
        while len(self._letters) < n:
            self._letters.append(column_letter(len(self._letters) + 1))
        return self._letters


def _plain_row(row: int, values: Sequence[object], letters: list[str],
               numbers: dict[int, int]) -> str:
    """The hot path: one row's XML, each cell by its type."""
    r = f'{row}"'  # the row's number and the attribute's closing quote
    cells = [f'<row r="{row}">']
    add = cells.append
    n = -1
    for value in values:
        n += 1
        if value is None:
            continue
        kind = type(value)
        if kind is str:
            if "&" in value or "<" in value or ">" in value:  # type: ignore[operator]
                value = escape(value)  # type: ignore[arg-type]
            if value[:1].isspace() or value[-1:].isspace():  # type: ignore[index]
                add(f'<c r="{letters[n]}{r} t="inlineStr"><is><t xml:space="preserve">'
                    f"{value}</t></is></c>")
            else:
                add(f'<c r="{letters[n]}{r} t="inlineStr"><is><t>{value}</t></is></c>')
        elif kind is int:
            style = numbers.get(n)
            if style:
                add(f'<c r="{letters[n]}{r} s="{style}"><v>{value}</v></c>')
            else:
                add(f'<c r="{letters[n]}{r}><v>{value}</v></c>')
        elif kind is datetime:
            add(f'<c r="{letters[n]}{r} s="2"><v>{moment_serial(value)!r}</v></c>')  # type: ignore[arg-type]
        elif kind is date:
            add(f'<c r="{letters[n]}{r} s="1"><v>{day_serial(value)}</v></c>')  # type: ignore[arg-type]
        else:
            add(_cell(f"{letters[n]}{row}", value, numbers.get(n, PLAIN)))
    cells.append("</row>")
    return "".join(cells)


def _row(row: int, values: Sequence[object], letters: list[str],
         styles: Sequence[int]) -> str:
    cells = [f'<row r="{row}">']
    for n, value in enumerate(values):
        style = styles[n] if n < len(styles) else PLAIN
        if value is None:
            if style:
                cells.append(f'<c r="{letters[n]}{row}" s="{style}"/>')
            continue
        cells.append(_cell(f"{letters[n]}{row}", value, style))
    cells.append("</row>")
    return "".join(cells)


def _cell(ref: str, value: object, style: int) -> str:
    """Any one cell, the slow way: every type and style."""
    s = f' s="{style}"' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{style or DATETIME}"><v>{moment_serial(value)!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{style or DATE}"><v>{day_serial(value)}</v></c>'
    if isinstance(value, int | float) and math.isfinite(value):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = escape(str(value))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


_FONT = '<sz val="{size}"/><name val="Calibri"/><family val="2"/>'


def _fill(rgb: str) -> str:
    return (f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
            '<bgColor indexed="64"/></patternFill></fill>')


_XF = '<xf numFmtId="{fmt}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"{extra}</xf>'
_WRAP_TOP = '<alignment vertical="top" wrapText="1"/>'


def _xf(fmt: int = 0, font: int = 0, fill: int = 0, align: str = "") -> str:
    applied = (' applyNumberFormat="1"' if fmt else "") + (' applyFont="1"' if font else "") \
        + (' applyFill="1"' if fill else "") + (' applyAlignment="1"' if align else "")
    return _XF.format(fmt=fmt, font=font, fill=fill, extra=f"{applied}>{align}")


_CELL_XFS = (
    _xf(),  # PLAIN
    _xf(fmt=164),  # DATE
    _xf(fmt=165),  # DATETIME
    _xf(fmt=166),  # PERCENT
    _xf(fmt=1),  # INTEGER ("0", built in)
    _xf(font=1, fill=2),  # HEADER
    _xf(font=1, fill=3),  # HEADER_EXTRA: columns the import does not read
    _xf(font=2),  # TITLE
    _xf(align=_WRAP_TOP),  # WRAP
    _xf(font=1, fill=2, align=_WRAP_TOP),  # WRAP_HEADER
)

_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/>'
    '<numFmt numFmtId="166" formatCode="0.0%"/></numFmts>'
    '<fonts count="3">'
    f'<font>{_FONT.format(size=11)}</font><font><b/>{_FONT.format(size=11)}</font>'
    f'<font><b/>{_FONT.format(size=14)}</font></fonts>'
    '<fills count="4"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    f'{_fill("DDEBF7")}{_fill("EDEDED")}</fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs>'
    f'<cellXfs count="{len(_CELL_XFS)}">{"".join(_CELL_XFS)}</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

_CORE = (
    f'{_XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
    'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>dutybot</dc:creator>'
    "{made}"
    "</cp:coreProperties>"
)
_APP = (
    f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties"><Application>dutybot</Application></Properties>'
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_TYPES = (
    _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/'
    'vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "{sheets}</Types>"
)
