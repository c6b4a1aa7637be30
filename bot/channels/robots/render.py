"""A neutral message (bot/channels/message.py) as one robot's requests, in order.

The image goes first where the robot can upload one (its text table otherwise); the
actions become their hint; the text is split at line boundaries so that each part fits the
messenger's own limit, and a line too long on its own is cut between characters, never
inside one. Each part @-s only the people named in it.
"""

from __future__ import annotations

from bot.channels.message import BLANK, Line, Outgoing, line, mentions_in, plain
from bot.channels.robots.model import Form, Payload, PayloadTooLarge, RobotKind, utf8_size

# what a part's payload may add around its text: the keyword, the title, the mention list
_ROOM = 512


def render(kind: RobotKind, message: Outgoing, keyword: str | None) -> list[Payload]:
    writer = kind.writer
    if writer is None:
        raise ValueError(f"{kind.name} robots have no writer")
    payloads: list[Payload] = []
    body = list(message.lines)
    if message.image is not None:
        try:
            picture = writer.image(message.image)
        except PayloadTooLarge:
            picture = None
        if picture is not None:
            payloads.append(picture)
            if message.image_caption:
                body = [line(message.image_caption), *body]
        else:
            body += [BLANK, *message.image_lines] if body else list(message.image_lines)
    if message.hint:
        body += [BLANK, line(message.hint)]
    if not body:
        return payloads
    form = writer.form(list(mentions_in(body)))
    for part in _parts(kind, form, body):
        text = "\n".join(writer.line(form, one) for one in part).strip("\n")
        payloads.append(_fitted(kind, form, message.title, text, part, keyword))
    return payloads


def _parts(kind: RobotKind, form: Form, body: list[Line]) -> list[list[Line]]:
    """Greedy by rendered size, with room left for what the payload adds."""
    writer = kind.writer
    assert writer is not None
    budget = max(form.limit - _ROOM, 256)
    parts: list[list[Line]] = [[]]
    size = 0
    for one in body:
        cost = utf8_size(writer.line(form, one)) + 1
        if cost > budget:  # a line too long on its own: its own parts, cut
            parts += [[piece] for piece in _cut_line(one, budget)]
            parts.append([])
            size = 0
            continue
        if size + cost > budget and parts[-1]:
            parts.append([])
            size = 0
        if not parts[-1] and not one:  # a part never begins with an empty line
            continue
        parts[-1].append(one)
        size += cost
    return [p for p in parts if p]


def _cut_line(one: Line, budget: int) -> list[Line]:
    """A single overlong line, as plain words cut between characters."""
    words = plain(one)
    pieces, current, size = [], [], 0
    for char in words:
        width = utf8_size(char)
        if size + width > budget:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        pieces.append("".join(current))
    return [line(p) for p in pieces]


def _fitted(kind: RobotKind, form: Form, title: str, text: str, part: list[Line],
            keyword: str | None) -> Payload:
    writer = kind.writer
    assert writer is not None
    mentions = list(mentions_in(part))
    try:
        return writer.payload(form, title, text, mentions, keyword)
    except PayloadTooLarge:  # the room we kept was not enough (a long keyword or title)
        cut = text.encode("utf-8")[: max(form.limit - 2 * _ROOM, 128)]
        return writer.payload(form, title, cut.decode("utf-8", errors="ignore"), mentions,
                              keyword)
