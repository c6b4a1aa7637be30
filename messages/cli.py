"""The command line's failure and result lines: one line each, plain text, for the operator.
(Its help, and click's own words, are in messages/cli_help.py.)
"""

from __future__ import annotations

import errno as errnos
import os
from pathlib import Path

from storage.backup import BackupError, BackupProblem, RestoreError, RestoreProblem
from storage.copy import CopyProblem, CopyRefused, Counted

_REASONS = {
    errnos.EACCES: "没有写入权限",
    errnos.EPERM: "没有写入权限",
    errnos.EROFS: "是只读的文件系统",
    errnos.ENOSPC: "磁盘空间不足",
    errnos.EDQUOT: "超出了磁盘配额",
    errnos.ENOENT: "路径不存在",
    errnos.ENOTDIR: "路径中有一段不是文件夹",
    errnos.EISDIR: "这是一个文件夹",
    errnos.ENAMETOOLONG: "文件名太长",
}


def os_reason(errno: int | None) -> str:
    """The system's reason in words ("没有写入权限"), or its own text for the rarer ones."""
    if errno is None:
        return "原因未知"
    return _REASONS.get(errno) or os.strerror(errno)


def backup_refused(error: BackupError) -> str:
    path = error.path
    match error.problem:
        case BackupProblem.NO_SOURCE:
            return f"数据库 {path} 不存在（请检查 DUTYBOT_DB_PATH），没有备份。"
        case BackupProblem.TARGET_EXISTS:
            return f"{path} 已存在，不会覆盖：请换一个新文件名。"
        case BackupProblem.NO_FOLDER:
            return output_folder_missing(path)
        case BackupProblem.NOT_A_FOLDER:
            return f"{path} 不是文件夹：请换一个位置。没有写入任何文件。"
        case BackupProblem.NOT_WRITABLE:
            return (f"无法在 {path} 写入备份（{os_reason(error.errno)}）：请换一个位置。"
                    "没有留下任何文件。")
        case BackupProblem.DAMAGED:
            return f"备份副本未通过完整性检查（{error.detail}），已删除。请检查数据库 {path}。"
        case BackupProblem.NO_PG_DUMP:
            return ("没有找到 pg_dump，PostgreSQL 数据库无法备份：请安装 PostgreSQL 客户端"
                    "（Debian/Ubuntu：apt-get install postgresql-client），"
                    "版本不低于数据库服务器。没有写入任何文件。")
        case BackupProblem.FAILED:
            detail = "磁盘空间不足" if "disk is full" in error.detail else error.detail
            return f"备份 {path} 失败（{detail}），没有留下任何文件。"
    raise ValueError(f"no text for {error.problem}")


def output_folder_missing(folder: Path) -> str:
    return f"文件夹 {folder} 不存在：请先建好，或换一个位置。没有写入任何文件。"


def output_is_a_folder(path: Path) -> str:
    return f"{path} 是一个文件夹：请给出要写入的文件名。没有写入任何文件。"


def output_not_writable(path: Path, errno: int | None) -> str:
    return f"无法写入 {path}（{os_reason(errno)}）：请换一个位置。没有留下任何文件。"


def _holder(pid: int | None) -> str:
    """Who holds the run lock, as the refusals name it."""
    return f"进程 {pid}" if pid is not None else "另一个进程"


def _held(db_path: Path, pid: int | None, then: str) -> str:
    """A database a running bot holds: stop it first, then `then`."""
    return f"数据库 {db_path} 正由运行中的机器人使用（{_holder(pid)}）：请先停止 dutybot run，{then}"


def run_locked(db_path: Path, pid: int | None) -> str:
    """A second `dutybot run` on the same database."""
    who = _holder(pid)
    return (f"数据库 {db_path} 已有一个机器人在运行（{who}），本次不启动：同一个数据库只能由"
            "一个 dutybot run 使用，否则提醒会发两遍。如要重启，请先停止正在运行的那个。")


# --- dutybot restore FILE ---------------------------------------------------------------

