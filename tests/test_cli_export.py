"""`dutybot export FILE.xlsx` as an operator runs it: the 台账 written, one line of counts,
an existing file never overwritten without --force, and the file imports as a no-op."""

from __future__ import annotations

import openpyxl

from bot.domain.ledger import EVENTS
from bot.domain.workbook import ITEMS, PEOPLE, UNITS
from tests.test_cli import lines
from tests.test_cli_import import cli, count  # noqa: F401 (fixture)
from tests.workbooks import filled


def test_export_writes_the_ledger_and_never_overwrites(tmp_path, cli, capsys):  # noqa: F811
    db = tmp_path / "bot.db"
    missing = cli(capsys, "export", "台账.xlsx")
    assert missing.returncode == 1 and "no database" in missing.stderr
    (tmp_path / "导入.xlsx").write_bytes(filled())
    assert cli(capsys, "import", "导入.xlsx").returncode == 0

    made = cli(capsys, "export", "台账.xlsx")
    assert made.returncode == 0, made.stderr
    (line,) = lines(made.stdout)
    assert line.startswith("台账.xlsx: 台账已导出（单位 5、人员 5、清单 3、履责事项 0、约谈 0、整改 0、履责纪实 ")
    book = openpyxl.load_workbook(tmp_path / "台账.xlsx")
    assert [r[0].value for r in book[UNITS].iter_rows(min_row=2)][:2] == ["某局党委", "财务科"]
    assert len(list(book[PEOPLE].iter_rows(min_row=2))) == 5
    assert len(list(book[ITEMS].iter_rows(min_row=2))) == 3
    logged = [[c.value for c in r] for r in book[EVENTS].iter_rows(min_row=2)]
    assert logged[-1][2:5] == ["管理员（命令行）", "导入台账", "导入 导入.xlsx"]
    assert logged[-1][5] == "单位 新建 5、更新 0、未变 0；人员 新建 5、更新 0、未变 0；清单 新建 3、更新 0、未变 0；方式：Excel 导入"
    assert count(db, "events") == 14 + 1  # the import's 14, and the export's own

    size = (tmp_path / "台账.xlsx").stat().st_size
    again = cli(capsys, "export", "台账.xlsx")
    assert again.returncode == 1 and "already exists" in again.stderr and again.stdout == ""
    assert (tmp_path / "台账.xlsx").stat().st_size == size
    forced = cli(capsys, "export", "台账.xlsx", "--force")
    assert forced.returncode == 0, forced.stderr
    wrong = cli(capsys, "export", "台账.csv")
    assert wrong.returncode == 2 and len(lines(wrong.stderr)) == 1

    # the exported file, imported: nothing to change
    events = count(db, "events")
    back = cli(capsys, "import", "台账.xlsx")
    assert back.returncode == 0, back.stderr
    assert "没有任何改动" in back.stdout
    assert count(db, "events") == events and count(db, "items") == 3
