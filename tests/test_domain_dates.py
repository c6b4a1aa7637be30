"""bot.domain.dates: dates as office staff type them, and nothing else."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.dates import (
    DUE_EXAMPLES,
    MAX_LENGTH,
    PROMPT_EXAMPLES,
    RELATIVE_DAYS,
    DateParseError,
    FutureDateError,
    parse_due_date,
    parse_full_date,
    parse_past_date,
)

TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-05",
        "2026/12/5",
        "2026.12.5",
        "2026年12月5日",
        "2026年12月5",
        "12月5日",
        "12-05",
        "12/5",
        "12.5",
        "１２月５日",
        "２０２６－１２－０５",
        "２０２６／１２／５",
        "  12月5日  ",
        "2026 - 12 - 05",
    ],
)
def test_accepted_formats_all_mean_the_fifth_of_december(text):
    assert parse_due_date(text, TODAY) == date(2026, 12, 5)


def test_full_date_keeps_its_year_even_if_far_ahead():
    assert parse_due_date("2030-01-02", TODAY) == date(2030, 1, 2)


def test_date_without_year_later_this_year_stays_in_this_year():
    assert parse_due_date("12月31日", TODAY) == date(2026, 12, 31)


def test_date_without_year_today_counts_as_its_next_occurrence():
    assert parse_due_date("11月21日", TODAY) == date(2026, 11, 21)


def test_date_without_year_already_past_moves_to_next_year():
    assert parse_due_date("11月20日", TODAY) == date(2027, 11, 20)
    assert parse_due_date("1月3日", TODAY) == date(2027, 1, 3)


def test_february_29_in_a_common_year_is_the_next_leap_year():
    assert parse_due_date("2月29日", date(2026, 1, 10)) == date(2028, 2, 29)
    assert parse_due_date("2月29日", date(2027, 3, 1)) == date(2028, 2, 29)


def test_february_29_on_a_leap_day_is_today():
    assert parse_due_date("2月29日", date(2028, 2, 29)) == date(2028, 2, 29)


def test_february_29_typed_after_the_leap_day_is_the_next_leap_year():
    assert parse_due_date("2月29日", date(2028, 3, 1)) == date(2032, 2, 29)


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30",
        "2026-13-01",
        "13月1日",
        "2月30日",
        "0月5日",
        "12月0日",
        "明天",
        "",
        "   ",
        "2026-12",
        "12",
        "1999-12-05",
        "2101-01-01",
        "12月5日下午",
        "2026-12-05-01",
    ],
)
def test_refused_texts_raise_date_parse_error(text):
    with pytest.raises(DateParseError):
        parse_due_date(text, TODAY)


def test_date_parse_error_names_the_input_and_is_a_value_error():
    with pytest.raises(ValueError, match="明天"):
        parse_due_date("明天", TODAY)


# -- the grammar, exactly (issue 20, item 4) ------------------------------------------------

@pytest.mark.parametrize("text", DUE_EXAMPLES + PROMPT_EXAMPLES[:-1])
def test_every_documented_example_is_the_last_of_january(text):
    assert parse_due_date(text, TODAY) == date(2027, 1, 31)


# -- 下周X: a day of the next Monday-to-Sunday week (issue 24) -------------------------------

@pytest.mark.parametrize(("today", "text", "expected"), [
    (date(2026, 11, 21), "下周五", date(2026, 11, 27)),  # a Saturday: Friday of 23–29
    (date(2026, 11, 23), "下周五", date(2026, 12, 4)),  # a Monday: not this Friday
    (date(2026, 11, 27), "下周五", date(2026, 12, 4)),  # a Friday: a week away
    (date(2026, 11, 29), "下周五", date(2026, 12, 4)),  # a Sunday
    (date(2026, 11, 25), "下周一", date(2026, 11, 30)),
    (date(2026, 11, 25), "下周日", date(2026, 12, 6)),
    (date(2026, 11, 25), "下周天", date(2026, 12, 6)),
    (date(2026, 12, 30), "  下周三 ", date(2027, 1, 6)),
])
def test_a_day_of_next_week(today, text, expected):
    assert parse_due_date(text, today) == expected


@pytest.mark.parametrize("text", ["下周", "下周5", "下周八", "下下周五", "下周五日", "下星期五",
                                  "本周五", "周五", "下周 五", "上周五", "下周五下午"])
def test_only_the_documented_next_week_form(text):
    with pytest.raises(DateParseError):
        parse_due_date(text, TODAY)


def test_next_week_is_never_a_day_gone_by():
    with pytest.raises(FutureDateError):
        parse_past_date("下周五", TODAY)


def test_a_month_and_day_is_the_next_such_day_today_included():
    assert parse_due_date("1月31日", date(2027, 1, 31)) == date(2027, 1, 31)
    assert parse_due_date("1月31日", date(2027, 2, 1)) == date(2028, 1, 31)


@pytest.mark.parametrize("text", ["２０２６年１２月５日", "１２－０５", "１２／５", "２０２６．１２．５",
                                  "12\u3000-\u300005", "１２月５日"])
def test_full_width_digits_separators_and_spaces_are_folded(text):
    assert parse_due_date(text, TODAY) == date(2026, 12, 5)


@pytest.mark.parametrize("text", [
    "٢٠٢٦-١٢-٠٥",  # Arabic-Indic digits
    "2026-12-٥", "١٢月5日", "12-0٥", "۱۲/۵",  # Eastern Arabic-Indic
    "2026-12-²", "¹²月5日",  # superscripts
    "①②月⑤日", "𝟙𝟚-𝟘𝟝",  # circled, mathematical
    "१२/५",  # Devanagari
    "\n12-05\n1", "12-05日日", "2026年12月5日\x00",
    "+12-05", "12-+5", "1_2-05", "2026\t-12-05", "12- 0 5",
    "12-05" + " " * MAX_LENGTH + "x", "2" * 10_000,
])
def test_other_digits_and_stray_characters_are_not_dates(text):
    with pytest.raises(DateParseError):
        parse_due_date(text, TODAY)
    with pytest.raises(DateParseError):
        parse_past_date(text, TODAY)
    with pytest.raises(DateParseError):
        parse_full_date(text)


def test_trailing_spaces_are_trimmed_but_not_other_whitespace_inside():
    assert parse_due_date(" 2026-12-5\u3000", TODAY) == date(2026, 12, 5)


@pytest.mark.parametrize("word, days", sorted(RELATIVE_DAYS.items()))
def test_past_words(word, days):
    assert (TODAY - parse_past_date(f" {word} ", TODAY)).days == days
    with pytest.raises(DateParseError):
        parse_due_date(word, TODAY)  # a due date is never "yesterday"


def test_a_past_day_without_a_year_is_its_latest_occurrence():
    assert parse_past_date("11月21日", TODAY) == date(2026, 11, 21)
    assert parse_past_date("12月5日", TODAY) == date(2025, 12, 5)
    with pytest.raises(FutureDateError):
        parse_past_date("2026-12-05", TODAY)


def test_a_spreadsheet_date_needs_its_year():
    assert parse_full_date("2026年3月31日") == date(2026, 3, 31)
    with pytest.raises(DateParseError):
        parse_full_date("3月31日")


#: The grammar restated as one regular expression, from the module's docstring.
_GRAMMAR = re.compile(r"(?:[0-9]{4} *[-/.年] *)?[0-9]{1,2} *[-/.月] *[0-9]{1,2} *日?"
                      r"|下周[一二三四五六日天]")
_FOLD = str.maketrans("０１２３４５６７８９－／．\u3000", "0123456789-/. ")


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    st.lists(st.sampled_from(["2026", "12", "5", "05", "-", "/", ".", "年", "月", "日", " ",
                              "٣", "²", "１２", "－", "\u3000", "\n", "0", "2027", "31",
                              "下周", "五", "天", "下", "周"]),
             max_size=8).map("".join),
))
def test_whatever_parses_is_in_the_documented_grammar(text):
    try:
        parse_due_date(text, TODAY)
    except DateParseError:
        return
    folded = text.strip().translate(_FOLD)
    assert _GRAMMAR.fullmatch(folded), repr(text)


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)),
       st.sampled_from(["{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}.{m}.{d}", "{y}年{m}月{d}日",
                        "{y} - {m} - {d}", "{y}年{m}月{d}"]))
def test_every_full_date_form_reads_back(day, form):
    text = form.format(y=day.year, m=day.month, d=day.day)
    assert parse_due_date(text, TODAY) == day
    assert parse_full_date(text) == day
