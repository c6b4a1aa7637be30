"""Rendering neutral messages for the office group robots (bot/channels/robots/render.py and
the three writers), unit and property tests over arbitrary Unicode: every payload passes the
messenger's own size check, nothing of the message is lost or doubled across parts, no split
falls inside a character, a handle the messenger would refuse is never @-ed, user words never
become markup, 保密 mode shows codes, statuses and dates only, and the image goes where a robot
takes one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.channels.message import BLANK, Mention, Outgoing, Span, Style, line
from bot.channels.robots import dingtalk, feishu, wecom
from bot.channels.robots.kinds import ROBOT_KINDS
from bot.channels.robots.model import Handle, RobotKind, json_body, markup_safe, usable
from bot.channels.robots.render import render
from bot.domain.model import NAME_MAX, Duty, ItemStatus, ListKind, Person, Role, Unit, UnitKind
from bot.domain.performance import OnTime, Responses
from bot.domain.responsiveness import NonResponder
from bot.domain.summary import (
    Census,
    ItemLine,
    SummaryInput,
    TalkCount,
    Timing,
    WeekChanges,
    summarize,
    to_payload,
)
from bot.domain.text import TextRefused, clean_name
from bot.domain.vocabulary import DUTY_NAMES, KIND_NAMES, STATUS_NAMES
from messages.format import fmt_date
from messages.outgoing import robot_message
from tests.fuzz import ANY_CHAR, TRICKY

#: as tests/test_property_inputs.py: deterministic and bounded by default;
#: DUTYBOT_FUZZ_SCALE (e.g. 20) for a longer, randomised search
SCALE = float(os.environ.get("DUTYBOT_FUZZ_SCALE", "1"))


def examples(count: int) -> settings:
    return settings(max_examples=max(1, int(count * SCALE)), deadline=None,
                    suppress_health_check=list(HealthCheck), derandomize=SCALE == 1,
                    database=None, print_blob=True)


KINDS = {kind.name: kind for kind in ROBOT_KINDS}
FEISHU_SIGN_ROOM = 96  # `timestamp` and `sign` in the body (feishu.prepare)

# -- strategies ---------------------------------------------------------------------------

#: what sits near the writers' own markup, and characters of every awkward kind
MARKUP = (
    "<@all>", "<@", '<at user_id="all">', '<at user_id="all"></at>', "</at>", "<at ", "@all",
    '<font color="warning">', "</font>", "<", ">", "*", "**", "`", "```", "#", "[x](http://a)",
    "\\", '"', "【督办】", "督办", "【", "】", "e\u0301", "\u0301", "😀", "👨‍👩‍👧", "𝟙", "𠀀", "中文",
    "\x00", "\x07", "\x1f", "\x7f", "\u2028", "\u2029", "\r", "\r\n", "\ufffd", "＜", "＞",
)
PIECES = st.one_of(st.sampled_from(TRICKY), st.sampled_from(MARKUP), st.text(ANY_CHAR, max_size=4))
WORDS = st.one_of(
    st.text(ANY_CHAR, max_size=30),
    st.lists(PIECES, max_size=10).map("".join),
)
#: a line too long for any messenger on its own (up to ~24 000 characters, cheaply)
LONG = st.tuples(st.lists(PIECES, min_size=1, max_size=6).map("".join),
                 st.integers(100, 4000)).map(lambda t: t[0] * t[1])
SPAN_TEXT = st.one_of(WORDS, WORDS, WORDS, LONG)

# handles: a valid one is unique to its person (built from the person's number)
BAD_MOBILES = ("138-abc", "1380000000a", "+86 138 0000", "1234", "１３８０００００００１",
               "138\n0000", "<@all>", "13800000001;", "")
BAD_IDS = ("<@all>", "a b", "ou_", "ou_中文", 'x"y', "a" * 65, "@all>", "u\n1", "ou_a-b",
           "", "中文")


def _valid(handle: Handle, n: int, spaced: bool) -> str:
    if handle is Handle.MOBILE:
        return f"138 {n:04d} 0000" if spaced else f"1380000{n:04d}"
    if handle is Handle.WECOM_USERID:
        return f"user.{n}"
    return f"ou_{n}abc"


def handle_values(n: int):
    """One person's handles: each absent, valid, or malformed (a listed one or any text)."""
    def one(handle: Handle):
        bad = BAD_MOBILES if handle is Handle.MOBILE else BAD_IDS
        return st.one_of(
            st.none(),
            st.booleans().map(lambda spaced: _valid(handle, n, spaced)),
            st.sampled_from(bad),
            st.text(ANY_CHAR, max_size=12),
        )
    return st.fixed_dictionaries({h.value: one(h) for h in Handle}).map(
        lambda d: {k: v for k, v in d.items() if v is not None})


