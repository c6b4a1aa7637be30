"""Answering pushes: the item buttons, what a tap shows, notes, 延期, 验收销号, and the
notices these send (SPEC §5, issue 4)."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.model import Item, ItemStatus, ListKind
from bot.domain.transitions import Action, owner_actions
from bot.domain.vocabulary import KIND_NAMES, STATUS_NAMES
from bot.services.errors import StaleButton
from bot.services.replies import Changed, Decided, PendingExtension
from bot.services.reply_flows import Reported
from messages import callbacks as cb
from messages.format import days_phrase, esc, fmt_date
from messages.names import body

# Callback data (messages/callbacks.py has the grammar): an action and ids only,
# re-checked on every press.
ITEM, EXTENSION, CHECK = cb.ITEM, cb.EXTENSION, cb.CHECK  # it:…, ex:…, zg:…
APPROVE, REJECT, WITHDRAW = cb.APPROVE, cb.REJECT, cb.WITHDRAW  # 批准, 驳回, 撤回申请

# What the item buttons do.
ACK, START, DONE, EXTEND, STATUS = cb.ACK, cb.START, cb.DONE, cb.EXTEND, cb.STATUS
ACTS = {START: Action.START, DONE: Action.COMPLETE, EXTEND: Action.REQUEST_EXTENSION}

# Where the buttons sit, so a tap redraws the right thing: rows in a digest or a notice,
# a page of /我的清单, one item's card, or the /延期审批 list.
ROWS, CARD, PENDING = cb.ROWS, cb.CARD, cb.PENDING
MAX_ITEM_ROWS = 24  # four buttons an item; Telegram allows 100 in one message


def kind_label(kind: ListKind) -> str:
    if kind is ListKind.OBLIGATION:
        return "履责事项"
    if kind is ListKind.RECTIFICATION:
        return "整改事项"
    return f"{KIND_NAMES[kind]}清单"


def item_row(item_id: int, code: str, status: ItemStatus, surface: str, *,
             is_talk: bool = False, acked: bool = False,
             own: bool = True) -> list[InlineKeyboardButton]:
    """One item's buttons: 收到, 进行中, 已完成, 申请延期 while it is being worked on;
    afterwards a single button that shows where it stands."""
    def button(text: str, act: str) -> InlineKeyboardButton:
        return _button(text, f"{ITEM}:{act}:{item_id}:{surface}")

    actions = owner_actions(status)
    if not own:  # a leader asked to 督促: confirm it, see where it stands (a status, which
        # says so: a bare "未开始" or "进行中" would read as something to press)
        return [button(f"{'✅ ' if acked else ''}收到 {code}", ACK),
                button(f"状态：{STATUS_NAMES[status]}", STATUS)]
    if not actions:
        return [button(f"{code} · {STATUS_NAMES[status]}", STATUS)]
    row = [button(f"{'✅ ' if acked else ''}收到 {code}", ACK)]
    row.append(button("进行中", START) if Action.START in actions else
               button("🔵 进行中", STATUS))
    row.append(button("登记谈话" if is_talk else "已完成", DONE))
    row.append(button("申请延期", EXTEND))
    return row


@functools.lru_cache(maxsize=4096)
def _button(text: str, data: str) -> InlineKeyboardButton:
    """A button, made once: PTB's buttons are immutable, and making one costs about as
    much as rendering a line of text (a page of /我的清单 has some thirty)."""
    return InlineKeyboardButton(text, callback_data=data)


def row_for(item: Item, surface: str, acked: bool = False) -> list[InlineKeyboardButton]:
    return item_row(item.id, item.code, item.status, surface, is_talk=item.is_talk,
                    acked=acked)


def items_keyboard(items: list[Item]) -> InlineKeyboardMarkup:
    """A notice's rows (the owner's), redrawn from the items as they stand now."""
    return InlineKeyboardMarkup([row_for(item, ROWS) for item in items])


def rows_keyboard(entries: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
    """The buttons under a digest or a notice: one row per item (from its payload)."""
    rows = [item_row(e["item"], e["code"], ItemStatus(e.get("status", "open")), ROWS,
                     is_talk=bool(e.get("talk")), own=e.get("own", True))
            for e in entries[:MAX_ITEM_ROWS]]
    return InlineKeyboardMarkup(rows) if rows else None


def replace_row(markup: InlineKeyboardMarkup | None, item_id: int,
                row: list[InlineKeyboardButton]) -> InlineKeyboardMarkup | None:
    """The same keyboard with that item's row redrawn."""
    if markup is None:
        return None
    rows = []
    for old in markup.inline_keyboard:
        if any(cb.item_of(b.callback_data) == item_id for b in old):
            rows.append(row)
        else:
            rows.append(list(old))
    return InlineKeyboardMarkup(rows)


