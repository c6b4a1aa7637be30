"""The 纪委 看板's rules (issue 24 §3): who gets a board and of what scope, how long a login
link and a session last, and the trend of the on-time rate by week. Pure: time comes in.

- the 纪委 and the 书记 see everything; a 班子成员 their 分管 units (and below) and their
  own items — the same scope as in chat (permissions.scope_of); anyone else no board (the
  office included: the board is the 纪委's picture, not the office's);
- a link is valid LINK_TTL from when it was made and opens one session; a session lasts
  SESSION_TTL; rights are read again on every view, so a person whose role ended sees
  nothing from then on, with a session or without.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.domain.model import Person, Role, Unit
from bot.domain.permissions import DISCIPLINE_ROLES, Scope, descendants

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)
TREND_WEEKS = 12
TOKEN_BYTES = 32  # 256 random bits, URL-safe: 43 characters

EVERYTHING_ROLES = DISCIPLINE_ROLES | {Role.SECRETARY}


class Denied(StrEnum):
    """Why a link or a session opens nothing (each has its page in messages/board.py)."""

    UNKNOWN = "unknown"  # no such link / session (forged, mistyped, or cut short)
    USED = "used"  # the link opened a session already
    EXPIRED = "expired"  # the link's 10 minutes, or the session's hours, are over
    NO_RIGHTS = "no_rights"  # the person has no board (any more)


def board_scope(person: Person | None, units: Mapping[int, Unit]) -> Scope | None:
    """The items this person's board covers, or None: no board."""
    if person is None:
        return None
    if person.roles & EVERYTHING_ROLES:
        return Scope(everything=True, person_id=person.id)
    if Role.MEMBER in person.roles and person.oversees:
        return Scope(everything=False, person_id=person.id,
                     unit_ids=descendants(person.oversees, units))
    return None


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def plausible_token(token: str) -> bool:
    """The shape new_token makes: anything else is refused before the database is asked."""
    return 20 <= len(token) <= 100 and all(c.isascii() and (c.isalnum() or c in "-_")
                                           for c in token)


def link_problem(expires_at: datetime, used_at: datetime | None,
                 now: datetime) -> Denied | None:
    if used_at is not None:
        return Denied.USED
    if now >= expires_at:
        return Denied.EXPIRED
    return None


def session_problem(expires_at: datetime, now: datetime) -> Denied | None:
    return Denied.EXPIRED if now >= expires_at else None


# -- the trend ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class WeekRate:
    """One week (Monday to Sunday): items that fell due in it by today, done on time."""

    monday: date
    counted: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.counted if self.counted else None


def trend_start(today: date, weeks: int = TREND_WEEKS) -> date:
    """The Monday `weeks - 1` weeks before this week's: the trend's first week."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(weeks=weeks - 1)


def weekly_rates(days: Iterable[tuple[date, int, int]], today: date,
                 weeks: int = TREND_WEEKS) -> list[WeekRate]:
    """(due day, counted, on time) summed by week, the last `weeks` weeks, this one last
    (so far: what fell due before today). A week with nothing due has no rate."""
    first = trend_start(today, weeks)
    counted = [0] * weeks
    on_time = [0] * weeks
    for day, n, good in days:
        index = (day - first).days // 7
        if 0 <= index < weeks and day < today:
            counted[index] += n
            on_time[index] += good
    return [WeekRate(first + timedelta(weeks=i), counted[i], on_time[i])
            for i in range(weeks)]


LOGIN_PATH = "/login/"


def login_url(base_url: str, token: str) -> str:
    """The one-time link: the board's public base URL, then /login/<token>."""
    return base_url.rstrip("/") + LOGIN_PATH + token
