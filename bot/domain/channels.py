"""The office's group robots (企业微信, 钉钉, 飞书) as registered channels: plain data.

A channel is one robot in one group, the supervising body's (纪委) or a unit's. Its
webhook carries the robot's key and its secret signs: both are kept out of every repr.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.bodies import BODIES

SUPERVISION = "supervision"  # the group of the supervising body (纪委, 纪工委…)

#: What an admin may write after `--for` for the supervising body's own group.
SUPERVISION_WORDS = ("supervision", "纪委", "纪工委", "纪检组", "纪委监委", "纪检监察组",
                     "纪委群", *(w for b in BODIES.values() for w in (b.body, b.group)
                                if w not in ("纪委", "纪工委", "纪检组", "纪委群")))

CHANNEL_NAME_MAX = 40
KEYWORD_MAX = 20
SECRET_MAX = 256


class Handle(StrEnum):
    """What a messenger @-mentions a person by."""

    MOBILE = "mobile"  # 手机号
    WECOM_USERID = "wecom_userid"  # 企业微信账号
    FEISHU_OPEN_ID = "feishu_open_id"  # 飞书 open_id (ou_…)


#: A plain id a robot's markup may carry (<@id>): a WeCom userid is one.
PLAIN_ID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
#: A Feishu open_id (ou_…; on_… a union_id), or a user_id of letters and digits.
FEISHU_ID = re.compile(r"(ou|on)_[A-Za-z0-9]{1,64}|[A-Za-z0-9]{1,64}")

#: What each handle a person may be given by hand must look like (手机号 has its own rule).
HANDLE_PATTERNS: dict[Handle, re.Pattern[str]] = {
    Handle.WECOM_USERID: PLAIN_ID,
    Handle.FEISHU_OPEN_ID: FEISHU_ID,
}


def is_handle(handle: Handle, text: str) -> bool:
    """Whether `text` is, as it is, a valid `handle` (WeCom userid or Feishu id)."""
    return HANDLE_PATTERNS[handle].fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class RobotChannel:
    id: int
    name: str  # the group's display name, e.g. 纪委工作群
    kind: str  # wecom, dingtalk, feishu
    webhook: str = field(repr=False)
    secret: str | None = field(repr=False)
    keyword: str | None
    unit_id: int | None  # None: the supervising body's group
    primary: bool  # a unit's group where its people get their reminders
    created_at: datetime
    broken_since: datetime | None = None
    broken_reason: str | None = None  # a BrokenReason value of bot/channels/robots
    confidential: bool | None = None  # 保密 mode; None: as DUTYBOT_CONFIDENTIAL says
    resume_at: datetime | None = None  # the messenger said "too fast": not before then

    @property
    def whose(self) -> str:
        return SUPERVISION if self.unit_id is None else "unit"

    @property
    def healthy(self) -> bool:
        return self.broken_since is None

    def is_confidential(self, default: bool) -> bool:
        """保密 mode: the channel's own setting, else the office's (DUTYBOT_CONFIDENTIAL)."""
        return default if self.confidential is None else self.confidential


@dataclass(frozen=True, slots=True)
class KindFacts:
    """What the channel service needs to know of a messenger's robot."""

    name: str  # wecom, dingtalk, feishu
    signed: bool  # it has 加签 / 签名校验
    keyword: bool  # it has 自定义关键词

    @property
    def has_security_options(self) -> bool:
        return self.signed or self.keyword


@dataclass(frozen=True, slots=True)
class Routes:
    """Where robots carry pushes today: each unit's primary group, the supervising body's
    groups. A broken robot carries nothing until it is fixed: its people fall back to their
    private Telegram chat, or wait, like anyone not reachable yet."""

    primary: dict[int, int]  # unit id -> channel id
    supervision: tuple[int, ...]

    @classmethod
    def of(cls, channels: list[RobotChannel]) -> Routes:
        healthy = [c for c in channels if c.healthy]
        return cls(primary={c.unit_id: c.id for c in healthy
                            if c.primary and c.unit_id is not None},
                   supervision=tuple(c.id for c in healthy if c.unit_id is None))

    def robot_of(self, unit_id: int) -> int | None:
        return self.primary.get(unit_id)