def is_owner_row(markup: InlineKeyboardMarkup | None, item_id: int) -> bool | None:
    """Whether the item's row offers the owner's buttons (None: no row for it)."""
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        if any(cb.item_of(b.callback_data) == item_id for b in row):
            return len(row) > 2
    return None


def shows_acked(markup: InlineKeyboardMarkup | None, item_id: int) -> bool:
    """Whether the item's 收到 button already says it was confirmed (✅)."""
    if markup is None:
        return False
    return any(cb.item_of(b.callback_data) == item_id and b.text.startswith("✅ 收到")
               for row in markup.inline_keyboard for b in row)


def items_named(markup: InlineKeyboardMarkup | None) -> set[int]:
    """The items a message's buttons are about (a reply to it is a note on one of them)."""
    if markup is None:
        return set()
    return {i for row in markup.inline_keyboard for b in row
            if (i := cb.item_of(b.callback_data)) is not None}


# What a tap shows ---------------------------------------------------------------------

def moved(changed: Changed) -> str:
    item = changed.item
    if item.status is ItemStatus.PENDING_VERIFICATION:
        return f"{item.code} 已提交{body()}验收，验收通过后销号"
    if item.status is ItemStatus.DONE:
        return f"{item.code} 已完成，辛苦了"
    return f"{item.code} 已标记为“{STATUS_NAMES[item.status]}”"


def status_toast(item: Item, today: date) -> str:
    text = f"{item.code} 当前状态：{STATUS_NAMES[item.status]}，截止 {fmt_date(item.due_date)}"
    if item.is_active:
        text += f"（{days_phrase(item.due_date, today)}）"
    return text


def note_added(item: Item) -> str:
    return f"📝 已记入 <code>{esc(item.code)}</code> {esc(item.title)} 的履责纪实。"


def reported(result: Reported) -> str:
    item = result.item
    parts = []
    if result.changed is not None:
        parts.append(moved(result.changed))
    if result.noted:
        parts.append("进展说明已记录")
    if not parts:
        parts.append("没有作任何更改")
    return f"✅ 汇报完成：<code>{esc(item.code)}</code> {esc(item.title)}\n" + "；".join(parts) + "。"


def note_pick_hint() -> str:
    return "这条消息涉及多个事项，请选择您的说明是关于哪一项的："


# 延期 --------------------------------------------------------------------------------

def extension_sent(request: Any, item: Item) -> str:
    return (f"✅ 已提交延期申请：<code>{esc(item.code)}</code> {esc(item.title)}\n"
            f"截止日期 {fmt_date(request.old_due)} → {fmt_date(request.new_due)}\n"
            "审批结果会通知您；审批期间事项状态为“延期审批中”。\n"
            "审批前如需撤回，请点下方“撤回申请”。")


def extension_request(p: dict[str, Any], today: date) -> str:
    return (f"⏳ <b>延期申请</b>\n"
            f"{esc(p['owner'])}（{esc(p['unit'])}）申请延期：\n"
            f"<code>{esc(p['code'])}</code> {esc(p['title'])}\n"
            f"截止日期 {fmt_date(date.fromisoformat(p['due']))} → "
            f"{fmt_date(date.fromisoformat(p['new_due']))}\n"
            f"理由：{esc(p['reason'])}")


def extension_keyboard(request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("批准", callback_data=f"{EXTENSION}:{APPROVE}:{request_id}"),
        InlineKeyboardButton("驳回", callback_data=f"{EXTENSION}:{REJECT}:{request_id}"),
    ]])


