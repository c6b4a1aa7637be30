"""Admin work: /登记, /邀请, /单位, /新建单位, /绑定群."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.domain import permissions
from bot.domain.model import GroupKind
from bot.domain.vocabulary import GROUP_KIND_NAMES, parse_term
from bot.services.errors import NotAllowed, UsageError
from bot.services.people import parse_registration_line, parse_unit_line
from handlers.commands import add_command, command_args
from handlers.common import actor_of, refusing, reply
from handlers.context import DutyContext
from handlers.flows import show
from messages import commands
from messages.common import group_only
from messages.people import group_bound, registered, reinvited, unit_created, unit_tree


@refusing
async def register_person(update: Update, context: DutyContext) -> None:
    """`/登记 姓名 角色 单位 [分管]` at once, or bare `/登记` for the guided flow."""
    actor = await actor_of(update, context)
    if not permissions.can_register_people(actor):
        raise NotAllowed("register")
    args = command_args(update.effective_message)
    chat_id = update.effective_chat.id
    if not args:
        await show(update, context, await context.services.flows.start(actor, chat_id, "register"))
        return
    draft = parse_registration_line(args)
    r = await context.services.people.register(actor, draft)
    await reply(update, registered(r.person, r.unit, r.oversees, r.invite, context.bot.username))


@refusing
async def invite(update: Update, context: DutyContext) -> None:
    """A fresh invite link for someone registered (the old ones stop working)."""
    actor = await actor_of(update, context)
    if not permissions.can_register_people(actor):
        raise NotAllowed("register")
    args = command_args(update.effective_message)
    if not args:
        raise UsageError("invite")
    person, code = await context.services.people.reinvite(actor, " ".join(args))
    await reply(update, reinvited(person, code, context.bot.username))


@refusing
async def list_units(update: Update, context: DutyContext) -> None:
    actor = await actor_of(update, context)
    if not permissions.can_manage_units(actor):
        raise NotAllowed("manage_units")
    await reply(update, unit_tree(await context.services.people.units()))


@refusing
async def new_unit(update: Update, context: DutyContext) -> None:
    """`/新建单位 名称 [上级单位] [类型]`."""
    actor = await actor_of(update, context)
    if not permissions.can_manage_units(actor):
        raise NotAllowed("manage_units")
    name, kind, parent_name = parse_unit_line(
        command_args(update.effective_message))
    people = context.services.people
    unit = await people.create_unit(actor, name, kind, parent_name)
    units = await people.units()
    await reply(update, unit_created(unit, units.get(unit.parent_id)))


@refusing
async def bind_group(update: Update, context: DutyContext) -> None:
    """In a group: `/绑定群 纪委`, `/绑定群 单位 名称`, or bare for buttons."""
    chat = update.effective_chat
    if chat.type == chat.PRIVATE:
        await reply(update, group_only())
        return
    actor = await actor_of(update, context)
    if not permissions.can_bind_groups(actor):
        raise NotAllowed("bind_group")
    args = command_args(update.effective_message)
    if not args:
        preset = {"chat_id": chat.id, "title": chat.title or ""}
        await show(update, context,
                   await context.services.flows.start(actor, chat.id, "bind_group", preset))
        return
    kind = parse_term(args[0], GROUP_KIND_NAMES)
    if kind is None:
        raise UsageError("bind_group")
    unit_name = " ".join(args[1:]) or None
    if kind is GroupKind.DISCIPLINE:
        unit_name = None
    group, unit = await context.services.groups.bind(actor, chat.id, chat.title or "", kind,
                                                     unit_name)
    await reply(update, group_bound(group, unit))


def register(app: Application) -> None:
    add_command(app, commands.REGISTER, register_person)
    add_command(app, commands.INVITE, invite)
    add_command(app, commands.UNITS, list_units)
    add_command(app, commands.NEW_UNIT, new_unit)
    add_command(app, commands.BIND_GROUP, bind_group)
