"""Greetings, help and hints."""

from __future__ import annotations

from bot.domain.letters import CONFIRMER_ROLES, HOLDER_ROLES
from bot.domain.model import Actor, Person, Role
from bot.domain.permissions import (
    APPROVER_ROLES,
    CREATE_ITEM_ROLES,
    DISCIPLINE_ROLES,
    SEE_ALL_ROLES,
)
from bot.domain.vocabulary import ROLE_NAMES
from messages import commands as c
from messages.format import echo, esc
from messages.names import body
from messages.refusals import DATE_HELP


def _line(cmd: c.Command) -> str:
    if cmd.chinese:
        return f"/{cmd.chinese}（/{cmd.ascii}）— {cmd.words}"
    return f"/{cmd.ascii} — {cmd.words}"


def roles_text(roles: frozenset[Role]) -> str:
    return "、".join(ROLE_NAMES[r] for r in ROLE_NAMES if r in roles) or "无"


def welcome_unbound() -> str:
    return (
        "您好，我是<b>四责协同助手</b>。\n"
        f"我负责把党委主体责任、{body()}监督责任、书记第一责任、班子成员一岗双责的各项任务"
        "按时提醒到人。\n\n"
        "您还没有绑定身份：请向党委办公室索取邀请链接，点开即可完成绑定。"
    )


def welcome_back(person: Person) -> str:
    return (
        f"{esc(person.name)}，您好！您已绑定为{esc(roles_text(person.roles))}。\n"
        "发送 /帮助 查看您可以做的事。"
    )


def bound(person: Person, unit_name: str, oversees: list[str]) -> str:
    lines = [
        f"✅ 绑定成功！欢迎您，<b>{esc(person.name)}</b>。",
        f"单位：{esc(unit_name)}",
        f"身份：{esc(roles_text(person.roles))}",
    ]
    if oversees:
        lines.append(f"分管：{esc('、'.join(oversees))}")
    lines += ["", "之后到期的报告、约谈和整改，我会按时提醒您。", "", help_body(person.roles)]
    return "\n".join(lines)


def help_body(roles: frozenset[Role]) -> str:
    cmds = [c.MY_LIST, c.TODO, c.REPORT, c.FIXES, c.TALKS]
    if roles & (APPROVER_ROLES | DISCIPLINE_ROLES):
        cmds.append(c.EXTENSIONS)
    if roles & (DISCIPLINE_ROLES | {Role.SECRETARY}):
        cmds.append(c.WEEKLY)
    if roles & (SEE_ALL_ROLES | {Role.MEMBER}):
        cmds.append(c.OVERDUE)
    if roles & HOLDER_ROLES:
        cmds.append(c.LETTER)
    if roles & CONFIRMER_ROLES:
        cmds.append(c.RECONCILE)
    if roles & (DISCIPLINE_ROLES | {Role.ADMIN}):
        cmds.append(c.EXPORT)
    if roles & (DISCIPLINE_ROLES | {Role.SECRETARY, Role.MEMBER, Role.ADMIN}):
        cmds.append(c.CASES)  # what each sees is decided by bot/domain/cases.py
    if roles & {Role.SECRETARY, Role.MEMBER, Role.ADMIN}:
        cmds.append(c.DELEGATE)
    if roles & (DISCIPLINE_ROLES | {Role.SECRETARY, Role.ADMIN}):
        cmds.append(c.CHAIN)
    if roles & (DISCIPLINE_ROLES | {Role.SECRETARY, Role.MEMBER}):
        cmds.append(c.BOARD)  # a 班子成员 without 分管 units is told so (bot/domain/board.py)
    if roles & DISCIPLINE_ROLES:
        cmds.append(c.INSPECT)
    if roles & (DISCIPLINE_ROLES | {Role.ADMIN, Role.SECRETARY, Role.MEMBER}):
        cmds.append(c.ASSESS)
    if roles & CREATE_ITEM_ROLES:
        cmds.append(c.NEW_ITEM)
    if Role.ADMIN in roles:
        cmds += [c.REGISTER, c.INVITE, c.UNITS, c.NEW_UNIT, c.BIND_GROUP, c.REMIND_SETTINGS,
                 c.CHANNELS, c.HANDOVER]
    if roles & {Role.ADMIN, Role.SECRETARY}:
        cmds.append(c.MEETING)
    cmds += [c.CANCEL, c.HELP]
    text = "您可以使用：\n" + "\n".join(_line(cmd) for cmd in cmds)
    text += ("\n\n提醒和清单上的按钮可一键答复；申请延期后，审批前可在确认消息上点"
             "“撤回申请”撤回。"
             f"\n发送 /{c.MY_LIST.chinese} 编号（如 /{c.MY_LIST.chinese} C0003）查看单个事项："
             "状态、截止日期、上级事项和最近进展；回复（引用）它写一句话，即可添加进展说明。")
    if Role.ADMIN in roles:
        text += "\n在私聊中发送按导入模板填好的 Excel（.xlsx）— 批量导入单位、人员和清单"
    return text


def help_text(actor: Actor) -> str:
    privacy = (
        "\n\n提示：在开启隐私模式的群里，机器人只收得到英文命令（如 /mylist），"
        "中文命令请在私聊中使用。"
    )
    if actor.person is None and not actor.roles:
        return (
            "您还没有绑定身份，暂时只能使用：\n"
            f"{_line(c.START)}\n{_line(c.HELP)}\n\n"
            "请向党委办公室索取邀请链接，点开后即可使用全部功能。" + privacy
        )
    who = f"{esc(actor.person.name)}（{esc(roles_text(actor.roles))}）" if actor.person \
        else f"管理员（{esc(roles_text(actor.roles))}）"
    return f"<b>四责协同助手</b> · {who}\n\n{help_body(actor.roles)}\n\n{DATE_HELP}" + privacy


def not_bound_hint() -> str:
    return "您还没有绑定身份，无法查看或操作。请向党委办公室索取邀请链接，点开即可绑定。"


def admin_not_person_hint() -> str:
    return (
        "您是配置中的管理员，但还没有登记为人员，所以没有个人清单。\n"
        "如需个人清单，请先用 /登记 登记自己，再打开邀请链接绑定。"
    )


def unknown_command(command: str) -> str:
    return f"没有 {echo(command)} 这个命令。发送 /帮助（/help）查看可用命令。"


def plain_text_hint() -> str:
    return "我没看懂这条消息。发送 /帮助（/help）查看我能做什么。"


def unregistered_group() -> str:
    return "本群尚未登记，机器人在这里不提供服务。管理员可发送 /bindgroup 登记本群。"


def group_only() -> str:
    return "这个命令要在群里使用：请在要登记的群中发送 /bindgroup。"


def private_only() -> str:
    return "这个操作请在与我的私聊中进行。"


def cancelled(had_flow: bool) -> str:
    return "已取消。" if had_flow else "当前没有正在填写的内容。"


def internal_error() -> str:
    return "抱歉，处理时出了点问题，已记录。请稍后再试，或联系党委办公室。"
