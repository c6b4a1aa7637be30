"""`dutybot export FILE.xlsx` as an operator runs it: the 台账 written, one line of counts,
an existing file never overwritten without --force, and the file imports as a no-op."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import openpyxl

from bot.domain.ledger import EVENTS
from bot.domain.workbook import ITEMS, PEOPLE, UNITS
from tests.test_cli import lines
from tests.test_cli_import import cli, count  # noqa: F401 (fixture)
from tests.workbooks import filled


def test_export_writes_the_ledger_and_never_overwrites(tmp_path, cli, capsys):  # noqa: F811
    db = tmp_path / "bot.db"
    missing = cli(capsys, "export", "台账.xlsx")
    assert missing.returncode == 1 and "数据库" in missing.stderr and "不存在" in missing.stderr
    (tmp_path / "导入.xlsx").write_bytes(filled())
    assert cli(capsys, "import", "导入.xlsx").returncode == 0

    made = cli(capsys, "export", "台账.xlsx")
    assert made.returncode == 0, made.stderr
    (line,) = lines(made.stdout)
    assert line.startswith("台账.xlsx: 台账已导出（单位 5、人员 5、清单 3、履责事项 0、约谈 0、整改 0、问责 0、监督检查 0、考核 0、"
                           "履责纪实 ")
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
    assert again.returncode == 1 and "已存在，不会覆盖" in again.stderr and "--force" in again.stderr and again.stdout == ""
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


def exported(db) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT subject_id, json_extract(data, '$.via') FROM events "
                            "WHERE kind = 'ledger.exported' ORDER BY id").fetchall()


def test_the_export_is_recorded_with_the_file_it_wrote(tmp_path, cli, capsys):  # noqa: F811
    (tmp_path / "导入.xlsx").write_bytes(filled())
    assert cli(capsys, "import", "导入.xlsx").returncode == 0
    assert cli(capsys, "export", "台账.xlsx").returncode == 0
    assert exported(tmp_path / "bot.db") == [(str(tmp_path / "台账.xlsx"), "cli")]
    book = openpyxl.load_workbook(tmp_path / "台账.xlsx")
    assert book[EVENTS].max_row == 15  # the header and the import's 14; not yet this export
    again = cli(capsys, "export", "再一份.xlsx")
    assert again.returncode == 0
    book = openpyxl.load_workbook(tmp_path / "再一份.xlsx")
    last = [c.value for c in list(book[EVENTS].iter_rows())[-1]]
    assert last[3:5] == ["导出台账", f"台账 {tmp_path / '台账.xlsx'}"]
    assert "清单 3" in last[5] and "履责纪实 14" in last[5] and last[5].endswith("方式：命令行")


def full_disk(source, target):
    raise OSError(28, "No space left on device")


def test_a_file_that_cannot_be_written_is_said_and_not_recorded(tmp_path, cli, capsys,  # noqa: F811
                                                                monkeypatch):
    (tmp_path / "导入.xlsx").write_bytes(filled())
    assert cli(capsys, "import", "导入.xlsx").returncode == 0
    events = count(tmp_path / "bot.db", "events")
    missing = cli(capsys, "export", "没有的文件夹/台账.xlsx")
    assert missing.returncode == 1 and missing.stdout == ""
    (line,) = lines(missing.stderr)
    assert "没有的文件夹/台账.xlsx" in line and "路径不存在" in line
    (tmp_path / "说明.txt").write_text("一个文件，不是文件夹")
    not_a_folder = cli(capsys, "export", "说明.txt/台账.xlsx")
    assert not_a_folder.returncode == 1 and len(lines(not_a_folder.stderr)) == 1
    (tmp_path / "满了").mkdir()
    monkeypatch.setattr("os.replace", full_disk)  # the write fails at its very end
    full = cli(capsys, "export", "满了/台账.xlsx")
    assert full.returncode == 1 and "磁盘空间不足" in full.stderr
    assert list((tmp_path / "满了").iterdir()) == []  # nothing half-written stays
    assert count(tmp_path / "bot.db", "events") == events
    assert exported(tmp_path / "bot.db") == []


def test_an_export_that_could_not_be_made_is_one_line_and_not_recorded(
        tmp_path, cli, capsys, monkeypatch):  # noqa: F811
    (tmp_path / "导入.xlsx").write_bytes(filled())
    assert cli(capsys, "import", "导入.xlsx").returncode == 0
    events = count(tmp_path / "bot.db", "events")
    monkeypatch.setattr("bot.services.export.EXPORT_SECONDS", 0.001)
    late = cli(capsys, "export", "台账.xlsx")
    assert late.returncode == 1 and late.stdout == ""
    (line,) = lines(late.stderr)
    assert "生成台账超过 30 分钟仍未完成" in line
    assert not (tmp_path / "台账.xlsx").exists()
    assert count(tmp_path / "bot.db", "events") == events
