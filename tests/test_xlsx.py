"""bot/xlsx.py, the streaming .xlsx writer the 台账 is written with: read back by openpyxl."""

from __future__ import annotations

import io
import threading
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

import openpyxl
import pytest
from openpyxl.utils.datetime import to_excel

from bot import xlsx
from bot.domain.ledger import EVENTS
from bot.ledger_io import write_ledger_file
from messages.export import WORDS
from tests.test_export import hand_made

STRANGE = ["=1+1", "#N/A", "<b>粗体</b> & 报销", "  前后空格  ", "多行\n第二行", "", "台账"]


def written(build) -> openpyxl.Workbook:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    book = xlsx.Workbook(buffer)
    build(book)
    book.close()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert archive.testzip() is None
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def test_cells_come_back_as_they_went_in() -> None:
    moment = datetime(2026, 11, 20, 8, 15, 30, 250_000)

    def build(book: xlsx.Workbook) -> None:
        sheet = book.sheet("清单", (12, 30.5), freeze_header=True)
        sheet.append(["编号", "标题", "截止日期"], [xlsx.HEADER, xlsx.HEADER, xlsx.HEADER_EXTRA])
        sheet.rows([["W0001", text, date(2026, 12, 5), moment, 7, 0.25, True, None, 3]
                    for text in STRANGE], numbers={5: xlsx.PERCENT, 8: xlsx.INTEGER})
        book.sheet("第二页").rows([[None, None, "C1"]])

    book = written(build)
    assert book.sheetnames == ["清单", "第二页"]
    sheet = book["清单"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 12 and sheet.column_dimensions["B"].width == 30.5
    assert [c.value for c in sheet[1]][:3] == ["编号", "标题", "截止日期"]
    assert all(c.font.bold for c in sheet[1][:3])
    assert sheet["A1"].fill.fgColor.rgb == "FFDDEBF7" and sheet["C1"].fill.fgColor.rgb == "FFEDEDED"
    for n, text in enumerate(STRANGE, start=2):
        row = [c.value for c in sheet[n]]
        assert row[1] == (text or None) or (text == "" and row[1] in ("", None)), row
        assert sheet.cell(n, 2).data_type == "s"  # never a formula or an error value
        assert row[2] == datetime(2026, 12, 5) and sheet.cell(n, 3).number_format == "yyyy-mm-dd"
        assert row[3] == moment and "h" in sheet.cell(n, 4).number_format
        assert row[4:] == [7, 0.25, True, None, 3]
        assert sheet.cell(n, 6).number_format == "0.0%" and sheet.cell(n, 9).number_format == "0"
    assert book["第二页"]["C1"].value == "C1" and book["第二页"]["A1"].value is None
    assert book["第二页"].freeze_panes is None


def test_dates_are_the_serial_numbers_openpyxl_writes() -> None:
    for moment in (datetime(2026, 11, 20, 8, 15, 30, 123_456), datetime(1900, 2, 1, 12),
                   datetime(1899, 12, 31), datetime(2100, 1, 1)):
        assert xlsx.moment_serial(moment) == to_excel(moment)
        assert xlsx.day_serial(moment.date()) == to_excel(moment.date())


def test_an_empty_workbook_still_opens() -> None:
    assert written(lambda book: None).sheetnames == ["Sheet1"]


def test_a_sheet_near_the_zip_limit_is_continued(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "SHEET_BYTES", 1)  # full after the first chunk
    monkeypatch.setattr(xlsx, "_CHUNK", 1)
    written_ = write_ledger_file(hand_made(), WORDS)
    book = openpyxl.load_workbook(io.BytesIO(written_.data))
    parts = [name for name in book.sheetnames if name.startswith(EVENTS)]
    assert parts[1] == f"{EVENTS}（续1）" and len(parts) == 1 + written_.counts[EVENTS]
    events = [row for name in parts for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert [row[0] for row in events] == list(range(1, written_.counts[EVENTS] + 1))
    assert all(book[name].freeze_panes == "A2" for name in parts)


def test_a_failure_mid_sheet_leaves_nothing_running() -> None:
    before = threading.active_count()

    def rows() -> Iterator[list[object]]:
        yield ["一"]
        raise ValueError("the snapshot went away")

    book = xlsx.Workbook(io.BytesIO())
    with pytest.raises(ValueError, match="went away"):
        try:
            book.sheet("坏").rows(rows())
        except ValueError:
            book.abort()
            raise
    assert threading.active_count() == before


def test_memory_stays_flat_however_many_rows() -> None:
    def peak(n: int) -> int:
        rows = ([f"W{i:06d}", "关于某单位责任落实的问题", date(2026, 12, 5), i] for i in range(n))
        with open("/dev/null", "wb") as sink:
            tracemalloc.start()
            book = xlsx.Workbook(_Unseekable(sink), compresslevel=1)
            book.sheet("清单").rows(rows)
            book.close()
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return top

    small, large = peak(10_000), peak(100_000)
    assert large < small + 4 * 2**20, (small, large)  # ten times the rows, not the memory


class _Unseekable(io.RawIOBase):
    """A file that only takes bytes (a pipe): what streams, not what is kept."""

    def __init__(self, sink: io.BufferedWriter) -> None:
        self.sink = sink

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[no-untyped-def,override]
        self.sink.write(data)
        return len(data)