def stored_name(text: str) -> str | None:
    """A name as the bot stores one (bot/domain/text.py): never blank, one line, nothing
    invisible; None for a text that could never be a person's name."""
    try:
        return clean_name(text, NAME_MAX)
    except TextRefused:
        return None


@st.composite
def people(draw) -> list[Mention]:
    count = draw(st.integers(0, 5))
    names = draw(st.lists(WORDS.map(stored_name).filter(bool), min_size=count,
                          max_size=count, unique_by=lambda s: s))
    return [Mention(name, draw(handle_values(n))) for n, name in enumerate(names)]


@st.composite
def messages(draw, long_lines: bool = True) -> Outgoing:
    persons = draw(people())
    span_text = SPAN_TEXT if long_lines else WORDS
    piece = st.one_of(
        st.builds(Span, span_text, st.sampled_from(list(Style))),
        *( [st.sampled_from(persons)] if persons else []),
    )
    body = st.lists(st.lists(piece, max_size=5).map(tuple), max_size=30)
    return Outgoing(
        title=draw(WORDS),
        lines=tuple(draw(body)),
        hint=draw(st.none() | WORDS),
        image=draw(st.none() | st.binary(max_size=64)),
        image_lines=tuple(draw(st.lists(st.lists(piece, max_size=3).map(tuple), max_size=4))),
        image_caption=draw(st.none() | WORDS),
    )


KEYWORDS = st.none() | st.sampled_from(("督办", "提醒", "【x】", "<b>", "a" * 20))

# -- reading payloads back ----------------------------------------------------------------


def texts(payload: dict) -> str | None:
    """The words of a text payload; None for an image."""
    if payload.get("msgtype") == "image":
        return None
    if "markdown" in payload:
        return payload["markdown"].get("content", payload["markdown"].get("text"))
    if payload.get("msgtype") == "text":
        return payload["text"]["content"]
    return payload["content"]["text"]


def fits(kind: RobotKind, payload: dict) -> None:
    """The messenger's own size rules, restated."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")  # no lone surrogate
    size = len(texts(payload).encode("utf-8")) if texts(payload) is not None else None
    if kind.name == "wecom":
        limit = {"text": 2048, "markdown": 4096}.get(payload["msgtype"])
        if limit is not None:
            assert size <= limit, (payload["msgtype"], size)
        else:
            assert payload["msgtype"] == "image"
    elif kind.name == "dingtalk":
        assert payload["msgtype"] == "markdown" and size <= 20_000, size
    else:
        assert payload["msg_type"] == "text"
        assert len(json_body(payload)) + FEISHU_SIGN_ROOM <= 20 * 1024, len(body)


def valid_ids(kind: RobotKind, persons: list[Mention]) -> dict[str, str]:
    """Every handle this kind may @ someone by, and whose it is."""
    handles = {"wecom": (Handle.WECOM_USERID, Handle.MOBILE), "dingtalk": (Handle.MOBILE,),
               "feishu": (Handle.FEISHU_OPEN_ID,)}[kind.name]
    return {value: m.name for m in persons for h in handles
            if (value := usable(m, h)) is not None}


def mentions_markup(kind: RobotKind, text: str) -> list[str]:
    """The ids the writer's inline mention markup names, in order."""
    if kind.name == "wecom":
        return re.findall(r"<@([^>]*)>", text)
    if kind.name == "feishu":
        return re.findall(r'<at user_id="([^"]*)">', text)
    return []


