"""/责任书 (/letter) and /对账 (/reconcile), and their buttons: 签字背书, the holder's
已完成 / 未完成 on an 对账 line, and the 纪委's or 党委's 对账确认 (结转 / 不结转).

Private chat only. Callback data is never trusted: every press re-reads the letter or the
line and re-checks the presser in the service.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.domain.letters import Answer, Carry
from handlers.commands import add_command
from handlers.common import actor_of, edit, refusing, reply, toast
from handlers.context import DutyContext
from handlers.flows import render
from messages import callbacks, commands
from messages import letters as texts

_CARRY = {callbacks.CONFIRM_OK: None, callbacks.CONFIRM_CARRY: Carry.CARRY,
          callbacks.CONFIRM_DROP: Carry.DROP}


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == chat.PRIVATE


@refusing
async def letter(update: Update, context: DutyContext) -> None:
    """/责任书: the sender's 责任书 for the year, with 签字背书 while unsigned; once the
    对账 is open, their 对账 list with its buttons."""
    if not _private(update):
        await reply(update, texts.letters_need_private_chat())
        return
    actor = await actor_of(update, context)
    text, markup = texts.my_letter(await context.services.letters.mine(actor))
    await reply(update, text, markup)


@refusing
async def reconcile(update: Update, context: DutyContext) -> None:
    """/对账: what waits for this confirmer's 对账确认, each with its buttons."""
    if not _private(update):
        await reply(update, texts.letters_need_private_chat())
        return
    actor = await actor_of(update, context)
    waiting = await context.services.letters.waiting(actor)
    await reply(update, texts.waiting_text(waiting), texts.waiting_keyboard(waiting))


@refusing
async def on_sign(update: Update, context: DutyContext) -> None:
    """`qz:<letter id>`: 签字背书, by the holder only."""
    letter_id = callbacks.parse_sign(update.callback_query.data)
    actor = await actor_of(update, context)
    view = await context.services.letters.sign(actor, letter_id)
    await toast(update, "已签字背书")
    text, markup = texts.my_letter(view)
    await edit(update, text, markup)
    await reply(update, texts.letter_signed(view))


@refusing
async def on_answer(update: Update, context: DutyContext) -> None:
    """`dz:<done|undone>:<line id>`: the holder's 已完成, or 未完成 (its reason asked next)."""
    press = callbacks.parse_answer(update.callback_query.data)
    actor = await actor_of(update, context)
    letters = context.services.letters
    if press.act == callbacks.ANSWER_UNDONE:
        line = await letters.line_for_answer(actor, press.line_id)
        outcome = await context.services.flows.start(
            actor, update.effective_chat.id, "reconcile_reason", {"line": line.id},
            {"line": f"{line.code} {line.title}"})
        await toast(update, f"请写明 {line.code} 未完成的原因")
        text, markup = render(outcome, context)
        await reply(update, text, markup)
        return
    view = await letters.answer(actor, press.line_id, Answer.DONE)
    await toast(update, texts.answer_toast(view, press.line_id))
    text, markup = texts.view_reconcile(view)
    await edit(update, text, markup)


@refusing
async def on_confirm(update: Update, context: DutyContext) -> None:
    """`dq:<ok|carry|drop>:<line id>`: 对账确认 by the 纪委 or the 党委; the list is
    redrawn with what still waits."""
    press = callbacks.parse_confirm(update.callback_query.data)
    actor = await actor_of(update, context)
    letters = context.services.letters
    done = await letters.confirm(actor, press.line_id, _CARRY[press.act])
    await toast(update, texts.confirmed_toast(done))
    waiting = await letters.waiting(actor)
    await edit(update, texts.waiting_text(waiting), texts.waiting_keyboard(waiting))


def register(app: Application) -> None:
    add_command(app, commands.LETTER, letter)
    add_command(app, commands.RECONCILE, reconcile)
    app.add_handler(CallbackQueryHandler(on_sign, pattern=rf"^{callbacks.SIGN}:"))
    app.add_handler(CallbackQueryHandler(on_answer, pattern=rf"^{callbacks.ANSWER}:"))
    app.add_handler(CallbackQueryHandler(on_confirm, pattern=rf"^{callbacks.CONFIRM}:"))
