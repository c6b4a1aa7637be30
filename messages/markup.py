"""Our texts' markup and the neutral model (bot/channels/message.py), both ways.

The texts of messages/ are written in a small markup (`<b>`, `<i>`, `<code>`, opened and
closed on one line, every user word escaped with `esc`): Telegram's HTML parse mode reads it
as it is. `from_html` reads it into neutral lines and `to_html` writes those back unchanged,
so Telegram users see what they always saw while every other messenger renders the same
message its own way.
"""

from __future__ import annotations

import html
import re

from bot.channels.message import Line, Mention, Outgoing, Span, Style
from messages.format import esc


def to_html(message: Outgoing) -> str:
    lines = ["".join(_piece(p) for p in one) for one in message.lines]
    if message.hint and not message.actions:
        lines += ["", esc(message.hint)]
    return "\n".join(lines)


def _piece(piece: Span | Mention) -> str:
    if isinstance(piece, Mention):
        return esc(piece.name)
    if piece.style is Style.BOLD:
        return f"<b>{esc(piece.text)}</b>"
    if piece.style is Style.CODE:
        return f"<code>{esc(piece.text)}</code>"
    if piece.style is Style.ITALIC:
        return f"<i>{esc(piece.text)}</i>"
    return esc(piece.text)


_TAG = re.compile(r"<(/?)(b|code|i)>")
_STYLES = {"b": Style.BOLD, "code": Style.CODE, "i": Style.ITALIC}


def from_html(markup: str) -> tuple[Line, ...]:
    """Our markup as neutral lines: the same words, the same emphasis."""
    lines = []
    for one in markup.split("\n"):
        pieces: list[Span] = []
        style = Style.PLAIN
        at = 0
        for match in _TAG.finditer(one):
            if match.start() > at:
                pieces.append(Span(html.unescape(one[at:match.start()]), style))
            style = Style.PLAIN if match.group(1) else _STYLES[match.group(2)]
            at = match.end()
        if at < len(one):
            pieces.append(Span(html.unescape(one[at:]), style))
        lines.append(tuple(pieces))
    return tuple(lines)
