"""One-tap answers (issue 4): the item buttons on digests, notices and /我的清单, 延期
approval, 销号/退回, notes by replying, /汇报, /整改 and /约谈.

Callback data is never trusted: it names an action and an id, and every press re-reads
the item and re-checks the presser's rights in the service.
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.domain import permissions
from bot.domain.model import Actor
from bot.domain.transitions import Action
from bot.services.errors import NotAllowed, NotBound, NothingToNote, NotYours
from bot.services.flows import FlowOutcome
from bot.services.rectifications import FixFilter
from handlers.commands import add_command, command_args
from handlers.common import (
    actor_of,
    edit,
    edit_markup,
    edit_markup_in,
    refusing,
    reply,
    toast,
)
from handlers.context import DutyContext
from handlers.flows import in_group, on_text, render, show
from messages import callbacks, commands, keyboards
from messages import replies as texts
from messages.items import card as card_text
from messages.items import card_code
from messages.items import my_list as my_list_text
from messages.reminders import acknowledged
from messages.work import fixes_keyboard, fixes_text, talks_keyboard, talks_text

_CODE = re.compile(r"\b([WZCLG][0-9]{4,9})\b", re.ASCII)
_FIX_WORDS = {"待验收": FixFilter.PENDING, "逾期": FixFilter.OVERDUE, "已销号": FixFilter.CLOSED,
              "全部": FixFilter.ALL, "未销号": FixFilter.OPEN}


def _markup(update: Update):
    """The pressed message's keyboard (None if Telegram no longer shows us the message)."""
    return getattr(update.callback_query.message, "reply_markup", None)


async def _start_flow(update: Update, context: DutyContext, flow: str, preset: dict,
                      toast_text: str, item=None) -> None:
    """A guided step begun from a button: the prompt comes as a new message, so the
    message with the button stays as it was."""
    actor = await actor_of(update, context)
    labels = {"item": f"{item.code} {item.title}"} if item is not None else None
    outcome = await context.services.flows.start(actor, update.effective_chat.id, flow, preset,
                                                 labels)
    await toast(update, toast_text)
    text, markup = render(outcome, context, in_group(update))
    await reply(update, text, markup)


@refusing
async def on_item_button(update: Update, context: DutyContext) -> None:
    """`it:<ack|go|done|ext|st>:<item id>:<surface>`."""
    press = callbacks.parse_item(update.callback_query.data)
    act, item_id, surface = press.act, press.item_id, press.surface
    actor = await actor_of(update, context)
    services = context.services
    if act == texts.STATUS:
        item = await services.replies.visible_item(actor, item_id)
        await toast(update, texts.status_toast(item, services.replies.today()))
        if surface == texts.CARD:  # the card read afresh: notes written since, days left
            await _redraw(update, context, actor, item, surface,
                          acked=texts.shows_acked(_markup(update), item_id))
        return
    if act == texts.ACK:
        await services.replies.may_acknowledge(
            actor, item_id, texts.is_owner_row(_markup(update), item_id) is True)
        result = await services.reminders.acknowledge(actor, item_id)
        await toast(update, acknowledged(result.item, result.first))
        item = result.item
    elif act == texts.EXTEND:
        item = await services.replies.may_work_on(actor, item_id, Action.REQUEST_EXTENSION)
        await _start_flow(update, context, "extension", {"item": item.id},
                          f"请输入 {item.code} 新的截止日期", item)
        return
    elif act == texts.DONE and (await services.replies.may_work_on(
            actor, item_id, Action.COMPLETE)).is_talk:  # a talk is closed by recording it
        item = await services.talks.may_record(actor, item_id)
        await _start_flow(update, context, "talk_record", {"item": item.id},
                          f"请登记 {item.code} 的谈话情况", item)
        return
    else:
        changed = await services.replies.act(actor, item_id, texts.ACTS[act])
        await toast(update, texts.moved(changed))
        item = changed.item
    await _redraw(update, context, actor, item, surface, acked=True)


async def _redraw(update: Update, context: DutyContext, actor: Actor, item, surface: str,
                  acked: bool) -> None:
    """Show the new state in place: the item's row, the whole list page, or the card."""
    if surface == texts.CARD:
        if actor.person_id != item.owner_id:  # only the owner's card has buttons to redraw
            return
        card = await context.services.items.card(actor, item.id)
        await edit(update, card_text(card), keyboards.card_keyboard(card, acked=acked))
        return
    page_no = callbacks.surface_page(surface)
    if page_no is not None:
        if actor.person_id != item.owner_id:  # someone else's list: the toast said it all
            return
        page = await context.services.items.my_list(actor.person, page_no)
        await edit(update, my_list_text(page), keyboards.list_keyboard(page))
        return
    row = texts.row_for(item, surface, acked=acked)
    if actor.person_id != item.owner_id and texts.is_owner_row(_markup(update),
                                                                item.id) is False:
        row = texts.item_row(item.id, item.code, item.status, surface, acked=acked, own=False)
    markup = texts.replace_row(_markup(update), item.id, row)
    if markup is not None and markup != _markup(update):
        await edit_markup(update, markup)


