"""What every handler needs: who is acting, how to reply, how a refusal is shown."""

from __future__ import annotations

import base64
import functools
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update

from bot.domain.model import Actor, Group
from bot.services.errors import ServiceError
from handlers import answers
from handlers.context import DutyContext
from messages.format import split_message
from messages.refusals import refusal

Handler = Callable[[Update, DutyContext], Awaitable[None]]
TOAST_LIMIT = 200


async def actor_of(update: Update, context: DutyContext) -> Actor:
    """Re-read on every update: rights are never cached in a chat or a button. The guard's
    read as the update arrived serves while the update has written nothing (it is the same
    moment's); after a write it is read again."""
    user = update.effective_user
    arrived = context.arrived
    if arrived is not None and arrived.update_id == update.update_id \
            and arrived.telegram_user_id == user.id \
            and not context.services.db.written_in_update():
        return arrived
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
        await _answer(update, answers.SEND, message.chat_id, text=part,
                      reply_markup=markup if last else None)


async def reply_photo(update: Update, png: bytes, caption: str) -> None:
    """A picture (the week's chart) to the chat the update came from, after the text
    answers before it."""
    await _answer(update, answers.PHOTO, update.effective_message.chat_id,
                  photo=base64.b64encode(png).decode("ascii"), caption=caption)


async def edit(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the pressed message in place (no new message for every tap)."""
    query = update.callback_query
    parts = split_message(text)
    chat_id, message_id = query.message.chat.id, query.message.message_id
    await _answer(update, answers.EDIT_TEXT, chat_id, message_id=message_id, text=parts[0],
                  reply_markup=markup if len(parts) == 1 else None)
    for index, part in enumerate(parts[1:], start=2):
        await _answer(update, answers.SEND, chat_id, text=part,
                      reply_markup=markup if index == len(parts) else None)


async def edit_markup(update: Update, markup: InlineKeyboardMarkup | None) -> None:
    """Replace only the pressed message's buttons."""
    message = update.callback_query.message
    await _answer(update, answers.EDIT_MARKUP, message.chat.id, message_id=message.message_id,
                  reply_markup=markup)


async def edit_markup_in(update: Update, chat_id: int, message_id: int,
                         markup: InlineKeyboardMarkup | None) -> None:
    """Replace the buttons of another message of ours (a notice in someone else's chat),
    sent with this update's answers."""
    await _answer(update, answers.EDIT_MARKUP, chat_id, message_id=message_id,
                  reply_markup=markup)


async def toast(update: Update, text: str | None = None) -> None:
    """Answer a button press: a short toast, or (no text) just stop its spinner."""
    chat = update.effective_chat  # where the press came from: the outbox files it there
    await _answer(update, answers.ANSWER_QUERY, chat.id if chat else 0,
                  callback_query_id=update.callback_query.id,
                  text=text[:TOAST_LIMIT] if text else None)


async def _answer(update: Update, method: str, chat_id: int, **params: object) -> None:
    """Every answer is collected with the update's change (handlers/answers.py): updates
    are handled from the inbox only, in a running bot and in the tests alike."""
    collected = answers.current()
    if collected is None:
        raise RuntimeError("an update handled outside the inbox: its answers would be lost")
    collected.add(method, chat_id, **params)


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
