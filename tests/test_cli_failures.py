"""Failures are reported as failures (issue 20, item 8, the command line's part).

`dutybot backup` to a missing, unwritable or wrong place, and `dutybot demo --output` to a
missing folder, print one Chinese line and exit non-zero, with no traceback and nothing
half-written left behind. A malformed token or Bot API address stops `dutybot run` and
`dutybot invite` in one line before anything is sent over the network.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot import demo
from tests.test_backup import seeded
from tests.test_cli import TOKEN, dutybot, lines

_CJK = re.compile(r"[\u4e00-\u9fff]")


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def one_chinese_line(result, prefix: str) -> str:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr
    [line] = lines(result.stderr)
    assert line.startswith(prefix) and _CJK.search(line), line
    return line


@pytest.fixture
async def live(tmp_path: Path) -> Path:
    db = tmp_path / "data" / "bot.db"
    db.parent.mkdir()
    await seeded(db, units=3)
    return db


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in: a read-only one for a normal user;
    for root, whom permissions do not stop, a read-only file system if there is one."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    for candidate in (Path("/sys"), Path("/proc/sys")):
        try:
            handle = os.open(candidate / "dutybot-probe", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except OSError:
            return candidate
        os.close(handle)
        os.unlink(candidate / "dutybot-probe")
    pytest.skip("no folder here that root cannot write to")


# -- backup -----------------------------------------------------------------------------------


async def test_backup_to_a_missing_folder(tmp_path: Path, live: Path) -> None:
    before = files_under(tmp_path)
    result = dutybot(tmp_path, "backup", "no/such/folder/copy.db", DUTYBOT_DB_PATH=str(live))
    line = one_chinese_line(result, "dutybot: backup: 文件夹 ")
    assert f"{tmp_path}/no/such/folder 不存在" in line
    assert result.stdout == "" and files_under(tmp_path) == before


async def test_backup_to_an_unwritable_folder(tmp_path: Path, live: Path) -> None:
    folder = unwritable_folder(tmp_path)
    before = files_under(tmp_path)
    result = dutybot(tmp_path, "backup", str(folder / "copy.db"), DUTYBOT_DB_PATH=str(live))
    line = one_chinese_line(result, f"dutybot: backup: 无法在 {folder} 写入备份（")
    assert "没有留下任何文件" in line
    assert not (folder / "copy.db").exists() and files_under(tmp_path) == before


async def test_backup_under_a_file_instead_of_a_folder(tmp_path: Path, live: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    before = files_under(tmp_path)
    result = dutybot(tmp_path, "backup", "notes.txt/copy.db", DUTYBOT_DB_PATH=str(live))
    assert "不是文件夹" in one_chinese_line(result, "dutybot: backup: ")
    assert files_under(tmp_path) == before


async def test_a_copy_that_fails_halfway_leaves_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "bot.db"
    broken.write_bytes(b"this is not an SQLite database" * 200)
    before = files_under(tmp_path)
    result = dutybot(tmp_path, "backup", "copy.db", DUTYBOT_DB_PATH=str(broken))
    line = one_chinese_line(result, f"dutybot: backup: 备份 {broken} 失败（")
    assert "没有留下任何文件" in line and files_under(tmp_path) == before


async def test_backup_of_a_missing_database(tmp_path: Path) -> None:
    result = dutybot(tmp_path, "backup", "copy.db", DUTYBOT_DB_PATH=str(tmp_path / "none.db"))
    assert "DUTYBOT_DB_PATH" in one_chinese_line(result, "dutybot: backup: 数据库 ")
    assert files_under(tmp_path) == []


async def test_backup_still_works(tmp_path: Path, live: Path) -> None:
    result = dutybot(tmp_path, "backup", "copy.db", DUTYBOT_DB_PATH=str(live))
    assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(tmp_path / "copy.db")) as conn:
        assert conn.execute("SELECT COUNT(*) FROM units").fetchone() == (3,)
    assert [p for p in files_under(tmp_path) if "partial" in p or "journal" in p] == []


# -- demo --output ----------------------------------------------------------------------------


def test_demo_output_to_a_missing_folder(tmp_path: Path) -> None:
    result = dutybot(tmp_path, "demo", "--output", "no/such/folder/demo.txt")
    line = one_chinese_line(result, "dutybot: demo: 文件夹 ")
    assert f"{tmp_path}/no/such/folder 不存在" in line
    assert result.stdout == ""  # refused before the demo ran: no transcript, no files
    assert files_under(tmp_path) == []


def test_demo_output_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    result = dutybot(tmp_path, "demo", "--output", "out")
    assert "是一个文件夹" in one_chinese_line(result, "dutybot: demo: ")
    assert files_under(tmp_path) == ["out"]


@pytest.fixture
def quick_demo(monkeypatch) -> Iterator[None]:
    async def play() -> str:  # the story itself is tested in test_demo.py
        return "演示记录"

    monkeypatch.setattr(demo, "_play", play)
    yield


async def test_demo_output_that_cannot_be_written_at_the_end_leaves_nothing(
        tmp_path: Path, monkeypatch, capsys, quick_demo) -> None:
    def disk_full(self: Path, *args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    assert await demo.run_demo(str(tmp_path / "demo.txt")) == 1
    err = capsys.readouterr().err
    assert lines(err) == [f"dutybot: demo: 无法写入 {tmp_path}/demo.txt（磁盘空间不足）："
                          "请换一个位置。没有留下任何文件。"]
    assert files_under(tmp_path) == []


async def test_demo_output_is_written_whole(tmp_path: Path, capsys, quick_demo) -> None:
    (tmp_path / "demo.txt").write_text("昨天的记录", encoding="utf-8")
    assert await demo.run_demo(str(tmp_path / "demo.txt")) == 0
    assert (tmp_path / "demo.txt").read_text(encoding="utf-8") == "演示记录"
    assert files_under(tmp_path) == ["demo.txt"]
    assert "（已写入" in capsys.readouterr().out


# -- token and Bot API address, before any network call ---------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[str, socket.socket]]:
    """A port that records whether anyone connected to it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", sock


def connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


@pytest.mark.parametrize("command", ["run", "invite"])
@pytest.mark.parametrize("token", ["123456:short", f"{TOKEN} ", TOKEN.replace(":", "")])
def test_a_malformed_token_stops_before_any_network_call(tmp_path: Path, listener, command: str,
                                                         token: str) -> None:
    root, sock = listener
    args = ["invite", "--all-unbound"] if command == "invite" else ["run"]
    result = dutybot(tmp_path, *args, TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=root,
                     DUTYBOT_DB_PATH=str(tmp_path / "bot.db"))
    line = one_chinese_line(result, "dutybot: TELEGRAM_BOT_TOKEN 格式不对")
    assert token.strip() not in line and result.stdout == ""
    assert not connected(sock) and files_under(tmp_path) == []


@pytest.mark.parametrize("address", ["http://127.0.0.1 :8081", "http://:8081", "http:/127.0.0.1",
                                     "http://127.0.0.1:8081?x=1", "http://127.0.0.1：8081",
                                     "tcp://127.0.0.1:8081"])
def test_an_invalid_bot_api_address_stops_run_in_one_line(tmp_path: Path, address: str) -> None:
    result = dutybot(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=address,
                     DUTYBOT_DB_PATH=str(tmp_path / "bot.db"))
    one_chinese_line(result, "dutybot: TELEGRAM_API_BASE_URL: ")
    assert TOKEN not in result.stderr and files_under(tmp_path) == []
