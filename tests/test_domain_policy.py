"""What an admin types after /提醒设置, read strictly (issue 20, item 4): ASCII digits, or
the full-width ones an input method types, and nothing that merely looks like a number."""

from __future__ import annotations

from datetime import time

import pytest

from bot.domain.policy import PolicyError, parse_days, parse_quiet_hours, parse_time


@pytest.mark.parametrize("text, expected", [
    ("09:00", time(9)), ("9:30", time(9, 30)), ("9点", time(9)), ("９：３０", time(9, 30)),
    ("21点30分", time(21, 30)), (" 8:05 ", time(8, 5)),
])
def test_times(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["٩:٠٠", "9:³⁰", "①点", "9:0\n0", "+9:00", "9:0", "24:00",
                                  "9:60", "9" * 5000 + ":00", ""])
def test_what_is_not_a_time(text):
    with pytest.raises(PolicyError):
        parse_time(text)


@pytest.mark.parametrize("text, expected", [
    ("7,3,1,0", (7, 3, 1, 0)), ("7 3 1 0", (7, 3, 1, 0)), ("７，３、１ ０", (7, 3, 1, 0)),
    ("7天,3天", (7, 3)),
])
def test_days(text, expected):
    assert parse_days(text) == expected


@pytest.mark.parametrize("text", ["٣", "7,³", "1_0", "+3", "-1", "0x3", "3.0", "1e2", "7天天",
                                  "1234", ",".join(["1"] * 1000)])
def test_what_are_not_days(text):
    with pytest.raises(PolicyError):
        parse_days(text)


def test_quiet_hours_read_the_same_way():
    assert parse_quiet_hours("２１：００－０８：００").start == time(21)
    with pytest.raises(PolicyError):
        parse_quiet_hours("٢١:٠٠-٠٨:٠٠")
