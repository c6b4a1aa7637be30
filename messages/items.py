"""The three lists as people see them."""

from __future__ import annotations

import functools
import re
from datetime import date

from bot.domain.model import Duty, Item, ItemStatus, ListKind
from bot.domain.vocabulary import DUTY_NAMES, KIND_NAMES, LIST_NAMES, STATUS_NAMES
from bot.services.items import ItemCard, ItemPage, ItemView
from messages.delegation import card_lines
from messages.format import days_phrase, esc, fmt_date
from messages.replies import kind_label

_BADGE = {
    ItemStatus.OPEN: "⚪",
    ItemStatus.IN_PROGRESS: "🔵",
    ItemStatus.DONE: "✅",
    ItemStatus.PENDING_VERIFICATION: "🟣",
    ItemStatus.VERIFIED: "✅",
    ItemStatus.RETURNED: "🟠",
    ItemStatus.EXTENSION_REQUESTED: "⏳",
    ItemStatus.CANCELLED: "⚫",
}


def badge(item: Item, today: date) -> str:
    if item.is_active:
        left = item.days_left(today)
        if left < 0:  # overdue
            return "🔴"
        if left <= 7:
            return "🟡"
    return _BADGE[item.status]


def _chain_line(parent: Item) -> str:
    return (f"↳ 上级{KIND_NAMES[parent.kind]}：<code>{esc(parent.code)}</code> "
            f"{esc(parent.title)}")


@functools.lru_cache(maxsize=4096)
def _meta(status: ItemStatus, duty: Duty, due: date, active: bool, today: date) -> str:
    """An item line's state, duty and due date: a page's items share a few of each, and
    the same ones come back on the next page, so the words are remembered."""
    words = f"截止 {fmt_date(due)}"
    if active:
        words += f" · {days_phrase(due, today)}"
    return f"{STATUS_NAMES[status]} · {DUTY_NAMES[duty]} · {words}"


def _add_item(lines: list[str], view: ItemView, today: date, viewer_id: int | None,
              chains: dict[int, str]) -> None:
    """The item's lines, added to `lines`."""
    item = view.item
    meta = _meta(item.status, item.duty, item.due_date, item.is_active, today)
    if view.owner.id != viewer_id:
        meta = f"责任人 {esc(view.owner.name)} · {esc(view.unit.name)} · {meta}"
    lines.append(f"{badge(item, today)} <code>{esc(item.code)}</code> {esc(item.title)}")
    lines.append("　" + meta)
    for parent in view.chain:  # `chains`: one page's parents are mostly the same few
        line = chains.get(parent.id)
        if line is None:
            line = chains[parent.id] = "　" + _chain_line(parent)
        lines.append(line)


def section_title(kind: ListKind) -> str:
    return f"【{kind_label(kind)}】"


def my_list(page: ItemPage) -> str:
    scope = "全部清单" if page.everything else "我的清单"
    if page.total == 0:
        return f"<b>{scope}</b>\n\n目前没有清单事项。"
    lines = [f"<b>{scope}</b>（共{page.total}项，第{page.page + 1}/{page.pages}页）"]
    chains: dict[int, str] = {}
    kind: ListKind | None = None
    for view in page.views:
        if view.item.kind is not kind:
            kind = view.item.kind
            lines += ["", f"<b>{section_title(kind)}</b>"]
        _add_item(lines, view, page.today, page.viewer_id, chains)
    lines += ["", "🔴逾期 🟡7天内到期 ⚪未开始 🔵进行中 ✅已完成"]
    return "\n".join(lines)


def todo(views: list[ItemView], today: date, viewer_id: int) -> str:
    if not views:
        return "<b>待办</b>\n\n👍 没有逾期或14天内到期的事项。"
    overdue: list[ItemView] = []
    soon: list[ItemView] = []
    for v in views:
        (overdue if v.item.is_overdue(today) else soon).append(v)
    lines = ["<b>待办</b>（逾期和14天内到期）"]
    chains: dict[int, str] = {}
    if overdue:
        lines += ["", f"<b>已逾期 {len(overdue)} 项</b>"]
        for v in overdue:
            _add_item(lines, v, today, viewer_id, chains)
    if soon:
        lines += ["", f"<b>即将到期 {len(soon)} 项</b>"]
        for v in soon:
            _add_item(lines, v, today, viewer_id, chains)
    return "\n".join(lines)


def item_created(view: ItemView, today: date) -> str:
    item = view.item
    lines = [
        f"✅ 已新建{LIST_NAMES[item.kind]}清单事项 <code>{esc(item.code)}</code>",
        f"标题：{esc(item.title)}",
        f"责任类型：{DUTY_NAMES[item.duty]}",
        f"责任人：{esc(view.owner.name)}",
        f"所在单位：{esc(view.unit.name)}",
        f"截止日期：{fmt_date(item.due_date)}，{days_phrase(item.due_date, today)}",
    ]
    if item.source:
        lines.append(f"来源：{esc(item.source)}")
    for parent in view.chain:
        lines.append(f"上级{LIST_NAMES[parent.kind]}：<code>{esc(parent.code)}</code> "
                     f"{esc(parent.title)}")
    return "\n".join(lines)


# One item's card (/我的清单 C0003) ------------------------------------------------------

CARD_HINT = "回复（引用）本消息写一句话，即可为此事项添加进展说明。"
_CARD_HEAD = re.compile(r"\s(\S+)$")


def card(c: ItemCard) -> str:
    """One item, with what matters for answering it: where it stands, where it comes
    from (its 传导 chain), and what was last said about it."""
    view, today = c.view, c.today
    item = view.item
    due = f"截止：{fmt_date(item.due_date)}"
    if item.is_active:
        due += f"，{days_phrase(item.due_date, today)}"
    lines = [f"{badge(item, today)} <b>{kind_label(item.kind)}</b> <code>{esc(item.code)}</code>",
             f"<b>{esc(item.title)}</b>",
             f"责任人：{esc(view.owner.name)}（{esc(view.unit.name)}）· {DUTY_NAMES[item.duty]}",
             f"状态：{STATUS_NAMES[item.status]}",
             due]
    if item.source:
        lines.append(f"来源：{esc(item.source)}")
    lines += [_chain_line(parent) for parent in view.chain]
    if c.delegation is not None:
        lines += card_lines(c.delegation)
    lines.append("")
    if c.notes:
        more = f"（共{c.note_count}条，显示最近{len(c.notes)}条）" if c.note_count > len(c.notes) \
            else ""
        lines.append(f"<b>最近进展</b>{more}")
        for note in c.notes:
            who = esc(note.author) if note.author else "（已不在册）"
            lines.append(f"• {note.at:%m-%d %H:%M} {who}：{esc(note.text)}")
    else:
        lines.append("还没有进展说明。")
    lines += ["", CARD_HINT]
    return "\n".join(lines)


def card_code(text: str | None) -> str | None:
    """The item a message is the card of (read from its text as Telegram hands it back,
    without the markup), or None if it is no card."""
    lines = (text or "").strip().splitlines()
    if len(lines) < 2 or lines[-1].strip() != CARD_HINT:
        return None
    head = _CARD_HEAD.search(lines[0].strip())
    return head.group(1) if head else None
