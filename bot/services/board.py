"""The 纪委 看板 (issue 24 §3): one-time login links, sessions, and the board's figures in
the viewer's scope. The rules are bot/domain/board.py's; the HTTP side is bot/board/.

- a link (`/看板` in a private chat, or `dutybot board-link 姓名`) is a random token of
  which only the hash is stored, valid 10 minutes; `check_link` (the GET of the link) reads
  it and changes nothing; `enter` (the POST of 进入看板) uses it up and opens a session;
- `board` (every view) finds the session, reads the person and their rights again, and
  records the view in the 履责纪实 (`board.view`); a refusal changes nothing.
Every step is an event: board.link, board.login, board.view. Tokens are in none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock
from bot.domain.board import (
    LINK_TTL,
    SESSION_TTL,
    Denied,
    WeekRate,
    board_scope,
    link_problem,
    new_token,
    plausible_token,
    session_problem,
    token_hash,
    trend_start,
    weekly_rates,
)
from bot.domain.delegation import ChainReport, chain_report
from bot.domain.model import Actor, Person, Unit
from bot.domain.permissions import Scope
from bot.domain.summary import Summary, SummaryInput, WeekChanges, summarize, year_start
from bot.domain.vocabulary import DUTY_NAMES, KIND_NAMES
from bot.services.base import ServiceBase
from bot.services.errors import BoardRefused, NotBound
from bot.services.people import resolve_person
from storage.board import BoardSession
from storage.db import Database, Tx

RED_SHOWN = 30  # the board has room for more than a chat message
YELLOW_SHOWN = 30


class BoardDenied(Exception):
    """A link or a session that opens nothing; nothing was changed."""

    def __init__(self, reason: Denied) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IssuedLink:
    token: str  # shown once, to the person it is for; never stored, never logged
    person: Person
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Opened:
    token: str  # the session cookie's value
    person: Person
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Board:
    """What the page shows."""

    person: Person
    everything: bool  # False: a 班子成员's 分管 scope
    scope_units: tuple[str, ...]  # the 分管 units (and below), for the scope line
    summary: Summary
    chain: ChainReport
    trend: list[WeekRate]
    today: date
    now: datetime


class BoardService(ServiceBase):
    def __init__(self, db: Database, clock: Clock) -> None:
        super().__init__(db, clock)

    # Links ------------------------------------------------------------------------------

    async def link_for(self, actor: Actor) -> IssuedLink:
        """`/看板`: a link for the sender, if they have a board."""
        if actor.person is None:
            raise NotBound()

        async def write(tx: Tx) -> IssuedLink:  # one round trip (storage/at_once.py)
            person = await tx.persons.get(actor.person.id)
            return await self._issue(tx, actor, person, "chat")

        return await self.change_at_once(actor, write)

    async def link_for_name(self, actor: Actor, name: str) -> IssuedLink:
        """`dutybot board-link 姓名`: the office prints a link for someone with a board."""
        async def write(tx: Tx) -> IssuedLink:  # one round trip (storage/at_once.py)
            person = await resolve_person(tx, name)
            return await self._issue(tx, actor, person, "cli")

        return await self.change_at_once(actor, write)

    async def _issue(self, tx: Tx, actor: Actor, person: Person | None,
                     via: str) -> IssuedLink:
        if board_scope(person, await tx.units.all()) is None:
            raise BoardRefused("no_rights", person.name if person else "")
        now = self.now()
        token = new_token()
        expires = now + LINK_TTL
        link_id = await tx.board.add_link(token_hash(token), person.id, via, now, expires)
        await tx.events.record(actor, now, "board.link", "person", person.id,
                               link=link_id, via=via, expires_at=expires.isoformat())
        return IssuedLink(token=token, person=person, expires_at=expires)

    async def check_link(self, token: str) -> Person:
        """The GET of a link: whom it is for, if it would open; nothing is changed (link
        previews and scanners fetch it first)."""
        async def read(tx: Tx) -> Person:  # one round trip (storage/at_once.py)
            link = await self._link(tx, token)
            person = await tx.persons.get(link.person_id)
            if board_scope(person, await tx.units.all()) is None:
                raise BoardDenied(Denied.NO_RIGHTS)
            return person

        return await self.db.read_at_once(read)

    async def enter(self, token: str) -> Opened:
        """The POST of 进入看板: the link used up, a session opened, both in one
        transaction (a second POST of the same link finds it used)."""
        now = self.now()
        session = new_token()
        async with self.db.transaction() as tx:
            link = await self._link(tx, token)
            person = await tx.persons.get(link.person_id)
            if board_scope(person, await tx.units.all()) is None:
                raise BoardDenied(Denied.NO_RIGHTS)
            if not await tx.board.use_link(link.id, now):
                raise BoardDenied(Denied.USED)
            expires = now + SESSION_TTL
            session_id = await tx.board.add_session(token_hash(session), person.id, link.id,
                                                    now, expires)
            await tx.events.record(_as(person), now, "board.login", "person", person.id,
                                   link=link.id, session=session_id, via=link.via)
        return Opened(token=session, person=person, expires_at=expires)

    async def _link(self, tx: Tx, token: str):
        if not plausible_token(token):
            raise BoardDenied(Denied.UNKNOWN)
        link = await tx.board.link(token_hash(token))
        if link is None:
            raise BoardDenied(Denied.UNKNOWN)
        problem = link_problem(link.expires_at, link.used_at, self.now())
        if problem is not None:
            raise BoardDenied(problem)
        return link

    async def logout(self, session_token: str | None) -> None:
        """退出: the session ends; an unknown one changes nothing."""
        if not session_token or not plausible_token(session_token):
            return
        now = self.now()
        async with self.db.transaction() as tx:
            session = await tx.board.session(token_hash(session_token))
            if session is None or not await tx.board.end_session(token_hash(session_token), now):
                return
            person = await tx.persons.get(session.person_id)
            await tx.events.record(_as(person) if person else Actor(None), now, "board.logout",
                                   "person", session.person_id, session=session.id)

    # The board ----------------------------------------------------------------------------

    async def board(self, session_token: str | None, path: str = "/") -> Board:
        """One view: the session and the person's rights checked again, the figures in
        their scope, the view recorded."""
        if not session_token or not plausible_token(session_token):
            raise BoardDenied(Denied.UNKNOWN)
        now = self.now()

        async def read(tx: Tx) -> tuple[BoardSession, Person, dict[int, Unit], Scope,
                                        tuple[Summary, ChainReport, list[WeekRate]]]:
            session = await tx.board.session(token_hash(session_token))
            if session is None:
                raise BoardDenied(Denied.UNKNOWN)
            problem = session_problem(session.expires_at, now)
            if problem is not None:
                raise BoardDenied(problem)
            person = await tx.persons.get(session.person_id)
            units = await tx.units.all()
            scope = board_scope(person, units)
            if scope is None:
                raise BoardDenied(Denied.NO_RIGHTS)
            return session, person, units, scope, await self._figures(tx, scope, now)

        # in one go (storage/at_once.py): a big organisation's moves to a reader's thread
        session, person, units, scope, found = await self.db.read_at_once(read)
        await self.db.transaction_at_once(lambda tx: tx.events.record(
            _as(person), now, "board.view", "person", person.id, session=session.id,
            path=path[:100], scope="all" if scope.everything else "oversees"))
        names = tuple(sorted(units[u].name for u in scope.unit_ids if u in units))
        return Board(person=person, everything=scope.everything, scope_units=names,
                     summary=found[0], chain=found[1], trend=found[2], today=now.date(),
                     now=now)

    async def _figures(self, tx: Tx, scope: Scope, now: datetime
                       ) -> tuple[Summary, ChainReport, list[WeekRate]]:
        today = now.date()
        units = None if scope.everything else scope.unit_ids
        owner = scope.person_id
        red, _ = await tx.summary.overdue_lines(today, RED_SHOWN, units, owner)
        yellow, _ = await tx.board.soon_lines(today, YELLOW_SHOWN, units, owner)
        start = year_start(today)
        people = await tx.persons.directory()
        all_units = await tx.units.all()
        data = SummaryInput(
            today=today,
            census=await tx.board.census(today, units, owner),
            on_time=await tx.board.on_time(start, today, units, owner),
            responses=[], red=red, yellow=yellow,
            talks=await tx.board.talks(start, date(today.year, 12, 31), units, owner),
            changes=WeekChanges(), silent=[], people=people, units=all_units)
        summary = summarize(data, KIND_NAMES, DUTY_NAMES)
        days = await tx.board.due_days(trend_start(today), today, units, owner)
        trend = weekly_rates(((d.day, d.counted, d.on_time) for d in days), today)
        links = await tx.delegations.all()
        ids = {i for lk in links for i in (lk.parent_id, lk.child_id)}
        items = {i: item for i, item in (await tx.items.by_ids(ids)).items()
                 if scope.covers(item)}
        finished = await tx.delegations.finished_on(set(items))
        chain = chain_report(links, items, await tx.persons.all(), finished, today)
        return summary, chain, trend


def _as(person: Person) -> Actor:
    return Actor(telegram_user_id=person.telegram_user_id, person=person)
