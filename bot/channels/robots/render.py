"""A neutral message (bot/channels/message.py) as one robot's requests, in order.

The image goes first where the robot can upload one (its text table otherwise); the
actions become their hint; the text is split at line boundaries so that each part fits the
messenger's own limit, and a line too long on its own is cut between characters, never
inside one. Each part @-s only the people named in it.
"""

from __future__ import annotations

import json
from dataclasses import replace

from bot.channels.message import (
    BLANK,
    Line,
    Mention,
    Outgoing,
    Piece,
    Span,
    line,
    mentions_in,
    plain,
)
from bot.channels.robots.model import Form, Payload, PayloadTooLarge, RobotKind, utf8_size

# what a part's payload may add around its text: the keyword, the title, the mention list
_ROOM = 512


def render(kind: RobotKind, message: Outgoing, keyword: str | None) -> list[Payload]:
    writer = kind.writer
    if writer is None:
        raise ValueError(f"{kind.name} robots have no writer")
    payloads: list[Payload] = []
    body = list(message.lines)
    picture = None
    if message.image is not None:
        try:
            picture = writer.image(message.image)
        except PayloadTooLarge:
            picture = None
    if picture is not None:
        payloads.append(picture)
        if message.image_caption:
            body = [line(message.image_caption), *body]
    elif message.image_lines:  # no picture (none drawn, too large, no upload): the table
        body += [BLANK, *message.image_lines] if body else list(message.image_lines)
    if message.hint:
        body += [BLANK, line(message.hint)]
    if not body:
        return payloads
    body = _unambiguous(body)
    form = writer.form(list(mentions_in(body)))
    for part in _parts(kind, form, body):
        text = "\n".join(writer.line(form, one) for one in part).strip("\n")
        if not text.strip():  # blank lines alone: nothing to say, and refused as empty
            continue
        payloads.append(_fitted(kind, form, message.title, text, part, keyword))
    return payloads


def _size(kind: RobotKind, text: str) -> int:
    """Bytes as the messenger counts them: of the text, or of the JSON body where the
    limit is on the body (Feishu: a control character escaped is six bytes, a quote two)."""
    if kind.limits.body_bytes is None:
        return utf8_size(text)
    return utf8_size(json.dumps(text, ensure_ascii=False)) - 2


def _parts(kind: RobotKind, form: Form, body: list[Line]) -> list[list[Line]]:
    """Greedy by rendered size, with room left for what the payload adds."""
    writer = kind.writer
    assert writer is not None
    budget = max(form.limit - _ROOM, 256)
    parts: list[list[Line]] = [[]]
    size = 0
    for one in body:
        cost = _size(kind, writer.line(form, one) + "\n")
        if cost > budget:  # a line too long on its own: its own parts, cut
            parts += [[piece] for piece in _cut_line(kind, form, one, budget)]
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


def _cut_line(kind: RobotKind, form: Form, one: Line, budget: int) -> list[Line]:
    """A single overlong line, as plain words cut between characters, each piece measured
    as the writer renders it (an escaped < is three bytes, not one)."""
    writer = kind.writer
    assert writer is not None
    words = plain(one)
    empty = _size(kind, writer.line(form, (Span(""),)) + "\n")
    pieces, current, size = [], [], empty
    for char in words:
        width = _size(kind, writer.line(form, (Span(char),)) + "\n") - empty
        if size + width > budget:
            pieces.append("".join(current))
            current, size = [], empty
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


def _unambiguous(body: list[Line]) -> list[Line]:
    """A handle two different people share (a typo in the 人员 sheet) would @ one of them
    for both: it is not used, and both are named instead."""
    owners: dict[tuple[str, str], set[str]] = {}
    for one in body:
        for piece in one:
            if isinstance(piece, Mention):
                for handle, value in piece.handles.items():
                    owners.setdefault((handle, value.replace(" ", "")), set()).add(piece.name)
    shared = {key for key, names in owners.items() if len(names) > 1}
    if not shared:
        return body

    def cleaned(piece: Piece) -> Piece:
        if not isinstance(piece, Mention):
            return piece
        kept = {h: v for h, v in piece.handles.items() if (h, v.replace(" ", "")) not in shared}
        return replace(piece, handles=kept)

    return [tuple(cleaned(p) for p in one) for one in body]