def listed(payload: dict) -> list[str]:
    """The ids in the payload's mention lists (beside the text)."""
    if payload.get("msgtype") == "text" and "text" in payload:
        return (payload["text"].get("mentioned_list", [])
                + payload["text"].get("mentioned_mobile_list", []))
    if "at" in payload:
        return list(payload["at"]["atMobiles"])
    return []


_DROPPED = re.compile(r"[\s*`@]")


def canon(words: str) -> str:
    """What is compared: the words without whitespace, the writers' emphasis marks (* and `)
    and @ (both sides lose them, so user text holding them compares the same)."""
    return _DROPPED.sub("", words)


def expected_words(kind: RobotKind, message: Outgoing) -> str:
    """The message's words as each writer must show them: every span, every mention by
    name, < and > as their full-width twins; the caption before the body where the robot
    takes the picture, the text table after it where it does not."""
    body = list(message.lines)
    pictured = _pictured(kind, message)
    if pictured:
        body = ([line(message.image_caption)] if message.image_caption else []) + body
    else:
        body += list(message.image_lines)
    if message.hint:
        body.append(line(message.hint))
    return canon("".join(markup_safe(p.text if isinstance(p, Span) else p.name)
                         for one in body for p in one))


def shown_words(kind: RobotKind, payload: dict, persons: list[Mention],
                keyword: str | None) -> str:
    """A part's words with exactly what the writer added taken out: the keyword in front,
    the mention markup (an id becomes its person's name, DingTalk's " @手机号" after a
    name goes)."""
    words = texts(payload)
    ids = valid_ids(kind, persons)
    if keyword and kind.name != "wecom":
        lead = f"【{keyword}】"
        if words.startswith(lead) and keyword not in words[len(lead):]:
            words = words[len(lead):]
        else:
            assert keyword in words
    if kind.name == "wecom":
        words = re.sub(r"<@([^>]*)>", lambda m: markup_safe(ids[m.group(1)]), words)
    elif kind.name == "feishu":
        words = re.sub(r'<at user_id="([^"]*)">([^<]*)</at>', r"\2", words)
    else:
        for mobile in payload["at"]["atMobiles"]:
            words = words.replace(f" @{mobile}", "")
    return canon(words)


# -- 1. any message renders, fits, and keeps every word ----------------------------------


def check_render(kind: RobotKind, message: Outgoing, keyword: str | None) -> list[dict]:
    payloads = render(kind, message, keyword)
    persons = _persons(kind, message)
    pictured = _pictured(kind, message)
    parts = payloads[1:] if pictured else payloads
    if pictured:
        assert payloads[0]["msgtype"] == "image"
    for payload in payloads:
        fits(kind, payload)
    for payload in parts:
        words = texts(payload)
        assert words is not None and words.strip(), payload  # no empty part
        if keyword and kind.name != "wecom":
            assert keyword in words  # the robot's 自定义关键词 is in every message
    shown = "".join(shown_words(kind, p, persons, keyword) for p in parts)
    assert shown == expected_words(kind, message)
    return payloads


@pytest.mark.parametrize("name", list(KINDS))
def test_any_message_renders_fits_and_keeps_every_word(name):
    kind = KINDS[name]

    @examples(60)
    @given(message=messages(), keyword=KEYWORDS)
    def check(message, keyword):
        if keyword:
            assume(keyword not in "".join(_all_words(message)))
        check_render(kind, message, keyword)

    check()


