"""bot.domain.text: names, titles and notes cleaned one way (issue 20, item 6)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.model import NAME_MAX, NOTE_MAX, TITLE_MAX
from bot.domain.text import (
    TextProblem,
    TextRefused,
    char_problem,
    clean_name,
    clean_note,
    clean_title,
    displayable,
)

INVISIBLE = {
    "\x00": TextProblem.CONTROL, "\x07": TextProblem.CONTROL, "\x1b": TextProblem.CONTROL,
    "\x7f": TextProblem.CONTROL, "\x9b": TextProblem.CONTROL,
    **{c: TextProblem.BIDI for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                                     "\u200e\u200f\u061c"},
    **{c: TextProblem.ZERO_WIDTH for c in "\u200b\u200c\u200d\ufeff\u2060\u2061\u2062\u2063"
                                           "\u2064\u00ad\u180e\U000e0041\u3164\u115f\u2800"},
}


@pytest.mark.parametrize("char, problem", sorted(INVISIBLE.items()))
@pytest.mark.parametrize("clean", [clean_name, clean_title, clean_note])
def test_every_invisible_character_is_refused_and_named(clean, char, problem):
    with pytest.raises(TextRefused) as refused:
        clean(f"李{char}明")
    assert refused.value.problem is problem
    assert refused.value.char == char


@pytest.mark.parametrize("char", sorted(INVISIBLE))
@pytest.mark.parametrize("clean", [clean_name, clean_title, clean_note])
def test_a_text_of_invisible_characters_only_is_refused_as_such(clean, char):
    with pytest.raises(TextRefused) as refused:
        clean(f" {char}{char} \u3000")
    assert refused.value.problem is TextProblem.INVISIBLE


@pytest.mark.parametrize("clean", [clean_name, clean_title, clean_note])
@pytest.mark.parametrize("text", ["", "   ", "\u3000\u3000", "\n \t"])
def test_empty_after_trimming_is_refused_as_empty(clean, text):
    with pytest.raises(TextRefused) as refused:
        clean(text)
    assert refused.value.problem is TextProblem.EMPTY


def test_names_are_nfc_and_trimmed():
    assert clean_name("  Jose\u0301 ") == "José"
    assert unicodedata.is_normalized("NFC", clean_name("\u1100\u1161"))  # Hangul jamo → 가
    assert clean_name("\u3000李明\u3000") == "李明"
    assert clean_name("<b>李&明</b>") == "<b>李&明</b>"  # visible: kept, escaped when shown


@pytest.mark.parametrize("text", ["李\n明", "李\t明", "李\r明", "李\u2028明", "李\x85明"])
def test_a_name_is_one_line(text):
    with pytest.raises(TextRefused) as refused:
        clean_name(text)
    assert refused.value.problem is TextProblem.LINE_BREAK


def test_lengths_are_bounded_after_cleaning():
    assert clean_name("李" * NAME_MAX) == "李" * NAME_MAX
    with pytest.raises(TextRefused) as refused:
        clean_name("李" * (NAME_MAX + 1))
    assert (refused.value.problem, refused.value.length, refused.value.limit) == (
        TextProblem.TOO_LONG, NAME_MAX + 1, NAME_MAX)
    with pytest.raises(TextRefused):
        clean_title("题" * (TITLE_MAX + 1))
    with pytest.raises(TextRefused):
        clean_note("记" * (NOTE_MAX + 1))


def test_a_title_is_one_line_with_single_spaces():
    assert clean_title(" 核查\n\n报销  凭证\t（第一批）\u2028 ") == "核查 报销 凭证 （第一批）"


def test_a_note_keeps_its_line_breaks():
    assert clean_note(" 第一步完成\r\n第二步\u2028进行中\t50% ") == "第一步完成\n第二步\n进行中\t50%"


def test_a_group_title_is_kept_without_anything_invisible():
    assert displayable("财务科\u202e群\u200b\n工作群\x00") == "财务科群 工作群"
    assert displayable("x" * 300) == "x" * 128


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=60))
def test_whatever_is_accepted_is_clean(text):
    """Anything at all: either refused with a reason, or clean: NFC, trimmed, visible,
    nothing invisible in it (a note may hold line breaks and tabs)."""
    for clean, allowed in ((clean_name, ""), (clean_title, ""), (clean_note, "\n\t")):
        try:
            result = clean(text)
        except TextRefused as refused:
            assert isinstance(refused.problem, TextProblem)
            continue
        assert result and result == result.strip()
        assert unicodedata.is_normalized("NFC", result)
        assert all(c in allowed or char_problem(c) is None for c in result), repr(result)
