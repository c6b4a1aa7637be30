"""/我的清单, /待办, /新建 and the list pager."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.domain import permissions
from bot.domain.model import Actor
from bot.services.errors import NotAllowed, NotBound, NotYours
from handlers.commands import add_command, command_args
from handlers.common import actor_of, edit, refusing, reply, toast
from handlers.context import DutyContext
from handlers.flows import show
from messages import callbacks, commands, keyboards
from messages import decisions as decision_texts
from messages.common import admin_not_person_hint
from messages.items import card as card_text
from messages.items import my_list as my_list_text
from messages.items import todo as todo_text


async def _bound(update: Update, context: DutyContext) -> Actor | None:
    """The asker, who must be a registered person (None: told why not)."""
    actor = await actor_of(update, context)
    if actor.person is None:
        if actor.bootstrap_admin:
            await reply(update, admin_not_person_hint())
            return None
        raise NotBound()
    return actor


@refusing
async def my_list(update: Update, context: DutyContext) -> None:
    """The person's three lists in their scope, first page; `/我的清单 C0003`: that one
    item's card (the owner's buttons only for the owner)."""
    actor = await _bound(update, context)
    if actor is None:
        return
    args = command_args(update.effective_message)
    if args:
        card = await context.services.items.card_by_code(actor, args[0])
        await reply(update, card_text(card), keyboards.card_keyboard(card))
        return
    page = await context.services.items.my_list(actor.person, 0)
    await reply(update, my_list_text(page), keyboards.list_keyboard(page))


@refusing
async def turn_page(update: Update, context: DutyContext) -> None:
    """`lp:<person_id>:<page>`: only that person may turn it; the page is re-read."""
    query = update.callback_query
    press = callbacks.parse_page(query.data)
    actor = await actor_of(update, context)
    if actor.person is None:
        raise NotBound()
    if actor.person.id != press.owner_id:
        raise NotYours()
    result = await context.services.items.my_list(actor.person, press.page)
    await toast(update)
    await edit(update, my_list_text(result), keyboards.list_keyboard(result))


@refusing
async def todo(update: Update, context: DutyContext) -> None:
    """Own items overdue or due within 14 days, and the decisions waiting on this person."""
    actor = await _bound(update, context)
    if actor is None:
        return
    todo = await context.services.items.todo(actor.person)
    text = todo_text(todo.views, todo.today, actor.person.id)
    if todo.decisions:  # the decisions waiting on this person are duties too (issue 22 §6)
        text += "\n\n" + decision_texts.todo_part(todo.decisions, todo.today)
    await reply(update, text, decision_texts.todo_keyboard(todo.decisions))


@refusing
async def new_item(update: Update, context: DutyContext) -> None:
    """The guided flow for a new 问题/责任/措施."""
    actor = await actor_of(update, context)
    if not permissions.can_create_items(actor):
        raise NotAllowed("create_item")
    outcome = await context.services.flows.start(
        actor, update.effective_chat.id, "new_item",
        {"may_fix": True} if permissions.can_create_rectifications(actor) else None)
    await show(update, context, outcome)


def register(app: Application) -> None:
    add_command(app, commands.MY_LIST, my_list)
    add_command(app, commands.TODO, todo)
    add_command(app, commands.NEW_ITEM, new_item)
    app.add_handler(CallbackQueryHandler(turn_page, pattern=rf"^{keyboards.LIST_PAGE}:"))
