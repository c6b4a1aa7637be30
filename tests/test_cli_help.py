"""The console speaks Chinese (issue 24, point 1): every command's help, its options, its
usage errors and its failures; `--version`; `--debug`; progress bars on a terminal only.

Most runs go through `bot.cli.main` in this process (a process costs most of a second);
the import weight, the installed script and the terminal each get one real process.
"""

from __future__ import annotations

import hashlib
import os
import pty
import re
import select
import subprocess
import sys
from importlib.metadata import version
from io import StringIO
from pathlib import Path

import click
import pytest

from bot import cli as console
from bot.cli import main
from bot.cli_progress import progress_bar, wants_bar
from tests.test_backup import seeded
from tests.test_cli import DUTYBOT, clean_env, dutybot, lines
from tests.test_cli_failures import files_under, unwritable_folder

_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """`dutybot ARGS` in this process, in tmp_path, with only the given settings."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "DUTYBOT_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DUTYBOT_DB_PATH", str(tmp_path / "bot.db"))

    def run(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        for key, value in settings.items():
            monkeypatch.setenv(key, value)
        code = main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def one_line(result: subprocess.CompletedProcess[str], code: int, prefix: str) -> str:
    assert result.returncode == code, result
    assert "Traceback" not in result.stderr and result.stdout == ""
    [line] = lines(result.stderr)
    assert line.startswith(prefix) and _CJK.search(line), line
    return line


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def every_command(group: click.Group = console.dutybot,
                  path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append(((*path, name), command))
        if isinstance(command, click.Group):
            found.extend(every_command(command, (*path, name)))
    return found


COMMANDS = every_command()


# -- help ---------------------------------------------------------------------------------------


def test_the_program_help_lists_every_command_with_a_chinese_summary(cli):
    shown = cli("--help")
    assert shown.returncode == 0 and shown.stderr == ""
    assert shown.stdout.startswith("用法：dutybot [选项] 命令 [参数]...")
    listed = dict(re.findall(r"^  ([a-z-]+)\s{2,}(\S.*)$", shown.stdout, re.M))
    assert set(listed) >= {"run", "migrate", "demo", "invite", "backup", "restore", "copy-db",
                           "template", "import", "export", "channel", "case", "letters"}
    for name, summary in listed.items():
        if name in console.dutybot.commands:
            assert _CJK.search(summary), (name, summary)
    assert "--version" in shown.stdout and "--debug" in shown.stdout
    assert "选项：" in shown.stdout and "命令：" in shown.stdout


def test_dutybot_alone_shows_the_help(cli):
    shown = cli()
    assert shown.returncode == 0 and "命令：" in shown.stdout


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_command_has_chinese_help_listing_its_options(cli, path):
    command = dict(COMMANDS)[path]
    shown = cli(*path, "--help")
    assert shown.returncode == 0 and shown.stderr == ""
    assert shown.stdout.startswith(f"用法：dutybot {' '.join(path)}")
    assert not re.search(r"\b(Usage|Options|Show this message|Commands)\b", shown.stdout)
    text = command.help or ""
    assert _CJK.search(text.split("\n")[0]), path  # the one-line summary
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                assert opt in shown.stdout, (path, opt)
            assert param.help and _CJK.search(param.help), (path, param.name)
    assert "-h, --help" in shown.stdout and "显示本帮助并退出" in shown.stdout


@pytest.mark.parametrize("path", [(), *(p for p, _ in COMMANDS)], ids=lambda p: " ".join(p) or "dutybot")
def test_help_fits_an_80_column_terminal(cli, monkeypatch, path):
    """A Chinese character takes two columns: click's own measure counts one."""
    from bot.cli import _width

    monkeypatch.setenv("COLUMNS", "80")
    shown = cli(*path, "--help")
    assert max(_width(line) for line in lines(shown.stdout)) <= 80, shown.stdout
    if not path:  # each command's summary on one line
        assert all(re.match(r"  [a-z-]+ ", line) for line in lines(shown.stdout.split("命令：")[1]))


def test_run_help_lists_its_options():
    """Today's point 1: `dutybot run --help` was empty."""
    result = dutybot(Path.cwd(), "run", "--help")
    assert result.returncode == 0
    assert "--webhook-url URL" in result.stdout and "--listen" in result.stdout
    assert "DUTYBOT_WEBHOOK_URL" in result.stdout and "DUTYBOT_LISTEN" in result.stdout


def test_version(cli):
    shown = cli("--version")
    assert shown.returncode == 0
    assert lines(shown.stdout) == [f"dutybot {version('dutybot')}"]


