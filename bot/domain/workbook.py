"""The import workbook (单位 / 人员 / 清单): its layout, and turning its rows into a plan.

Pure: the rows arrive as plain cell values (openpyxl's reading is in bot/workbook_io.py),
what is already stored arrives as plain data, and the answer is either every problem,
each naming its sheet, row and column, or a plan of what to create and what to update.

Matching: units by 名称, people by 姓名 + 所在单位, items by 编号; an item row without a
编号 matches the stored item of the same list, 标题, 责任人 and 所在单位, so importing the
same file twice changes nothing. Whatever is stored but not in the file is left alone.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from bot.domain.cases import FINDING_MAX as CASE_FINDING_MAX
from bot.domain.channels import Handle, is_handle
from bot.domain.dates import YEARS, DateParseError, parse_due_date, parse_full_date
from bot.domain.delegation import (
    DelegationProblem,
    check_due,
    check_kind,
    check_link,
    check_owner,
)
from bot.domain.delegation import check_parent as check_delegated
from bot.domain.model import (
    CODE_PREFIX,
    NAME_MAX,
    PARENT_KIND,
    TITLE_MAX,
    Duty,
    Item,
    ItemStatus,
    ListKind,
    Person,
    Role,
    Unit,
    UnitKind,
)
from bot.domain.text import TextProblem, TextRefused, clean_name, clean_title
from bot.domain.vocabulary import (
    DUTY_NAMES,
    KIND_NAMES,
    LIST_NAMES,
    ROLE_NAMES,
    STATUS_NAMES,
    UNIT_KIND_NAMES,
    parse_term,
    split_words,
)

# -- the layout ---------------------------------------------------------------------------

UNITS, PEOPLE, ITEMS, HELP = "单位", "人员", "清单", "说明"
SHEETS = (UNITS, PEOPLE, ITEMS)
DELEGATIONS = "分解"  # 责任传导 (bot/domain/delegation.py): which item was handed down from which
#: Sheets a file may lack altogether (a template made before they were added): nothing of
#: theirs is then imported.
CASES = "问责"  # 问责 cases (confidential): only a 纪委 member's import, or the console's
OPTIONAL_SHEETS = (DELEGATIONS, CASES)
ALL_SHEETS = (*SHEETS, *OPTIONAL_SHEETS)

COLUMNS: dict[str, tuple[str, ...]] = {
    UNITS: ("名称", "上级单位", "类型"),
    PEOPLE: ("姓名", "角色", "所在单位", "分管单位", "手机号", "备注", "企业微信账号", "飞书ID"),
    ITEMS: ("编号", "清单类型", "标题", "责任类型", "责任人", "所在单位", "上级事项编号",
            "来源", "截止日期", "状态"),
    DELEGATIONS: ("上级事项编号", "下级事项编号"),
    CASES: ("被问责人", "所在单位", "追责情形", "查明问题", "处理", "处理日期", "一案双查",
            "典型案例", "登记人"),
}
REQUIRED: dict[str, frozenset[str]] = {
    UNITS: frozenset({"名称"}),
    PEOPLE: frozenset({"姓名", "角色", "所在单位"}),
    ITEMS: frozenset({"清单类型", "标题", "责任类型", "责任人", "截止日期"}),
    DELEGATIONS: frozenset({"上级事项编号", "下级事项编号"}),
    CASES: frozenset({"被问责人", "追责情形", "查明问题"}),
}
#: Columns a file may lack altogether (a template or an export made before they were
#: added): a person's stored value is then left as it is.
OPTIONAL_HEADERS: dict[str, frozenset[str]] = {
    UNITS: frozenset(),
    PEOPLE: frozenset({"企业微信账号", "飞书ID"}),
    ITEMS: frozenset(),
    DELEGATIONS: frozenset(),
    CASES: frozenset({"登记人"}),  # the 纪委's 台账 export has none: its cases are stored
}
#: The messenger handles a person may be given in the 人员 sheet, by column.
HANDLE_COLUMNS: dict[str, Handle] = {
    "企业微信账号": Handle.WECOM_USERID,
    "飞书ID": Handle.FEISHU_OPEN_ID,
}

#: The template's example rows. A row exactly like its example is skipped, so a template
#: filled in below its examples imports only what was filled in.
EXAMPLES: dict[str, tuple[object, ...]] = {
    UNITS: ("（示例）某局党委", None, "党委"),
    PEOPLE: ("（示例）张三", "党委书记", "（示例）某局党委", None, None, "示例行，导入时跳过",
             None, None),
    ITEMS: (None, "问题", "（示例）公务接待超标准问题整改", "主体责任", "（示例）张三",
            "（示例）某局党委", None, "巡察", date(2026, 3, 31), "未开始"),
    DELEGATIONS: ("（示例）Z0001", "（示例）Z0002"),
    CASES: ("（示例）张三", "（示例）某局党委", "4", "（示例）对公务接待超标准问题压案不查", "诫勉",
            date(2026, 3, 31), "否", "否", "（示例）李四"),
}
#: 是/否 cells (违纪违法, 典型案例): a blank is 否.
YES, NO = "是", "否"
_YES_NO = {YES: True, NO: False, "Y": True, "N": False, "√": True, "×": False}

#: The statuses a workbook may set. The others (延期审批中, 待验收, 已销号, 已退回) are steps of
#: a workflow in the bot, with a request or a 销号 behind them; an import cannot take them.
IMPORT_STATUSES: dict[ItemStatus, str] = {
    s: STATUS_NAMES[s] for s in (ItemStatus.OPEN, ItemStatus.IN_PROGRESS, ItemStatus.DONE,
                                 ItemStatus.CANCELLED)
}

_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class WorkbookLimits:
    """How much a workbook may hold. The package is checked against them before openpyxl
    sees it (bot/workbook_guard.py), so no file can take more memory or time than these
    allow; the rows are read up to `rows` (+ the header and one example row) and no further.
    The defaults are production's; tests scale them down, `dutybot import --max-size` raises
    `file_bytes`."""

    file_bytes: int = 5 * _MB  # the file as sent
    parts: int = 1_000  # members of the zip package
    unpacked_bytes: int = 64 * _MB  # all members together, uncompressed
    part_bytes: int = 4 * _MB  # one member openpyxl parses whole (not a sheet, not the strings)
    ratio: int = 100  # uncompressed ÷ compressed, for a member of…
    ratio_from: int = 1 * _MB  # …at least this many bytes uncompressed
    elements: int = 1_500_000  # XML elements in the whole package
    part_elements: int = 100_000  # in one member openpyxl parses whole
    depth: int = 64  # XML nesting
    tag_bytes: int = 1 * _MB  # one tag with its attributes (or one comment)
    text_chars: int = 32_767  # one text (Excel's own limit for a cell)
    strings: int = 500_000  # shared strings
    row_cells: int = 1_024  # cells written in one row
    row_elements: int = 8_192  # XML elements in one row, or in one shared string
    rows: int = 20_000  # data rows per sheet: the header and the example row do not count
    scan_rows: int = 100_000  # rows looked at per sheet, blank ones included
    columns: int = 64  # columns read per row (the template has ten)


LIMITS = WorkbookLimits()
MAX_ROWS = LIMITS.rows  # data rows per sheet
NOTE_MAX = 200  # 备注, 来源, 手机号 are shorter still in practice
PHONE_MAX = 40

# An item's 编号 is its list's letter (CODE_PREFIX) and at least four digits
KIND_OF_PREFIX = {letter: kind for kind, letter in CODE_PREFIX.items()}
_CODE = re.compile(r"[WZCLG][0-9]{4,9}")
CODE_EXAMPLE = "W0001"

#: Due dates are between these years (as bot/domain/dates.py accepts them).
DATE_YEARS = YEARS
# A full date's shape, once its digits are ASCII: to say why 2026-02-30 is not a date.
_DATE_SHAPE = re.compile(r"([0-9]{1,6})\s*[-/.年]\s*([0-9]{1,3})\s*[-/.月]\s*([0-9]{1,3})\s*日?")


# -- refusing a whole file --------------------------------------------------------------------


class UploadProblem(StrEnum):
    """Why a whole file is refused before any row is looked at (the words are in
    messages/imports.py)."""

    NOT_XLSX = "not_xlsx"  # by its name: not an .xlsx
    OLD_XLS = "old_xls"  # by its name (or its content, at the console): an .xls
    MACROS = "macros"
    TOO_BIG = "too_big"
    CORRUPT = "corrupt"
    NO_SUCH_FILE = "no_such_file"  # the console's path
    NOT_A_FILE = "not_a_file"  # a folder, a device
    UNREADABLE = "unreadable"  # no permission, an I/O error
    NOT_WORKBOOK = "not_workbook"  # named .xlsx, but its content is something else (`kind`)
    RENAMED_XLSX = "renamed_xlsx"  # an .xlsx under another name
    TOO_MANY_PARTS = "too_many_parts"
    UNPACKED_TOO_BIG = "unpacked_too_big"
    ZIP_BOMB = "zip_bomb"
    SIZE_MISMATCH = "size_mismatch"  # a member's data is not what the directory declares
    EXTERNAL_LINKS = "external_links"
    XML_DTD = "xml_dtd"  # a DOCTYPE or entity declaration: never in a real workbook
    XML_TOO_DEEP = "xml_too_deep"
    XML_TAG_TOO_LONG = "xml_tag_too_long"
    TOO_MANY_ELEMENTS = "too_many_elements"
    TEXT_TOO_LONG = "text_too_long"
    TOO_MANY_STRINGS = "too_many_strings"
    ROW_TOO_WIDE = "row_too_wide"
    TOO_MANY_ROWS = "too_many_rows"
    ROW_TOO_FAR = "row_too_far"
    TOO_COMPLEX = "too_complex"  # reading it took more memory than any list needs
    TOO_SLOW = "too_slow"  # reading it took longer than the time allowed


class FileKind(StrEnum):
    """What a file is by its content, whatever its name says."""

    XLSX = "xlsx"
    DOCX = "docx"
    PPTX = "pptx"
    ZIP = "zip"  # another zip, or a broken one
    OLE2 = "ole2"  # an old .xls or .doc, or a workbook with an opening password
    PDF = "pdf"
    OTHER = "other"


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def kind_by_magic(head: bytes) -> FileKind:
    """What the first bytes say: a zip (to be looked into), OLE2, PDF or something else."""
    if head.startswith(_ZIP_MAGIC):
        return FileKind.ZIP
    if head.startswith(_OLE2_MAGIC):
        return FileKind.OLE2
    if head.startswith(b"%PDF"):
        return FileKind.PDF
    return FileKind.OTHER


def kind_of_zip(names: Iterable[str]) -> FileKind:
    """An Office file is a zip whose parts say which one it is."""
    names = set(names)
    if "[Content_Types].xml" in names:
        for folder, kind in (("xl/", FileKind.XLSX), ("word/", FileKind.DOCX),
                             ("ppt/", FileKind.PPTX)):
            if any(n.startswith(folder) for n in names):
                return kind
    return FileKind.ZIP

#: What each stored field is called in the workbook (the event log keeps the field names).
FIELD_COLUMNS: dict[str, str] = {
    "kind": "类型", "parent": "上级单位",
    "roles": "角色", "oversees": "分管单位", "phone": "手机号", "note": "备注",
    Handle.WECOM_USERID.value: "企业微信账号", Handle.FEISHU_OPEN_ID.value: "飞书ID",
    "title": "标题", "duty": "责任类型", "owner": "责任人", "unit": "所在单位",
    "parent_code": "上级事项编号", "source": "来源", "due_date": "截止日期", "status": "状态",
}


# -- what comes in ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sheet:
    """One worksheet as plain values: the header row and the data rows below it."""

    name: str
    header: tuple[object, ...]
    rows: tuple[tuple[int, tuple[object, ...]], ...]  # (row number in the sheet, values)
    formulas: tuple[tuple[int, int], ...] = ()  # (row number, column index) of formula cells
    truncated: bool = False  # more rows than were read: more than the row limit


@dataclass(frozen=True, slots=True)
class RawWorkbook:
    sheets: Mapping[str, Sheet]
    max_rows: int = MAX_ROWS  # the data rows a sheet may hold (WorkbookLimits.rows)


@dataclass(frozen=True, slots=True)
class Stored:
    """What the database holds that the file may refer to."""

    units: Mapping[int, Unit]
    people: Mapping[int, Person]
    contacts: Mapping[int, tuple[str | None, str | None]]  # person id → (手机号, 备注)
    items: Mapping[int, Item]  # the items the file may name, and their ancestors
    # person id → {Handle value: id} for the handles set (企业微信账号, 飞书ID)
    handles: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    # those who left (人员交接): their items keep their name, which a 台账 row may repeat
    former: Mapping[int, Person] = field(default_factory=dict)


# -- problems -----------------------------------------------------------------------------


class Problem(StrEnum):
    SHEET_MISSING = "sheet_missing"
    HEADER_MISSING = "header_missing"
    TOO_MANY_ROWS = "too_many_rows"
    FORMULA = "formula"
    REQUIRED = "required"
    BAD_NAME = "bad_name"
    BAD_CHARACTERS = "bad_characters"  # value: the character (U+200B); choices: (why,)
    BAD_HANDLE = "bad_handle"  # not a messenger id; choices: (the Handle value,)
    TOO_LONG = "too_long"
    BAD_CODE = "bad_code"
    DUPLICATE_ROW = "duplicate_row"
    UNKNOWN_TERM = "unknown_term"
    STATUS_NOT_IMPORTABLE = "status_not_importable"
    STATUS_HELD = "status_held"
    UNKNOWN_ROLE = "unknown_role"
    UNKNOWN_UNIT = "unknown_unit"
    UNIT_CYCLE = "unit_cycle"
    UNKNOWN_PERSON = "unknown_person"
    AMBIGUOUS_PERSON = "ambiguous_person"
    BAD_DATE = "bad_date"
    DATE_WITHOUT_YEAR = "date_without_year"
    IMPOSSIBLE_DATE = "impossible_date"  # 2026-02-30; choices say why
    DATE_IS_NUMBER = "date_is_number"  # a bare number, not formatted as a date
    CODE_OF_OTHER_LIST = "code_of_other_list"  # 编号 W… on a 责任 row
    UNKNOWN_PARENT = "unknown_parent"
    PARENT_CYCLE = "parent_cycle"
    PROBLEM_HAS_NO_PARENT = "problem_has_no_parent"
    WRONG_PARENT_KIND = "wrong_parent_kind"
    NOT_A_LIST_ITEM = "not_a_list_item"
    KIND_CHANGED = "kind_changed"
    SAME_ITEM = "same_item"
    AMBIGUOUS_ITEM = "ambiguous_item"
    UNKNOWN_ITEM = "unknown_item"  # a 分解 code that is neither in the file nor stored
    DELEGATION = "delegation"  # a 分解 the rules refuse; choices: (field, detail)
    CASE = "case"  # a 问责 line the register refuses; choices: (field, detail)
    CASES_NOT_ALLOWED = "cases_not_allowed"  # 问责 lines in a file not from the 纪委


@dataclass(frozen=True, slots=True)
class RowError:
    """`工作表 第N行 列名: 问题`; the words for each problem are in messages/imports.py."""

    sheet: str
    row: int | None  # None: the whole sheet
    column: str | None
    problem: Problem
    value: str = ""  # what the cell said
    choices: tuple[str, ...] = ()  # what would be accepted, or the candidates found
    number: int = 0  # a length limit, or the row this one repeats

    def sort_key(self) -> tuple[int, int, int]:
        columns = COLUMNS.get(self.sheet, ())
        column = columns.index(self.column) if self.column in columns else -1
        sheet = ALL_SHEETS.index(self.sheet) if self.sheet in ALL_SHEETS else len(ALL_SHEETS)
        return sheet, self.row or 0, column


# -- rows, read and checked one by one ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitRow:
    row: int
    name: str
    parent: str | None
    kind: UnitKind | None


@dataclass(frozen=True, slots=True)
class PersonRow:
    row: int
    name: str
    roles: frozenset[Role]
    unit: str
    oversees: tuple[str, ...]
    phone: str | None
    note: str | None
    # Handle value → id, or None for a blank cell; only the handle columns the sheet has
    handles: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ItemRow:
    row: int
    code: str | None
    kind: ListKind
    title: str
    duty: Duty
    owner: str  # 姓名, or 姓名@单位
    unit: str | None  # None: the 责任人's unit
    parent: str | None
    source: str | None
    due: date
    status: ItemStatus | None  # None: 未开始 for a new item, unchanged for a stored one


@dataclass(frozen=True, slots=True)
class DelegationRow:
    """One line of the 分解 sheet: `child` was handed down from `parent`, by 编号."""

    row: int
    parent: str
    child: str


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One line of the 问责 sheet, as typed; checked against the register's rules and
    what is stored when the import is applied (bot/services/imports.py)."""

    row: int
    person: str  # 姓名, or 姓名@单位
    unit: str | None  # None: the person's unit
    situation: str  # a 追责情形 code
    finding: str
    handling: str | None
    decided_on: date | None
    misconduct: bool  # a 违纪违法 case: 一案双查
    typical: bool
    recorder: str | None  # the 纪委 member who records it; None: whoever imports


