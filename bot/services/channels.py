"""The office's group robots (企业微信, 钉钉, 飞书): add, list, remove, test.

Robots are added on the office machine's console only, so that a webhook key never passes
through a chat; admins see them listed in chat, keys masked. What this needs of the
messengers (their kinds, webhook shapes, one test line) comes through `RobotWire`, which
bot/channels/robots/wire.py provides: no service imports a messenger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.channels import (
    CHANNEL_NAME_MAX,
    KEYWORD_MAX,
    SECRET_MAX,
    SUPERVISION_WORDS,
    KindFacts,
    RobotChannel,
)
from bot.domain.model import Actor
from bot.domain.text import TextRefused, clean_name
from bot.services.base import ServiceBase
from bot.services.errors import ChannelRefused, NotAllowed
from bot.services.people import resolve_unit
from storage.db import Database, Tx

_SECRET = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces


@dataclass(frozen=True)
class ChannelEntry:
    channel: RobotChannel
    unit_name: str | None  # None: the supervising body's group
    confidential: bool = False  # 保密 mode as it applies (the channel's, or the office's)


@dataclass(frozen=True)
class ChannelAdded:
    entry: ChannelEntry
    # a DingTalk or Feishu robot with neither secret nor keyword: it must be restricted by
    # IP address, or the messenger refuses it
    needs_ip_allowlist: bool


@dataclass(frozen=True)
class ChannelTested:
    entry: ChannelEntry
    outcome: object  # the messenger's answer, as bot/channels/robots reads it


class RobotWire(Protocol):
    """What this service needs of the messengers' robots."""

    def kind(self, word: str) -> KindFacts | None:
        """A kind by any of its names (企业微信, wecom…); None: no such kind."""

    def webhook_problem(self, kind: str, webhook: str) -> str | None:
        """None: a webhook of that messenger's robot; else a WebhookProblem value."""

    def mask(self, webhook: str) -> str: ...

    async def send_test(self, channel: RobotChannel, text: str, now: datetime) -> object:
        """One line to the robot; what the messenger answered (never raises on it)."""

    def health(self, outcome: object) -> str | None:
        """"ok", a broken reason, or None (the answer says nothing of the robot)."""


