"""Names and free text as people type (or paste) them, cleaned one way everywhere: chat,
the guided flows, the Excel import and the command line.

Every kind of text is NFC-normalised and trimmed, then refused if it holds a character
nobody can see or that changes how the text around it reads:

- control characters (Unicode category Cc: NUL, ESC, DEL, …); a note keeps its line breaks
  and tabs, a title folds them into spaces, a name refuses them (a name is one line);
- bidi controls: U+202A–U+202E (embeddings, overrides), U+2066–U+2069 (isolates),
  U+200E/U+200F and U+061C (direction marks);
- zero-width and other invisible format characters (category Cf): U+200B–U+200D, U+2060–U+2064,
  U+FEFF, U+00AD, U+180E, the tag characters, …;
- letters that show as nothing: U+115F, U+1160, U+3164, U+FFA0 (Hangul fillers), U+2800
  (blank Braille).

A text of nothing but such characters (and spaces) is refused as having nothing visible;
one that is empty after trimming, as empty; one longer than its limit, as too long.
Lookups (a unit or a person named in a command) go through the same cleaning, so what is
stored and what is typed compare equal.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.model import NAME_MAX, NOTE_MAX, TITLE_MAX


class TextProblem(StrEnum):
    EMPTY = "empty"
    INVISIBLE = "invisible"  # nothing but invisible characters and spaces
    CONTROL = "control"  # a control character: NUL, ESC, …
    BIDI = "bidi"  # a bidi override, embedding, isolate or mark
    ZERO_WIDTH = "zero_width"  # a zero-width or other invisible character
    LINE_BREAK = "line_break"  # a line break or tab where one line is meant
    TOO_LONG = "too_long"


@dataclass
class TextRefused(ValueError):
    """Why a text was refused; `char` is the first offending character, `length` the
    cleaned text's length (for TOO_LONG)."""

    problem: TextProblem
    length: int = 0
    limit: int = 0
    char: str = ""

    def __str__(self) -> str:
        where = f" U+{ord(self.char):04X}" if self.char else ""
        return f"{self.problem.value}{where}"


BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
LINE_BREAKS = frozenset("\n\r\t\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_KEPT_IN_NOTES = frozenset("\n\t")


def char_problem(char: str) -> TextProblem | None:
    """What is wrong with one character, if anything (line breaks count as LINE_BREAK)."""
    if char in LINE_BREAKS:
        return TextProblem.LINE_BREAK
    if char in BIDI:
        return TextProblem.BIDI
    category = unicodedata.category(char)
    if category == "Cc":
        return TextProblem.CONTROL
    if category in ("Cf", "Cs") or char in BLANK_LETTERS:
        return TextProblem.ZERO_WIDTH
    return None


def clean_name(text: str, limit: int = NAME_MAX) -> str:
    """A person's or a unit's name: one line, nothing invisible, at most `limit`."""
    return _clean(text, limit, allowed=frozenset())


def clean_title(text: str, limit: int = TITLE_MAX) -> str:
    """An item's title (or a short free text such as a 来源): one line, so line breaks and
    tabs become spaces, and any run of spaces one space."""
    folded = "".join(" " if c in LINE_BREAKS else c for c in text)
    return _limit(" ".join(_clean(folded, None, frozenset()).split()), limit)


def clean_note(text: str, limit: int = NOTE_MAX) -> str:
    """A progress note, a reason, a talk's summary: line breaks and tabs are kept (a
    Windows, old Mac or Unicode line break becomes a plain one)."""
    text = text.replace("\r\n", "\n")
    text = "".join("\n" if c in LINE_BREAKS and c != "\t" else c for c in text)
    return _clean(text, limit, allowed=_KEPT_IN_NOTES)


def displayable(text: str, limit: int = 128) -> str:
    """A text that arrives with the chat rather than typed to the bot (a group's title):
    not refused, but stored without anything invisible, on one line, NFC, trimmed."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(" " if char_problem(c) is TextProblem.LINE_BREAK else c
                   for c in text if char_problem(c) in (None, TextProblem.LINE_BREAK))
    return " ".join(kept.split())[:limit]


def _clean(text: str, limit: int | None, allowed: frozenset[str]) -> str:
    cleaned = unicodedata.normalize("NFC", text).strip()
    if not cleaned:
        raise TextRefused(TextProblem.EMPTY)
    bad = [(c, p) for c in cleaned if c not in allowed and (p := char_problem(c)) is not None]
    if bad:
        visible = [c for c in cleaned
                   if not c.isspace() and (c in allowed or char_problem(c) is None)]
        if not visible:
            raise TextRefused(TextProblem.INVISIBLE, char=bad[0][0])
        raise TextRefused(bad[0][1], char=bad[0][0])
    return cleaned if limit is None else _limit(cleaned, limit)


def _limit(text: str, limit: int) -> str:
    if len(text) > limit:
        raise TextRefused(TextProblem.TOO_LONG, length=len(text), limit=limit)
    return text