@refusing
async def on_extension_button(update: Update, context: DutyContext) -> None:
    """`ex:<ok|no>:<request id>`: an approver decides; `ex:wd:<request id>`: the applicant
    withdraws it. The message shows the outcome."""
    press = callbacks.parse_extension(update.callback_query.data)
    act, request_id, surface = press.act, press.request_id, press.surface
    actor = await actor_of(update, context)
    replies = context.services.replies
    if act == texts.WITHDRAW:
        decided = await replies.withdraw_extension(actor, request_id)
        await toast(update, texts.withdraw_toast(decided))
        await edit(update, texts.extension_withdrawn(decided) if decided.first
                   else texts.extension_outcome(decided, decided.by))
        return
    decided = await replies.decide_extension(actor, request_id, act == texts.APPROVE)
    await toast(update, texts.extension_toast(decided))
    if surface == callbacks.DIGEST:  # a digest's 待您决定: only this request's row changes
        markup = texts.replace_request_row(_markup(update), request_id,
                                           texts.decided_row(decided))
        if markup is not None and markup != _markup(update):
            await edit_markup(update, markup)
        return
    if surface == texts.PENDING:  # the /延期审批 list: what is still waiting, re-read
        pending = await replies.pending_extensions(actor)
        await edit(update, texts.pending_extensions(pending),
                   texts.pending_keyboard(pending))
        return
    await edit(update, texts.extension_outcome(decided, decided.by))


@refusing
async def extensions(update: Update, context: DutyContext) -> None:
    """/延期审批: the 延期 requests waiting for this approver, each with 批准/驳回."""
    actor = await actor_of(update, context)
    replies = context.services.replies
    pending = await replies.pending_extensions(actor)
    await reply(update, texts.pending_extensions(pending),
                texts.pending_keyboard(pending))


@refusing
async def on_check_button(update: Update, context: DutyContext) -> None:
    """`zg:<ok|back>:<item id>`: the 纪委 销号 a 整改, or send it back with a reason."""
    press = callbacks.parse_check(update.callback_query.data)
    act, item_id = press.act, press.item_id
    actor = await actor_of(update, context)
    replies = context.services.replies
    if act == callbacks.RETURN:
        item = await replies.may_check(actor, item_id, Action.RETURN)
        await _start_flow(update, context, "send_back", {"item": item.id},
                          f"请输入退回 {item.code} 的理由", item)
        return
    changed = await replies.verify(actor, item_id)
    await toast(update, f"{changed.item.code} 已销号")
    # that item's 销号/退回 become where it stands
    markup = texts.replace_row(_markup(update), item_id,
                               texts.row_for(changed.item, texts.ROWS))
    if markup is not None:
        await edit_markup(update, markup)
    # and the owner's 整改通知 shows it signed off, not its old buttons
    for notice in await replies.fix_notices(changed.item):
        await edit_markup_in(update, notice.chat_id, notice.message_id,
                             texts.items_keyboard(notice.items))


@refusing
async def on_reply(update: Update, context: DutyContext) -> None:
    """Text replying to one of the bot's messages about items: a progress note.
    In a group, where many talk to the bot and to each other, a reply to a message with
    item buttons (a list page, a notice, /整改), to an item's card (which says a reply is a
    note, and has no buttons when shown to someone not its owner) or to a message listing
    several items (/待办, a 纪委 group digest: the writer is asked which one) is a note;
    one to a message that merely names one code (a one-item notice, a confirmation) is not.
    A reply about several items asks which one, with a button per item.
    A reply to a card is about that one item, not the parents its chain names.
    Anything else goes on to the guided flows."""
    message = update.effective_message
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        await on_text(update, context)
        return
    markup = replied.reply_markup
    flow_prompt = markup is not None and any(
        (b.callback_data or "").startswith(f"{keyboards.FLOW}:")
        for row in markup.inline_keyboard for b in row)
    ids = texts.items_named(markup)
    card = card_code(replied.text)
    if card is not None:  # an item's card, with or without buttons: a note on that item
        codes = {card}
    else:
        codes = set() if flow_prompt else set(_CODE.findall(replied.text or ""))
        if in_group(update) and not ids and len(codes) < 2:
            codes = set()  # a group's chatter under a one-item notice is not a note
    if not ids and not codes:
        await on_text(update, context)
        return
    actor = await actor_of(update, context)
    replies = context.services.replies
    try:
        targets = await replies.note_targets(actor, ids, codes)
    except (NothingToNote, NotBound):
        if in_group(update) and not ids and card is None:  # a list others wrote under:
            await on_text(update, context)  # not this writer's to note, and no reply
            return
        raise
    if len(targets) == 1:
        item = await replies.add_note(actor, targets[0].id, message.text)
        await reply(update, texts.note_added(item))
        return
    note = replies.check_note(message.text)  # cleaned, as it will be stored
    outcome = await context.services.flows.start(
        actor, update.effective_chat.id, "note",
        {"text": note, "candidates": [t.id for t in targets]})
    await _show_new(update, context, outcome)


