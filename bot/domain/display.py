"""How much room text takes on screen: one measure for the chart's labels (messages/) and
the 台账's column widths (bot/ledger_io.py)."""

from __future__ import annotations

import unicodedata


def columns(char: str) -> int:
    """Screen columns a character takes: wide and full-width (CJK) ones count double."""
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _joined(text: str, at: int) -> bool:
    """Whether text[at] belongs to the character before it: a combining mark or variation
    selector, or the second half of a flag (two regional indicators)."""
    char = text[at]
    if unicodedata.category(char).startswith("M"):
        return True
    if _regional(char):
        run = 0  # regional indicators before this one: an odd count means it closes a flag
        while at - run - 1 >= 0 and _regional(text[at - run - 1]):
            run += 1
        return run % 2 == 1
    return False


def _regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def clip(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, "…" included when it is cut: cut at a
    character boundary (a letter keeps its accents, a flag both halves), never in the
    middle of one. The one helper for every title that is cut short."""
    if len(text) <= limit:
        return text
    cut = max(limit - 1, 0)
    while 0 < cut < len(text) and _joined(text, cut):
        cut -= 1
    return text[:cut].rstrip() + "…"
