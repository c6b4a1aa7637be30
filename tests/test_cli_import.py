"""`dutybot template` and `dutybot import` as an operator runs them: one round trip through
the installed console script, the rest through `bot.cli.main` in this process (a process
costs most of a second)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import openpyxl
import pytest

from bot.cli import main
from tests.test_cli import TOKEN, dutybot, lines, server  # noqa: F401 (fixture)
from tests.workbooks import ITEMS_ROWS, PEOPLE_ROWS, UNITS_ROWS


def count(db: Path, table: str) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """`dutybot ARGS` in this process, in tmp_path, with only the given settings."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "DUTYBOT_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DUTYBOT_DB_PATH", str(tmp_path / "bot.db"))

    def run(capsys, *args: str) -> subprocess.CompletedProcess[str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def test_template_writes_a_new_file_and_never_overwrites(tmp_path, cli, capsys):
    made = cli(capsys, "template", "模板.xlsx")
    assert made.returncode == 0, made.stderr
    assert lines(made.stdout) == [
        "模板.xlsx: 导入模板已生成（工作表 单位、人员、清单、分解、说明）。"
        "填好后用 dutybot import 模板.xlsx 导入，或由管理员私聊发给机器人。"]
    assert openpyxl.load_workbook(tmp_path / "模板.xlsx").sheetnames == ["单位", "人员", "清单", "分解", "问责",
                                                                         "说明"]
    again = cli(capsys, "template", "模板.xlsx")
    assert again.returncode == 1 and "已存在，不会覆盖" in again.stderr
    wrong = cli(capsys, "template", "模板.xls")
    assert wrong.returncode == 2 and len(lines(wrong.stderr)) == 1


def test_import_round_trip_prints_the_summary_and_the_invites(tmp_path, server):  # noqa: F811
    db = tmp_path / "bot.db"
    env = {"DUTYBOT_DB_PATH": str(db), "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_API_BASE_URL": server.root}
    assert dutybot(tmp_path, "template", "台账.xlsx").returncode == 0
    book = openpyxl.load_workbook(tmp_path / "台账.xlsx")
    for sheet, rows in (("单位", UNITS_ROWS), ("人员", PEOPLE_ROWS), ("清单", ITEMS_ROWS)):
        for row in rows:
            book[sheet].append(list(row))
    book.save(tmp_path / "台账.xlsx")

    first = dutybot(tmp_path, "import", "台账.xlsx", **env)
    assert first.returncode == 0, first.stderr
    out = lines(first.stdout)
    assert out[0] == "✅ 导入完成（台账.xlsx）"
    assert "清单事项：新建 3 · 更新 0 · 未变 0" in out
    invites = [line.split("\t") for line in out if "\t" in line]
    assert [(r[0], r[1]) for r in invites] == [(p[0], p[2]) for p in PEOPLE_ROWS]
    assert all(r[3] == f"https://t.me/{server.api.bot_username}?start={r[2]}" for r in invites)
    assert first.stderr == ""
    assert count(db, "items") == 3 and count(db, "invites") == 5

    again = dutybot(tmp_path, "import", "台账.xlsx", **env)
    assert again.returncode == 0, again.stderr
    assert "文件内容与系统中一致，没有任何改动。" in again.stdout and "\t" not in again.stdout
    assert count(db, "events") == 14 and count(db, "invites") == 5


def test_a_bad_workbook_lists_every_bad_row_and_imports_nothing(tmp_path, cli, capsys):
    db = tmp_path / "bot.db"
    assert cli(capsys, "template", "台账.xlsx").returncode == 0
    book = openpyxl.load_workbook(tmp_path / "台账.xlsx")
    book["单位"].append(["某局党委", None, None])
    book["人员"].append(["陈书记", "党委书记", "某局党委"])
    book["清单"].append([None, "问题", "公务接待超标准", "主体责任", "赵六", None, None, None,
                        "2026-12-05"])
    book["清单"].append([None, "措施", "核查", "一岗双责", "陈书记", None, "Z0009", None, "明年"])
    book.save(tmp_path / "台账.xlsx")
    result = cli(capsys, "import", "台账.xlsx")
    assert result.returncode == 1 and result.stdout == ""
    assert lines(result.stderr) == [
        "没有导入：文件中有 2 处问题，数据库没有任何改动。",
        "清单 第3行 责任人: 找不到责任人“赵六”（人员表和系统中都没有）",
        "清单 第4行 截止日期: 看不懂日期“明年”，请写成 2026-03-31、2026/3/31 或 2026年3月31日",
    ]
    assert count(db, "units") == 0 and count(db, "events") == 0


def test_without_the_token_the_codes_are_printed_and_the_links_left_out(tmp_path, cli, capsys):
    assert cli(capsys, "template", "台账.xlsx").returncode == 0
    book = openpyxl.load_workbook(tmp_path / "台账.xlsx")
    book["单位"].append(["某局党委"])
    book["人员"].append(["陈书记", "党委书记", "某局党委"])
    book.save(tmp_path / "台账.xlsx")
    result = cli(capsys, "import", "台账.xlsx")
    assert result.returncode == 0, result.stderr
    (row,) = [line.split("\t") for line in lines(result.stdout) if "\t" in line]
    assert row[:2] == ["陈书记", "某局党委"] and len(row[2]) == 16 and row[3] == ""
    assert len(lines(result.stderr)) == 1 and "TELEGRAM_BOT_TOKEN" in result.stderr


def test_files_that_cannot_be_imported_are_refused_in_one_line(tmp_path, cli, capsys):
    (tmp_path / "宏.xlsm").write_bytes(b"PK")
    (tmp_path / "坏.xlsx").write_bytes(b"PK\x03\x04 broken")
    for name, message in (("没有.xlsx", "找不到文件“没有.xlsx”"), ("宏.xlsm", "含有宏"),
                          ("坏.xlsx", "不是有效的 .xlsx 工作簿")):
        result = cli(capsys, "import", name)
        assert result.returncode == 1
        assert len(lines(result.stderr)) == 1 and message in result.stderr, result.stderr


def test_invisible_characters_in_names_are_refused_from_the_command_line_too(tmp_path, cli,
                                                                            capsys):
    db = tmp_path / "bot.db"
    assert cli(capsys, "template", "台账.xlsx").returncode == 0
    book = openpyxl.load_workbook(tmp_path / "台账.xlsx")
    book["单位"].append(["某局\u202e党委", None, None])
    book["人员"].append(["\u200b\u200b", "党委书记", "某局党委"])
    book.save(tmp_path / "台账.xlsx")
    result = cli(capsys, "import", "台账.xlsx")
    assert result.returncode == 1 and result.stdout == ""
    assert lines(result.stderr)[1:] == [
        "单位 第3行 名称: 含有看不见的文字方向控制符（U+202E），多半是复制粘贴时带进来的，请删掉后重新导入",
        "人员 第3行 姓名: 只有看不见的字符（如零宽空格），没有能显示的文字",
    ]
    assert count(db, "units") == 0


def _filled_template(tmp_path: Path, cli, capsys, name: str) -> Path:
    assert cli(capsys, "template", "模板.xlsx").returncode == 0
    book = openpyxl.load_workbook(tmp_path / "模板.xlsx")
    book["单位"].append(["某局党委"])
    book.save(tmp_path / name)
    return tmp_path / name


def test_a_path_that_is_not_a_readable_file_is_one_chinese_line(tmp_path, cli, capsys,
                                                                monkeypatch):
    (tmp_path / "台账目录.xlsx").mkdir()
    os.mkfifo(tmp_path / "管道.xlsx")  # opening it would wait forever: never opened
    locked = _filled_template(tmp_path, cli, capsys, "锁住.xlsx")
    real_open = Path.open

    def refuse(self, *args, **kwargs):
        if self.name == locked.name:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    for name, expected in (
        ("台账目录.xlsx", "dutybot: import: ⛔ “台账目录.xlsx”不是文件（是文件夹或其他特殊路径），请给出 .xlsx 文件的路径。"),
        ("管道.xlsx", "dutybot: import: ⛔ “管道.xlsx”不是文件"),
        ("锁住.xlsx", "dutybot: import: ⛔ 无法读取“锁住.xlsx”：没有读取权限或读取出错"),
    ):
        result = cli(capsys, "import", name)
        assert result.returncode == 1 and result.stdout == ""
        assert len(lines(result.stderr)) == 1 and result.stderr.startswith(expected), result.stderr
    assert not (tmp_path / "bot.db").exists()  # nothing was opened


def test_a_file_whose_name_contradicts_its_content_is_told_what_it_is(tmp_path, cli, capsys):
    _filled_template(tmp_path, cli, capsys, "台账.xls")
    (tmp_path / "旧.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000))
    for name, expected in (
        ("台账.xls", "“台账.xls”实际上是 Excel 工作簿（.xlsx），只是扩展名不对。请把扩展名改为 .xlsx 后再导入。"),
        ("旧.xlsx", "“旧.xlsx”实际上是旧版 .xls 文件（或旧版 Word 文档，或设置了打开密码的工作簿），"
                   "不是 .xlsx 工作簿"),
    ):
        result = cli(capsys, "import", name)
        assert result.returncode == 1 and len(lines(result.stderr)) == 1
        assert expected in result.stderr, result.stderr
    assert not (tmp_path / "bot.db").exists()


def test_the_size_limit_holds_at_the_console_and_max_size_raises_it(tmp_path, cli, capsys):
    big = tmp_path / "大.xlsx"
    big.write_bytes(b"PK\x03\x04" + bytes(5 * 1024 * 1024))
    result = cli(capsys, "import", "大.xlsx")
    assert result.returncode == 1
    assert lines(result.stderr) == [
        "dutybot: import: ⛔ 文件太大（5.0 MB），最大 5 MB。请分成几个文件分别导入。"
        "如确需导入更大的文件，可加 --max-size（单位 MB），如 --max-size 20。"]
    raised = cli(capsys, "import", "大.xlsx", "--max-size", "6")
    assert raised.returncode == 1 and "文件太大" not in raised.stderr  # read, then refused
    assert "不是有效的 .xlsx 工作簿" in raised.stderr
    path = _filled_template(tmp_path, cli, capsys, "台账.xlsx")
    small = f"{path.stat().st_size / 2 / 1024 / 1024:.6f}"
    assert "文件太大" in cli(capsys, "import", "台账.xlsx", "--max-size", small).stderr
    assert count(tmp_path / "bot.db", "events") == 0
    done = cli(capsys, "import", "台账.xlsx")
    assert done.returncode == 0, done.stderr
    assert count(tmp_path / "bot.db", "units") == 1


def test_a_hostile_workbook_is_refused_at_the_console_too(tmp_path, cli, capsys):
    from bot.domain.workbook import LIMITS
    from tests.hostile import zip_bomb

    (tmp_path / "炸弹.xlsx").write_bytes(zip_bomb(LIMITS))
    result = cli(capsys, "import", "炸弹.xlsx")
    assert result.returncode == 1 and len(lines(result.stderr)) == 1
    assert "疑似“压缩炸弹”，不予导入" in result.stderr
    assert count(tmp_path / "bot.db", "units") == count(tmp_path / "bot.db", "events") == 0
