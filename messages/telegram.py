"""Telegram's rendering of neutral messages (bot/channels/message.py): HTML in parts of at
most 4096 characters (messages/markup.py), buttons as an inline keyboard, the image as a
photo with its caption."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.message import Action, Outgoing
from messages.format import split_message
from messages.markup import to_html


@dataclass(frozen=True, slots=True)
class Rendered:
    parts: list[str]
    keyboard: InlineKeyboardMarkup | None = None
    photo: bytes | None = None  # sent before the text parts
    caption: str | None = None
    document: tuple[str, bytes] | None = None  # (file name, data): after the photo

    @property
    def count(self) -> int:
        """How many messages this is: the photo and the document, if any, and each text
        part."""
        return len(self.parts) + (self.photo is not None) + (self.document is not None)


def rendered(message: Outgoing) -> Rendered:
    """Text, buttons with the last part, the photo first; nothing at all is no message."""
    body = to_html(message)
    attached = message.attachment
    return Rendered(split_message(body) if body else [], keyboard(message.actions),
                    photo=message.image, caption=message.image_caption,
                    document=(attached.name, attached.data) if attached else None)


def keyboard(actions: tuple[tuple[Action, ...], ...]) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(a.label, callback_data=a.data) for a in row]
            for row in actions if row]
    return InlineKeyboardMarkup(rows) if rows else None


def actions_of(markup: InlineKeyboardMarkup | None) -> tuple[tuple[Action, ...], ...]:
    """A keyboard messages/ built, as neutral actions."""
    if markup is None:
        return ()
    return tuple(tuple(Action(b.text, str(b.callback_data)) for b in row)
                 for row in markup.inline_keyboard)