def test_help_and_version_import_no_telegram_matplotlib_or_openpyxl(tmp_path):
    probe = ("import sys\nfrom bot.cli import main\n"
             "assert main(['--help']) == 0 and main(['--version']) == 0\n"
             "assert main(['run', '--help']) == 0\n"
             "heavy = {'telegram', 'matplotlib', 'openpyxl'}\n"
             "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=clean_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout)[-1] == "[]"


# -- a wrong command line: one Chinese line, exit 2, nothing changed ---------------------------


@pytest.mark.parametrize(("args", "says"), [
    (("import", "台账.xlsx", "--max-size", "很大"), "'--max-size' 的值不对：'很大' 不是有效的大小"),
    (("import", "台账.xlsx", "--max-size", "0"), "应为大于 0、不超过 1024 的 MB 数"),
    (("letters", "issue", "--year", "二〇二七"), "'--year' 的值不对：'二〇二七' 不是有效的年度"),
    (("letters", "issue"), "缺少选项 '--year'"),
    (("export", "台账.xlsx", "--force=yes"), "选项 --force 不带值"),
    (("run", "--nope"), "没有选项 --nope"),
    (("backup",), "缺少参数 '文件'"),
    (("invite", "王芳", "李明"), "多出了参数"),
    (("frobnicate",), "没有命令 frobnicate"),
    (("channel", "add", "企业微信", "纪委工作群"), "缺少选项 '--webhook'"),
])
async def test_a_wrong_command_line_is_one_chinese_line_and_changes_nothing(
        tmp_path, cli, args, says):
    db = tmp_path / "bot.db"
    await seeded(db, units=3)
    before, files = digest(db), files_under(tmp_path)
    result = cli(*args)
    line = one_line(result, 2, "dutybot")
    assert says in line, line
    where = " ".join(a for a in args[:2] if not a.startswith("-") and a in {
        "import", "letters", "issue", "export", "run", "backup", "invite", "channel", "add"})
    assert line.endswith(f"用 dutybot {where + ' ' if where else ''}--help 查看用法。"), line
    assert digest(db) == before and files_under(tmp_path) == files


def test_the_installed_script_says_it_the_same_way(tmp_path):
    result = dutybot(tmp_path, "letters", "list", "--year", "abc")
    assert result.returncode == 2 and result.stdout == ""
    assert lines(result.stderr) == ["dutybot: letters list: '--year' 的值不对：'abc' 不是有效的年度："
                                    "应为四位数的年份，如 2027。用 dutybot letters list --help 查看用法。"]
    assert files_under(tmp_path) == []


# -- expected failures: one Chinese line, never a traceback -----------------------------------


def test_a_missing_file(tmp_path, cli):
    result = cli("import", "没有这个文件.xlsx")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = lines(result.stderr)
    assert "没有这个文件.xlsx" in line and _CJK.search(line)
    assert not (tmp_path / "bot.db").exists()


def test_an_unwritable_path(tmp_path, cli):
    folder = unwritable_folder(tmp_path)
    line = one_line(cli("template", str(folder / "模板.xlsx")), 1, "dutybot: template: ")
    assert "请换一个位置" in line
    assert one_line(cli("template", "没有的文件夹/模板.xlsx"), 1, "dutybot: template: 文件夹 ")


@pytest.mark.parametrize(("setting", "value", "says"), [
    ("DUTYBOT_INVITE_DAYS", "七天", "DUTYBOT_INVITE_DAYS: 应为整数，现为 '七天'"),
    ("DUTYBOT_INVITE_DAYS", "0", "DUTYBOT_INVITE_DAYS: 应不小于 1，现为 '0'"),
    ("DUTYBOT_CONFIDENTIAL", "也许", "DUTYBOT_CONFIDENTIAL: 应为 true 或 false"),
    ("DUTYBOT_ADMIN_IDS", "12,张三", "DUTYBOT_ADMIN_IDS: 应为 Telegram 用户 ID"),
    ("DUTYBOT_BOT_USERNAME", "office bot", "DUTYBOT_BOT_USERNAME: 应为机器人的用户名"),
    ("DUTYBOT_DB_PATH", "没有的文件夹/bot.db", "DUTYBOT_DB_PATH: 文件夹 "),
])
def test_a_bad_setting_is_one_line_naming_it(tmp_path, cli, setting, value, says):
    line = one_line(cli("migrate", **{setting: value}), 2, "dutybot: ")
    assert says in line, line
    assert files_under(tmp_path) == []


def test_an_unreachable_database_server(tmp_path, cli):
    from tests.test_cli import closed_port

    url = f"postgresql://duty:geheim@127.0.0.1:{closed_port()}/dutydb"
    line = one_line(cli("migrate", DUTYBOT_DATABASE_URL=url), 1, "dutybot: 连不上数据库 ")
    assert "geheim" not in line and "DUTYBOT_DATABASE_URL" in line
    assert files_under(tmp_path) == []


def test_without_a_token_run_says_where_to_get_one(tmp_path, cli):
    line = one_line(cli("run"), 2, "dutybot: 没有设置 TELEGRAM_BOT_TOKEN")
    assert "@BotFather" in line


# -- --debug, and what nobody expected ----------------------------------------------------------


def test_debug_shows_the_traceback_of_an_expected_failure(tmp_path, cli):
    quiet = cli("migrate", DUTYBOT_TIMEZONE="Mars/Olympus")
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    loud = cli("--debug", "migrate")
    assert loud.returncode == 2 and "Traceback (most recent call last)" in loud.stderr
    assert lines(loud.stderr)[-1] == lines(quiet.stderr)[0]
    after = cli("migrate", "--debug")  # where people type it, after the command, too
    assert after.returncode == 2 and "Traceback (most recent call last)" in after.stderr


def test_an_unexpected_error_is_one_line_and_exit_70(tmp_path, cli, monkeypatch):
    def broken(settings):
        raise RuntimeError("something nobody planned for")

    monkeypatch.setattr(console, "cmd_migrate", broken)
    quiet = cli("migrate")
    assert quiet.returncode == 70 and quiet.stdout == ""
    [line] = lines(quiet.stderr)
    assert line.startswith("dutybot: 内部错误（RuntimeError）") and "--debug" in line
    assert "something nobody planned for" not in line
    loud = cli("--debug", "migrate")
    assert loud.returncode == 70
    assert "Traceback (most recent call last)" in loud.stderr
    assert "RuntimeError: something nobody planned for" in loud.stderr
    assert lines(loud.stderr)[-1] == line


def test_ctrl_c_is_one_line_and_exit_130(tmp_path, cli, monkeypatch):
    def interrupted(settings):
        raise KeyboardInterrupt

    monkeypatch.setattr(console, "cmd_migrate", interrupted)
    stopped = cli("migrate")
    assert stopped.returncode == 130 and "Traceback" not in stopped.stderr
    assert lines(stopped.stderr)[-1] == "已中断。"


# -- progress bars: a terminal only --------------------------------------------------------------


def test_a_bar_only_on_a_terminal():
    assert not wants_bar(StringIO())
    with progress_bar("导入", StringIO()) as progress:
        assert progress is None  # the work skips its reports
    primary, secondary = pty.openpty()
    try:
        with os.fdopen(secondary, "w", closefd=False) as terminal:
            assert wants_bar(terminal)
    finally:
        os.close(primary)
        os.close(secondary)


async def test_the_reports_reach_their_total(tmp_path):
    from storage.backup import backup
    from storage.copy import copy_database

    await seeded(tmp_path / "a.db", units=40)
    reports: list[tuple[int, int]] = []
    await copy_database(tmp_path / "a.db", tmp_path / "b.db", lambda d, t: reports.append((d, t)))
    assert reports and reports[-1][0] == reports[-1][1] > 0
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)
    pages: list[tuple[int, int]] = []
    backup(tmp_path / "a.db", tmp_path / "c.db", lambda d, t: pages.append((d, t)))
    assert pages and pages[-1][0] == pages[-1][1] > 0


async def test_a_backup_on_a_terminal_shows_a_bar_and_in_a_pipe_nothing(tmp_path):
    db = tmp_path / "bot.db"
    await seeded(db, units=400)
    piped = dutybot(tmp_path, "backup", "piped.db", DUTYBOT_DB_PATH=str(db))
    assert piped.returncode == 0 and piped.stderr == ""
    primary, secondary = pty.openpty()
    env = clean_env(DUTYBOT_DB_PATH=str(db), COLUMNS="100", TERM="xterm")
    process = subprocess.Popen([str(DUTYBOT), "backup", "shown.db"], cwd=tmp_path, env=env,
                               stdin=secondary, stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([primary], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(primary)
    assert process.wait(timeout=30) == 0
    assert "备份（页）".encode() in seen
    assert b"shown.db" in process.stdout.read()
    process.stdout.close()