def _persons(kind: RobotKind, message: Outgoing) -> list[Mention]:
    """Everyone mentioned in what is sent (the text table only when no picture is)."""
    lines = (*message.lines, *(() if _pictured(kind, message) else message.image_lines))
    return list({p.name: p for one in lines for p in one if isinstance(p, Mention)}.values())


def _pictured(kind: RobotKind, message: Outgoing) -> bool:
    return kind.name == "wecom" and message.image is not None \
        and len(message.image) <= wecom.LIMITS.image_bytes


def _all_words(message: Outgoing) -> list[str]:
    lines = [*message.lines, *message.image_lines]
    return [message.title, message.hint or "", message.image_caption or "",
            *(p.text if isinstance(p, Span) else p.name for one in lines for p in one)]


@pytest.mark.parametrize("name", list(KINDS))
@pytest.mark.parametrize("char", ["中", "😀", "e\u0301", "<", "\x00", '"', "\\", "a"])
def test_a_very_long_line_is_cut_between_characters_and_kept_whole(name, char):
    """One line far over every limit, of one character repeated (the JSON escape of a
    control character is six bytes, a full-width < three)."""
    kind = KINDS[name]
    message = Outgoing("t", (line("开头"), line(char * 30_000), line("结尾")))
    payloads = check_render(kind, message, "督办")
    assert len(payloads) > 1


@pytest.mark.parametrize("name", list(KINDS))
def test_many_lines_split_at_line_boundaries(name):
    kind = KINDS[name]
    lines = tuple(line(f"第{n}行 ", Span(f"C{n:04d}", Style.CODE), " 中文内容" * 5)
                  for n in range(2000))
    payloads = check_render(kind, Outgoing("t", lines), None)
    assert len(payloads) > 1
    for payload in payloads:  # every line whole in one part
        assert len(re.findall(r"第\d+行", texts(payload))) == len(
            re.findall(r"C\d{4}", texts(payload)))


# -- 2. mentions ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(KINDS))
def test_mentions_only_by_handles_the_messenger_takes_and_only_in_their_part(name):
    kind = KINDS[name]

    @examples(60)
    @given(message=messages())
    def check(message):
        payloads = check_render(kind, message, None)
        persons = _persons(kind, message)
        ids = valid_ids(kind, persons)
        for payload in payloads:
            words = texts(payload)
            if words is None:
                continue
            named = mentions_markup(kind, words) + listed(payload)
            for one in named:
                assert one in ids, (one, payload)  # never a malformed or unknown handle
                assert one != "@all" and one.lower() != "all"
                owner = ids[one]
                # the person @-ed is in this part: by name, or by the inline mention itself
                assert (markup_safe(owner) in words or f"<@{one}>" in words), (owner, words)
        for person in persons:
            everything = "\n".join(texts(p) or "" for p in payloads)
            userid = usable(person, Handle.WECOM_USERID)
            assert markup_safe(person.name) in everything or (
                kind.name == "wecom" and f"<@{userid}>" in everything)

    check()


def _by(name: str, **handles: str) -> Mention:
    return Mention(name, {Handle[k.upper()].value: v for k, v in handles.items()})


def test_wecom_uses_text_and_mobiles_when_someone_has_only_a_mobile():
    message = Outgoing("t", (line(_by("甲", wecom_userid="jia"), "：1 项"),
                             line(_by("乙", mobile="138 0000 0002"), "：2 项")))
    [payload] = render(wecom.WECOM, message, None)
    assert payload["msgtype"] == "text"
    assert payload["text"]["mentioned_list"] == ["jia"]
    assert payload["text"]["mentioned_mobile_list"] == ["13800000002"]
    assert "@甲" in payload["text"]["content"] and "@乙" in payload["text"]["content"]


