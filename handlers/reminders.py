"""/提醒设置 and /民主生活会 (the buttons on reminders are handlers/replies.py's)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.domain import permissions
from bot.services.errors import NotAllowed, UsageError
from handlers.commands import add_command, command_args
from handlers.common import actor_of, refusing, reply
from handlers.context import DutyContext
from messages import commands
from messages.refusals import usage
from messages.reminders import meeting_recorded, remind_settings

# What an admin may type after /提醒设置, in Chinese or English.
_SETTING_WORDS = {
    "提前": "lead_days", "lead": "lead_days",
    "时间": "send_time", "time": "send_time",
    "免打扰": "quiet_hours", "quiet": "quiet_hours",
    "逾期": "escalation", "overdue": "escalation",
}
_RESET_WORDS = frozenset({"恢复默认", "默认", "reset"})


@refusing
async def settings(update: Update, context: DutyContext) -> None:
    """Bare: show the policy. `提前 7,3,1,0`, `时间 09:00`, `免打扰 21:00-08:00`,
    `逾期 1,3,7`, `恢复默认`: change it (admins only)."""
    actor = await actor_of(update, context)
    if not permissions.can_change_reminder_settings(actor):
        raise NotAllowed("remind_settings")
    service = context.services.reminders
    args = command_args(update.effective_message)
    if not args:
        policy, changed = await service.settings()
        text = remind_settings(policy, changed, "当前提醒设置")
        await reply(update, text + "\n\n" + usage("remind_settings"))
        return
    if " ".join(args) in _RESET_WORDS:
        policy = await service.reset_settings(actor)
        await reply(update, remind_settings(policy, set(), "✅ 已恢复默认提醒设置"))
        return
    key = _SETTING_WORDS.get(args[0].lower())
    if key is None or len(args) < 2:
        raise UsageError("remind_settings")
    await service.change_setting(actor, key, " ".join(args[1:]))
    policy, changed = await service.settings()  # as stored now, with what differs from the file
    await reply(update, remind_settings(policy, changed, "✅ 提醒设置已更新"))


@refusing
async def meeting(update: Update, context: DutyContext) -> None:
    """`/民主生活会 日期`: record that it was held; its report falls due 7 days later."""
    actor = await actor_of(update, context)
    args = command_args(update.effective_message)
    if not permissions.can_record_meetings(actor):
        raise NotAllowed("record_meeting")
    if not args:
        raise UsageError("meeting")
    result = await context.services.reminders.record_meeting(actor, " ".join(args))
    await reply(update, meeting_recorded(result.event, result.on, result.new, result.made))


def register(app: Application) -> None:
    add_command(app, commands.REMIND_SETTINGS, settings)
    add_command(app, commands.MEETING, meeting)
