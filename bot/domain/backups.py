"""The daily backup's rules: when one is due, what its file is called, which ones are kept.

Plain Python on the office's clock; the folder itself is read and written in
storage/backup.py, the schedule is run by bot/services/backups.py.

- A backup's file name carries its moment (office time) and sorts by it:
  `<database name>-YYYY-MM-DD-HHMMSS<suffix>`, e.g. `dutybot-2026-12-07-023000.db`.
- One a day at the set time; a day without one whose last backup is older than a day takes
  one at once (a bot that was down at the time catches up at its next start). A day that
  already has one never takes a second, however often the bot restarts.
- Rotation: the newest backup of each of the last `daily` days that have one, and, of the
  older ones, the first of each week (the Monday's, or the first day after it that has
  one) for the last `weekly` weeks. Everything else of ours goes; files we did not name are
  never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

_STAMP = "%Y-%m-%d-%H%M%S"
_STAMP_SHAPE = r"\d{4}-\d{2}-\d{2}-\d{6}"


@dataclass(frozen=True, slots=True)
class BackupNaming:
    """The names of one database's backups: `<stem>-<stamp><suffix>`."""

    stem: str
    suffix: str

    def name(self, moment: datetime) -> str:
        return f"{self.stem}-{moment.strftime(_STAMP)}{self.suffix}"

    def moment(self, name: str, tz: tzinfo) -> datetime | None:
        """When the backup of that name was taken; None if the name is not one of ours."""
        match = re.fullmatch(rf"{re.escape(self.stem)}-({_STAMP_SHAPE}){re.escape(self.suffix)}",
                             name)
        if match is None:
            return None
        try:
            return datetime.strptime(match[1], _STAMP).replace(tzinfo=tz)
        except ValueError:
            return None


def is_due(now: datetime, at: time, taken: Iterable[datetime]) -> bool:
    """A backup is due now: none taken today, and either today's time has come or the last
    one is more than a day old (or there is none)."""
    moments = sorted(taken)
    if any(m.date() == now.date() for m in moments):
        return False
    if now.time() >= at:
        return True
    return not moments or now - moments[-1] > timedelta(days=1)


def to_keep(taken: Iterable[datetime], daily: int, weekly: int) -> set[datetime]:
    """The backups rotation keeps (see the module's text)."""
    taken = list(taken)
    newest_of_day: dict[date, datetime] = {}
    for moment in sorted(taken):
        newest_of_day[moment.date()] = moment
    days = sorted(newest_of_day, reverse=True)
    kept = {newest_of_day[d] for d in days[:daily]}
    first_of_week: dict[tuple[int, int], datetime] = {}
    for moment in sorted(m for m in taken if m not in kept and m.date() not in days[:daily]):
        first_of_week.setdefault(moment.isocalendar()[:2], moment)
    weeks = sorted(first_of_week, reverse=True)[:weekly]
    return kept | {first_of_week[w] for w in weeks}