def test_wecom_uses_markdown_with_userids_when_everyone_has_one():
    message = Outgoing("t", (line(_by("甲", wecom_userid="jia", mobile="13800000001"), "：1 项"),
                             line(_by("乙", wecom_userid="yi"), "：2 项"),
                             line(_by("丙"), "：3 项")))  # no handle: named
    [payload] = render(wecom.WECOM, message, None)
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["content"].splitlines() == ["<@jia>：1 项", "<@yi>：2 项",
                                                           "@丙：3 项"]


def test_a_malformed_handle_names_the_person_instead():
    bad = _by("王芳", wecom_userid="<@all>", mobile="138abc", feishu_open_id="ou_<x>")
    message = Outgoing("t", (line(bad, "：1 项"),))
    [we] = render(wecom.WECOM, message, None)
    assert we["msgtype"] == "markdown" and we["markdown"]["content"] == "@王芳：1 项"
    [ding] = render(dingtalk.DINGTALK, message, None)
    assert ding["at"]["atMobiles"] == [] and ding["markdown"]["text"].startswith("王芳：1 项")
    [fei] = render(feishu.FEISHU, message, None)
    assert fei["content"]["text"] == "王芳：1 项"


def test_regression_feishu_malformed_open_id_does_not_raise():
    """Found by the mention property: FeishuWriter read the raw handle and checked_ids
    raised ValueError on an open_id Feishu would refuse, so the whole push failed."""
    message = Outgoing("t", (line(_by("甲", feishu_open_id="a b")),))
    [payload] = render(feishu.FEISHU, message, None)
    assert payload["content"]["text"] == "甲"


def test_regression_wecom_userid_at_all_is_not_a_mention():
    """`@all` fits PLAIN_ID, but in a WeCom mentioned_list it @-s the whole group, and a
    WeCom userid never starts with @: it is not used."""
    message = Outgoing("t", (line(_by("甲", wecom_userid="@all", mobile="13800000001")),))
    [payload] = render(wecom.WECOM, message, None)
    assert payload["msgtype"] == "text"
    assert "mentioned_list" not in payload["text"]
    assert payload["text"]["mentioned_mobile_list"] == ["13800000001"]


def test_each_part_mentions_only_its_own_people():
    persons = [_by(f"人{n}", mobile=f"1380000{n:04d}", wecom_userid=f"u{n}",
                   feishu_open_id=f"ou_{n}x") for n in range(40)]
    lines = []
    for person in persons:
        lines += [line(person, "：1 项"), *(line("一二三四五六七八九十" * 20) for _ in range(3))]
    message = Outgoing("t", tuple(lines))
    for kind in ROBOT_KINDS:
        payloads = check_render(kind, message, None)
        assert len(payloads) > 1
        seen = []
        for payload in payloads:
            named = mentions_markup(kind, texts(payload)) + listed(payload)
            here = re.findall(r"人(\d+)", texts(payload)) if kind.name != "wecom" \
                else re.findall(r"<@u(\d+)>", texts(payload))
            assert sorted(set(named)) == sorted(set(named) & {
                v for n in here for v in valid_ids(kind, [persons[int(n)]])})
            seen += named
        assert len(seen) == len(set(seen)) == 40  # each once, in the part that names them


# -- 3. user words never become markup ------------------------------------------------------

HOSTILE = ("<@all>", '<at user_id="all">所有人</at>', '<at user_id="ou_1x"></at>',
           '<font color="warning">红</font>', "<@u1>", "<b>粗</b>", "</at>")


