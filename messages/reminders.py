"""What the outbox sends: daily digests, 纪委 group notices, admin notices; and the texts
of /提醒设置, /民主生活会 and the 收到 button."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.channels.message import Outgoing, plain
from bot.domain.decision_escalation import ESCALATION_KIND
from bot.domain.model import Item, ListKind, Person
from bot.domain.obligations import TRIGGER_NAMES
from bot.domain.policy import ReminderPolicy, format_quiet_hours, format_time
from bot.domain.summary import from_payload
from messages import (
    backups,
    case_report,
    cases,
    decisions,
    delegation,
    handover,
    inspections,
    letters,
    names,
    outgoing,
    replies,
    summary,
)
from messages.format import days_phrase, esc, fmt_date
from messages.markup import from_html
from messages.telegram import Rendered, actions_of, rendered

#: Kinds whose rendering is slow (a chart, a workbook): the sender renders them in a child
#: process.
SLOW_KINDS = frozenset({"weekly_chart", "case_draft", "letter", "reconcile_sheet"})


def render_outbox(kind: str, payload: dict[str, Any], today: date) -> Rendered:
    """Turn a stored outbox payload into what Telegram sends, with today's day counts."""
    return rendered(outbox_message(kind, payload, today))


def outbox_message(kind: str, payload: dict[str, Any], today: date) -> Outgoing:
    """The neutral message of a stored outbox payload, for a chat where people can answer
    (a Telegram chat): with its buttons. A push-only robot group gets its own versions of
    the kinds it carries (messages/outgoing.py)."""
    if kind == "digest":
        return _message(digest(payload, today), digest_keyboard(payload))
    if kind == ESCALATION_KIND:
        return _message(decisions.escalation(payload, today))
    if kind == "group_digest":
        return _message(group_digest(payload, today))
    if kind == "weekly_summary":
        return _message(summary.weekly(from_payload(payload)))
    if kind == "weekly_chart":
        weekly = from_payload(payload)
        caption = summary.chart_caption(weekly)
        return Outgoing(title=caption, lines=(), image=summary.chart(weekly),
                        image_caption=caption)
    if kind == "calendar_notice":
        return _message(calendar_notice(payload["year"], payload["estimated"]))
    if kind == "undeliverable_notice":
        return _message(undeliverable_notice(payload))
    if kind == "review_reminder":
        return _message(cases.review_reminder(payload, today))
    if kind == "followup_reminder":
        return _message(inspections.follow_up_reminder(payload, today),
                        inspections.follow_up_keyboard(payload))
    if kind == "case_draft":
        return case_report.draft_message(payload)
    if kind == "letter":
        return letters.letter_message(payload)
    if kind == "reconcile":
        return letters.reconcile_message(payload)
    if kind == "reconcile_sheet":
        return letters.sheet_message(payload)
    if kind == "no_handle_notice":
        return outgoing.no_handle(payload)
    if kind == "robot_broken_notice":
        return outgoing.robot_broken(payload)
    if kind in _NOTICES:
        text, keyboard = _NOTICES[kind]
        return _message(text(payload, today), keyboard(payload) if keyboard else None)
    raise ValueError(f"no text for outbox messages of kind {kind!r}")


def _message(markup: str, keyboard: InlineKeyboardMarkup | None = None) -> Outgoing:
    lines = from_html(markup)
    return Outgoing(title=plain(lines[0]) if lines else "", lines=lines,
                    actions=actions_of(keyboard))


# Notices a change sends at once (bot/services/notices.py): text, and buttons if any.
_NOTICES: dict[str, tuple[Callable[[dict[str, Any], date], str],
                          Callable[[dict[str, Any]], InlineKeyboardMarkup] | None]] = {
    "extension_request": (replies.extension_request,
                          lambda p: replies.extension_keyboard(p["request"])),
    "extension_decided": (replies.extension_decided, None),
    "rectification_assigned": (replies.rectification_assigned, replies.rectification_keyboard),
    "verify_request": (replies.verify_request, lambda p: replies.verify_keyboard(p["item"])),
    "item_verified": (replies.item_verified, None),
    "item_returned": (replies.item_returned, replies.returned_keyboard),
    "item_delegated": (delegation.delegated_notice, delegation.delegated_keyboard),
    "backup_failed_notice": (backups.backup_failed_notice, None),  # bot/services/backups.py
    "handover_successor": (handover.successor_notice, None),  # bot/services/handover.py
    "handover_leaver": (handover.leaver_notice, None),
}


def _kind(entry: dict[str, Any]) -> str:
    return replies.kind_label(ListKind(entry["kind"]))


def _line(number: int, entry: dict[str, Any], today: date, with_owner: bool) -> list[str]:
    due = date.fromisoformat(entry["due"])
    meta = [f"截止 {fmt_date(due)}", days_phrase(due, today)]
    if with_owner:
        meta.insert(0, f"责任人 {esc(entry['owner'])}（{esc(entry['unit'])}）")
    return [f"{number}. <code>{esc(entry['code'])}</code> {esc(entry['title'])}",
            f"　{_kind(entry)} · " + " · ".join(meta)]