@dataclass(frozen=True, slots=True)
class Rows:
    """The rows that read well, and what the rows that did not were about (so that naming
    them elsewhere in the file is not reported a second time)."""

    units: tuple[UnitRow, ...] = ()
    people: tuple[PersonRow, ...] = ()
    items: tuple[ItemRow, ...] = ()
    examples_skipped: int = 0
    complete: bool = True  # every sheet and header there: cross-references can be checked
    broken_units: frozenset[str] = frozenset()
    broken_people: frozenset[tuple[str, str]] = frozenset()
    broken_codes: frozenset[str] = frozenset()
    delegations: tuple[DelegationRow, ...] = ()
    cases: tuple[CaseRow, ...] = ()

    def codes(self) -> set[str]:
        """Every item code the file names, as 编号 or as 上级事项编号."""
        return {c for r in self.items for c in (r.code, r.parent) if c}

    def uncoded_titles(self) -> set[str]:
        return {r.title for r in self.items if r.code is None}


_E = TypeVar("_E", bound=StrEnum)


class _Cells:
    """One data row, read column by column; problems collect in `errors`."""

    def __init__(self, sheet: str, row: int, values: Mapping[str, object],
                 errors: list[RowError]) -> None:
        self.sheet, self.row, self.values, self.errors = sheet, row, values, errors
        self.ok = True

    def fail(self, column: str, problem: Problem, value: str = "",
             choices: Iterable[str] = (), number: int = 0) -> None:
        self.ok = False
        self.errors.append(RowError(self.sheet, self.row, column, problem, value,
                                    tuple(choices), number))

    def text(self, column: str) -> str:
        text = cell_text(self.values.get(column))
        if not text and column in REQUIRED[self.sheet]:
            self.fail(column, Problem.REQUIRED)
        return text

    def name(self, column: str) -> str:
        return self.check_name(column, self.text(column))

    def check_name(self, column: str, text: str) -> str:
        """A name cleaned as in chat (bot/domain/text.py); refused, the cell as it is."""
        try:
            return clean_name(text, NAME_MAX) if text else text
        except TextRefused as refused:
            if refused.problem in (TextProblem.TOO_LONG, TextProblem.LINE_BREAK):
                self.fail(column, Problem.BAD_NAME, text, number=NAME_MAX)
            else:
                self.fail(column, Problem.BAD_CHARACTERS, f"U+{ord(refused.char):04X}",
                          (refused.problem.value,))
            return text

    def title(self, column: str) -> str:
        """A title cleaned as in chat (bot/domain/text.py): one line, nothing invisible."""
        text = self.text(column)
        try:
            return clean_title(text, TITLE_MAX) if text else text
        except TextRefused as refused:
            if refused.problem is TextProblem.TOO_LONG:
                self.fail(column, Problem.TOO_LONG, text[:20], number=TITLE_MAX)
            else:
                self.fail(column, Problem.BAD_CHARACTERS, f"U+{ord(refused.char):04X}",
                          (refused.problem.value,))
            return text

    def names(self, column: str) -> tuple[str, ...]:
        return tuple(self.check_name(column, w) for w in split_words(self.text(column)))

    def limited(self, column: str, limit: int) -> str | None:
        text = self.text(column)
        if len(text) > limit:
            self.fail(column, Problem.TOO_LONG, text[:20], number=limit)
        return text or None

    def handle(self, column: str, handle: Handle) -> str | None:
        """A messenger id exactly as typed (outer spaces aside), or a blank cell."""
        text = self.text(column)
        if text and not is_handle(handle, text):
            self.fail(column, Problem.BAD_HANDLE, text, (handle.value,))
        return text or None

    def term(self, column: str, names: dict[_E, str]) -> _E | None:
        text = self.text(column)
        if not text:
            return None
        found = parse_term(text, names)
        if found is None:
            self.fail(column, Problem.UNKNOWN_TERM, text, names.values())
        return found

    def due(self, column: str) -> date | None:
        value = self.values.get(column)
        if cell_text(value) == "":
            self.text(column)  # reports it as missing
            return None
        try:
            return cell_date(value)
        except YearMissing:
            self.fail(column, Problem.DATE_WITHOUT_YEAR, cell_text(value))
        except ImpossibleDate as exc:
            self.fail(column, Problem.IMPOSSIBLE_DATE, cell_text(value), exc.why)
        except NumberNotDate:
            self.fail(column, Problem.DATE_IS_NUMBER, cell_text(value))
        except DateParseError:
            self.fail(column, Problem.BAD_DATE, cell_text(value))
        return None


