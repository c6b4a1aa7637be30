"""bot.domain.dates.parse_due_date: due dates as office staff type them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.dates import DateParseError, parse_due_date

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