def digest(payload: dict[str, Any], today: date) -> str:
    entries = payload["entries"]
    own = [e for e in entries if e["own"]]
    overdue = [e for e in own if date.fromisoformat(e["due"]) < today]
    coming = [e for e in own if date.fromisoformat(e["due"]) >= today]
    others = [e for e in entries if not e["own"]]
    more = payload.get("more", 0)
    waiting = payload.get("decisions", [])
    count = len(entries) + more + len(waiting) + payload.get("decisions_more", 0)
    lines = [f"<b>📋 今日提醒</b> · {fmt_date(today)}",
             f"{esc(payload['name'])}，您有 {count} 项事项需要关注："]
    number = 0
    for title, group, with_owner in (("🔴 已逾期", overdue, False),
                                     ("⏰ 即将到期", coming, False),
                                     ("📢 请督办（您分管或主管范围内的逾期事项）", others, True)):
        if not group:
            continue
        lines += ["", f"<b>{title}</b>"]
        for entry in group:
            number += 1
            lines += _line(number, entry, today, with_owner)
    if more:
        lines += ["", f"……另有 {more} 项，发送 /待办 查看全部"]
    lines += decisions.section(waiting, today, number + 1, payload.get("decisions_more", 0))
    if entries:
        lines += ["", "请点下方按钮：收到、进行中、已完成或申请延期；"
                      "回复（引用）本消息写一句话即记为进展说明。发送 /待办 查看全部待办。"]
    if waiting:
        lines += ["", "待您决定的事项可直接点下方按钮办理（销号/退回、批准/驳回延期）。"]
    return "\n".join(lines)


def digest_keyboard(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    """A row per item (its buttons), then a row per decision waiting on the reader."""
    items = replies.rows_keyboard(_ordered(payload["entries"]))
    rows = [list(r) for r in items.inline_keyboard] if items else []
    room = decisions.BUTTONS_MAX - sum(len(r) for r in rows)
    rows += decisions.rows(payload.get("decisions", []), room)
    return InlineKeyboardMarkup(rows) if rows else None


def _ordered(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Buttons in the order the text lists the items: own overdue, own coming, others."""
    def rank(entry: dict[str, Any]) -> tuple[int, str]:
        return (0 if entry["own"] else 1, entry["due"])
    return sorted(entries, key=rank)


def group_digest(payload: dict[str, Any], today: date) -> str:
    entries = payload["entries"]
    more = payload.get("more", 0)
    lines = [f"<b>🔴 逾期事项通报</b> · {fmt_date(today)}",
             f"以下 {len(entries) + more} 项事项逾期已久，提请{names.body()}督办：", ""]
    for number, entry in enumerate(entries, start=1):
        lines += _line(number, entry, today, with_owner=True)
    if more:
        lines += ["", f"……另有 {more} 项未逐一列出"]
    lines += ["", "发送 /mylist 可查看全部清单。"]
    return "\n".join(lines)


def calendar_notice(year: int, estimated: bool) -> str:
    if estimated:
        what = (f"{year}年的法定节假日目前按规则推算（国务院办公厅的放假通知还未录入），"
                "调休上班日可能缺失。")
    else:
        what = f"系统没有{year}年的节假日数据，暂按周一至周五计算工作日。"
    return (f"📅 <b>工作日历提示</b>\n{what}\n"
            f"请在规则文件的 [calendar.{year}] 中填入当年放假和调休安排，重启后生效。"
            "此提示只发一次。")


def undeliverable_notice(payload: dict[str, Any]) -> str:
    if payload.get("group"):
        return (f"⚠️ 无法向群“{esc(payload['who'])}”发送消息（机器人可能已被移出群）。"
                "请把机器人重新拉进群，再在群里发送 /bindgroup。")
    return (f"⚠️ 无法给 {esc(payload['who'])}（{esc(payload['unit'])}）发送提醒："
            "对方可能屏蔽了机器人或从未打开过对话。请联系本人在 Telegram 中打开机器人并点“开始”。"
            "在此之前的提醒会继续尝试，此提示只发一次。")


def acknowledged(item: Item, first: bool) -> str:
    if first:
        return f"已确认收到 {item.code}"
    return f"{item.code} 已经确认过了"


# /提醒设置 ----------------------------------------------------------------------------------

def _after(days: int, who: str) -> str:
    return f"逾期第 {days} 天告知{who}" if days else f"不告知{who}"


def remind_settings(policy: ReminderPolicy, changed: set[str], title: str) -> str:
    def mark(key: str) -> str:
        return "（已修改）" if key in changed else ""
    lead = "、".join(f"T-{d}" for d in policy.lead_days) or "不提前提醒"
    quiet = format_quiet_hours(policy.quiet_hours) or "未设置"
    lines = [
        f"<b>{title}</b>",
        f"到期前提醒：{lead}{mark('lead_days')}",
        f"发送时间：每个工作日 {format_time(policy.send_time)}{mark('send_time')}",
        f"免打扰：{quiet}{mark('quiet_hours')}",
        "逾期督办：" + "；".join((_after(policy.owner_after_days, "本人"),
                            _after(policy.leaders_after_days, "分管领导和书记"),
                            _after(policy.discipline_after_days, names.group()))) + mark("escalation"),
        "",
        "提醒日如遇周末或法定节假日，提前到之前最近的工作日；调休上班日照常提醒。",
    ]
    return "\n".join(lines)


def meeting_recorded(event: str, on: date, new: bool, made: list[tuple[Item, Person]]) -> str:
    name = TRIGGER_NAMES.get(event, event)
    head = (f"✅ 已登记 {fmt_date(on)} 召开的{name}。" if new
            else f"{fmt_date(on)} 召开的{name}之前已经登记过，不会重复登记。")
    lines = [head]
    for item, owner in made:
        lines.append(f"已列入 {esc(owner.name)} 的清单：<code>{esc(item.code)}</code> "
                     f"{esc(item.title)}，截止 {fmt_date(item.due_date)}")
    return "\n".join(lines)