@pytest.mark.parametrize("name", list(KINDS))
def test_user_words_never_make_a_mention_or_a_tag(name):
    kind = KINDS[name]
    known = _by("甲", wecom_userid="u1", mobile="13800000001", feishu_open_id="ou_1x")
    by_mobile = _by("乙", mobile="13800000002")  # WeCom writes text, not markdown

    @examples(60)
    @given(before=WORDS, hostile=st.sampled_from(HOSTILE), after=WORDS, title=WORDS,
           style=st.sampled_from(list(Style)), mention=st.booleans(),
           text_form=st.booleans(), keyword=KEYWORDS)
    def check(before, hostile, after, title, style, mention, text_form, keyword):
        words = before + hostile + after
        lines = ((line(known, "：1 项"),) if mention else ()) + (
            (line(by_mobile, "：2 项"),) if text_form else ())
        message = Outgoing(title + hostile, (*lines, (Span(words, style),),
                                             line(Mention(hostile, {}))), hint=hostile)
        for payload in render(kind, message, keyword):
            for value in _strings(payload):
                # the writer's own markup, for the one person with valid handles, and
                # nothing else with an angle bracket
                rest = value.replace(keyword, "") if keyword else value  # the admin's
                if mention:
                    rest = rest.replace("<@u1>", "").replace('<at user_id="ou_1x">', "")
                    rest = rest.replace("</at>", "", 1) if kind.name == "feishu" else rest
                assert "<" not in rest and ">" not in rest, value
            assert "@all" not in listed(payload)

    check()


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


# -- 5. the image ---------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def chart_message(image: bytes | None) -> Outgoing:
    return Outgoing("图表", (), image=image, image_caption="📊 图表说明",
                    image_lines=(line("📊 图表说明"), line(Span("按责任类型", Style.BOLD)),
                                 line("· 主体责任：1/2/3/4")))


def test_wecom_sends_the_image_first_with_base64_and_md5():
    payloads = render(wecom.WECOM, chart_message(PNG), None)
    image = payloads[0]
    assert image["msgtype"] == "image"
    assert base64.b64decode(image["image"]["base64"]) == PNG
    assert image["image"]["md5"] == hashlib.md5(PNG).hexdigest()
    assert [texts(p) for p in payloads[1:]] == ["📊 图表说明"]  # the caption, not the table


def test_wecom_sends_the_table_when_the_image_is_over_two_megabytes():
    for size, pictured in ((2 * 1024 * 1024, True), (2 * 1024 * 1024 + 1, False)):
        payloads = render(wecom.WECOM, chart_message(b"x" * size), None)
        assert (payloads[0]["msgtype"] == "image") is pictured
        if not pictured:
            assert "主体责任：1/2/3/4" in "".join(texts(p) for p in payloads)


@pytest.mark.parametrize("kind", [dingtalk.DINGTALK, feishu.FEISHU], ids=lambda k: k.name)
def test_dingtalk_and_feishu_always_get_the_table(kind):
    for image in (PNG, None):  # None: no CJK font to draw it
        payloads = render(kind, chart_message(image), "督办")
        joined = "".join(texts(p) for p in payloads)
        assert "主体责任：1/2/3/4" in joined and "图表说明" in joined
        assert all("image" not in p for p in payloads)


# -- 4. 保密 mode ----------------------------------------------------------------------------

TODAY = date(2026, 11, 30)
CODES = ("C0001", "W0002", "Z0003", "M0004")
STATUSES = list(ItemStatus)


@st.composite
def secrets(draw) -> dict:
    """Titles, notes, names and units no push in 保密 mode may show: long and odd enough
    that none of them occurs in the fixed text by chance."""
    word = st.text(ANY_CHAR, min_size=1, max_size=12).map(lambda s: f"秘{s}密")
    words = draw(st.lists(word, min_size=12, max_size=12, unique=True).filter(
        lambda ws: not any(a != b and a in b for a in ws for b in ws)))
    return {"titles": words[:4], "names": words[4:8], "units": words[8:],
            "statuses": draw(st.lists(st.sampled_from(STATUSES), min_size=4, max_size=4)),
            "dues": draw(st.lists(st.integers(-30, 30), min_size=4, max_size=4))}


def _entry(n: int, s: dict, owner: int, own: bool) -> dict:
    return {"item": n, "code": CODES[n], "kind": "measure", "title": s["titles"][n],
            "due": (TODAY + timedelta(days=s["dues"][n])).isoformat(), "stage": "T-1",
            "owner": s["names"][owner], "unit": s["units"][n], "own": own,
            "status": s["statuses"][n].value, "talk": False}