def withdraw_keyboard(request_id: int) -> InlineKeyboardMarkup:
    """Under the applicant's confirmation: take the request back before it is decided."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("撤回申请", callback_data=f"{EXTENSION}:{WITHDRAW}:{request_id}"),
    ]])


def extension_withdrawn(decided: Decided) -> str:
    request, item = decided.request, decided.item
    return (f"↩️ 已撤回延期申请：<code>{esc(item.code)}</code> {esc(item.title)}\n"
            f"截止日期仍为 {fmt_date(request.old_due)}，"
            f"事项恢复为“{STATUS_NAMES[item.status]}”。")


def withdraw_toast(decided: Decided) -> str:
    if decided.first:
        return "已撤回延期申请"
    return {"approved": "这项申请已经批准，不能再撤回",
            "rejected": "这项申请已被驳回，无需撤回",
            "withdrawn": "这项申请已经撤回了"}.get(decided.request.state, "这项申请已经处理过了")


MAX_PENDING_SHOWN = 30  # a longer list says how many more


def pending_extensions(pending: list[PendingExtension]) -> str:
    """/延期审批: the requests waiting for this approver, oldest first."""
    if not pending:
        return "👍 目前没有待您审批的延期申请。"
    lines = [f"<b>⏳ 待审批的延期申请</b>（{len(pending)}项）"]
    for number, p in enumerate(pending[:MAX_PENDING_SHOWN], start=1):
        request, item = p.request, p.item
        lines += ["", f"{number}. <code>{esc(item.code)}</code> {esc(item.title)}",
                  f"　{esc(p.requester)}（{esc(p.unit)}）· {kind_label(item.kind)}",
                  f"　截止日期 {fmt_date(request.old_due)} → {fmt_date(request.new_due)}",
                  f"　理由：{esc(request.reason)}"]
    if len(pending) > MAX_PENDING_SHOWN:
        lines += ["", f"…另有 {len(pending) - MAX_PENDING_SHOWN} 项，处理完上面的再发送 "
                      "/延期审批 查看。"]
    return "\n".join(lines)


def pending_keyboard(pending: list[PendingExtension]) -> InlineKeyboardMarkup | None:
    """批准 / 驳回 per request, the same decision as on the request's own notice."""
    rows = []
    for p in pending[:MAX_ITEM_ROWS]:
        rid, code = p.request.id, p.item.code
        rows.append([
            InlineKeyboardButton(f"批准 {code}",
                                 callback_data=f"{EXTENSION}:{APPROVE}:{rid}:{PENDING}"),
            InlineKeyboardButton(f"驳回 {code}",
                                 callback_data=f"{EXTENSION}:{REJECT}:{rid}:{PENDING}"),
        ])
    return InlineKeyboardMarkup(rows) if rows else None


def decided_row(decided: Decided) -> list[InlineKeyboardButton]:
    """A decided request's row in a digest: where the item stands now (re-checked on press)."""
    what = {"approved": "已批准延期", "rejected": "延期已驳回",
            "withdrawn": "延期已撤回"}.get(decided.request.state, "已处理")
    return [InlineKeyboardButton(f"{decided.item.code} · {what}",
                                 callback_data=f"{ITEM}:{STATUS}:{decided.item.id}:{ROWS}")]


def replace_request_row(markup: InlineKeyboardMarkup | None, request_id: int,
                        row: list[InlineKeyboardButton]) -> InlineKeyboardMarkup | None:
    """The same keyboard with the row of that 延期 request's 批准/驳回 redrawn."""
    if markup is None:
        return None
    rows = []
    for old in markup.inline_keyboard:
        ids = set()
        for button in old:
            try:
                ids.add(cb.parse_extension(button.callback_data).request_id)
            except StaleButton:
                continue
        rows.append(row if request_id in ids else list(old))
    return InlineKeyboardMarkup(rows)


def extension_outcome(decided: Decided, by: str | None = None) -> str:
    request = decided.request
    what = {"approved": "✅ 已批准", "rejected": "❌ 已驳回",
            "withdrawn": "↩️ 申请人已撤回"}.get(request.state, "已处理")
    who = f"（{esc(by)}）" if by and request.state != "withdrawn" else ""
    return (f"{what}{who}：{esc(decided.requester.name)} 的延期申请\n"
            f"<code>{esc(decided.item.code)}</code> {esc(decided.item.title)}\n"
            f"截止日期 {fmt_date(request.old_due)} → {fmt_date(request.new_due)}")


