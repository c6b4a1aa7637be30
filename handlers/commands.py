"""Matching commands: the ASCII alias as a real command, the Chinese name as text.

Telegram refuses non-ASCII command names, so "/我的清单" arrives as plain text with
no bot_command entity; we match it with a filter that also honours "@botname".
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from messages.commands import ALL, Command

Callback = Callable[[Update, Any], Awaitable[None]]


class ChineseCommand(filters.MessageFilter):
    """Text that starts with /中文命令, optionally @this_bot, then space or end."""

    def __init__(self, names: list[str]) -> None:
        alternatives = "|".join(re.escape(n) for n in names)
        self.pattern = re.compile(rf"^/({alternatives})(?:@(\w+))?(?:\s|$)")
        super().__init__(name=f"ChineseCommand({names})")

    def filter(self, message: Message) -> bool:
        match = self.pattern.match(message.text or "")
        if not match:
            return False
        return for_this_bot(match.group(0).split(maxsplit=1)[0], message.get_bot().username)


ANY_CHINESE_COMMAND = ChineseCommand([c.chinese for c in ALL if c.chinese])
# Any text that looks like a command, ours or not (for the unknown-command reply).
LOOKS_LIKE_COMMAND = filters.Regex(r"^/\S")


def add_command(app: Application, command: Command, callback: Callback, group: int = 0) -> None:
    app.add_handler(CommandHandler(command.ascii, callback), group)
    if command.chinese:
        app.add_handler(MessageHandler(filters.TEXT & ChineseCommand([command.chinese]),
                                       callback), group)


def command_args(message: Message) -> list[str]:
    """The words after the command, the same for /register and /登记."""
    return (message.text or "").split()[1:]


def for_this_bot(word: str, username: str | None) -> bool:
    """A command word (/help, /help@bot) not meant for another bot in the group."""
    _, _, addressed = word.partition("@")
    return not addressed or addressed.lower() == (username or "").lower()


def command_word(message: Message) -> str:
    return next(iter((message.text or "").split(maxsplit=1)), "")
