"""Where a message goes: a channel and an address on it (after nonebot-plugin-alconna's
Target). Services say whom to tell; the target says through what; the channel says how.

`telegram` addresses are chat ids (a person's private chat or a group); `robot` addresses
are the id of a registered office group robot (企业微信, 钉钉, 飞书: bot/domain/channels.py).
A two-way messenger later is a new channel name, not a new column.
"""

from __future__ import annotations

from dataclasses import dataclass

TELEGRAM = "telegram"
ROBOT = "robot"


@dataclass(frozen=True, slots=True)
class Target:
    channel: str
    address: str

    @classmethod
    def telegram(cls, chat_id: int) -> Target:
        return cls(TELEGRAM, str(chat_id))

    @classmethod
    def robot(cls, channel_id: int) -> Target:
        return cls(ROBOT, str(channel_id))

    @property
    def chat_id(self) -> int:
        """The Telegram chat id; only a Telegram target has one."""
        if self.channel != TELEGRAM:
            raise ValueError(f"{self} is not a Telegram chat")
        return int(self.address)

    @property
    def channel_id(self) -> int:
        if self.channel != ROBOT:
            raise ValueError(f"{self} is not an office group robot")
        return int(self.address)

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"
