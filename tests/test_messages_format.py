"""messages.format (escaping, Telegram length, splitting) and messages.refusals."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.services
from bot.services import errors as e
from messages.format import MESSAGE_LIMIT, days_phrase, esc, fmt_date, split_message, tg_len
from messages.refusals import USAGE, refusal, usage

ROOT = Path(__file__).resolve().parent.parent
GENERIC = "操作没有完成，请稍后再试。"
EVIL = "<u>甲&乙</u>"
EVIL_ESCAPED = "&lt;u&gt;甲&amp;乙&lt;/u&gt;"


# --- esc / tg_len -----------------------------------------------------------------------


def test_esc_escapes_lt_gt_amp():
    assert esc("<b>x & y</b>") == "&lt;b&gt;x &amp; y&lt;/b&gt;"


def test_esc_leaves_quotes_and_chinese_alone():
    assert esc('他说"好"，\'行\'') == '他说"好"，\'行\''


def test_esc_escapes_an_existing_entity_again():
    assert esc("&amp;") == "&amp;amp;"


def test_esc_accepts_any_object():
    assert esc(42) == "42"
    assert esc(None) == "None"


@pytest.mark.parametrize(
    ("text", "units"),
    [("", 0), ("abc", 3), ("中文", 2), ("😀", 2), ("a😀b", 4), ("👍🏽", 4), ("\n", 1)],
)
def test_tg_len_counts_utf16_code_units(text, units):
    assert tg_len(text) == units


# --- split_message ------------------------------------------------------------------------


def assert_within_limit(parts: list[str], limit: int = MESSAGE_LIMIT) -> None:
    assert parts, "no parts at all"
    for part in parts:
        assert tg_len(part) <= limit, f"part of {tg_len(part)} units"


def test_short_text_is_one_part():
    assert split_message("你好\n世界") == ["你好\n世界"]


def test_text_exactly_at_the_limit_is_one_part():
    text = "a" * MESSAGE_LIMIT
    assert split_message(text) == [text]


def test_empty_text_gives_one_empty_part():
    assert split_message("") == [""]


def test_long_text_is_split_on_line_boundaries_and_keeps_every_line():
    lines = [f"{i:04d}. 财务科 整改事项 &amp; <b>W{i:04d}</b>" for i in range(800)]
    text = "\n".join(lines)
    parts = split_message(text)
    assert len(parts) > 1
    assert_within_limit(parts)
    assert "\n".join(parts) == text  # cut only at line breaks, nothing lost or added
    for part in parts:
        assert not part.startswith("\n") and not part.endswith("\n")
    assert [line for part in parts for line in part.split("\n")] == lines


def test_parts_are_filled_greedily():
    assert split_message("aaa\nbbb\nccc", limit=7) == ["aaa\nbbb", "ccc"]
    assert split_message("aaa\nbbb\nccc", limit=6) == ["aaa", "bbb", "ccc"]


def test_blank_lines_inside_a_part_are_kept():
    assert split_message("甲\n\n乙\n\n丙") == ["甲\n\n乙\n\n丙"]


def test_every_non_blank_line_survives_a_tight_limit():
    lines = ["甲", "", "乙乙", "", "", "丙", "丁丁丁"]
    parts = split_message("\n".join(lines), limit=4)
    assert_within_limit(parts, 4)
    kept = [line for part in parts for line in part.split("\n") if line]
    assert kept == [line for line in lines if line]


def test_a_single_overlong_line_is_cut_hard():
    line = "字" * 10_000
    parts = split_message(line)
    assert_within_limit(parts)
    assert "".join(parts) == line
    assert [tg_len(p) for p in parts] == [4096, 4096, 1808]


def test_an_overlong_line_between_short_lines_keeps_them_whole():
    text = "开头\n" + "z" * 5000 + "\n结尾"
    parts = split_message(text)
    assert_within_limit(parts)
    assert parts[0] == "开头"
    assert parts[-1].endswith("\n结尾")
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_emoji_count_as_two_units():
    line = "😀" * 3000  # 3000 characters, 6000 UTF-16 units
    parts = split_message(line)
    assert_within_limit(parts)
    assert "".join(parts) == line
    assert tg_len(parts[0]) == MESSAGE_LIMIT
    assert len(parts[0]) == MESSAGE_LIMIT // 2


def test_characters_whose_bytes_look_like_a_newline_are_measured_right():
    # U+0A00 then 一 (U+4E00) are the bytes 00 0A 00 4E in UTF-16: "\n\0" across the two
    # characters, which the split must not take for a line break
    lines = ["\u0a00一" * 1500, "乙" * 2000]
    text = "\n".join(lines)
    parts = split_message(text)
    assert parts == lines
    assert_within_limit(parts)


def test_lines_of_emoji_are_split_by_utf16_length_not_characters():
    lines = ["😀" * 100] * 30  # each line 100 chars but 200 units; 30 lines ~6000 units
    text = "\n".join(lines)
    assert len(text) < MESSAGE_LIMIT < tg_len(text)
    parts = split_message(text)
    assert len(parts) == 2
    assert_within_limit(parts)
    assert "\n".join(parts) == text


def test_a_hard_cut_never_lands_inside_an_html_entity():
    line = "x" * (MESSAGE_LIMIT - 2) + "&amp;" + "y" * 100
    parts = split_message(line)
    assert_within_limit(parts)
    assert "".join(parts) == line
    assert parts[0] == "x" * (MESSAGE_LIMIT - 2)
    assert parts[1].startswith("&amp;")


def test_blank_lines_before_a_part_are_left_out_and_a_blank_part_is_never_sent():
    assert split_message("\n\n甲\n乙", limit=3) == ["甲\n乙"]
    assert split_message("甲\n   \n   \n乙", limit=3) == ["甲", "乙"]  # "   \n   " is no part
    assert split_message("甲乙\n  \n\n ", limit=3) == ["甲乙"]
    assert split_message("\n \n  ", limit=2) == ["\n \n  "[:2]]  # nothing at all: as it is


def test_a_limit_too_small_for_an_emoji_is_refused_rather_than_cut_forever():
    for limit in (1, 0, -5):
        with pytest.raises(ValueError, match="limit"):
            split_message("😀\n" + "a" * 9, limit)
    assert split_message("😀", 2) == ["😀"]


def test_a_hard_cut_ends_the_part_before_it_and_its_rest_begins_the_next():
    assert split_message("ab\n" + "c" * 7 + "\nd", limit=3) == ["ab", "ccc", "ccc", "c\nd"]


_LINE = st.one_of(st.sampled_from(["", " ", "  ", "&amp;", "\u0a00一"]),
                  st.text(st.sampled_from("ab 字😀&;\t\u0a00一"), max_size=9))


@settings(max_examples=1000)
@given(st.lists(_LINE, max_size=14), st.integers(2, 12), st.booleans())
def test_any_text_is_split_into_parts_that_keep_every_line_within_the_limit(lines, limit,
                                                                            lead):
    """Every part within the limit, none blank or beginning with a blank line; a line that
    fits comes through whole, in order, and a longer one in pieces."""
    text = ("\n" if lead else "") + "\n".join(lines)
    parts = split_message(text, limit)
    if not text.strip():
        assert parts == [text[:limit]]
        return
    assert_within_limit(parts, limit)
    assert all(part.strip() and not part.startswith("\n") for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())  # but spaces, all there
    if all(tg_len(line) <= limit for line in text.split("\n")):  # no hard cut: greedy
        assert parts == _greedy(text.split("\n"), limit)


def _greedy(lines: list[str], limit: int) -> list[str]:
    """What split_message gives when every line fits, worked out the plain way: each part
    takes lines while they fit, a blank line never begins one, a blank part is left out."""
    parts: list[str] = []
    current: str | None = None
    for line in lines:
        if current is not None and tg_len(current) + 1 + tg_len(line) <= limit:
            current += "\n" + line
            continue
        if current is not None:
            parts.append(current)
        current = line or None
    if current is not None:
        parts.append(current)
    return [part for part in parts if part.strip()]


def test_a_todo_like_answer_is_split_at_the_last_line_that_fits():
    lines = [f"🔴 <code>C{i:04d}</code> 核查公务接待报销凭证" for i in range(300)]
    text = "\n".join(lines)
    parts = split_message(text)
    assert parts == _greedy(lines, MESSAGE_LIMIT) and len(parts) > 1
    assert_within_limit(parts)
    assert tg_len(parts[0]) + 1 + tg_len(lines[len(parts[0].split("\n"))]) > MESSAGE_LIMIT


def test_overlong_line_starting_with_a_bare_ampersand_terminates():
    code = textwrap.dedent(
        """
        from messages.format import split_message, tg_len
        parts = split_message("&" + "a" * 5000)
        assert "".join(parts) == "&" + "a" * 5000
        assert all(tg_len(p) <= 4096 for p in parts)
        print(len(parts))
        """
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                              text=True, timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("split_message did not return within 5 s")
    assert done.returncode == 0, done.stderr


# --- fmt_date / days_phrase ---------------------------------------------------------------


def test_fmt_date_shows_iso_date_and_chinese_weekday():
    assert fmt_date(date(2026, 11, 23)) == "2026-11-23（周一）"
    assert fmt_date(date(2026, 11, 29)) == "2026-11-29（周日）"


@pytest.mark.parametrize(
    ("due", "phrase"),
    [(date(2026, 11, 20), "逾期3天"), (date(2026, 11, 23), "今天到期"),
     (date(2026, 11, 24), "还剩1天")],
)
def test_days_phrase(due, phrase):
    assert days_phrase(due, date(2026, 11, 23)) == phrase


# --- refusals -----------------------------------------------------------------------------


def _import_all_services() -> None:
    for info in pkgutil.iter_modules(bot.services.__path__):
        importlib.import_module(f"bot.services.{info.name}")


def _all_subclasses(cls: type) -> list[type]:
    found: list[type] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


_import_all_services()
CONCRETE_ERRORS = sorted(set(_all_subclasses(e.ServiceError)), key=lambda c: c.__name__)

# Fields whose value is a key chosen by the code, not free text.
_KEYED = {
    "action": "register",
    "reason": "unknown",
    "command": "register",
    "what": "person",
    "expected": None,
}


def build(cls: type, text: str = "财务科") -> e.ServiceError:
    """An instance with plausible arguments: free-text fields get `text`."""
    if not dataclasses.is_dataclass(cls):
        return cls()
    kwargs: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        kind = str(f.type)
        if f.name in _KEYED:
            kwargs[f.name] = _KEYED[f.name]
        elif kind.startswith("list"):
            kwargs[f.name] = [text, "人事科"]
        elif kind == "int":
            kwargs[f.name] = 41
        elif "str" in kind:
            kwargs[f.name] = text
        else:
            raise AssertionError(f"no sample for {cls.__name__}.{f.name}: {kind}")
    return cls(**kwargs)


def test_service_errors_are_discovered():
    names = {c.__name__ for c in CONCRETE_ERRORS}
    assert {"NotAllowed", "UnknownUnit", "InviteInvalid", "UsageError", "GroupOnly"} <= names


@pytest.mark.parametrize("cls", CONCRETE_ERRORS, ids=lambda c: c.__name__)
def test_every_service_error_has_its_own_text(cls):
    text = refusal(build(cls))
    assert text
    assert text != GENERIC


def test_base_service_error_gets_the_generic_fallback():
    assert refusal(e.ServiceError()) == GENERIC


@pytest.mark.parametrize("action", ["register", "bind_group", "create_item", "manage_units", "view"])
def test_not_allowed_has_a_text_for_every_action(action):
    text = refusal(e.NotAllowed(action))
    assert text.startswith("⛔")
    assert text != GENERIC


@pytest.mark.parametrize("reason", ["unknown", "used", "expired", "revoked"])
def test_invite_invalid_has_a_text_for_every_reason(reason):
    assert refusal(e.InviteInvalid(reason)) != GENERIC


@pytest.mark.parametrize(
    ("reason", "expected", "needle"),
    [("unknown", None, "编号"), ("problem_has_no_parent", None, "没有上级"),
     ("wrong_parent_kind", "problem", "问题清单"), ("wrong_parent_kind", "responsibility", "责任清单")],
)
def test_bad_parent_has_a_text_for_every_reason(reason, expected, needle):
    text = refusal(e.BadParent(reason, expected))
    assert text != GENERIC
    assert needle in text


@pytest.mark.parametrize("command", sorted(USAGE))
def test_usage_error_shows_the_usage(command):
    assert refusal(e.UsageError(command)) == usage(command)


@pytest.mark.parametrize("what", ["person", "unit"])
def test_bad_name_names_the_thing_and_the_length(what):
    text = refusal(e.BadName(what, 55))
    assert "55" in text
    assert ("姓名" if what == "person" else "单位名称") in text


def test_title_too_long_names_both_numbers():
    text = refusal(e.TitleTooLong(length=230, limit=200))
    assert "230" in text and "200" in text


@pytest.mark.parametrize("cls", CONCRETE_ERRORS, ids=lambda c: c.__name__)
def test_user_text_never_reaches_a_refusal_unescaped(cls):
    text = refusal(build(cls, EVIL))
    assert "<u>" not in text
    assert "甲&乙" not in text


@pytest.mark.parametrize(
    "error",
    [
        e.UnknownUnit(EVIL),
        e.UnknownUnit("财务科", known=[EVIL, "人事科"]),
        e.DuplicateUnit(EVIL),
        e.UnknownPerson(EVIL),
        e.AmbiguousPerson(EVIL, ["财务科", "人事科"]),
        e.AmbiguousPerson("李明", [EVIL, "人事科"]),
        e.DuplicatePerson(EVIL, "财务科"),
        e.DuplicatePerson("李明", EVIL),
        e.UnknownRole(EVIL),
        e.UnknownTerm(EVIL, ["问题", "责任"]),
        e.UnknownTerm("x", [EVIL]),
        e.InvalidDate(EVIL),
        e.AlreadyBound(EVIL),
    ],
    ids=lambda err: type(err).__name__,
)
def test_user_text_is_shown_html_escaped(error):
    text = refusal(error)
    assert EVIL_ESCAPED in text
    assert EVIL not in text


def test_unknown_unit_example_from_the_brief():
    text = refusal(e.UnknownUnit("<b>x&y</b>"))
    assert "&lt;b&gt;x&amp;y&lt;/b&gt;" in text
    assert "<b>" not in text
