"""bot.domain.display.clip: the one way a title is cut short (issue 24)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.display import clip


def test_a_short_text_is_kept_whole():
    assert clip("财务科", 3) == "财务科"
    assert clip("", 5) == ""


def test_a_long_text_ends_in_an_ellipsis_within_the_limit():
    assert clip("逐笔核查公务接待报销凭证", 6) == "逐笔核查公…"
    assert clip("abcdefgh", 5) == "abcd…"


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("甲乙丙q\u0301丁戊", 5, "甲乙丙…"),  # the accent stays with its letter: both go
    ("甲乙丙q\u0301\u0323丁戊", 6, "甲乙丙…"),  # two marks on one letter
    ("甲\U0001f1e8\U0001f1f3乙丙", 3, "甲…"),  # a flag is two halves, never one
    ("\U0001f1e8\U0001f1f3\U0001f1ef\U0001f1f5甲乙", 4, "\U0001f1e8\U0001f1f3…"),
    ("甲乙 丙丁戊", 4, "甲乙…"),  # no space before the ellipsis
])
def test_never_in_the_middle_of_a_character(text, limit, expected):
    assert clip(text, limit) == expected


@given(st.text(max_size=40), st.integers(1, 30))
def test_within_the_limit_and_a_prefix(text, limit):
    cut = clip(text, limit)
    assert len(cut) <= max(limit, 1)
    if cut != text:
        assert cut.endswith("…") and text.startswith(cut[:-1])
