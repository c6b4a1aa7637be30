"""Escaping for Telegram's HTML parse mode, and splitting at its 4096-character limit."""

from __future__ import annotations

import functools
import html
from datetime import date

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
    """Split on line breaks into parts Telegram accepts.

    Our texts never open an HTML tag on one line and close it on another, so any line
    boundary is a safe cut. A single overlong line is cut hard (its tags, if any, are ours
    and short, and user text is escaped, so a cut never lands inside an entity we need).
    """
    if not text.startswith("\n") and tg_len(text) <= limit:  # most texts: one part as it is
        return [text]
    parts: list[str] = []
    current: list[str] = []  # the lines of the part being filled, joined when it is full
    size = 0  # its tg_len, newlines included
    filled = False  # whether "\n".join(current) is not ""
    lines = text.split("\n")
    for line, length in zip(lines, _lengths(text, lines), strict=True):
        while length > limit:
            head = _cut(line, limit)
            if filled:
                parts.append("\n".join(current))
                current, size, filled = [], 0, False
            parts.append(head)
            line = line[len(head):]
            length = tg_len(line)
        wanted = size + 1 + length if filled else length
        if wanted > limit:
            parts.append("\n".join(current))
            current, size, filled = [line], length, bool(line)
        elif filled:
            current.append(line)
            size = wanted
        else:
            current, size, filled = [line], length, bool(line)
    last = "\n".join(current)
    if last.strip():
        parts.append(last)
    return parts or [text[:limit]]


def _lengths(text: str, lines: list[str]) -> list[int]:
    """tg_len of each of `text`'s lines, from one encoding of the whole (a line at a time
    costs more than the rest of the split). A newline is b"\n\0" in UTF-16; those bytes can
    also straddle two characters (U+0A00 and then U+4E00 一, say): then there are more
    pieces than lines, and the lines are measured one by one."""
    pieces = text.encode("utf-16-le").split(b"\n\x00")
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
