"""Registration, invites, units and groups."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.domain.model import Group, GroupKind, Invite, Person, Unit
from bot.domain.vocabulary import GROUP_KIND_NAMES, UNIT_KIND_NAMES
from messages.common import roles_text
from messages.format import esc
from messages.names import body


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def _expiry(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def registered(
    person: Person, unit: Unit, oversees: tuple[Unit, ...], invite: Invite, bot_username: str
) -> str:
    lines = [
        "✅ 已登记",
        f"姓名：<b>{esc(person.name)}</b>",
        f"单位：{esc(unit.name)}",
        f"角色：{esc(roles_text(person.roles))}",
    ]
    if oversees:
        lines.append(f"分管：{esc('、'.join(u.name for u in oversees))}")
    lines += ["", *_invite_lines(invite, bot_username)]
    return "\n".join(lines)


def reinvited(person: Person, invite: Invite, bot_username: str) -> str:
    return "\n".join([f"已为 <b>{esc(person.name)}</b> 生成新的邀请链接，旧链接作废。", "",
                      *_invite_lines(invite, bot_username)])


def _invite_lines(invite: Invite, bot_username: str) -> list[str]:
    return [
        "请把下面的邀请链接发给本人，点开即可绑定（仅限一次使用）：",
        esc(invite_link(bot_username, invite.code)),
        f"邀请码：<code>{esc(invite.code)}</code>，有效期至 {_expiry(invite.expires_at)}",
    ]


def unit_created(unit: Unit, parent: Unit | None) -> str:
    where = f"，上级单位：{esc(parent.name)}" if parent else ""
    return f"✅ 已新建单位“{esc(unit.name)}”（{UNIT_KIND_NAMES[unit.kind]}{where}）。"


def unit_tree(units: Mapping[int, Unit]) -> str:
    if not units:
        return "还没有任何单位。用 /新建单位 名称 创建第一个（如：/新建单位 某局党委）。"
    children: dict[int | None, list[Unit]] = {}
    for unit in units.values():
        children.setdefault(unit.parent_id, []).append(unit)
    lines = ["<b>单位</b>"]

    def walk(parent: int | None, depth: int) -> None:
        for unit in children.get(parent, []):
            lines.append(f"{'　' * depth}• {esc(unit.name)}（{UNIT_KIND_NAMES[unit.kind]}）")
            walk(unit.id, depth + 1)

    walk(None, 0)
    return "\n".join(lines)


def group_bound(group: Group, unit_name: str | None) -> str:
    if group.kind is GroupKind.DISCIPLINE:
        return (f"✅ 本群“{esc(group.title)}”已登记为<b>{GROUP_KIND_NAMES[group.kind]}</b>。"
                f"{body()}周报和逾期通报将发到这里。")
    return (f"✅ 本群“{esc(group.title)}”已登记为“{esc(unit_name or '')}”的"
            f"<b>{GROUP_KIND_NAMES[group.kind]}</b>。")


def no_unbound_people() -> str:
    return "（没有未绑定的人员）"
