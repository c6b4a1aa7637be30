"""What every handler needs: who is acting, how to reply, how a refusal is shown."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.domain.model import Actor, Group
from bot.services.errors import ServiceError
from handlers.context import DutyContext
from messages.format import split_message
from messages.refusals import refusal

Handler = Callable[[Update, DutyContext], Awaitable[None]]
TOAST_LIMIT = 200


async def actor_of(update: Update, context: DutyContext) -> Actor:
    """Re-read on every update: rights are never cached in a chat or a button."""
    user = update.effective_user
    return await context.services.people.actor_for(user.id, update.update_id)


async def chat_group(update: Update, context: DutyContext) -> Group | None:
    """The registered group a message came from; None in private chat (the guard has
    already stopped unregistered groups)."""
    chat = update.effective_chat
    if chat.type == chat.PRIVATE:
        return None
    return await context.services.groups.get(chat.id)


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Send text to the chat the update came from, split to Telegram's limit;
    the keyboard goes with the last part."""
    parts = split_message(text)
    message = update.effective_message
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await message.get_bot().send_message(
            chat_id=message.chat_id, text=part, reply_markup=markup if last else None
        )


async def edit(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the pressed message in place (no new message for every tap)."""
    query = update.callback_query
    parts = split_message(text)
    try:
        await query.edit_message_text(parts[0], reply_markup=markup if len(parts) == 1 else None)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
    for index, part in enumerate(parts[1:], start=2):
        await query.message.get_bot().send_message(
            chat_id=query.message.chat_id, text=part,
            reply_markup=markup if index == len(parts) else None,
        )


async def toast(update: Update, text: str) -> None:
    await update.callback_query.answer(text[:TOAST_LIMIT])


def refusing(handler: Handler) -> Handler:
    """Turn a service's refusal into a clear reply (or a toast for a button)."""

    @functools.wraps(handler)
    async def wrapped(update: Update, context: DutyContext) -> None:
        try:
            await handler(update, context)
        except ServiceError as error:
            if update.callback_query is not None:
                await toast(update, refusal(error))
            else:
                await reply(update, refusal(error))

    return wrapped
