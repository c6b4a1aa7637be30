"""How much room text takes on screen: one measure for the chart's labels (messages/) and
the 台账's column widths (bot/ledger_io.py)."""

from __future__ import annotations

import unicodedata


def columns(char: str) -> int:
    """Screen columns a character takes: wide and full-width (CJK) ones count double."""
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
