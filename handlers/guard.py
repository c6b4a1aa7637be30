"""Runs before every other handler (group -1): replays, updates the bot did not expect and
unregistered groups stop here.

What passes on is what the handlers are written for: a new message with text or a
document, sent by a person in a private chat or a group; and a tap on a button of a
message in such a chat. Everything else is answered with one hint or with nothing:

- an edited message (an edited /登记 must not register anyone twice): a hint in private;
- a message sent on behalf of a chat (an anonymous admin, a member posting as a channel,
  a linked channel's automatic forward): a hint to a command in a group, else nothing;
- a sticker, photo, voice note, location, poll… in private: a hint; in a group nothing;
- service messages (members joining, a pinned message, a new title…), channel posts,
  inline queries, join requests, reactions, poll answers, membership changes and every
  other kind of update: nothing at all;
- a tap on a button of an inline message, or with no data: the stale-button toast.
"""

from __future__ import annotations

from telegram import Chat, Message, Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.services.errors import StaleButton
from handlers.commands import ANY_CHINESE_COMMAND, for_this_bot
from handlers.common import reply, toast
from handlers.context import DutyContext
from messages import commands
from messages.common import unregistered_group
from messages.refusals import refusal
from messages.unexpected import anonymous_hint, edited_hint, not_text_hint

GROUP = -1
_CHATS = (Chat.PRIVATE, Chat.GROUP, Chat.SUPERGROUP)
# Telegram's own senders of what no person sent: @GroupAnonymousBot (an anonymous admin),
# "Telegram" (a linked channel's forwards), @Channel_Bot (old clients posting as a channel)
_NOT_A_PERSON = frozenset({1087968824, 777000, 136817688})
# What a person sends instead of text; a message with none of these and no text or
# document is a service message (someone joined, a message was pinned…)
_NOT_TEXT = ("sticker", "photo", "voice", "audio", "video", "video_note", "animation",
             "location", "venue", "contact", "poll", "dice", "game", "story", "paid_media",
             "checklist")


async def guard(update: Update, context: DutyContext) -> None:
    """Drop an update already handled before a crash; keep what the bot did not expect and
    unregistered groups quiet."""
    user = update.effective_user
    seen, context.arrived = await context.services.people.arrival(
        update.update_id, user.id if user is not None else None)
    if seen:
        raise ApplicationHandlerStop
    await _stop_unexpected(update, context.bot.username)
    chat = update.effective_chat
    if chat.type == chat.PRIVATE:
        return
    if await context.services.groups.get(chat.id) is not None:
        return
    if update.callback_query is not None:
        if not (update.callback_query.data or "").startswith("f:"):  # binding this group
            await toast(update, unregistered_group())
            raise ApplicationHandlerStop
        return
    message = update.effective_message
    text = (message.text or "") if message else ""
    if _is_bind_command(text, context.bot.username):
        return
    if _is_command(update):
        await reply(update, unregistered_group())
    raise ApplicationHandlerStop


async def _stop_unexpected(update: Update, username: str) -> None:
    """Return for what the handlers expect; otherwise answer with one hint at most and
    stop. After this, the update has a chat and a person who sent it."""
    query = update.callback_query
    if query is not None:
        # a button on an inline message (no chat), or a game's button (no data): nothing a
        # handler could act on. A button on an old message passes on: Telegram sends that
        # message without its content (date 0), and the handlers act without redrawing it
        if query.message is None or query.data is None \
                or query.message.chat.type not in _CHATS:
            await toast(update, refusal(StaleButton()))
            raise ApplicationHandlerStop
        return
    message = update.message
    if message is None:  # an edit, a channel post, a reaction, a join request…
        edited = update.edited_message
        if edited is not None and edited.chat.type == Chat.PRIVATE and _from_person(edited):
            await reply(update, edited_hint())
        raise ApplicationHandlerStop
    if message.chat.type not in _CHATS:
        raise ApplicationHandlerStop
    if not _from_person(message):
        if message.chat.type != Chat.PRIVATE and not message.is_automatic_forward \
                and _addressed_command(message.text or "", username):
            await reply(update, anonymous_hint())
        raise ApplicationHandlerStop
    if message.text is not None or message.document is not None:
        return
    if message.chat.type == Chat.PRIVATE and any(
            getattr(message, kind, None) for kind in _NOT_TEXT):
        await reply(update, not_text_hint())
    raise ApplicationHandlerStop


def _from_person(message: Message) -> bool:
    """Sent by a person as themselves: not on behalf of a chat, not by a bot."""
    sender = message.from_user
    return (sender is not None and not sender.is_bot and sender.id not in _NOT_A_PERSON
            and message.sender_chat is None and not message.is_automatic_forward)


def _addressed_command(text: str, username: str) -> bool:
    """A command, and not one meant for another bot in the group (/help@other_bot)."""
    return text.startswith("/") and for_this_bot(text.split(maxsplit=1)[0], username)


def _is_bind_command(text: str, username: str) -> bool:
    word = next(iter(text.split(maxsplit=1)), "")  # "" for a text of spaces only
    if not for_this_bot(word, username):
        return False
    return word.partition("@")[0] in (
        f"/{commands.BIND_GROUP.ascii}", f"/{commands.BIND_GROUP.chinese}",
        f"/{commands.CANCEL.ascii}", f"/{commands.CANCEL.chinese}")


def _is_command(update: Update) -> bool:
    message = update.effective_message
    if message is None or not message.text:
        return False
    has_entity = bool(message.entities) and message.entities[0].type == "bot_command" \
        and message.entities[0].offset == 0
    return has_entity or ANY_CHINESE_COMMAND.check_update(update) is True


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, guard), GROUP)
