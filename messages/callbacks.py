"""Callback data: what the bot's buttons carry, and reading it back strictly.

A button carries an action code and ids, never anything a person typed. The bot reads
back exactly what it emits, and nothing else (every press is re-checked in the services
too; this only decides whether the data is one of ours):

    f:<nonce>:<choice>               a guided flow's step: nonce 8 hex digits; choice an
                                     option index 0–99, ok (multi-choice done), skip or x
    lp:<person id>:<page>            /我的清单's pager
    zl:<filter>:<viewer id>          /整改's filter: open, overdue, pending, closed or all;
                                     viewer id 0 for someone not registered as a person
    tk:new                           /约谈: set an ad-hoc talk
    it:<act>:<item id>:<surface>     an item's buttons: act ack, go, done, ext or st;
                                     surface d (rows of a digest or notice), c (a card)
                                     or l<page> (a page of /我的清单)
    ex:<ok|no>:<request id>[:p|:g]   decide a 延期 request (p: on the /延期审批 list;
                                     g: in a digest's section 待您决定)
    ex:wd:<request id>               the applicant withdraws it
    zg:<ok|back>:<item id>           the 纪委's 销号 or 退回 of a 整改
    qz:<letter id>                   签字背书 of a 责任书
    dz:<done|undone>:<line id>       the holder's 已完成 / 未完成 on an 对账 line
    dq:<ok|carry|drop>:<line id>     对账确认 of a line (a 未完成 one: 结转 or 不结转)
    jc:<finding id>                  a 监督检查's finding becomes a 问题 and a 整改
    hf:<follow-up id>                a 问责 case's 书面检讨 or 深刻检查 marked done
    wk:more                          the weekly summary's details (/周报)

Ids are ASCII digits without a leading zero, 1 to 2**63 - 1 (SQLite's integers); pages
0–9999. Anything else — another field count, another action, '٣' or '03' for an id,
more than 64 bytes — raises StaleButton, which the user sees as a stale-button toast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.services.errors import StaleButton
from bot.services.rectifications import FixFilter

DATA_MAX = 64  # bytes: Telegram's limit

FLOW = "f"
LIST_PAGE = "lp"
FIX_FILTER = "zl"
TALK_NEW = "tk:new"
WEEKLY_MORE = "wk:more"
ITEM = "it"
EXTENSION = "ex"
CHECK = "zg"
SIGN = "qz"
ANSWER = "dz"
CONFIRM = "dq"
FINDING = "jc"
FOLLOW_UP = "hf"

# The item buttons' actions, 延期 decisions, 销号/退回.
ACK, START, DONE, EXTEND, STATUS = "ack", "go", "done", "ext", "st"
APPROVE, REJECT, WITHDRAW = "ok", "no", "wd"  # 批准, 驳回, the applicant's 撤回申请
VERIFY, RETURN = "ok", "back"
ANSWER_DONE, ANSWER_UNDONE = "done", "undone"  # the holder's 已完成 / 未完成
CONFIRM_OK, CONFIRM_CARRY, CONFIRM_DROP = "ok", "carry", "drop"  # 对账确认 (结转 / 不结转)
# Where the buttons sit, so a tap redraws the right thing: rows in a digest or a notice,
# one item's card, the /延期审批 list, or a page of /我的清单 (l<page>).
ROWS, CARD, PENDING = "d", "c", "p"
DIGEST = "g"  # a 延期 decision in a digest's section 待您决定: only its row is redrawn
# A flow button's choice besides an option's index.
FLOW_OK, FLOW_SKIP, FLOW_CANCEL = "ok", "skip", "x"

ID_MAX = 2**63 - 1

_ID = r"([1-9][0-9]{0,18})"
_VIEWER = r"(0|[1-9][0-9]{0,18})"
_PAGE = r"(0|[1-9][0-9]{0,3})"


def _words(*words: str) -> str:
    return "(" + "|".join(re.escape(w) for w in words) + ")"


_GRAMMAR = {
    FLOW: re.compile(rf"{FLOW}:([0-9a-f]{{8}}):(0|[1-9][0-9]?|{FLOW_OK}|{FLOW_SKIP}|"
                     rf"{FLOW_CANCEL})", re.ASCII),
    LIST_PAGE: re.compile(rf"{LIST_PAGE}:{_ID}:{_PAGE}", re.ASCII),
    FIX_FILTER: re.compile(rf"{FIX_FILTER}:{_words(*FixFilter)}:{_VIEWER}", re.ASCII),
    ITEM: re.compile(rf"{ITEM}:{_words(ACK, START, DONE, EXTEND, STATUS)}:{_ID}:"
                     rf"({ROWS}|{CARD}|l(?:0|[1-9][0-9]{{0,3}}))", re.ASCII),
    EXTENSION: re.compile(rf"{EXTENSION}:(?:{_words(APPROVE, REJECT)}:{_ID}(?::({PENDING}|{DIGEST}))?"
                          rf"|({WITHDRAW}):{_ID})", re.ASCII),
    CHECK: re.compile(rf"{CHECK}:{_words(VERIFY, RETURN)}:{_ID}", re.ASCII),
    SIGN: re.compile(rf"{SIGN}:{_ID}", re.ASCII),
    ANSWER: re.compile(rf"{ANSWER}:{_words(ANSWER_DONE, ANSWER_UNDONE)}:{_ID}", re.ASCII),
    CONFIRM: re.compile(rf"{CONFIRM}:{_words(CONFIRM_OK, CONFIRM_CARRY, CONFIRM_DROP)}:{_ID}",
                        re.ASCII),
    FINDING: re.compile(rf"{FINDING}:{_ID}", re.ASCII),
    FOLLOW_UP: re.compile(rf"{FOLLOW_UP}:{_ID}", re.ASCII),
}


@dataclass(frozen=True, slots=True)
class FlowPress:
    nonce: str
    choice: str  # an option's index (ASCII digits), FLOW_OK, FLOW_SKIP or FLOW_CANCEL


@dataclass(frozen=True, slots=True)
class PagePress:
    owner_id: int
    page: int


@dataclass(frozen=True, slots=True)
class FilterPress:
    shown: FixFilter
    viewer_id: int  # 0: not a person


@dataclass(frozen=True, slots=True)
class ItemPress:
    act: str
    item_id: int
    surface: str  # ROWS, CARD or l<page>


@dataclass(frozen=True, slots=True)
class ExtensionPress:
    act: str
    request_id: int
    surface: str  # ROWS, PENDING or DIGEST


@dataclass(frozen=True, slots=True)
class CheckPress:
    act: str
    item_id: int


def _match(prefix: str, data: object) -> re.Match[str]:
    if not isinstance(data, str) or len(data.encode("utf-8", "surrogatepass")) > DATA_MAX:
        raise StaleButton()
    match = _GRAMMAR[prefix].fullmatch(data)
    if match is None:
        raise StaleButton()
    return match


def _id(text: str) -> int:
    number = int(text)  # the grammar allowed ASCII digits only
    if number > ID_MAX:
        raise StaleButton()
    return number


def parse_flow(data: object) -> FlowPress:
    nonce, choice = _match(FLOW, data).groups()
    return FlowPress(nonce, choice)


def parse_page(data: object) -> PagePress:
    owner, page = _match(LIST_PAGE, data).groups()
    return PagePress(_id(owner), int(page))


def parse_fix_filter(data: object) -> FilterPress:
    word, viewer = _match(FIX_FILTER, data).groups()
    return FilterPress(FixFilter(word), int(viewer) if viewer == "0" else _id(viewer))


def parse_talk_new(data: object) -> None:
    if data != TALK_NEW:
        raise StaleButton()


def parse_weekly_more(data: object) -> None:
    if data != WEEKLY_MORE:
        raise StaleButton()


def parse_item(data: object) -> ItemPress:
    act, item, surface = _match(ITEM, data).groups()
    return ItemPress(act, _id(item), surface)


def parse_extension(data: object) -> ExtensionPress:
    decision, request, pending, withdraw, withdrawn = _match(EXTENSION, data).groups()
    if withdraw:
        return ExtensionPress(withdraw, _id(withdrawn), ROWS)
    return ExtensionPress(decision, _id(request), pending or ROWS)


def parse_check(data: object) -> CheckPress:
    act, item = _match(CHECK, data).groups()
    return CheckPress(act, _id(item))


@dataclass(frozen=True, slots=True)
class LinePress:
    act: str
    line_id: int


def parse_sign(data: object) -> int:
    (letter,) = _match(SIGN, data).groups()
    return _id(letter)


def parse_answer(data: object) -> LinePress:
    act, line = _match(ANSWER, data).groups()
    return LinePress(act, _id(line))


def parse_confirm(data: object) -> LinePress:
    act, line = _match(CONFIRM, data).groups()
    return LinePress(act, _id(line))


def parse_finding(data: object) -> int:
    """`jc:<finding id>`: the finding's id."""
    (finding,) = _match(FINDING, data).groups()
    return _id(finding)


def parse_follow_up(data: object) -> int:
    """`hf:<follow-up id>`: the follow-up's id."""
    (follow_up,) = _match(FOLLOW_UP, data).groups()
    return _id(follow_up)


def list_surface(page: int) -> str:
    return f"l{page}"


def surface_page(surface: str) -> int | None:
    """The /我的清单 page an item button sits on (None: not on a list page)."""
    return int(surface[1:]) if surface.startswith("l") else None


def item_of(data: object) -> int | None:
    """The item a button of the bot's own is about (an item button or 销号/退回), if any."""
    for parse in (parse_item, parse_check):
        try:
            return parse(data).item_id
        except StaleButton:
            continue
    return None