def extension_toast(decided: Decided) -> str:
    if not decided.first:
        if decided.request.state == "withdrawn":
            return "申请人已撤回这项申请，无需审批"
        return "这项申请已经处理过了"
    return "已批准，截止日期已顺延" if decided.request.state == "approved" else "已驳回"


def extension_decided(p: dict[str, Any], today: date) -> str:
    head = (f"✅ 您的延期申请已获批准（{esc(p['by'])}）" if p["approved"]
            else f"❌ 您的延期申请未获批准（{esc(p['by'])}）")
    tail = (f"新的截止日期：{fmt_date(date.fromisoformat(p['new_due']))}，提醒将按新日期重新安排。"
            if p["approved"] else
            f"截止日期仍为 {fmt_date(date.fromisoformat(p['old_due']))}，请抓紧办理。")
    return f"{head}\n<code>{esc(p['code'])}</code> {esc(p['title'])}\n{tail}"


# 整改 ---------------------------------------------------------------------------------

def rectification_assigned(p: dict[str, Any], today: date) -> str:
    plan = p["plan"]
    return (f"📌 <b>整改通知</b>（{esc(p['by'])}）\n"
            f"来源：{esc(p['source'])}\n"
            f"<code>{esc(p['code'])}</code> {esc(p['title'])}\n"
            f"• 整改方案 <code>{esc(plan['code'])}</code> 请于 "
            f"{fmt_date(date.fromisoformat(plan['due']))} 前报{body()}\n"
            f"• 整改完成期限：{fmt_date(date.fromisoformat(p['due']))}\n"
            f"完成后点“已完成”提交{body()}验收，验收通过后销号。")


def rectification_keyboard(p: dict[str, Any]) -> InlineKeyboardMarkup:
    plan = p["plan"]
    return InlineKeyboardMarkup([
        item_row(plan["item"], plan["code"], ItemStatus.OPEN, ROWS),
        item_row(p["item"], p["code"], ItemStatus.OPEN, ROWS),
    ])


def verify_request(p: dict[str, Any], today: date) -> str:
    return (f"🟣 <b>整改待验收</b>\n"
            f"{esc(p['owner'])}（{esc(p['unit'])}）报告已完成：\n"
            f"<code>{esc(p['code'])}</code> {esc(p['title'])}\n"
            "请核实后点“销号”，或点“退回”并说明理由。")


def verify_keyboard(item_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("销号", callback_data=f"{CHECK}:{cb.VERIFY}:{item_id}"),
        InlineKeyboardButton("退回", callback_data=f"{CHECK}:{cb.RETURN}:{item_id}"),
    ]])


def verified_line(item: Item, by: str) -> str:
    return f"✅ <code>{esc(item.code)}</code> 已验收销号（{esc(by)}）。"


def returned_line(item: Item) -> str:
    return f"↩️ 已退回 <code>{esc(item.code)}</code> {esc(item.title)}，理由已通知责任人。"


def nothing_to_report() -> str:
    return "👍 您目前没有需要汇报的事项。发送 /我的清单 查看全部。"


def item_verified(p: dict[str, Any], today: date) -> str:
    return (f"✅ 您的整改 <code>{esc(p['code'])}</code> {esc(p['title'])} "
            f"已通过验收并销号（{esc(p['by'])}）。")


def item_returned(p: dict[str, Any], today: date) -> str:
    return (f"↩️ <b>整改被退回</b>（{esc(p['by'])}）\n"
            f"<code>{esc(p['code'])}</code> {esc(p['title'])}\n"
            f"理由：{esc(p['reason'])}\n"
            f"截止 {fmt_date(date.fromisoformat(p['due']))}，"
            f"{days_phrase(date.fromisoformat(p['due']), today)}。整改到位后请再点“已完成”。")


def returned_keyboard(p: dict[str, Any]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([item_row(p["item"], p["code"], ItemStatus.RETURNED, ROWS)])