def restore_refused(error: RestoreError) -> str:
    """Why a backup is not restored, and what to do instead; nothing was changed."""
    path = error.path
    match error.problem:
        case RestoreProblem.NO_FILE:
            return f"找不到备份文件 {path}：请检查路径（自动备份在 DUTYBOT_BACKUP_DIR 里）。数据库未改动。"
        case RestoreProblem.SAME_FILE:
            return f"{path} 就是当前数据库本身：请给出一个备份文件。数据库未改动。"
        case RestoreProblem.UNREADABLE:
            return f"无法读取 {path}（{error.detail}）：请检查文件权限。数据库未改动。"
        case RestoreProblem.NOT_A_DATABASE:
            return f"{path} 不是 SQLite 数据库文件：请选择 dutybot 备份（.db）文件。数据库未改动。"
        case RestoreProblem.FOREIGN:
            return (f"{path} 是 SQLite 数据库，但不是 dutybot 的数据库（没有它的表和结构版本）："
                    "请选择 dutybot backup 或自动备份生成的文件。数据库未改动。")
        case RestoreProblem.DAMAGED:
            return (f"备份 {path} 未通过完整性检查（{error.detail}）：请换一个较早的备份。"
                    "数据库未改动。")
        case RestoreProblem.NOT_A_DUMP:
            return (f"{path} 不是 dutybot 的 PostgreSQL 备份（pg_dump 自定义格式，{error.detail}）："
                    "请选择 dutybot backup 或自动备份生成的文件。数据库未改动。")
        case RestoreProblem.NO_PG_RESTORE:
            return ("找不到 pg_restore：请安装 PostgreSQL 客户端（Debian：apt-get install "
                    "postgresql-client），再恢复。数据库未改动。")
        case RestoreProblem.NEWER:
            return (f"备份 {path} 来自更新版本的 dutybot（结构版本 {error.version}，本程序最高 "
                    f"{error.latest}）：请先升级 dutybot 再恢复。数据库未改动。")
    raise ValueError(f"no text for {error.problem}")


def restore_locked(db_path: Path, pid: int | None) -> str:
    return _held(db_path, pid, "再恢复。数据库未改动。")


def restore_needs_yes(db_path: Path) -> str:
    return (f"恢复会替换数据库 {db_path}（原文件会另存）：不在终端中运行时，请加 --yes 确认。"
            "数据库未改动。")


def restore_question(path: Path, db_path: Path, version: int) -> str:
    return (f"将用备份 {path}（结构版本 {version}）替换数据库 {db_path}，"
            "原数据库另存为 *.before-restore-时间。输入 yes 确认：")


def restore_declined() -> str:
    return "未确认，已取消。数据库未改动。"


def restore_not_copied(path: Path, reason: str) -> str:
    return f"无法把 {path} 复制到数据库位置（{reason}）：请检查磁盘空间和权限。数据库未改动。"


def restored(path: Path, db_path: Path, version: int, latest: int, aside: Path | None) -> str:
    schema = (f"结构版本 {version} 已升级到 {latest}" if version < latest
              else f"结构版本 {latest}")
    kept = f"；原数据库另存为 {aside}" if aside is not None else ""
    return f"已从 {path} 恢复数据库 {db_path}（{schema}，完整性检查通过）{kept}。"
def webhook_listen_failed(address: str, reason: str) -> str:
    """Webhook mode: the --listen address cannot be bound."""
    return (f"无法在 {address} 上监听（{reason}）：请检查 --listen / DUTYBOT_LISTEN，"
            "端口是否已被占用，或另有一个 dutybot 在运行。")


def webhook_refused(description: str) -> str:
    """Webhook mode: Telegram refused setWebhook (its own words kept, for the operator)."""
    return (f"Telegram 拒绝设置 Webhook（{description}）：请检查 --webhook-url / "
            "DUTYBOT_WEBHOOK_URL 是否为公网可访问的 https 地址，端口为 443、80、88 或 8443。")
def database_unreachable(where: str, reason: str) -> str:
    """Start-up could not reach the database server (PostgreSQL); `where` has no password."""
    return (f"连不上数据库 {where}：{reason.strip() or '原因未知'}。请检查 DUTYBOT_DATABASE_URL"
            f"（地址、端口、用户名、密码、库名）和数据库服务器是否已启动。")


def restore_pg_needs_yes(database: str) -> str:
    return (f"恢复会用备份替换数据库 {database} 里的全部数据：不在终端中运行时，请加 --yes 确认。"
            "数据库未改动。")


def restore_pg_question(path: Path, database: str, version: int) -> str:
    return (f"将用备份 {path}（结构版本 {version}）替换数据库 {database} 里的全部数据"
            "（不另存；需要时先用 dutybot backup 备份当前数据）。输入 yes 确认：")


def restored_pg(path: Path, database: str, version: int, latest: int) -> str:
    schema = (f"结构版本 {version} 已升级到 {latest}" if version < latest
              else f"结构版本 {latest}")
    return f"已从 {path} 恢复数据库 {database}（pg_restore，在一个事务里完成；{schema}）。"


# --- dutybot copy-db SOURCE TARGET (issue 23 §2) ------------------------------------------

