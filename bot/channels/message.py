"""A message before any messenger has seen it: lines of styled text and mentions, an
optional image, and what the buttons would have offered as one line of words.

messages/ builds these; each channel renders them in the best form it supports (Telegram
HTML, WeCom markdown, DingTalk markdown, Feishu text) and falls back where it must: an
image becomes its text table, actions become their hint. After nonebot-plugin-alconna's
segments and Rasa's text fallback for buttons; our own, small and JSON-free (the outbox
stores what to say, not how it was said, and this is built again when it is sent).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Style(StrEnum):
    PLAIN = "plain"
    BOLD = "bold"
    CODE = "code"  # an item code: monospace where the messenger has it
    ITALIC = "italic"


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    style: Style = Style.PLAIN


@dataclass(frozen=True, slots=True)
class Mention:
    """A person to @: by whichever handle the messenger takes; by name where it has none."""

    name: str
    handles: Mapping[str, str] = field(default_factory=dict)  # Handle value -> id
    person: int | None = None  # who it is, to tell the admins when nobody can @ them


Piece = Span | Mention
Line = tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class Action:
    """A button: its label, and what a tap says (messages/callbacks.py's grammar, checked
    again on every tap). A messenger without buttons shows the message's hint instead."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that goes with a message (a draft report as .xlsx)."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Outgoing:
    """`title` is one short line (DingTalk's markdown title, a notification's preview);
    `lines` are the body, never cut inside a line unless one line alone is too long."""

    title: str
    lines: tuple[Line, ...]
    hint: str | None = None  # what the buttons would have offered, in words
    actions: tuple[tuple[Action, ...], ...] = ()  # rows of buttons, where there are buttons
    image: bytes | None = None  # a PNG, sent before the text where the messenger takes one
    image_lines: tuple[Line, ...] = ()  # the image as text, where it does not
    image_caption: str | None = None
    attachment: Attachment | None = None  # sent before the text where the messenger takes files

    def mentions(self) -> list[Mention]:
        return list(mentions_in(self.lines))


def text(value: object, style: Style = Style.PLAIN) -> Span:
    return Span(str(value), style)


def bold(value: object) -> Span:
    return Span(str(value), Style.BOLD)


def code(value: object) -> Span:
    return Span(str(value), Style.CODE)


def line(*pieces: Piece | str) -> Line:
    return tuple(Span(p) if isinstance(p, str) else p for p in pieces)


BLANK: Line = ()


def plain(one: Line) -> str:
    """A line as plain words: mentions by name."""
    return "".join(p.text if isinstance(p, Span) else f"@{p.name}" for p in one)


def mentions_in(lines: Iterable[Line]) -> Iterable[Mention]:
    seen: set[str] = set()
    for one in lines:
        for piece in one:
            if isinstance(piece, Mention) and piece.name not in seen:
                seen.add(piece.name)
                yield piece