class ChannelService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, wire: RobotWire,
                 confidential: bool = False) -> None:
        super().__init__(db, clock)
        self.wire = wire
        self.confidential = confidential  # DUTYBOT_CONFIDENTIAL

    def _entry_of(self, channel: RobotChannel, unit_name: str | None) -> ChannelEntry:
        return ChannelEntry(channel, unit_name, channel.is_confidential(self.confidential))

    async def add(self, actor: Actor, kind_word: str, name: str, webhook: str,
                  secret: str | None = None, keyword: str | None = None,
                  whose: str | None = None, primary: bool = False,
                  confidential: bool | None = None) -> ChannelAdded:
        """Checked whole before anything is saved; a refusal saves nothing."""
        _allowed(actor)
        kind = self.wire.kind(kind_word)
        if kind is None:
            raise ChannelRefused("unknown_kind", word=kind_word.strip()[:CHANNEL_NAME_MAX])
        name = _channel_name(name)
        webhook = webhook.strip()
        problem = self.wire.webhook_problem(kind.name, webhook)
        if problem is not None:
            raise ChannelRefused(f"webhook_{problem}", kind=kind.name)
        secret = _secret(secret, kind.name)
        keyword = _keyword(keyword, kind.name)
        if (secret or keyword) and not kind.has_security_options:
            raise ChannelRefused("no_security_options", kind=kind.name)
        supervision = whose is None or whose.strip().lower() in SUPERVISION_WORDS
        if primary and supervision:
            raise ChannelRefused("primary_for_supervision")
        async with self.change(actor) as tx:
            if await tx.channels.by_name(name) is not None:
                raise ChannelRefused("duplicate_name", word=name)
            holder = await tx.channels.by_webhook(webhook)
            if holder is not None:
                raise ChannelRefused("duplicate_webhook", other=holder.name)
            unit = None if supervision else await resolve_unit(tx, whose or "")
            if unit is not None and primary:
                taken = await tx.channels.primary_of(unit.id)
                if taken is not None:
                    raise ChannelRefused("primary_taken", word=unit.name, other=taken.name)
            channel = await tx.channels.add(name, kind.name, webhook, secret, keyword,
                                            unit.id if unit else None, primary, self.now(),
                                            confidential)
            await tx.events.record(actor, self.now(), "channel.added", "channel", channel.id,
                                   name=name, kind=kind.name,
                                   unit=unit.name if unit else None, primary=primary,
                                   webhook=self.wire.mask(webhook),
                                   signed=secret is not None, keyword=keyword)
        needs_ip = kind.has_security_options and not secret and not keyword
        return ChannelAdded(self._entry_of(channel, unit.name if unit else None), needs_ip)

    async def list(self, actor: Actor) -> list[ChannelEntry]:
        _allowed(actor)

        async def read(tx: Tx) -> list[ChannelEntry]:  # one round trip (storage/at_once.py)
            units = await tx.units.all()
            return [self._entry_of(c, units[c.unit_id].name if c.unit_id in units else None)
                    for c in await tx.channels.all()]

        return await self.db.read_at_once(read)

    async def remove(self, actor: Actor, name: str) -> ChannelEntry:
        """Gone with its key (not kept as history: a key that is kept can leak)."""
        _allowed(actor)
        async with self.change(actor) as tx:
            entry = await self._find(tx, name)
            await tx.channels.remove(entry.channel.name)
            await tx.events.record(actor, self.now(), "channel.removed", "channel",
                                   entry.channel.id, name=entry.channel.name,
                                   kind=entry.channel.kind)
        return entry

    async def test(self, actor: Actor, name: str, text: str) -> ChannelTested:
        """Send `text` (with the robot's keyword where set) once, and say what became of it.
        Accepted: the channel is healthy again; the key or a security check refused: it is
        marked broken with the messenger's reason."""
        _allowed(actor)
        async with self.db.read() as tx:
            entry = await self._find(tx, name)
        channel = entry.channel
        outcome = await self.wire.send_test(channel, text, self.now())
        health = self.wire.health(outcome)
        if health is not None:
            async with self.change(actor) as tx:
                if health == "ok":
                    await tx.channels.clear_broken(channel.id)
                    # it counts in the robot's rate windows like any message the sender sends
                    await tx.channels.sent(channel.id, self.now())
                else:
                    await tx.channels.mark_broken(channel.name, health, self.now())
        return ChannelTested(entry, outcome)

    async def _find(self, tx: Tx, name: str) -> ChannelEntry:
        wanted = name.strip()
        channel = await tx.channels.by_name(wanted)
        if channel is None:
            known = [c.name for c in await tx.channels.all()]
            raise ChannelRefused("unknown", word=wanted[:CHANNEL_NAME_MAX], known=known)
        unit_name = None
        if channel.unit_id is not None:
            unit_name = (await tx.units.all())[channel.unit_id].name
        return self._entry_of(channel, unit_name)


def _allowed(actor: Actor) -> None:
    if not permissions.can_manage_channels(actor):
        raise NotAllowed("channels")





def _channel_name(name: str) -> str:
    try:
        return clean_name(name, CHANNEL_NAME_MAX)
    except TextRefused:
        raise ChannelRefused("bad_name") from None


def _secret(secret: str | None, kind: str) -> str | None:
    if secret is None or not secret.strip():
        return None
    secret = secret.strip()
    if len(secret) > SECRET_MAX or not _SECRET.fullmatch(secret):
        raise ChannelRefused("bad_secret", kind=kind)  # never echoed
    return secret


def _keyword(keyword: str | None, kind: str) -> str | None:
    if keyword is None or not keyword.strip():
        return None
    try:
        return clean_name(keyword, KEYWORD_MAX)
    except TextRefused:
        raise ChannelRefused("bad_keyword", kind=kind) from None
