"""Decisions waiting on someone (issue 22 §6): the digest's section 待您决定, its buttons,
/待办's part, and the 督办 notice when a decision has waited too long."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.decisions import DecisionKind
from messages import callbacks as cb
from messages.format import esc

SECTION = "⚖️ 待您决定"
BUTTONS_MAX = 100  # Telegram's limit for one message's keyboard

#: What a decision is called where it is listed.
LABELS = {
    DecisionKind.ACCEPTANCE: "待验收",
    DecisionKind.EXTENSION: "延期申请待审批",
    DecisionKind.RECONCILIATION: "待对账确认",
    DecisionKind.SIGNATURE: "待签字背书",
}
#: Who the decision is about, by kind.
_SUBJECT = {
    DecisionKind.ACCEPTANCE: "责任人",
    DecisionKind.EXTENSION: "申请人",
    DecisionKind.RECONCILIATION: "责任人",
}


def _kind(entry: dict[str, Any]) -> DecisionKind | None:
    try:
        return DecisionKind(entry["kind"])
    except ValueError:
        return None


def label(entry: dict[str, Any]) -> str:
    kind = _kind(entry)
    return LABELS[kind] if kind is not None else esc(str(entry["kind"]))


def waited(entry: dict[str, Any], today: date) -> str:
    days = max((today - date.fromisoformat(entry["since"])).days, 0)
    return "今天提交" if days == 0 else f"已等 {days} 天"


def _lines(number: int, entry: dict[str, Any], today: date) -> list[str]:
    head = (f"{number}. {label(entry)} · <code>{esc(entry['code'])}</code> "
            f"{esc(entry['title'])} · {waited(entry, today)}")
    who = _SUBJECT.get(_kind(entry))
    if who and entry.get("subject"):
        unit = f"（{esc(entry['unit'])}）" if entry.get("unit") else ""
        return [head, f"　{who} {esc(entry['subject'])}{unit}"]
    return [head]


def section(entries: list[dict[str, Any]], today: date, first: int = 1,
            more: int = 0) -> list[str]:
    """The lines of the section 待您决定 (empty: nothing waits on this person)."""
    if not entries:
        return []
    lines = ["", f"<b>{SECTION}</b>（{len(entries) + more}项）"]
    for number, entry in enumerate(entries, start=first):
        lines += _lines(number, entry, today)
    if more:
        lines.append(f"……另有 {more} 项，发送 /待办 查看全部")
    return lines


def rows(entries: list[dict[str, Any]], room: int) -> list[list[InlineKeyboardButton]]:
    """A row per decision that has an action in chat: 销号/退回 for a 待验收, 批准/驳回
    for a 延期 request (the same callbacks as their own notices, re-checked on press); at
    most `room` buttons."""
    found = []
    for entry in entries:
        ref, code = entry.get("ref"), entry["code"]
        if ref is None:
            continue
        if entry["kind"] == DecisionKind.ACCEPTANCE:
            row = [InlineKeyboardButton(f"销号 {code}",
                                        callback_data=f"{cb.CHECK}:{cb.VERIFY}:{ref}"),
                   InlineKeyboardButton(f"退回 {code}",
                                        callback_data=f"{cb.CHECK}:{cb.RETURN}:{ref}")]
        elif entry["kind"] == DecisionKind.EXTENSION:
            row = [InlineKeyboardButton(
                       f"批准延期 {code}",
                       callback_data=f"{cb.EXTENSION}:{cb.APPROVE}:{ref}:{cb.DIGEST}"),
                   InlineKeyboardButton(
                       f"驳回 {code}",
                       callback_data=f"{cb.EXTENSION}:{cb.REJECT}:{ref}:{cb.DIGEST}")]
        elif entry["kind"] == DecisionKind.SIGNATURE:  # the holder's own 责任书
            row = [InlineKeyboardButton("✍️ 签字背书", callback_data=f"{cb.SIGN}:{ref}")]
        else:  # 对账确认: /对账 lists each line with its answer and buttons
            continue
        if room < len(row):
            break
        room -= len(row)
        found.append(row)
    return found


def todo_part(entries: list[dict[str, Any]], today: date) -> str:
    """/待办's part: the decisions waiting on this person."""
    return "\n".join(section(entries, today)).lstrip("\n")


def todo_keyboard(entries: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
    found = rows(entries, BUTTONS_MAX)
    return InlineKeyboardMarkup(found) if found else None


def escalation(p: dict[str, Any], today: date) -> str:
    """督办: a decision has waited its T+3 workdays; told to the decider's superior (or,
    for the 纪委's own, within the 纪委)."""
    deciders = "、".join(esc(n) for n in p.get("deciders", [])) or "（无人）"
    what = _lines(1, p, today)
    what[0] = what[0].removeprefix("1. ")
    return "\n".join([f"⏫ <b>督办：待决定事项已等待 {int(p['days'])} 个工作日</b>", *what,
                      f"应由 {deciders} 决定，至今未办理，请督促及时办理。"])
