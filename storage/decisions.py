"""Decisions waiting on someone (issue 22 §6), read where they are kept: a 整改 waiting for
its 验收 (an item in 待验收) and a 延期 request waiting for its approver. Both reads go
through an index (items by status; the pending requests' partial index), never a scan of
every item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.model import Item, ItemStatus
from storage.codec import to_datetime
from storage.extensions import _COLUMNS as _REQUEST_COLUMNS
from storage.extensions import ExtensionRequest, _request
from storage.items import _COLUMNS, ItemRepo, _item


@dataclass(frozen=True, slots=True)
class AwaitingCheck:
    item: Item
    since: datetime  # when its owner reported it done (it entered 待验收)


@dataclass(frozen=True, slots=True)
class AwaitingApproval:
    request: ExtensionRequest
    item: Item


class DecisionRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def awaiting_check(self) -> list[AwaitingCheck]:
        """Every item in 待验收, the longest waiting first. `finished_at` is stamped when the
        owner reports it done (migration 0004); an item imported as 待验收 has only its
        `updated_at`."""
        async with self._conn.execute(
            f"SELECT {_COLUMNS}, COALESCE(finished_at, updated_at) AS since FROM items "
            "WHERE status = ? ORDER BY since, id",
            (ItemStatus.PENDING_VERIFICATION.value,),
        ) as cur:
            rows = await cur.fetchall()
        return [AwaitingCheck(_item(row), to_datetime(row["since"])) for row in rows]

    async def awaiting_approval(self) -> list[AwaitingApproval]:
        """Every 延期 request not decided yet, with its item, the oldest first (the
        pending requests are read through their partial index)."""
        async with self._conn.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM extension_requests "
            "WHERE state = 'pending' ORDER BY created_at, id"
        ) as cur:
            requests = [_request(row) for row in await cur.fetchall()]
        items = await ItemRepo(self._conn).by_ids(r.item_id for r in requests)
        return [AwaitingApproval(r, items[r.item_id]) for r in requests if r.item_id in items]
