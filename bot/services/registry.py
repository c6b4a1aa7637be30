"""All services, opened together on start and closed together on shutdown."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.services.flows import BindGroupFlow, FlowService, NewItemFlow, RegisterFlow
from bot.services.groups import GroupService
from bot.services.items import ItemService
from bot.services.people import PeopleService
from storage.db import Database


@dataclass
class Services:
    db: Database
    clock: Clock
    people: PeopleService
    items: ItemService
    groups: GroupService
    flows: FlowService

    @classmethod
    async def open(cls, settings: Settings, clock: Clock) -> Services:
        db = await Database.open(settings.db_path)
        await db.migrate()
        people = PeopleService(db, clock, settings.admin_ids, settings.invite_days)
        items = ItemService(db, clock)
        groups = GroupService(db, clock)
        flows = FlowService(
            db, clock, [RegisterFlow(people), NewItemFlow(items), BindGroupFlow(groups)]
        )
        return cls(db=db, clock=clock, people=people, items=items, groups=groups, flows=flows)

    async def close(self) -> None:
        await self.db.close()