class YearMissing(DateParseError):
    """12月5日: a date, but which year's."""


class NumberNotDate(DateParseError):
    """A bare number: Excel keeps a date as one, but this cell is not formatted as a date,
    so nobody saw a date when they typed it (46361, or 20261205)."""


class ImpossibleDate(DateParseError):
    """Shaped like a date, but there is no such day (2026-02-30, 2026-13-01) or it is
    outside the years a due date may have. `why`: ("day", year, month, days in that month),
    ("month", month) or ("year", first, last)."""

    def __init__(self, text: str, why: tuple[str, ...]) -> None:
        super().__init__(text)
        self.why = why


def cell_text(value: object) -> str:
    """A cell as text, however Excel stored it: numbers without a stray `.0`, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def cell_date(value: object) -> date:
    """A real Excel date (a cell formatted as a date), or text such as 2026-03-31, 2026/3/31,
    2026年3月31日. Refused, each with its own reason: a date without its year (importing the
    same file next year would read it as another day), a bare number (an Excel serial in a
    cell not formatted as a date), a day that does not exist."""
    if isinstance(value, datetime | date):
        day = value.date() if isinstance(value, datetime) else value
        if not DATE_YEARS[0] <= day.year <= DATE_YEARS[1]:
            raise ImpossibleDate(cell_text(value), ("year", *map(str, DATE_YEARS)))
        return day
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise NumberNotDate(cell_text(value))
    text = cell_text(value)
    try:
        return parse_full_date(text)
    except DateParseError:
        _why_not_a_date(text)
        try:
            parse_due_date(text, date(2000, 1, 1))
        except DateParseError:
            raise DateParseError(text) from None
        raise YearMissing(text) from None


def _why_not_a_date(text: str) -> None:
    """Raise ImpossibleDate when the text has a full date's shape but names no day."""
    match = _DATE_SHAPE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        return
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        raise ImpossibleDate(text, ("month", str(month)))
    days = calendar.monthrange(year, month)[1] if 1 <= year <= 9999 else 31
    if not 1 <= day <= days:
        raise ImpossibleDate(text, ("day", str(year), str(month), str(days)))
    if not DATE_YEARS[0] <= year <= DATE_YEARS[1]:
        raise ImpossibleDate(text, ("year", *map(str, DATE_YEARS)))


