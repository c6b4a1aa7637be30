"""Guided flows on Telegram: typed answers, button answers, and showing the outcome."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.services.flows import FlowCancelled, FlowDone, FlowOutcome, FlowPrompt
from bot.services.handover import preview
from bot.services.rectifications import Rectification
from handlers.common import actor_of, edit, refusing, reply, toast
from handlers.context import DutyContext
from messages import callbacks, keyboards, replies, work
from messages import flows as flow_texts
from messages.cases import case_recorded
from messages.common import plain_text_hint
from messages.handover import plan_text
from messages.inspections import findings_keyboard, inspection_recorded
from messages.items import item_created
from messages.letters import reason_recorded
from messages.people import group_bound, registered


def render(outcome: FlowOutcome, context: DutyContext, in_group: bool = False
           ) -> tuple[str, object]:
    """The text and keyboard that show a flow's outcome (`in_group`: said in a group)."""
    match outcome:
        case FlowPrompt():
            return flow_texts.prompt(outcome, in_group), keyboards.flow_keyboard(outcome)
        case FlowCancelled(flow=flow):
            return flow_texts.cancelled(flow), None
        case FlowDone(flow="register", result=r):
            return registered(r.person, r.unit, r.oversees, r.invite, context.bot.username), None
        case FlowDone(flow="new_item", result=Rectification() as made):
            return work.rectification_created(made), None
        case FlowDone(flow="new_item", result=view):
            return item_created(view, context.services.items.today()), None
        case FlowDone(flow="report", result=result):
            rows = replies.row_for(result.item, replies.ROWS, acked=True)
            return replies.reported(result), InlineKeyboardMarkup([rows])
        case FlowDone(flow="extension", result=(request, item)):
            return replies.extension_sent(request, item), replies.withdraw_keyboard(request.id)
        case FlowDone(flow="send_back", result=changed):
            return replies.returned_line(changed.item), None
        case FlowDone(flow="note", result=item):
            return replies.note_added(item), None
        case FlowDone(flow="talk_record", result=held):
            return work.talk_recorded(held), None
        case FlowDone(flow="talk_schedule", result=line):
            return work.talk_scheduled(line), None
        case FlowDone(flow="case_record", result=view):
            return case_recorded(view), None
        case FlowDone(flow="reconcile_reason", result=(view, line_id)):
            return reason_recorded(view, line_id), None
        case FlowDone(flow="inspection_record", result=view):
            return inspection_recorded(view), findings_keyboard([view])
        case FlowDone(flow="handover", result=view):
            return plan_text(preview(view)), None
        case FlowDone(flow="bind_group", result=(group, unit_name)):
            return group_bound(group, unit_name), None
    raise ValueError(f"no rendering for {outcome!r}")


def in_group(update: Update) -> bool:
    return update.effective_chat is not None and \
        update.effective_chat.type != update.effective_chat.PRIVATE


async def show(update: Update, context: DutyContext, outcome: FlowOutcome) -> None:
    text, markup = render(outcome, context, in_group(update))
    if update.callback_query is not None:
        await edit(update, text, markup)
    else:
        await reply(update, text, markup)


@refusing
async def on_text(update: Update, context: DutyContext) -> None:
    """Plain text: an answer to this user's flow here, else a hint (in private only)."""
    actor = await actor_of(update, context)
    outcome = await context.services.flows.answer_text(
        actor, update.effective_chat.id, update.effective_message.text
    )
    if outcome is not None:
        await show(update, context, outcome)
    elif update.effective_chat.type == update.effective_chat.PRIVATE:
        await reply(update, plain_text_hint())


@refusing
async def on_button(update: Update, context: DutyContext) -> None:
    """`f:<nonce>:<choice>`: the flow checks the nonce and the choice against its state."""
    query = update.callback_query
    press = callbacks.parse_flow(query.data)
    actor = await actor_of(update, context)
    outcome = await context.services.flows.answer_button(
        actor, update.effective_chat.id, press.nonce, press.choice
    )
    await toast(update)
    await show(update, context, outcome)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{keyboards.FLOW}:"))


def register_text(app: Application) -> None:
    """Registered last of the message handlers: only text no command claimed."""
    app.add_handler(MessageHandler(
        filters.UpdateType.MESSAGE & filters.TEXT & ~filters.Regex(r"^/"), on_text))
