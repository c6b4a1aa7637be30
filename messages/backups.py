"""The daily backup's words: the admins' notice when one failed (bot/services/backups.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from messages.cli import os_reason
from messages.format import esc
from storage.backup import BackupProblem


def _reason(payload: dict[str, Any]) -> str:
    match BackupProblem(payload["problem"]):
        case BackupProblem.NO_SOURCE:
            return "找不到数据库文件"
        case BackupProblem.NOT_A_FOLDER:
            return f"{payload['path']} 不是文件夹"
        case BackupProblem.NO_FOLDER | BackupProblem.NOT_WRITABLE:
            return f"无法写入 {payload['path']}（{os_reason(payload.get('errno'))}）"
        case BackupProblem.DAMAGED:
            return f"副本未通过完整性检查（{payload.get('detail', '')}），数据库可能已损坏"
        case BackupProblem.TARGET_EXISTS:
            return f"{payload['path']} 已被占用"
        case BackupProblem.FAILED:
            detail = payload.get("detail", "")
            return "磁盘空间不足" if "disk is full" in detail else f"复制出错（{detail}）"
    return payload["problem"]


def backup_failed_notice(payload: dict[str, Any], _today: date) -> str:
    last = payload.get("last")
    when = (f"上一次成功的备份是 {datetime.fromisoformat(last):%Y-%m-%d %H:%M}。" if last
            else "目前还没有任何成功的备份。")
    return (f"⚠️ <b>今天的自动备份失败了</b>：{esc(_reason(payload))}。\n"
            f"备份文件夹：<code>{esc(payload['folder'])}</code>（DUTYBOT_BACKUP_DIR）。{when}\n"
            f"请检查该文件夹是否存在、可写、磁盘是否有空间；机器人明天 {esc(payload['at'])} "
            "会再试一次，重启后也会立即补做。恢复正常之前不再重复提示。")
