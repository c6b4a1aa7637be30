"""The daily backup a running bot takes by itself (SPEC §9: nobody has to remember it).

The clockwork (bot/scheduling/scheduler.py) asks `run_if_due` on every tick; the rules of
when and which to keep are bot/domain/backups.py, the copying storage/backup.py (the
engine's own backup: SQLite's online backup API today). What was taken is read from the
backup folder itself, so a restart knows it as well as the run that took it: a day that has
a backup never takes a second, and a backup missed while the bot was down is taken at the
next start. The copy runs in a worker thread: chats are answered meanwhile.

A failed backup is logged and told to the admins in private, once until a backup succeeds
again (the notice's dedup key names the last good one); the next try is the next day (or
the next start, which may be after someone fixed the folder).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path

from bot.clock import Clock
from bot.domain.backups import BackupNaming, is_due, to_keep
from bot.domain.target import Target
from bot.services.reminders import admin_chats
from storage.backup import (
    BackupEngine,
    BackupError,
    BackupResult,
    folder_names,
    make_folder,
    remove_file,
    remove_leftovers,
)
from storage.db import Database

log = logging.getLogger("dutybot.backups")

NOTICE_KIND = "backup_failed_notice"


@dataclass(frozen=True, slots=True)
class BackupPolicy:
    folder: Path
    at: clock_time  # office time
    keep_daily: int
    keep_weekly: int


@dataclass(frozen=True, slots=True)
class Taken:
    result: BackupResult
    seconds: float
    removed: tuple[Path, ...]  # old ones rotated out


class BackupService:
    def __init__(self, db: Database, clock: Clock, engine: BackupEngine, policy: BackupPolicy,
                 admin_ids: frozenset[int], stem: str) -> None:
        self.db = db
        self.clock = clock
        self.engine = engine
        self.policy = policy
        self.admin_ids = admin_ids
        self.naming = BackupNaming(stem, engine.suffix)
        # only a throttle after a failure (the next try is tomorrow): what was taken is
        # read from the folder every time
        self._failed_on: date | None = None

    def taken(self) -> dict[datetime, Path]:
        """Our backups in the folder, by when they were taken."""
        found = {}
        for name in folder_names(self.policy.folder):
            moment = self.naming.moment(name, self.clock.tz)
            if moment is not None:
                found[moment] = self.policy.folder / name
        return found

    async def run_if_due(self) -> Taken | BackupError | None:
        """Take today's backup if it is due; None if it was not."""
        now = self.clock.now().replace(microsecond=0)  # as its file name says it
        if self._failed_on == now.date():
            return None
        taken = await asyncio.to_thread(self.taken)
        if not is_due(now, self.policy.at, taken):
            return None
        return await self.take(now, taken)

    async def take(self, now: datetime, taken: dict[datetime, Path]) -> Taken | BackupError:
        target = self.policy.folder / self.naming.name(now)
        started = time.monotonic()
        try:
            result = await asyncio.to_thread(self._take, target)
        except BackupError as exc:
            self._failed_on = now.date()
            log.error("daily backup into %s failed: %s; trying again tomorrow",
                      self.policy.folder, exc)
            await self._tell_admins(now, exc, max(taken, default=None))
            return exc
        seconds = time.monotonic() - started
        taken = {**taken, now: result.path}
        keep = to_keep(taken, self.policy.keep_daily, self.policy.keep_weekly)
        old = [path for moment, path in sorted(taken.items()) if moment not in keep]
        removed = tuple(await asyncio.to_thread(lambda: [p for p in old if remove_file(p)]))
        log.info("daily backup %s: %d bytes in %.2f s (schema version %d)%s", result.path,
                 result.size, seconds, result.schema_version,
                 f"; rotated out {', '.join(p.name for p in removed)}" if removed else "")
        return Taken(result, seconds, removed)

    def _take(self, target: Path) -> BackupResult:
        make_folder(self.policy.folder)
        # halves of copies a killed run left under hidden names (never under a final one)
        remove_leftovers(self.policy.folder, f".{self.naming.stem}-", time.time())
        return self.engine.take(target)

    async def _tell_admins(self, now: datetime, error: BackupError,
                           last: datetime | None) -> None:
        """Once per stretch of failures: the key names the last good backup."""
        since = last.isoformat() if last is not None else "never"
        payload = {"folder": str(self.policy.folder), "problem": error.problem.value,
                   "errno": error.errno, "path": str(error.path), "detail": error.detail,
                   "last": last.isoformat() if last is not None else None,
                   "at": self.policy.at.strftime("%H:%M")}
        try:
            async with self.db.transaction() as tx:
                people = await tx.persons.all()
                for chat_id in admin_chats(people, self.admin_ids):
                    await tx.outbox.add(
                        dedup_key=f"notice:backup_failed:{since}:{chat_id}",
                        target=Target.telegram(chat_id), person_id=None, kind=NOTICE_KIND,
                        day=now.date(), payload=payload, now=now)
        except Exception:  # the database itself may be what failed
            log.exception("could not queue the failed backup's notice for the admins")