def unit_digest_payload(s: dict) -> dict:
    """Two sections: 0 has their own item and one of 2's to urge (请督办); 1 has theirs."""
    return {"unit": s["units"][0], "sections": [
        {"person": 1, "name": s["names"][0], "bound": True,
         "handles": {"mobile": "13800000001"},
         "entries": [_entry(0, s, 0, True), _entry(2, s, 2, False)], "more": 1},
        {"person": 2, "name": s["names"][1], "bound": False, "handles": {},
         "entries": [_entry(1, s, 1, True)], "more": 0},
    ]}


def overdue_payload(s: dict) -> dict:
    return {"name": "", "entries": [_entry(n, s, n, False) for n in range(4)], "more": 2}


def weekly_payload(s: dict) -> dict:
    units = {n + 1: Unit(n + 1, s["units"][n], UnitKind.DEPARTMENT) for n in range(4)}
    persons = {10 + n: Person(10 + n, s["names"][n], n + 1, frozenset({Role.MEMBER}))
               for n in range(4)}
    red = [ItemLine(CODES[n], s["titles"][n], ListKind.MEASURE, s["names"][n], s["units"][n],
                    TODAY - timedelta(days=n + 1), ItemStatus.OPEN) for n in range(2)]
    yellow = [ItemLine(CODES[n], s["titles"][n], ListKind.MEASURE, s["names"][n],
                       s["units"][n], TODAY + timedelta(days=n), ItemStatus.IN_PROGRESS)
              for n in range(2, 4)]
    data = SummaryInput(
        today=TODAY,
        census=[Census(ListKind.MEASURE, Duty.DUAL, n + 1, ItemStatus.OPEN, Timing.OVERDUE, 1)
                for n in range(4)],
        on_time=[OnTime(10 + n, n + 1, Duty.DUAL, counted=3, on_time=n) for n in range(4)],
        responses=[Responses(10 + n, 4, n) for n in range(4)],
        red=red, yellow=yellow,
        talks=TalkCount(required=4, required_held=1),
        changes=WeekChanges(finished=1, newly_overdue=2),
        silent=[NonResponder(10 + n, 2, TODAY - timedelta(days=5)) for n in range(4)],
        people=persons, units=units)
    return to_payload(summarize(data, KIND_NAMES, DUTY_NAMES))


def _all_text(message: Outgoing, kind: RobotKind) -> str:
    return "\n".join(_strings([p for p in render(kind, message, "督办")
                               if p.get("msgtype") != "image"]))


def test_confidential_pushes_show_codes_statuses_and_dates_only():
    @examples(60)
    @given(s=secrets())
    def check(s):
        digest = robot_message("robot_digest", unit_digest_payload(s), TODAY, True)
        notice = robot_message("group_digest", overdue_payload(s), TODAY, True)
        weekly = robot_message("weekly_summary", weekly_payload(s), TODAY, True)
        for kind in ROBOT_KINDS:
            shown = {"digest": _all_text(digest, kind), "notice": _all_text(notice, kind),
                     "weekly": _all_text(weekly, kind)}
            for what, words in shown.items():
                for secret in (*s["titles"], *s["units"]):
                    assert markup_safe(secret) not in words, (what, secret)
                # nobody but the person a section is addressed to: in the digest the two
                # people @-ed or named; in the 纪委's notice and the summary nobody
                allowed = s["names"][:2] if what == "digest" else []
                for name in s["names"]:
                    if name not in allowed:
                        assert markup_safe(name) not in words, (what, name)
            for n in (0, 1, 2):  # the digest's codes, statuses and dates
                due = TODAY + timedelta(days=s["dues"][n])
                assert CODES[n] in shown["digest"]
                assert STATUS_NAMES[s["statuses"][n]] in shown["digest"]
                assert fmt_date(due) in shown["digest"]
            for n in range(4):
                assert CODES[n] in shown["notice"] and CODES[n] in shown["weekly"]
                assert fmt_date(TODAY + timedelta(days=s["dues"][n])) in shown["notice"]
            assert markup_safe(s["names"][1]) in shown["digest"]
            assert "请督办" in shown["digest"]  # 0 is told to urge, not whom

    check()