def normalise_code(text: str) -> str:
    """Upper case, full-width letters and digits folded (Ｗ０００１ is W0001)."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def is_code(text: str) -> bool:
    """The bot's own pattern: a list's letter and four to nine ASCII digits."""
    return _CODE.fullmatch(text) is not None


def read_rows(book: RawWorkbook) -> tuple[Rows, list[RowError]]:
    """Every row of the three sheets, each cell checked on its own (no cross-references yet)."""
    errors: list[RowError] = []
    tables: dict[str, list[dict[str, object]]] = {}
    examples = 0
    for name in ALL_SHEETS:
        sheet = book.sheets.get(name)
        if sheet is None:
            if name not in OPTIONAL_SHEETS:
                errors.append(RowError(name, None, None, Problem.SHEET_MISSING))
            continue
        header = [cell_text(v) for v in sheet.header]
        where = {text: index for index, text in reversed(list(enumerate(header))) if text}
        missing = [c for c in COLUMNS[name] if c not in where
                   and c not in OPTIONAL_HEADERS[name]]
        errors += [RowError(name, 1, c, Problem.HEADER_MISSING) for c in missing]
        for row, column in sheet.formulas:
            label = header[column] if column < len(header) and header[column] \
                else _column_letter(column)
            errors.append(RowError(name, row, label, Problem.FORMULA))
        if missing:
            if sheet.truncated:
                errors.append(RowError(name, None, None, Problem.TOO_MANY_ROWS,
                                       number=book.max_rows))
            continue
        example = tuple(cell_text(v) for v in EXAMPLES[name])
        table = tables.setdefault(name, [])
        for row, values in sheet.rows:
            cells = {c: values[where[c]] if where[c] < len(values) else None
                     for c in COLUMNS[name] if c in where}
            texts = tuple(cell_text(cells.get(c)) for c in COLUMNS[name])
            if not any(texts):
                continue
            if texts == example:
                examples += 1
                continue
            table.append({"": row, **cells})
        if sheet.truncated or len(table) > book.max_rows:  # the example rows do not count
            errors.append(RowError(name, None, None, Problem.TOO_MANY_ROWS,
                                   number=book.max_rows))
    complete = not any(e.problem in _STRUCTURE for e in errors)
    broken: dict[str, set] = {UNITS: set(), PEOPLE: set(), ITEMS: set()}
    units = _read_units(tables.get(UNITS, []), errors, broken[UNITS])
    people = _read_people(tables.get(PEOPLE, []), errors, broken[PEOPLE])
    items = _read_items(tables.get(ITEMS, []), errors, broken[ITEMS])
    delegations = _read_delegations(tables.get(DELEGATIONS, []), errors)
    cases = _read_cases(tables.get(CASES, []), errors)
    return Rows(units, people, items, examples, complete, frozenset(broken[UNITS]),
                frozenset(broken[PEOPLE]), frozenset(broken[ITEMS]),
                delegations=delegations, cases=cases), errors


_STRUCTURE = {Problem.SHEET_MISSING, Problem.HEADER_MISSING, Problem.TOO_MANY_ROWS}


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters + "列"


def _read_units(table: list[dict[str, object]], errors: list[RowError],
                broken: set[str]) -> tuple[UnitRow, ...]:
    rows: list[UnitRow] = []
    first: dict[str, int] = {}
    for values in table:
        c = _Cells(UNITS, int(values[""]), values, errors)
        name = c.name("名称")
        parent = c.name("上级单位") or None
        kind = c.term("类型", UNIT_KIND_NAMES)
        if name and name in first:
            c.fail("名称", Problem.DUPLICATE_ROW, name, number=first[name])
        if c.ok:
            first[name] = c.row
            rows.append(UnitRow(c.row, name, parent, kind))
        elif name:
            first.setdefault(name, c.row)
            broken.add(name)
    return tuple(rows)


def _read_people(table: list[dict[str, object]], errors: list[RowError],
                 broken: set[tuple[str, str]]) -> tuple[PersonRow, ...]:
    rows: list[PersonRow] = []
    first: dict[tuple[str, str], int] = {}
    for values in table:
        c = _Cells(PEOPLE, int(values[""]), values, errors)
        name = c.name("姓名")
        roles: set[Role] = set()
        for word in split_words(c.text("角色")):
            role = parse_term(word, ROLE_NAMES)
            if role is None:
                c.fail("角色", Problem.UNKNOWN_ROLE, word, ROLE_NAMES.values())
            else:
                roles.add(role)
        if cell_text(values.get("角色")) and not roles and c.ok:
            c.fail("角色", Problem.REQUIRED)
        unit = c.name("所在单位")
        oversees = c.names("分管单位")
        phone = c.limited("手机号", PHONE_MAX)
        note = c.limited("备注", NOTE_MAX)
        handles = _handles(c)
        key = (name, unit)
        if name and unit and key in first:
            c.fail("姓名", Problem.DUPLICATE_ROW, name, number=first[key])
        if c.ok:
            first[key] = c.row
            rows.append(PersonRow(c.row, name, frozenset(roles), unit, oversees, phone, note,
                                  handles))
        elif name and unit:
            first.setdefault(key, c.row)
            broken.add(key)
    return tuple(rows)


def _handles(c: _Cells) -> dict[str, str | None]:
    """The handle columns this sheet has, each checked: Handle value → id or None."""
    return {handle.value: c.handle(column, handle) for column, handle in HANDLE_COLUMNS.items()
            if column in c.values}


def _read_items(table: list[dict[str, object]], errors: list[RowError],
                broken: set[str]) -> tuple[ItemRow, ...]:
    rows: list[ItemRow] = []
    first: dict[str, int] = {}
    for values in table:
        c = _Cells(ITEMS, int(values[""]), values, errors)
        code = _code(c, "编号")
        kind = c.term("清单类型", LIST_NAMES)
        title = c.title("标题")
        duty = c.term("责任类型", DUTY_NAMES)
        owner = c.text("责任人")
        name, _, owner_unit = owner.partition("@")
        c.check_name("责任人", name.strip())
        c.check_name("责任人", owner_unit.strip())
        unit = c.name("所在单位") or None
        parent = _code(c, "上级事项编号")
        source = c.limited("来源", NOTE_MAX)
        due = c.due("截止日期")
        status = c.term("状态", STATUS_NAMES)
        if status is not None and status not in IMPORT_STATUSES:
            c.fail("状态", Problem.STATUS_NOT_IMPORTABLE, STATUS_NAMES[status],
                   IMPORT_STATUSES.values())
        if code and code in first:
            c.fail("编号", Problem.DUPLICATE_ROW, code, number=first[code])
        if c.ok and kind and duty and due:
            if code:
                first[code] = c.row
            rows.append(ItemRow(c.row, code, kind, title, duty, owner, unit, parent, source,
                                due, status))
        elif code:
            first.setdefault(code, c.row)
            broken.add(code)
    return tuple(rows)


def _read_delegations(table: list[dict[str, object]], errors: list[RowError]
                      ) -> tuple[DelegationRow, ...]:
    """Each line two codes; a 下级事项 has one 上级事项, so it is named once. What the codes
    stand for is checked when the import is applied (check_delegations)."""
    rows: list[DelegationRow] = []
    first: dict[str, int] = {}
    for values in table:
        c = _Cells(DELEGATIONS, int(values[""]), values, errors)
        parent = _code(c, "上级事项编号")
        child = _code(c, "下级事项编号")
        if child and child in first:
            c.fail("下级事项编号", Problem.DUPLICATE_ROW, child, number=first[child])
        if c.ok and parent and child:
            first[child] = c.row
            rows.append(DelegationRow(c.row, parent, child))
    return tuple(rows)


def _read_cases(table: list[dict[str, object]], errors: list[RowError]
                ) -> tuple[CaseRow, ...]:
    """Each cell on its own; the 情形, 处理, people and units are checked when the import is
    applied, against the rules file and the register (bot/services/imports.py)."""
    rows: list[CaseRow] = []
    for values in table:
        c = _Cells(CASES, int(values[""]), values, errors)
        person = c.text("被问责人")
        name, at, unit_of_name = person.partition("@")
        person = c.check_name("被问责人", name) + (at + c.check_name("被问责人", unit_of_name)
                                                  if at else "")
        unit = c.name("所在单位") or None
        situation = c.text("追责情形")
        finding = c.limited("查明问题", CASE_FINDING_MAX) or ""
        handling = c.text("处理") or None
        decided_on = c.due("处理日期")
        misconduct = _yes_no(c, "一案双查")
        typical = _yes_no(c, "典型案例")
        recorder = c.name("登记人") or None
        if c.ok:
            rows.append(CaseRow(c.row, person, unit, situation, finding, handling, decided_on,
                                misconduct, typical, recorder))
    return tuple(rows)


def _yes_no(c: _Cells, column: str) -> bool:
    text = c.text(column).upper()
    if text and text not in _YES_NO:
        c.fail(column, Problem.UNKNOWN_TERM, text, (YES, NO))
    return _YES_NO.get(text, False)


def _code(c: _Cells, column: str) -> str | None:
    code = normalise_code(c.text(column))
    if code and not is_code(code):
        c.fail(column, Problem.BAD_CODE, code)
    return code or None


# -- the plan -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitChange:
    """A unit to create (unit_id None) or to update."""

    row: int
    name: str
    kind: UnitKind
    parent: str | None
    unit_id: int | None = None
    changes: Mapping[str, tuple[object, object]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PersonChange:
    row: int
    name: str
    unit: str
    roles: frozenset[Role]
    oversees: tuple[str, ...]
    phone: str | None
    note: str | None
    person_id: int | None = None
    changes: Mapping[str, tuple[object, object]] = field(default_factory=dict)
    # every handle a person may be given by hand (Handle value → id or None), as it is to be
    handles: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An item the plan points at: stored (item_id, and its code) or created by the plan
    (its code only)."""

    item_id: int | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class ItemChange:
    row: int
    code: str | None  # None: the bot gives it one, as for an item created in chat
    kind: ListKind
    title: str
    duty: Duty
    owner: tuple[str, str]  # (姓名, 所在单位)
    unit: str
    parent: ItemRef | None
    source: str | None
    due: date
    status: ItemStatus
    item_id: int | None = None
    changes: Mapping[str, tuple[object, object]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """New records come first and parents before children; then the updates."""

    units: tuple[UnitChange, ...]
    people: tuple[PersonChange, ...]
    items: tuple[ItemChange, ...]
    unchanged: Mapping[str, int]
    examples_skipped: int = 0

    def created(self, sheet: str) -> int:
        return sum(1 for c in self._changes(sheet) if _is_new(c))

    def updated(self, sheet: str) -> int:
        return sum(1 for c in self._changes(sheet) if not _is_new(c))

    def updates(self) -> tuple[UnitChange | PersonChange | ItemChange, ...]:
        return tuple(c for c in (*self.units, *self.people, *self.items) if not _is_new(c))

    def is_empty(self) -> bool:
        return not (self.units or self.people or self.items)

    def _changes(self, sheet: str) -> tuple[UnitChange | PersonChange | ItemChange, ...]:
        return {UNITS: self.units, PEOPLE: self.people, ITEMS: self.items}[sheet]


def _is_new(change: UnitChange | PersonChange | ItemChange) -> bool:
    key = {UnitChange: "unit_id", PersonChange: "person_id", ItemChange: "item_id"}
    return getattr(change, key[type(change)]) is None


def plan_import(rows: Rows, stored: Stored,
                read_errors: Iterable[RowError] = ()) -> tuple[ImportPlan | None, list[RowError]]:
    """Check every cross-reference against the file and the database together; the plan,
    or every problem found, those of `read_rows` included (sorted by sheet, row, column).
    With a sheet or header missing only `read_errors` come back: what the file refers to
    cannot be told yet."""
    errors: list[RowError] = list(read_errors)
    if not rows.complete:
        return None, sorted(errors, key=RowError.sort_key)
    units, unit_names = _plan_units(rows.units, stored, errors, rows.broken_units)
    people, person_keys = _plan_people(rows.people, stored, unit_names, errors)
    for key in rows.broken_people:
        person_keys.setdefault(key, None)
    items = _ItemPlanner(rows.items, stored, unit_names, person_keys, errors,
                         rows.broken_codes).plan()
    if errors:
        return None, sorted(errors, key=RowError.sort_key)
    unchanged = {
        UNITS: len(rows.units) - len(units),
        PEOPLE: len(rows.people) - len(people),
        ITEMS: len(rows.items) - len(items),
    }
    return ImportPlan(units, people, items, unchanged, rows.examples_skipped), []


def _plan_units(rows: tuple[UnitRow, ...], stored: Stored, errors: list[RowError],
                rows_broken: frozenset[str] = frozenset()
                ) -> tuple[tuple[UnitChange, ...], set[str]]:
    by_name = {u.name: u for u in stored.units.values()}
    parents: dict[str, str | None] = {
        u.name: stored.units[u.parent_id].name if u.parent_id in stored.units else None
        for u in stored.units.values()
    }
    parents.update({r.name: r.parent for r in rows})
    names = set(parents) | rows_broken
    bad: set[str] = set()
    for r in rows:
        if r.parent is not None and r.parent not in names:
            errors.append(RowError(UNITS, r.row, "上级单位", Problem.UNKNOWN_UNIT, r.parent))
            bad.add(r.name)
        elif _in_cycle(r.name, parents):
            errors.append(RowError(UNITS, r.row, "上级单位", Problem.UNIT_CYCLE, r.parent or ""))
            bad.add(r.name)
    depth = {name: _depth(name, parents) for name in names - bad}
    new: list[UnitChange] = []
    updates: list[UnitChange] = []
    for r in rows:
        if r.name in bad:
            continue
        old = by_name.get(r.name)
        if old is None:
            default = UnitKind.DEPARTMENT if r.parent else UnitKind.COMMITTEE
            new.append(UnitChange(r.row, r.name, r.kind or default, r.parent))
            continue
        kind = r.kind or old.kind
        changes: dict[str, tuple[object, object]] = {}
        if kind is not old.kind:
            changes["kind"] = (old.kind.value, kind.value)
        if r.parent != _stored_parent(old, stored):
            changes["parent"] = (_stored_parent(old, stored), r.parent)
        if changes:
            updates.append(UnitChange(r.row, r.name, kind, r.parent, old.id, changes))
    new.sort(key=lambda c: depth[c.name])
    return (*new, *updates), names


def _stored_parent(unit: Unit, stored: Stored) -> str | None:
    parent = stored.units.get(unit.parent_id) if unit.parent_id is not None else None
    return parent.name if parent else None


def _in_cycle(start: object, parents: Mapping) -> bool:
    seen = set()
    current = parents.get(start)
    while current is not None and current not in seen:
        if current == start:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _depth(start: object, parents: Mapping) -> int:
    depth, seen, current = 0, {start}, parents.get(start)
    while current is not None and current not in seen:
        seen.add(current)
        depth += 1
        current = parents.get(current)
    return depth


def _plan_people(rows: tuple[PersonRow, ...], stored: Stored, unit_names: set[str],
                 errors: list[RowError]
                 ) -> tuple[tuple[PersonChange, ...], dict[tuple[str, str], int | None]]:
    """The changes, and every person the items may name: (姓名, 单位) → stored id or None."""
    units = stored.units
    keys: dict[tuple[str, str], int | None] = {
        (p.name, units[p.unit_id].name): p.id for p in stored.people.values()
        if p.unit_id in units
    }
    new: list[PersonChange] = []
    updates: list[PersonChange] = []
    for r in rows:
        ok = True
        if r.unit not in unit_names:
            errors.append(RowError(PEOPLE, r.row, "所在单位", Problem.UNKNOWN_UNIT, r.unit))
            ok = False
        for name in r.oversees:
            if name not in unit_names:
                errors.append(RowError(PEOPLE, r.row, "分管单位", Problem.UNKNOWN_UNIT, name))
                ok = False
        key = (r.name, r.unit)
        person_id = keys.get(key)
        keys.setdefault(key, None)
        if not ok:
            continue
        oversees = tuple(dict.fromkeys(r.oversees))
        if person_id is None:
            handles, _ = _handle_changes(r, {})
            new.append(PersonChange(r.row, r.name, r.unit, r.roles, oversees, r.phone, r.note,
                                    handles=handles))
            continue
        old = stored.people[person_id]
        phone, note = stored.contacts.get(person_id, (None, None))
        old_oversees = sorted(units[u].name for u in old.oversees if u in units)
        changes: dict[str, tuple[object, object]] = {}
        if r.roles != old.roles:
            changes["roles"] = (_sorted_values(old.roles), _sorted_values(r.roles))
        if set(oversees) != set(old_oversees):
            changes["oversees"] = (old_oversees, sorted(oversees))
        if r.phone != phone:
            changes["phone"] = (phone, r.phone)
        if r.note != note:
            changes["note"] = (note, r.note)
        handles, changed = _handle_changes(r, stored.handles.get(person_id, {}))
        changes.update(changed)
        if changes:
            updates.append(PersonChange(r.row, r.name, r.unit, r.roles, oversees, r.phone,
                                        r.note, person_id, changes, handles))
    return (*new, *updates), keys


def _handle_changes(r: PersonRow, old: Mapping[str, str]
                    ) -> tuple[dict[str, str | None], dict[str, tuple[object, object]]]:
    """Every handle as it is to be (a column the sheet lacks keeps the stored one), and
    those the row changes: Handle value → (old, new)."""
    handles: dict[str, str | None] = {}
    changes: dict[str, tuple[object, object]] = {}
    for handle in HANDLE_COLUMNS.values():
        key = handle.value
        handles[key] = r.handles[key] if key in r.handles else old.get(key)
        if handles[key] != old.get(key):
            changes[key] = (old.get(key), handles[key])
    return handles, changes


def _sorted_values(values: Iterable[StrEnum]) -> list[str]:
    return sorted(v.value for v in values)


_Node = tuple[str, object]  # ("id", stored id) or ("row", row number in the sheet)


class _ItemPlanner:
    def __init__(self, rows: tuple[ItemRow, ...], stored: Stored, unit_names: set[str],
                 person_keys: dict[tuple[str, str], int | None],
                 errors: list[RowError], broken_codes: frozenset[str] = frozenset()) -> None:
        self.rows, self.stored, self.unit_names = rows, stored, unit_names
        self.broken_codes = broken_codes
        self.person_keys, self.errors = person_keys, errors
        self.by_code = {i.code: i for i in stored.items.values()}
        self.people_by_name: dict[str, list[tuple[str, str]]] = {}
        for key in person_keys:
            self.people_by_name.setdefault(key[0], []).append(key)
        self.units_by_name = {u.name: u for u in stored.units.values()}
        self.same: dict[tuple[object, ...], list[Item]] = {}  # (list, 标题, 责任人, 单位) → items
        for item in sorted(stored.items.values(), key=lambda i: i.id):
            key = (item.kind, item.title, item.owner_id, item.unit_id)
            self.same.setdefault(key, []).append(item)
        self.code_of_row = {r.row: r.code for r in rows}

    def fail(self, row: ItemRow, column: str, problem: Problem, value: str = "",
             choices: Iterable[str] = (), number: int = 0) -> None:
        self.errors.append(RowError(ITEMS, row.row, column, problem, value, tuple(choices),
                                    number))

    def plan(self) -> tuple[ItemChange, ...]:
        resolved: dict[int, tuple[tuple[str, str], str, Item | None]] = {}
        matched: dict[int, int] = {}  # stored item id → the row that claims it
        uncoded: dict[tuple[object, ...], int] = {}
        for r in self.rows:
            owner = self._owner(r)
            unit = r.unit or (owner[1] if owner else None)
            if r.unit is not None and r.unit not in self.unit_names:
                self.fail(r, "所在单位", Problem.UNKNOWN_UNIT, r.unit)
                continue
            if owner is None or unit is None:
                continue
            found = self._match(r, owner, unit)
            if found is False:
                continue
            if found is not None:
                if found.id in matched:
                    self.fail(r, "编号" if r.code else "标题", Problem.SAME_ITEM,
                              found.code, number=matched[found.id])
                    continue
                matched[found.id] = r.row
            elif r.code is None:
                key = (r.kind, r.title, owner, unit)
                if key in uncoded:
                    self.fail(r, "标题", Problem.DUPLICATE_ROW, r.title, number=uncoded[key])
                    continue
                uncoded[key] = r.row
            resolved[r.row] = (owner, unit, found)
        return self._with_parents(resolved)

    def _owner(self, r: ItemRow) -> tuple[str, str] | None:
        name, at, unit = (s.strip() for s in r.owner.partition("@"))
        left = self._former_owner(r, name, unit if at else None)
        if left is not None:
            return left
        if at:
            if (name, unit) in self.person_keys:
                return name, unit
            self.fail(r, "责任人", Problem.UNKNOWN_PERSON, r.owner)
            return None
        found = self.people_by_name.get(name, [])
        if len(found) == 1:
            return found[0]
        if not found:
            self.fail(r, "责任人", Problem.UNKNOWN_PERSON, name)
            return None
        here = [k for k in found if k[1] == r.unit]
        if len(here) == 1:
            return here[0]
        self.fail(r, "责任人", Problem.AMBIGUOUS_PERSON, name, sorted(k[1] for k in found))
        return None

    def _former_owner(self, r: ItemRow, name: str, unit: str | None) -> tuple[str, str] | None:
        """A row of a stored item whose owner has left (人员交接) names them as the 台账 does:
        their history keeps their name. Only that item's row: nothing new goes to them."""
        item = self.by_code.get(r.code) if r.code else None
        person = self.stored.former.get(item.owner_id) if item else None
        if person is None or person.name != name:
            return None
        home = self._unit(person.unit_id)
        return (name, home) if unit in (None, home) else None

    def _match(self, r: ItemRow, owner: tuple[str, str], unit: str) -> Item | bool | None:
        """The stored item this row is; None for a new one; False after a problem."""
        if r.code is not None:
            item = self.by_code.get(r.code)
            if item is None:
                other = KIND_OF_PREFIX[r.code[0]]
                if other is not r.kind:  # a new item numbered as another list's
                    self.fail(r, "编号", Problem.CODE_OF_OTHER_LIST, r.code,
                              (other.value, r.kind.value))
                    return False
                return None
            if item.kind not in LIST_NAMES:  # an obligation, a 整改: not made by importing
                self.fail(r, "编号", Problem.NOT_A_LIST_ITEM, r.code,
                          (KIND_NAMES.get(item.kind, item.kind.value),))
                return False
            if item.kind is not r.kind:
                self.fail(r, "清单类型", Problem.KIND_CHANGED, r.code, (LIST_NAMES[item.kind],))
                return False
            return item
        owner_id = self.person_keys.get(owner)
        unit_row = self.units_by_name.get(unit)
        if owner_id is None or unit_row is None:
            return None
        same = self.same.get((r.kind, r.title, owner_id, unit_row.id), [])
        if len(same) > 1:
            self.fail(r, "编号", Problem.AMBIGUOUS_ITEM, r.title, [i.code for i in same])
            return False
        return same[0] if same else None

    def _with_parents(self, resolved: dict[int, tuple[tuple[str, str], str, Item | None]]
                      ) -> tuple[ItemChange, ...]:
        rows = {r.row: r for r in self.rows if r.row in resolved}
        node_of: dict[int, _Node] = {}
        for row, (_, _, found) in resolved.items():
            node_of[row] = ("id", found.id) if found else ("row", row)
        file_by_code = {r.code: r for r in rows.values() if r.code}
        kinds: dict[_Node, ListKind] = {("id", i.id): i.kind for i in self.stored.items.values()}
        kinds.update({node_of[r.row]: r.kind for r in rows.values()})
        parents: dict[_Node, _Node | None] = {
            ("id", i.id): ("id", i.parent_id) if i.parent_id is not None else None
            for i in self.stored.items.values()
        }
        parent_of: dict[int, _Node | None] = {}
        for r in rows.values():
            if r.parent is None:
                node = None
            elif r.parent in file_by_code:
                node = node_of[file_by_code[r.parent].row]
            elif r.parent in self.by_code:
                node = ("id", self.by_code[r.parent].id)
            elif r.parent in self.broken_codes:
                continue  # that row is reported already; its list cannot be told
            else:
                self.fail(r, "上级事项编号", Problem.UNKNOWN_PARENT, r.parent)
                continue
            parent_of[r.row] = node
            parents[node_of[r.row]] = node
        changes: list[ItemChange] = []
        for r in rows.values():
            if r.row not in parent_of:
                continue
            node, parent = node_of[r.row], parent_of[r.row]
            if parent is not None:
                if parent == node or _in_cycle(node, parents):
                    self.fail(r, "上级事项编号", Problem.PARENT_CYCLE, r.parent or "")
                    continue
                expected = PARENT_KIND[r.kind]
                if expected is None:
                    self.fail(r, "上级事项编号", Problem.PROBLEM_HAS_NO_PARENT, r.parent or "")
                    continue
                if kinds[parent] is not expected:
                    self.fail(r, "上级事项编号", Problem.WRONG_PARENT_KIND, r.parent or "",
                              (LIST_NAMES[expected],))
                    continue
            change = self._change(r, resolved[r.row], parent, node_of)
            if change is not None:
                changes.append(change)
        depth = {c.row: _depth(node_of[c.row], parents) for c in changes}
        new = sorted((c for c in changes if c.item_id is None), key=lambda c: depth[c.row])
        return (*new, *(c for c in changes if c.item_id is not None))

    def _change(self, r: ItemRow, resolved: tuple[tuple[str, str], str, Item | None],
                parent: _Node | None, node_of: dict[int, _Node]) -> ItemChange | None:
        owner, unit, found = resolved
        if parent is None:
            ref = None
        elif parent[0] == "id":
            parent_id = int(parent[1])  # type: ignore[call-overload]
            ref = ItemRef(item_id=parent_id, code=self.stored.items[parent_id].code)
        else:
            ref = ItemRef(code=self.code_of_row[int(parent[1])])  # type: ignore[call-overload]
        if found is None:
            return ItemChange(r.row, r.code, r.kind, r.title, r.duty, owner, unit, ref,
                              r.source, r.due, r.status or ItemStatus.OPEN)
        status = r.status or found.status
        if status is not found.status and found.status not in IMPORT_STATUSES:
            self.fail(r, "状态", Problem.STATUS_HELD, STATUS_NAMES[found.status])
            return None
        new_parent_code = r.parent
        old_parent = self.stored.items.get(found.parent_id) if found.parent_id else None
        old = {
            "title": found.title, "duty": found.duty.value, "owner": self._person(found.owner_id),
            "unit": self._unit(found.unit_id), "parent_code": old_parent.code if old_parent
            else None, "source": found.source, "due_date": found.due_date.isoformat(),
            "status": found.status.value,
        }
        new = {
            "title": r.title, "duty": r.duty.value, "owner": "@".join(owner), "unit": unit,
            "parent_code": new_parent_code, "source": r.source, "due_date": r.due.isoformat(),
            "status": status.value,
        }
        changes = {k: (old[k], new[k]) for k in old if old[k] != new[k]}
        if not changes:
            return None
        return ItemChange(r.row, found.code, r.kind, r.title, r.duty, owner, unit, ref,
                          r.source, r.due, status, found.id, changes)

    def _person(self, person_id: int) -> str:
        person = self.stored.people.get(person_id) or self.stored.former.get(person_id)
        if person is None:
            return str(person_id)
        return f"{person.name}@{self._unit(person.unit_id)}"

    def _unit(self, unit_id: int) -> str:
        unit = self.stored.units.get(unit_id)
        return unit.name if unit else str(unit_id)


# -- the 分解 sheet, checked against the items as they are once the rest is applied -------


def check_delegations(rows: Iterable[DelegationRow], items: Mapping[str, Item],
                      people: Mapping[int, Person], units: Mapping[int, Unit],
                      parent_of: Mapping[int, int]
                      ) -> tuple[list[tuple[Item, Item]], list[RowError]]:
    """The 分解 lines with the rules of bot/domain/delegation.py (a handed-down item may
    be closed already: the relation is history too); `items` by code, `parent_of` the
    stored relation (child id → parent id). The (parent, child) pairs to add — a line
    already stored adds nothing — or every problem, each naming its row and column."""
    links = dict(parent_of)
    new: list[tuple[Item, Item]] = []
    errors: list[RowError] = []
    for r in rows:
        parent, child = items.get(r.parent), items.get(r.child)
        missing = [(column, code) for column, code, found in (
            ("上级事项编号", r.parent, parent), ("下级事项编号", r.child, child)) if found is None]
        for column, code in missing:
            errors.append(RowError(DELEGATIONS, r.row, column, Problem.UNKNOWN_ITEM, code))
        if parent is None or child is None:
            continue
        if links.get(child.id) == parent.id:
            continue  # stored already: nothing to do
        try:
            parent_owner, child_owner = people[parent.owner_id], people[child.owner_id]
            check_link(parent.id, child.id, links)
            check_delegated(parent, parent_owner, require_open=False)
            check_kind(child, parent)
            check_owner(parent_owner, child_owner, units)
            check_due(child.due_date, parent.due_date)
        except DelegationProblem as problem:
            on_parent = problem.field == "parent"
            errors.append(RowError(DELEGATIONS, r.row,
                                   "上级事项编号" if on_parent else "下级事项编号",
                                   Problem.DELEGATION, r.parent if on_parent else r.child,
                                   (problem.field, problem.detail)))
            continue
        links[child.id] = parent.id
        new.append((parent, child))
    return new, errors
