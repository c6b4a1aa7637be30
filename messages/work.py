"""/整改 and /约谈: the rectifications and talks as people see them."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.model import ItemStatus
from bot.domain.vocabulary import STATUS_NAMES
from bot.services.rectifications import FixFilter, FixList, Rectification
from bot.services.talks import TalkHeld, TalkLine, TalkOverview
from messages import callbacks as cb
from messages import keyboards
from messages.format import days_phrase, esc, fmt_date
from messages.items import badge
from messages.names import body
from messages.replies import CHECK, DONE, ITEM, MAX_ITEM_ROWS, ROWS, row_for

FILTER_NAMES = {FixFilter.OPEN: "未销号", FixFilter.OVERDUE: "逾期", FixFilter.PENDING: "待验收",
                FixFilter.CLOSED: "已销号", FixFilter.ALL: "全部"}
MAX_SHOWN = 30  # a longer list says how many more, and how to narrow it


def fixes_text(view: FixList) -> str:
    title = "全部整改" if view.everything else "我的整改"
    head = f"<b>{title}</b> · {FILTER_NAMES[view.shown]}（{len(view.views)}项）"
    if not view.views:
        return head + "\n\n目前没有这类整改事项。"
    lines = [head]
    for v in view.views[:MAX_SHOWN]:
        item = v.item
        due = fmt_date(item.due_date)
        if item.is_active:
            due += f" · {days_phrase(item.due_date, view.today)}"
        lines += ["", f"{badge(item, view.today)} <code>{esc(item.code)}</code> {esc(item.title)}",
                  f"　{esc(v.owner.name)}（{esc(v.unit.name)}）· {STATUS_NAMES[item.status]}"
                  f" · 截止 {due}"]
        if item.source:
            lines.append(f"　来源：{esc(item.source)}")
    if len(view.views) > MAX_SHOWN:
        lines += ["", f"…另有 {len(view.views) - MAX_SHOWN} 项，请点上方筛选或发送 /导出 查看全部。"]
    if view.can_check:
        lines += ["", "新建整改请发送 /整改 新建。"]
    return "\n".join(lines)


def fixes_keyboard(view: FixList) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    for v in view.views[:MAX_SHOWN]:
        if len(rows) == MAX_ITEM_ROWS:  # Telegram's 100 buttons; the rest are in the text
            break
        item = v.item
        if item.id in view.checkable:
            rows.append([
                InlineKeyboardButton(f"销号 {item.code}", callback_data=f"{CHECK}:{cb.VERIFY}:{item.id}"),
                InlineKeyboardButton(f"退回 {item.code}", callback_data=f"{CHECK}:{cb.RETURN}:{item.id}"),
            ])
        elif v.owner.id == view.viewer_id and item.is_active \
                and item.status is not ItemStatus.EXTENSION_REQUESTED:
            rows.append(row_for(item, ROWS))
    if view.everything:
        rows.append([InlineKeyboardButton(("· " if f is view.shown else "") + name,
                                          callback_data=f"{keyboards.FIX_FILTER}:{f.value}:"
                                                        f"{view.viewer_id or 0}")
                     for f, name in FILTER_NAMES.items()])
    return InlineKeyboardMarkup(rows) if rows else None


def rectification_created(result: Rectification) -> str:
    main, plan = result.main.item, result.plan
    return (f"✅ 已新建整改 <code>{esc(main.code)}</code> {esc(main.title)}\n"
            f"责任人：{esc(result.main.owner.name)}（{esc(result.main.unit.name)}）\n"
            f"来源：{esc(main.source or '')}\n"
            f"整改方案 <code>{esc(plan.code)}</code> 期限：{fmt_date(plan.due_date)}\n"
            f"整改完成期限：{fmt_date(main.due_date)}\n"
            f"已通知责任人；到期前会按规则提醒，完成后由{body()}验收销号。")


def talks_text(view: TalkOverview) -> str:
    lines = ["<b>约谈</b>"]
    if view.to_hold:
        lines += ["", f"<b>应开展 {len(view.to_hold)} 次</b>"]
        for line in view.to_hold:
            item = line.item
            lines.append(f"{badge(item, view.today)} <code>{esc(item.code)}</code> "
                         f"{esc(item.title)}")
            lines.append(f"　对象：{esc(line.counterpart.name)} · 截止 {fmt_date(item.due_date)}"
                         f" · {days_phrase(item.due_date, view.today)}")
    else:
        lines += ["", "目前没有待开展的谈话。"]
    lines += ["", f"<b>今年已开展 {len(view.held)} 次</b>"]
    for held in view.held[-20:]:
        record = held.record
        lines.append(f"• {fmt_date(record.held_on)} {esc(record.kind)} · "
                     f"{esc(held.counterpart.name)}"
                     + (f"：{esc(record.note)}" if record.note else ""))
    lines += ["", "谈完后点下方“登记谈话”，填写日期、类型和简要情况即可。"]
    return "\n".join(lines)


def talks_keyboard(view: TalkOverview) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(f"登记谈话 {line.item.code}",
                                  callback_data=f"{ITEM}:{DONE}:{line.item.id}:{ROWS}")]
            for line in view.to_hold[:MAX_SHOWN]
            if line.item.status is not ItemStatus.EXTENSION_REQUESTED]
    if view.can_schedule:
        rows.append([InlineKeyboardButton("安排约谈", callback_data=keyboards.TALK_NEW)])
    return InlineKeyboardMarkup(rows) if rows else None


def talk_recorded(held: TalkHeld) -> str:
    record = held.record
    return (f"✅ 已登记：{fmt_date(record.held_on)} 与 {esc(held.counterpart.name)} 的"
            f"{esc(record.kind)}，<code>{esc(held.item.code)}</code> 已完成。")


def talk_scheduled(line: TalkLine) -> str:
    item = line.item
    return (f"✅ 已安排 <code>{esc(item.code)}</code> {esc(item.title)}，"
            f"期限 {fmt_date(item.due_date)}。到期前会提醒您；谈完后在 /约谈 中登记。")
