"""Every robot kind by any of its names: a fourth messenger is one module and one line here."""

from __future__ import annotations

from bot.channels.robots.dingtalk import DINGTALK
from bot.channels.robots.feishu import FEISHU
from bot.channels.robots.model import RobotKind
from bot.channels.robots.wecom import WECOM

ROBOT_KINDS: tuple[RobotKind, ...] = (WECOM, DINGTALK, FEISHU)


def robot_kind(name: str) -> RobotKind:
    """`wecom`, `企业微信`, `DingTalk`, `飞书`…; KeyError for a name no kind has."""
    wanted = name.strip().lower()
    for kind in ROBOT_KINDS:
        if wanted in kind.names:
            return kind
    raise KeyError(name)
