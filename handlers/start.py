"""/start (binding by invite), /帮助, /取消."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from handlers.commands import add_command, command_args
from handlers.common import actor_of, refusing, reply
from handlers.context import DutyContext
from messages import commands
from messages.common import (
    bound,
    cancelled,
    help_text,
    welcome_admin,
    welcome_back,
    welcome_unbound,
)
from messages.flows import cancelled as flow_cancelled


@refusing
async def start(update: Update, context: DutyContext) -> None:
    """`/start <code>` binds this account to an invited person; bare /start welcomes."""
    args = command_args(update.effective_message)
    if update.effective_chat.type != update.effective_chat.PRIVATE:
        await reply(update, help_text(await actor_of(update, context)))
        return
    if not args:
        actor = await actor_of(update, context)
        if actor.person is not None:
            await reply(update, welcome_back(actor.person))
        else:
            await reply(update, welcome_admin() if actor.bootstrap_admin else welcome_unbound())
        return
    people = context.services.people
    person = await people.bind(update.effective_user.id, args[0], update.update_id)
    units = await people.units()
    await reply(update, bound(person, units[person.unit_id].name,
                              [units[u].name for u in sorted(person.oversees)]))


@refusing
async def help_command(update: Update, context: DutyContext) -> None:
    """What this person may do here."""
    await reply(update, help_text(await actor_of(update, context)))


@refusing
async def cancel(update: Update, context: DutyContext) -> None:
    """Abandon the flow this user has in this chat."""
    actor = await actor_of(update, context)
    outcome = await context.services.flows.cancel(actor, update.effective_chat.id)
    await reply(update, flow_cancelled(outcome.flow) if outcome else cancelled(False))


def register(app: Application) -> None:
    add_command(app, commands.START, start)
    add_command(app, commands.HELP, help_command)
    add_command(app, commands.CANCEL, cancel)
