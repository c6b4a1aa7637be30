"""Inline keyboards. Callback data is an action code and ids only (at most 64 bytes)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.transitions import owner_actions
from bot.services.flows import FlowPrompt, StepKind
from bot.services.items import ItemCard, ItemPage
from messages import callbacks as cb
from messages import replies

# Callback data prefixes; the grammar and its strict parsers are messages/callbacks.py's
FLOW = cb.FLOW
LIST_PAGE = cb.LIST_PAGE
FIX_FILTER = cb.FIX_FILTER  # /整改's filter: zl:<filter>:<viewer id>
TALK_NEW = cb.TALK_NEW  # /约谈: set an ad-hoc talk


def flow_keyboard(p: FlowPrompt) -> InlineKeyboardMarkup | None:
    state = p.state
    rows: list[list[InlineKeyboardButton]] = []
    if not p.typed_only:
        row: list[InlineKeyboardButton] = []
        per_row = 1 if any(len(label) > 10 for _, label in state.options) else 2
        for index, (value, label) in enumerate(state.options):
            mark = "✅ " if value in state.picked else ""
            row.append(InlineKeyboardButton(
                f"{mark}{label}", callback_data=f"{FLOW}:{state.nonce}:{index}"))
            if len(row) == per_row:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
    tail = []
    if p.kind is StepKind.MULTI:
        tail.append(InlineKeyboardButton("完成", callback_data=f"{FLOW}:{state.nonce}:{cb.FLOW_OK}"))
    if p.optional:
        tail.append(InlineKeyboardButton("跳过", callback_data=f"{FLOW}:{state.nonce}:{cb.FLOW_SKIP}"))
    tail.append(InlineKeyboardButton("取消", callback_data=f"{FLOW}:{state.nonce}:{cb.FLOW_CANCEL}"))
    rows.append(tail)
    return InlineKeyboardMarkup(rows)


def list_keyboard(page: ItemPage) -> InlineKeyboardMarkup | None:
    """/我的清单: a row of buttons for each of the viewer's own items being worked on,
    then the pager."""
    rows = [replies.row_for(v.item, cb.list_surface(page.page)) for v in page.views
            if v.item.owner_id == page.viewer_id and owner_actions(v.item.status)]
    pager = list_pager(page)
    if pager is not None:
        rows += [list(r) for r in pager.inline_keyboard]
    return InlineKeyboardMarkup(rows) if rows else None


def card_keyboard(card: ItemCard, acked: bool = False) -> InlineKeyboardMarkup | None:
    """An item's card: the owner's buttons for the owner (a single button showing where it
    stands once it is closed); nothing for anyone else."""
    if not card.own:
        return None
    return InlineKeyboardMarkup([replies.row_for(card.view.item, replies.CARD, acked)])


def list_pager(page: ItemPage) -> InlineKeyboardMarkup | None:
    if page.pages <= 1:
        return None
    buttons = []
    if page.page > 0:
        buttons.append(InlineKeyboardButton(
            "‹ 上一页", callback_data=f"{LIST_PAGE}:{page.viewer_id}:{page.page - 1}"))
    if page.page < page.pages - 1:
        buttons.append(InlineKeyboardButton(
            "下一页 ›", callback_data=f"{LIST_PAGE}:{page.viewer_id}:{page.page + 1}"))
    return InlineKeyboardMarkup([buttons])