def test_confidential_chart_shows_no_unit():
    s = {"titles": ["标题甲", "标题乙", "标题丙", "标题丁"],
         "names": ["张三丰", "李四光", "王五常", "赵六合"],
         "units": ["甲单位", "乙单位", "丙单位", "丁单位"], "statuses": [ItemStatus.OPEN] * 4,
         "dues": [1, 2, 3, 4]}
    chart = robot_message("weekly_chart", weekly_payload(s), TODAY, True)
    assert chart is not None
    for kind in ROBOT_KINDS:
        words = "\n".join(texts(p) for p in render(kind, chart, None)
                          if p.get("msgtype") != "image")
        assert not any(u in words for u in s["units"]), words
        assert "主体责任" in words or kind.name == "wecom"
    open_chart = robot_message("weekly_chart", weekly_payload(s), TODAY, False)
    assert "甲单位" in "".join(p.text for one in open_chart.image_lines for p in one)


@example(title="<@all> 标题")
@given(title=WORDS)
@examples(60)
def test_open_mode_keeps_titles_but_never_as_markup(title):
    s = {"titles": [title] * 4, "names": ["张三", "李四", "王五", "赵六"],
         "units": ["甲", "乙", "丙", "丁"], "statuses": [ItemStatus.OPEN] * 4,
         "dues": [1, 2, 3, 4]}
    digest = robot_message("robot_digest", unit_digest_payload(s), TODAY, False)
    for kind in ROBOT_KINDS:
        check_render(kind, digest, None)
        assert canon(markup_safe(title)) in canon(_all_text(digest, kind))


def test_blank_lines_never_open_a_part():
    message = Outgoing("t", (line("x" * 1500), BLANK, BLANK, line("y" * 10)))
    for payload in render(wecom.WECOM, message, None):
        assert not texts(payload).startswith("\n")


def test_regression_an_escaped_long_line_is_not_truncated():
    """Found by the words property: a long line was cut by its raw UTF-8 size, but the
    writer writes < as ＜ (3 bytes) and Feishu's JSON a control character as \\u0000 (6), so
    a piece went over the limit and the fallback cut its end off (or, for Feishu, raised)."""
    message = Outgoing("", ((Span("<b>" * 586),),))
    check_render(wecom.WECOM, message, None)
    check_render(feishu.FEISHU, Outgoing("", ((Span("\x00" * 5000),),)), None)


def test_regression_a_blank_part_is_not_sent():
    """Found by the no-empty-part property: a message whose lines render to nothing sent an
    empty markdown, which the messenger refuses."""
    for kind in ROBOT_KINDS:
        assert render(kind, Outgoing("", ((Span(""),), (Span("  "),))), None) == []


@pytest.mark.parametrize(("name", "handle"), [("wecom", "wecom_userid"), ("wecom", "mobile"),
                                              ("dingtalk", "mobile")])
def test_a_handle_two_people_share_is_not_used_and_both_are_named(name, handle):
    """A typo in the 人员 sheet gives 甲 and 乙 the same id: @-ing it would reach one of
    them for both, so neither is @-ed by it; both are named."""
    same = "13800000001" if handle == "mobile" else "jia"
    message = Outgoing("t", (line(_by("甲", **{handle: same}), "：1 项"),
                             line(_by("乙", **{handle: same}), "：2 项")))
    [payload] = render(KINDS[name], message, "督办")
    words = texts(payload)
    assert "甲" in words and "乙" in words and same not in json.dumps(payload)
