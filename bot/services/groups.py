"""Group chats: a 纪委 group or a unit group, registered by an admin."""

from __future__ import annotations

from bot.domain import permissions
from bot.domain.model import Actor, Group, GroupKind
from bot.domain.text import displayable
from bot.services.base import ServiceBase
from bot.services.errors import NotAllowed, UsageError
from bot.services.people import resolve_unit
from storage.db import Tx


class GroupService(ServiceBase):
    async def get(self, chat_id: int) -> Group | None:
        """The group (the guard asks this of every group message): one round trip."""
        return await self.db.read_at_once(lambda tx: tx.groups.get(chat_id))

    async def bind(
        self, actor: Actor, chat_id: int, title: str, kind: GroupKind, unit_name: str | None
    ) -> tuple[Group, str | None]:
        if not permissions.can_bind_groups(actor):
            raise NotAllowed("bind_group")
        return await self.change_at_once(
            actor, lambda tx: self.bind_in(tx, actor, chat_id, title, kind, unit_name))

    async def bind_in(
        self,
        tx: Tx,
        actor: Actor,
        chat_id: int,
        title: str,
        kind: GroupKind,
        unit_name: str | None,
    ) -> tuple[Group, str | None]:
        unit = None
        if kind is GroupKind.UNIT:
            if not unit_name:
                raise UsageError("bind_group")
            unit = await resolve_unit(tx, unit_name)
        title = displayable(title)  # the chat's own title: kept, without anything invisible
        group = Group(chat_id=chat_id, kind=kind, title=title, unit_id=unit.id if unit else None)
        await tx.groups.upsert(group, self.now())
        await tx.events.record(actor, self.now(), "group.bound", "group", chat_id,
                               kind=kind.value, title=title, unit=unit.name if unit else None)
        return group, unit.name if unit else None