async def _show_new(update: Update, context: DutyContext, outcome: FlowOutcome) -> None:
    text, markup = render(outcome, context, in_group(update))
    await reply(update, text, markup)


@refusing
async def report(update: Update, context: DutyContext) -> None:
    """/汇报 [编号]: pick one of one's items, set its status, add a note."""
    actor = await actor_of(update, context)
    if actor.person is None:
        raise NotBound()
    preset: dict = {"owner": actor.person.id}
    args = command_args(update.effective_message)
    if args:
        item = await context.services.replies.own_item_by_code(actor, args[0])
        preset["item"] = str(item.id)
    elif not await context.services.replies.has_open_items(actor):
        await reply(update, texts.nothing_to_report())
        return
    outcome = await context.services.flows.start(actor, update.effective_chat.id, "report",
                                                 preset)
    await show(update, context, outcome)


@refusing
async def fixes(update: Update, context: DutyContext) -> None:
    """/整改: one's rectifications (the 纪委 see all, by state); `/整改 新建` sets one."""
    actor = await actor_of(update, context)
    args = command_args(update.effective_message)
    if args and args[0] in ("新建", "new"):
        if not permissions.can_create_rectifications(actor):
            raise NotAllowed("create_rectification")
        outcome = await context.services.flows.start(
            actor, update.effective_chat.id, "new_item",
            {"may_fix": True, "kind": "rectification"})
        await show(update, context, outcome)
        return
    shown = _FIX_WORDS.get(args[0]) if args else None
    view = await context.services.fixes.overview(actor, shown)
    await reply(update, fixes_text(view), fixes_keyboard(view))


@refusing
async def on_fix_filter(update: Update, context: DutyContext) -> None:
    """`zl:<filter>`: the same /整改 view, another state; rights re-read."""
    press = callbacks.parse_fix_filter(update.callback_query.data)
    shown = press.shown
    actor = await actor_of(update, context)
    if (actor.person_id or 0) != press.viewer_id:
        raise NotYours()
    view = await context.services.fixes.overview(actor, shown)
    await toast(update)
    await edit(update, fixes_text(view), fixes_keyboard(view))


@refusing
async def talks(update: Update, context: DutyContext) -> None:
    """/约谈: the talks one must hold, those held this year; record or set one."""
    actor = await actor_of(update, context)
    view = await context.services.talks.overview(actor)
    await reply(update, talks_text(view), talks_keyboard(view))


@refusing
async def on_schedule_talk(update: Update, context: DutyContext) -> None:
    """`tk:new`: begin setting an ad-hoc talk (the 纪委 or the 书记)."""
    callbacks.parse_talk_new(update.callback_query.data)
    actor = await actor_of(update, context)
    if not permissions.can_schedule_talks(actor):
        raise NotAllowed("schedule_talk")
    await _start_flow(update, context, "talk_schedule", {"holder": actor.person.id},
                      "请选择约谈对象")


def register(app: Application) -> None:
    add_command(app, commands.REPORT, report)
    add_command(app, commands.FIXES, fixes)
    add_command(app, commands.TALKS, talks)
    add_command(app, commands.EXTENSIONS, extensions)
    app.add_handler(CallbackQueryHandler(on_item_button, pattern=rf"^{texts.ITEM}:"))
    app.add_handler(CallbackQueryHandler(on_extension_button, pattern=rf"^{texts.EXTENSION}:"))
    app.add_handler(CallbackQueryHandler(on_check_button, pattern=rf"^{texts.CHECK}:"))
    app.add_handler(CallbackQueryHandler(on_fix_filter, pattern=rf"^{keyboards.FIX_FILTER}:"))
    app.add_handler(CallbackQueryHandler(on_schedule_talk, pattern=rf"^{keyboards.TALK_NEW}$"))


def register_replies(app: Application) -> None:
    """Before the flows' plain-text handler: a reply to the bot about items is a note."""
    app.add_handler(MessageHandler(
        filters.UpdateType.MESSAGE & filters.TEXT & filters.REPLY & ~filters.Regex(r"^/"),
        on_reply))
