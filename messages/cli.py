"""The command line's failure lines: one line each, plain text, for the operator.

(The rest of the command line still speaks English; a later issue gives it Chinese help.)
"""

from __future__ import annotations

import errno as errnos
import os
from pathlib import Path

from storage.backup import BackupError, BackupProblem

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


def run_locked(db_path: Path, pid: int | None) -> str:
    """A second `dutybot run` on the same database."""
    who = f"进程 {pid}" if pid is not None else "另一个进程"
    return (f"数据库 {db_path} 已有一个机器人在运行（{who}），本次不启动：同一个数据库只能由"
            "一个 dutybot run 使用，否则提醒会发两遍。如要重启，请先停止正在运行的那个。")


def database_unreachable(where: str, reason: str) -> str:
    """Start-up could not reach the database server (PostgreSQL); `where` has no password."""
    return (f"连不上数据库 {where}：{reason.strip() or '原因未知'}。请检查 DUTYBOT_DATABASE_URL"
            f"（地址、端口、用户名、密码、库名）和数据库服务器是否已启动。")


def export_not_on_postgres() -> str:
    return ("导出台账暂不支持 PostgreSQL 数据库（后续版本提供）；"
            "请暂时在 SQLite 上导出，或用 pg_dump 备份数据。")


def backup_not_on_postgres() -> str:
    return ("PostgreSQL 数据库暂不能用 dutybot backup 备份（后续版本提供）；请用 "
            "pg_dump --format=custom 备份，pg_restore 恢复。")
