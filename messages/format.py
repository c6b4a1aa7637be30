"""Escaping for Telegram's HTML parse mode, and splitting at its 4096-character limit."""

from __future__ import annotations

import functools
import html
from bisect import bisect_right
from datetime import date
from itertools import accumulate, count
from operator import add

from bot.domain.display import clip
from bot.domain.text import char_problem

#: What kind of invisible character a text carries (bot/domain/text.py's problems), in words
INVISIBLE_KINDS = {"control": "控制字符", "bidi": "文字方向控制符", "zero_width": "零宽字符",
                   "line_break": "换行符"}

MESSAGE_LIMIT = 4096
_WEEKDAYS = "一二三四五六日"


def esc(text: object) -> str:
    """Every user-provided string goes through this before it reaches a message."""
    text = str(text)
    if "&" in text or "<" in text or ">" in text:
        return html.escape(text, quote=False)
    return text  # most have nothing to escape: three scans cost less than three replaces


def echo(text: object, limit: int = 30) -> str:
    """What someone typed (or a file's name), repeated back in a refusal: cut to `limit`
    characters (with …) so that a pasted page does not come back as a page, anything
    invisible (a control, a bidi override, a zero-width space) shown as �, escaped."""
    text = str(text)
    text = clip(text, limit)
    return esc("".join("�" if char_problem(c) is not None else c for c in text))


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split on line breaks into parts Telegram accepts: each part as many whole lines as
    fit, never beginning with a blank line, never blank (Telegram refuses an empty text).

    Our texts never open an HTML tag on one line and close it on another, so any line
    boundary is a safe cut. A single overlong line is cut hard (its tags, if any, are ours
    and short, and user text is escaped, so a cut never lands inside an entity we need).
    `limit` is at least 2: one character may take two units, and a part holds at least one.
    """
    if limit < 2:  # else an emoji could never be cut off a line: no part, no end
        raise ValueError(f"split_message: a limit of {limit} UTF-16 units holds no emoji")
    encoded = text.encode("utf-16-le")
    if not text.startswith("\n") and len(encoded) <= 2 * limit:  # most: one part as it is
        return [text]
    parts = _split_at_breaks(encoded, limit)
    if parts is None:  # some line alone is longer than a part
        parts = _split_lines(text, encoded, limit)
    return parts or [text[:limit]]


_BREAK = "\n".encode("utf-16-le")


def _split_at_breaks(encoded: bytes, limit: int) -> list[str] | None:
    """split_message's parts when every line fits in a part (None if one does not),
    found in the text's UTF-16, where a part's length is its bytes over two: each part
    ends at the last line break that fits (a few bytes.rfind: a long answer such as
    /待办's is split in microseconds)."""
    parts: list[str] = []
    start, size = 0, len(encoded)
    while start < size:
        if encoded.startswith(_BREAK, start):  # a blank line never begins a part
            start += 2
            continue
        end = size if size - start <= 2 * limit else encoded.rfind(_BREAK, start,
                                                                  start + 2 * limit + 2)
        while end > 0 and (end - start) % 2:  # the bytes of two characters, not a break
            end = encoded.rfind(_BREAK, start, end + 1)
        if end < 0:
            return None
        part = encoded[start:end].decode("utf-16-le")
        if part.strip():  # nothing but spaces: nothing to send
            parts.append(part)
        start = end + 2
    return parts


def _split_lines(text: str, encoded: bytes, limit: int) -> list[str]:
    """split_message line by line, cutting an overlong line hard: its heads stand alone,
    and the rest of it begins a part."""
    lines = text.split("\n")
    # each line's tg_len: its length, unless some character takes two units
    lengths = (list(map(len, lines)) if len(encoded) == 2 * len(text)
               else _lengths(encoded, lines))
    # units up to each line's end, the newlines after it and the lines before included
    ends = list(map(add, accumulate(lengths), count(1)))
    parts: list[str] = []
    start, size = 0, len(lines)
    while start < size:
        first, before = lines[start], ends[start - 1] if start else 0
        if lengths[start] > limit:  # cut hard: the heads stand alone, the rest begins a part
            while tg_len(first) > limit:
                head = _cut(first, limit)
                if head.strip():
                    parts.append(head)
                first = first[len(head):]
            before = ends[start] - tg_len(first) - 1
        elif not first:
            start += 1
            continue
        # the last line that fits: lines start…stop take ends[stop] - before - 1 units
        stop = bisect_right(ends, before + limit + 1, start) - 1
        part = "\n".join([first, *lines[start + 1:stop + 1]])
        if part.strip():  # nothing but spaces: nothing to send
            parts.append(part)
        start = stop + 1
    return parts


def _lengths(encoded: bytes, lines: list[str]) -> list[int]:
    """tg_len of each line, from the whole text's UTF-16 (a line at a time costs more than
    the rest of the split). A newline is b"\n\0" in UTF-16; those bytes can also straddle
    two characters (U+0A00 and then U+4E00 一, say): then there are more pieces than lines,
    and the lines are measured one by one."""
    pieces = encoded.split(b"\n\x00")
    if len(pieces) != len(lines):
        return [tg_len(line) for line in lines]
    return [len(piece) // 2 for piece in pieces]


def _cut(line: str, limit: int) -> str:
    head = line[:limit]
    while tg_len(head) > limit:
        head = head[:-1]
    # never cut inside an HTML entity such as &amp;
    amp = head.rfind("&")
    if amp > 0 and ";" not in head[amp:]:
        head = head[:amp]
    return head


@functools.lru_cache(maxsize=1024)
def fmt_date(day: date) -> str:
    """2026-11-23（周一）; remembered: a page or a digest shows the same days again and
    again."""
    return f"{day.year}-{day.month:02d}-{day.day:02d}（周{_WEEKDAYS[day.weekday()]}）"


def days_phrase(due: date, today: date) -> str:
    left = (due - today).days
    if left < 0:
        return f"逾期{-left}天"
    if left == 0:
        return "今天到期"
    return f"还剩{left}天"
