"""What the bot answers to an update, collected while the update is handled.

The answers are queued in the outbox in the same transaction as the change the update
made (bot/inbound/handling.py), then sent right after the commit: a process killed after
the change still answers once it is back (at most once more, if killed mid-send). Each
answer is a Bot API call as plain JSON; bot/scheduling/sender.py makes it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram import InlineKeyboardMarkup

SEND = "sendMessage"
EDIT_TEXT = "editMessageText"
EDIT_MARKUP = "editMessageReplyMarkup"
ANSWER_QUERY = "answerCallbackQuery"
PHOTO = "sendPhoto"  # the photo goes as base64 (a chart: tens of kilobytes)


class Answers:
    """The calls one update's handling asks for, in order."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.failed = False  # an unexpected error: the change is undone, the answers too

    def add(self, method: str, chat_id: int, **params: Any) -> None:
        """One call; `chat_id` is where it goes (for a toast: the chat of the press)."""
        markup = params.pop("reply_markup", None)
        call: dict[str, Any] = {"method": method, "chat_id": chat_id}
        call.update((k, v) for k, v in params.items() if v is not None)
        if isinstance(markup, InlineKeyboardMarkup):
            call["reply_markup"] = markup.to_dict()
        self.calls.append(call)

    def discard(self) -> None:
        """An unexpected error: nothing said so far stands (the error handler says why)."""
        self.calls.clear()
        self.failed = True


_current: ContextVar[Answers | None] = ContextVar("dutybot_answers", default=None)


def current() -> Answers | None:
    return _current.get()


@contextmanager
def collecting(answers: Answers) -> Iterator[Answers]:
    token = _current.set(answers)
    try:
        yield answers
    finally:
        _current.reset(token)