def copy_db_bad_address(text: str) -> str:
    return (f"无法识别数据库地址 {text}：请写 SQLite 文件路径（或 sqlite:///路径），"
            "或 postgresql://用户:密码@主机:端口/库名。没有复制任何数据。")


def copy_db_no_source(path: Path) -> str:
    return f"源数据库 {path} 不存在：请检查路径。没有复制任何数据。"


def copy_db_same(text: str) -> str:
    return f"源和目标是同一个数据库 {text}：请给出另一个目标。没有复制任何数据。"


def copy_db_locked(db_path: Path, pid: int | None) -> str:
    return _held(db_path, pid, "再复制。没有复制任何数据。")


def copy_db_refused(error: CopyRefused, target: str) -> str:
    match error.problem:
        case CopyProblem.NEWER:
            return (f"源数据库来自更新版本的 dutybot（结构版本 {error.version}，本程序最高 "
                    f"{error.latest}）：请先升级 dutybot 再复制。没有复制任何数据。")
        case CopyProblem.NOT_EMPTY:
            return (f"目标数据库 {target} 不是空的（{'、'.join(error.tables[:5])} 已有数据）："
                    "复制只写入空数据库，请换一个新建的空库。目标未改动。")
        case CopyProblem.COLUMNS:
            return (f"目标数据库 {target} 缺少 {'、'.join(error.tables[:5])}：两边的结构不一致，"
                    "请检查两边的 dutybot 版本。目标未改动。")
        case CopyProblem.MISMATCH:
            return (f"复制后条数不一致（{'、'.join(error.tables[:5])}），已整体撤销："
                    f"目标数据库 {target} 未改动。请检查两边的数据库后重试。")
    raise ValueError(f"no text for {error.problem}")


def copy_db_failed(reason: str, target: str) -> str:
    """The database itself refused (a file that is no SQLite database, a value the target
    will not take): the target's transaction was undone."""
    return (f"复制失败（{reason}）：请检查两边是否都是 dutybot 的数据库。"
            f"目标数据库 {target} 中本次复制的内容已全部撤销。")


def copy_db_counts(counted: list[Counted] | tuple[Counted, ...]) -> list[str]:
    """The verification, one line a table: 表, 源条数, 目标条数."""
    width = max((len(c.table) for c in counted), default=4)
    lines = [f"{'表'.ljust(width - 1)}  {'源':>7}  {'目标':>6}"]
    for c in counted:
        mark = "" if c.source == c.target else "  ✗ 不一致"
        lines.append(f"{c.table.ljust(width)}  {c.source:>8}  {c.target:>8}{mark}")
    return lines


def copy_db_done(source: str, target: str, tables: int, rows: int) -> str:
    return (f"已把 {source} 复制到 {target}：{tables} 张表、共 {rows} 条，"
            "逐表核对条数一致。")


# --- the Bot API, and the files the console writes (issue 24: every failure in Chinese) --------

def api_refused(where: str) -> str:
    """getMe answered 401: the token is wrong (never repeated here)."""
    return (f"Bot API（{where}）拒绝了 TELEGRAM_BOT_TOKEN：请检查令牌是否复制完整、是否已在 "
            "@BotFather 重新生成过，以及 TELEGRAM_API_BASE_URL 是否正确。")


def api_unreachable(where: str, reason: str) -> str:
    return (f"连不上 Bot API（{where}）：{reason.strip() or '原因未知'}。请检查网络、代理和 "
            "TELEGRAM_API_BASE_URL。")


def not_xlsx(path: str) -> str:
    return f"{path}：文件名必须以 .xlsx 结尾。没有写入任何文件。"


def already_exists(path: str, force: bool = False) -> str:
    more = "要替换它请加 --force。" if force else "请换一个新文件名。"
    return f"{path} 已存在，不会覆盖：{more}"


def no_database(path: Path) -> str:
    return f"数据库 {path} 不存在：请检查 DUTYBOT_DB_PATH，或先运行 dutybot migrate / dutybot import。"


# --- success lines of migrate and backup -----------------------------------------------------

def migrated(database: str, applied: list[int]) -> str:
    numbers = ", ".join(str(n) for n in applied)
    return f"{database}：已执行数据库迁移 [{numbers}]，结构已是最新。"


def up_to_date(database: str) -> str:
    return f"{database}：数据库结构已是最新，没有改动。"


def backed_up(database: str, path: Path, size: int, version: int, postgres: bool) -> str:
    checked = "pg_restore --list 检查通过" if postgres else "完整性检查通过"
    return f"已备份 {database} → {path}：{size} 字节，结构版本 {version}，{checked}。"
