"""A workbook's package, checked before openpyxl sees it, so that no file can take more
memory or time than `WorkbookLimits` allow.

openpyxl trusts what a file says about itself: it pads every row to the width a sheet's
`<dimension>` claims, keeps every shared string, parses styles and the workbook part whole,
and reads an external link or a macro project if there is one. So, in this order, and
stopping at the first thing wrong:

1. the file: its size, and its first bytes (a zip, or an old .xls, a PDF…);
2. the zip's directory, nothing decompressed yet: how many members, each one's declared
   size and compression ratio, their sum, the compression methods, the names (a VBA
   project, external links);
3. every member, decompressed in a bounded stream (zipfile stops at the declared size and
   checks the CRC; a member is never read into memory whole): the bytes actually there,
   and each fed through expat chunk by chunk (what is not XML stops it at once), counting
   as it goes: no macro-enabled content type or relationship, no external link, no DOCTYPE
   or entity, the nesting depth, the longest tag, the longest text, the elements of the
   whole package and of a part openpyxl parses whole (and that part's bytes); in a
   worksheet, the cells of each row, the rows (blank ones too), the elements in a row and
   those outside the rows (openpyxl keeps them to the end); in the 单位, 人员 and 清单
   sheets also the rows with a value (at most the header, one example row and `rows` data
   rows) and how far down a value sits; in the shared strings, how many, the elements of
   each and those outside any.

A refusal is `WorkbookUnreadable(problem, part, limit, found)`; messages/imports.py words it.
Pure standard library; no state between calls.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET  # parses two small parts already checked below
import zipfile
import zlib
from xml.parsers import expat

from bot.domain.workbook import (
    SHEETS,
    FileKind,
    UploadProblem,
    WorkbookLimits,
    kind_by_magic,
    kind_of_zip,
)

_CHUNK = 64 * 1024
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


class WorkbookUnreadable(Exception):
    """Not a workbook we import. `part`: the sheet (by its name, when known) or the member
    concerned; `limit`: the limit it broke; `found`: what it had, when counted; `kind`: what
    the file really is (for NOT_WORKBOOK). Picklable: a child process may raise it."""

    def __init__(self, problem: UploadProblem, part: str = "", limit: int = 0,
                 found: int = 0, kind: FileKind | None = None) -> None:
        super().__init__(problem, part, limit, found, kind)
        self.problem, self.part, self.limit, self.found, self.kind = \
            problem, part, limit, found, kind


def file_kind(data: bytes) -> FileKind:
    """What the file is by its content: an Office zip by its parts, else by its first bytes."""
    kind = kind_by_magic(data[:8])
    if kind is not FileKind.ZIP:
        return kind
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return kind_of_zip(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return FileKind.ZIP


def inspect_package(data: bytes, limits: WorkbookLimits) -> None:
    """Raise WorkbookUnreadable if `data` is not an .xlsx within `limits`; return quietly
    if openpyxl may read it."""
    if len(data) > limits.file_bytes:
        raise WorkbookUnreadable(UploadProblem.TOO_BIG, limit=limits.file_bytes,
                                 found=len(data))
    kind = kind_by_magic(data[:8])
    if kind is not FileKind.ZIP:
        raise WorkbookUnreadable(UploadProblem.NOT_WORKBOOK, kind=kind)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise WorkbookUnreadable(UploadProblem.CORRUPT) from None
    with archive:
        # a folder entry holds nothing; one named like a folder that holds data is read by
        # openpyxl all the same (a relationship may point at "…/sheet3.xml/"): checked too
        infos = [i for i in archive.infolist() if not (i.is_dir() and i.file_size == 0)]
        _check_directory(infos, limits)
        kind = kind_of_zip(i.filename for i in infos)
        if kind is not FileKind.XLSX:
            raise WorkbookUnreadable(UploadProblem.NOT_WORKBOOK, kind=kind)
        _Members(archive, infos, limits).check()


def _check_directory(infos: list[zipfile.ZipInfo], limits: WorkbookLimits) -> None:
    """What the zip's directory declares, before anything is decompressed."""
    if len(infos) > limits.parts:
        raise WorkbookUnreadable(UploadProblem.TOO_MANY_PARTS, limit=limits.parts,
                                 found=len(infos))
    total = 0
    for info in infos:
        name = info.filename.lower()
        if name.endswith("vbaproject.bin"):
            raise WorkbookUnreadable(UploadProblem.MACROS)
        if name.startswith("xl/externallinks/"):
            raise WorkbookUnreadable(UploadProblem.EXTERNAL_LINKS)
        if info.flag_bits & 0x1 or info.compress_type not in _METHODS:
            raise WorkbookUnreadable(UploadProblem.CORRUPT, info.filename)
        if info.file_size > _most_inflated(info):
            raise WorkbookUnreadable(UploadProblem.SIZE_MISMATCH, info.filename,
                                     _most_inflated(info), info.file_size)
        if info.file_size >= limits.ratio_from and \
                info.file_size > limits.ratio * max(info.compress_size, 1):
            raise WorkbookUnreadable(UploadProblem.ZIP_BOMB, info.filename, limits.ratio,
                                     info.file_size // max(info.compress_size, 1))
        if info.file_size > limits.unpacked_bytes:
            raise WorkbookUnreadable(UploadProblem.UNPACKED_TOO_BIG, info.filename,
                                     limits.unpacked_bytes, info.file_size)
        total += info.file_size
    if total > limits.unpacked_bytes:
        raise WorkbookUnreadable(UploadProblem.UNPACKED_TOO_BIG, "", limits.unpacked_bytes,
                                 total)


def _most_inflated(info: zipfile.ZipInfo) -> int:
    """The most a member's data can hold: deflate cannot compress beyond 1032 to 1, so a
    larger declared size is a lie about the data."""
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size
    return 1032 * info.compress_size + 64


class _Members:
    """Every member decompressed in a bounded stream; XML members scanned as they stream."""

    def __init__(self, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo],
                 limits: WorkbookLimits) -> None:
        self.archive, self.limits = archive, limits
        # the workbook and its relationships first, then the other small parts (the content
        # types, the styles…), the worksheets last: every sheet's name is known before any
        # part that calls itself a worksheet is scanned
        self.infos = sorted(infos, key=lambda i: (
            i.filename not in (_WORKBOOK, _WORKBOOK_RELS), _is_sheet_path(i.filename),
            i.filename))
        # a tag longer than `tag_bytes` spans at least one whole chunk, and is seen
        self.chunk = max(min(_CHUNK, limits.tag_bytes // 2), 1024)
        self.unpacked = 0
        self.elements = 0  # across the whole package
        self.small: dict[str, bytes] = {}  # the parts kept to read sheet names
        self.names: dict[str, str] | None = None

    def check(self) -> None:
        for info in self.infos:
            self._member(info)

    def _member(self, info: zipfile.ZipInfo) -> None:
        keep = info.filename in (_WORKBOOK, _WORKBOOK_RELS)
        kept: list[bytes] = []
        scan = _XmlScan(info.filename, self)  # anything else stops expat at once, quietly
        read = 0
        try:
            with self.archive.open(info) as stream:
                while chunk := stream.read(self.chunk):
                    read += len(chunk)
                    self.unpacked += len(chunk)
                    if self.unpacked > self.limits.unpacked_bytes:
                        raise WorkbookUnreadable(UploadProblem.UNPACKED_TOO_BIG, "",
                                                 self.limits.unpacked_bytes, self.unpacked)
                    scan.feed(chunk)
                    if scan.kind == _WHOLE and read > self.limits.part_bytes:
                        raise WorkbookUnreadable(UploadProblem.UNPACKED_TOO_BIG,
                                                 info.filename, self.limits.part_bytes,
                                                 info.file_size)
                    if keep and read <= self.limits.part_bytes:
                        kept.append(chunk)
        except WorkbookUnreadable:
            raise
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError,
                NotImplementedError, RuntimeError):
            # zipfile stops at the declared size and checks the CRC: data longer or shorter
            # than declared, or not what was stored, ends here
            raise WorkbookUnreadable(UploadProblem.SIZE_MISMATCH, info.filename,
                                     info.file_size, read) from None
        if read != info.file_size:
            raise WorkbookUnreadable(UploadProblem.SIZE_MISMATCH, info.filename,
                                     info.file_size, read)
        scan.close()
        if keep:
            self.small[info.filename] = b"".join(kept)

    def sheet_name(self, path: str) -> str:
        """The sheet's name as the user sees it (清单), or the member's path."""
        if self.names is None:
            if _WORKBOOK not in self.small or _WORKBOOK_RELS not in self.small:
                return path  # not (yet) known: never remembered as "no names"
            self.names = _sheet_names(self.small[_WORKBOOK], self.small[_WORKBOOK_RELS])
        return self.names.get(path, path)


def _is_sheet_path(name: str) -> bool:
    return name.lower().startswith("xl/worksheets/")


def _sheet_names(workbook: bytes, rels: bytes) -> dict[str, str]:
    """Worksheet member path → sheet name, from the workbook part and its relationships
    (both already scanned, and no bigger than `part_bytes`); {} if they say nothing."""
    try:
        targets = {}
        for rel in ET.fromstring(rels):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            targets[rel.get("Id")] = path
        names = {}
        for node in ET.fromstring(workbook).iter():
            if node.tag.endswith("}sheet"):
                rid = next((v for k, v in node.attrib.items() if k.endswith("}id")), None)
                if rid in targets:
                    names[targets[rid]] = node.get("name", "")
        return names
    except ET.ParseError:
        return {}


# -- XML, as it streams -----------------------------------------------------------------------

# a part's kind: a worksheet (streamed by openpyxl), the shared strings, a part openpyxl
# parses whole (its own caps), or one it never reads (a calcChain: the package's caps only)
_SHEET, _STRINGS, _WHOLE, _OTHER = "sheet", "strings", "whole", "other"
_READ_WHOLE = frozenset({"[content_types].xml", "_rels/.rels", _WORKBOOK, _WORKBOOK_RELS,
                         "xl/styles.xml"})


def _read_whole(path: str) -> bool:
    """The parts openpyxl (read-only) loads into memory whole, besides the strings."""
    name = path.lower()
    return name in _READ_WHOLE or name.startswith(("docprops/", "xl/theme/"))
_VALUES = frozenset({"v", "is", "f"})
# what a package declares (content types, relationships, the workbook part) that we refuse
_DECLARING = frozenset({"Override", "Default", "Relationship"})
_LINK_ELEMENTS = frozenset({"externalReference", "externalLink", "externalBook"})


class _XmlScan:
    """One member fed to expat in chunks. The handlers count; a limit broken raises
    WorkbookUnreadable out of `Parse`. Malformed XML (or no XML at all) stops the scan
    quietly: openpyxl's parser (expat too) stops at the same place, having seen no more
    than was counted. The first element says what the part is (a worksheet, the shared
    strings, or a part openpyxl parses whole) and sets the handlers for the rest; they are
    written for speed (a 20 000-row sheet is half a million elements)."""

    def __init__(self, path: str, members: _Members) -> None:
        limits = members.limits
        self.path, self.members, self.limits = path, members, limits
        self.kind = ""
        self.depth = 0
        self.max_depth = limits.depth
        self.elements = 0
        self.budget = limits.elements - members.elements  # before the package's limit
        self.text = 0  # characters of the text being read
        self.max_text = limits.text_chars
        self.events = 0  # ends, texts, comments: with `elements`, what shows progress
        self.quiet = 0  # bytes fed since the last event: a tag that never ends
        self.row = 0  # the row number, as openpyxl counts it
        self.rows = 0
        self.valued_rows = 0
        self.open_rows: list[list] = []  # [depth, cells, has a value, elements] of each row
        self.row_cells = limits.row_cells
        self.row_elements = limits.row_elements
        self.outside = 0  # elements of a sheet outside its rows, or strings outside an si
        self.strings = 0
        self.string_elements = -1  # of the string being read; -1: outside any
        self.ours: bool | None = None  # one of the sheets the import reads
        self.broken = False
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        parser.StartElementHandler = self._root
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.CommentHandler = self._event
        parser.ProcessingInstructionHandler = self._event
        self.parser = parser

    def feed(self, chunk: bytes) -> None:
        if self.broken:
            return
        before = self.elements + self.events
        try:
            self.parser.Parse(chunk, False)
        except expat.ExpatError:
            self.broken = True
            return
        if self.elements + self.events != before:
            self.quiet = 0
            return
        self.quiet += len(chunk)
        if self.quiet > self.limits.tag_bytes:  # chunks are half the limit at most
            self._refuse(UploadProblem.XML_TAG_TOO_LONG, self.limits.tag_bytes)

    def close(self) -> None:
        if not self.broken:
            try:
                self.parser.Parse(b"", True)
            except expat.ExpatError:
                self.broken = True
        self.members.elements += self.elements

    def _refuse(self, problem: UploadProblem, limit: int, found: int = 0,
                part: str | None = None) -> None:
        if part is None:
            part = self.members.sheet_name(self.path) if self.kind == _SHEET else self.path
        raise WorkbookUnreadable(problem, part, limit, found)

    def _doctype(self, *_: object) -> None:
        self._refuse(UploadProblem.XML_DTD, 0)

    def _event(self, *_: object) -> None:
        self.events += 1

    def _too_many(self) -> None:
        if self.kind == _WHOLE and self.elements > self.limits.part_elements:
            self._refuse(UploadProblem.TOO_MANY_ELEMENTS, self.limits.part_elements)
        self._refuse(UploadProblem.TOO_MANY_ELEMENTS, self.limits.elements, part="")

    def _root(self, name: str, attrs: dict[str, str]) -> None:
        local = name[name.find(":") + 1:]
        self.kind = {"worksheet": _SHEET, "sst": _STRINGS}.get(
            local, _WHOLE if _read_whole(self.path) else _OTHER)
        parser = self.parser
        if self.kind == _SHEET:
            parser.StartElementHandler = self._sheet_start
            parser.EndElementHandler = self._sheet_end
        elif self.kind == _STRINGS:
            parser.StartElementHandler = self._strings_start
            parser.EndElementHandler = self._strings_end
        else:
            parser.StartElementHandler = self._whole_start
            if self.kind == _WHOLE:
                self.budget = min(self.budget, self.limits.part_elements)
        parser.StartElementHandler(name, attrs)

    def _enter(self) -> int:
        """What every element counts: the text restarts, the depth, the elements."""
        self.text = 0
        depth = self.depth = self.depth + 1
        if depth > self.max_depth:
            self._refuse(UploadProblem.XML_TOO_DEEP, self.max_depth)
        self.elements += 1
        if self.elements > self.budget:
            self._too_many()
        return depth

    def _whole_start(self, name: str, attrs: dict[str, str]) -> None:
        self._enter()
        local = name[name.find(":") + 1:]
        if local in _DECLARING:
            said = f"{attrs.get('ContentType', '')} {attrs.get('Type', '')}".lower()
            if "macroenabled" in said or "vbaproject" in said:
                self._refuse(UploadProblem.MACROS, 0)
            if "externallink" in said:
                self._refuse(UploadProblem.EXTERNAL_LINKS, 0)
        elif local in _LINK_ELEMENTS:
            self._refuse(UploadProblem.EXTERNAL_LINKS, 0)

    def _strings_start(self, name: str, attrs: dict[str, str]) -> None:
        """openpyxl keeps every string (an si), and whatever is not in one, to the end."""
        depth = self._enter()
        if depth == 2 and name[name.find(":") + 1:] == "si":
            self.strings += 1
            if self.strings > self.limits.strings:
                self._refuse(UploadProblem.TOO_MANY_STRINGS, self.limits.strings)
            self.string_elements = 0
        elif self.string_elements >= 0:
            self.string_elements += 1
            if self.string_elements > self.row_elements:
                self._refuse(UploadProblem.TOO_MANY_ELEMENTS, self.row_elements)
        elif depth > 1:
            self._outside()

    def _strings_end(self, name: str) -> None:
        self.events += 1
        self.text = 0
        if self.depth == 2:
            self.string_elements = -1
        self.depth -= 1

    def _outside(self) -> None:
        """An element openpyxl keeps until the part ends (a sheet's, outside its rows)."""
        self.outside += 1
        if self.outside > self.limits.part_elements:
            self._refuse(UploadProblem.TOO_MANY_ELEMENTS, self.limits.part_elements)

    def _sheet_start(self, name: str, attrs: dict[str, str]) -> None:
        """openpyxl takes any element named row for a row (at any depth), every child of a
        row for a cell, and a cell's v, is or f child for its value."""
        depth = self._enter()
        if name == "row" or name.endswith(":row"):
            self.rows += 1
            if self.rows > self.limits.scan_rows:
                self._refuse(UploadProblem.TOO_MANY_ROWS, self.limits.rows)
            self.row = _row_number(attrs.get("r"), self.row + 1)
            self.open_rows.append([depth, 0, False, 0])
            return
        rows = self.open_rows
        if not rows:
            self._outside()
        else:
            row = rows[-1]
            row[3] += 1
            if row[3] > self.row_elements:
                self._refuse(UploadProblem.TOO_MANY_ELEMENTS, self.row_elements, self.row)
            if depth == row[0] + 1:
                row[1] += 1
                if row[1] > self.row_cells:
                    self._refuse(UploadProblem.ROW_TOO_WIDE, self.row_cells, self.row)
            elif depth == row[0] + 2 and name[name.find(":") + 1:] in _VALUES:
                row[2] = True

    def _end(self, name: str) -> None:
        self.events += 1
        self.text = 0
        self.depth -= 1

    def _sheet_end(self, name: str) -> None:
        self.events += 1
        self.text = 0
        rows = self.open_rows
        if rows and rows[-1][0] == self.depth:
            valued = rows.pop()[2]
            if self.ours is None:
                self.ours = self.members.sheet_name(self.path) in SHEETS
            if valued and self.ours:  # other sheets are not read beyond their size
                self.valued_rows += 1
                if self.valued_rows > self.limits.rows + 2:  # the header and the example row
                    self._refuse(UploadProblem.TOO_MANY_ROWS, self.limits.rows)
                if self.row > self.limits.scan_rows:
                    self._refuse(UploadProblem.ROW_TOO_FAR, self.limits.scan_rows, self.row)
        self.depth -= 1

    def _text(self, data: str) -> None:
        self.events += 1
        self.text += len(data)
        if self.text > self.max_text:
            self._refuse(UploadProblem.TEXT_TOO_LONG, self.max_text)


def _row_number(text: str | None, default: int) -> int:
    """A row's `r`, as openpyxl reads it (an integer, or a float that is one); anything
    else counts as far down as can be."""
    if text is None:
        return default
    if len(text) > 12 or not text.isascii():
        return 10**12
    try:
        number = float(text)
    except ValueError:
        return 10**12
    return int(number) if number.is_integer() and number > 0 else 10**12

