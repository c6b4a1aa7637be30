"""The office's group robots (企业微信, 钉钉, 飞书): add, list, remove, test.

Robots are added on the office machine's console only, so that a webhook key never passes
through a chat; admins see them listed in chat, keys masked. Nothing here is wired into the
outbox yet. The robots' wire code (bot/channels/robots) is a leaf library: it imports
nothing of ours, and this service uses it to check webhooks and to send one test line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from bot.channels.robots import (
    Broken,
    Delivered,
    Outcome,
    RobotConfig,
    post,
    robot_kind,
    webhook_problem,
)
from bot.channels.robots.masking import mask_webhook
from bot.domain import permissions
from bot.domain.channels import (
    CHANNEL_NAME_MAX,
    KEYWORD_MAX,
    SECRET_MAX,
    SUPERVISION_WORDS,
    RobotChannel,
)
from bot.domain.model import Actor
from bot.domain.text import TextRefused, clean_name
from bot.services.base import ServiceBase
from bot.services.errors import ChannelRefused, NotAllowed
from bot.services.people import resolve_unit
from storage.db import Tx

_SECRET = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces


@dataclass(frozen=True)
class ChannelEntry:
    channel: RobotChannel
    unit_name: str | None  # None: the supervising body's group


@dataclass(frozen=True)
class ChannelAdded:
    entry: ChannelEntry
    # a DingTalk or Feishu robot with neither secret nor keyword: it must be restricted by
    # IP address, or the messenger refuses it
    needs_ip_allowlist: bool


@dataclass(frozen=True)
class ChannelTested:
    entry: ChannelEntry
    outcome: Outcome


class ChannelService(ServiceBase):
    async def add(self, actor: Actor, kind_word: str, name: str, webhook: str,
                  secret: str | None = None, keyword: str | None = None,
                  whose: str | None = None, primary: bool = False,
                  confidential: bool | None = None) -> ChannelAdded:
        """Checked whole before anything is saved; a refusal saves nothing."""
        _allowed(actor)
        try:
            kind = robot_kind(kind_word)
        except KeyError:
            raise ChannelRefused("unknown_kind", word=kind_word.strip()[:CHANNEL_NAME_MAX]) \
                from None
        name = _channel_name(name)
        webhook = webhook.strip()
        problem = webhook_problem(kind, webhook)
        if problem is not None:
            raise ChannelRefused(f"webhook_{problem.value}", kind=kind.name)
        secret = _secret(secret, kind.name)
        keyword = _keyword(keyword, kind.name)
        if (secret or keyword) and not (kind.capabilities.signed
                                        or kind.capabilities.keyword_security):
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
                                   webhook=mask_webhook(webhook),
                                   signed=secret is not None, keyword=keyword)
        needs_ip = (kind.capabilities.signed or kind.capabilities.keyword_security) \
            and not secret and not keyword
        return ChannelAdded(ChannelEntry(channel, unit.name if unit else None), needs_ip)

    async def list(self, actor: Actor) -> list[ChannelEntry]:
        _allowed(actor)
        async with self.db.read() as tx:
            units = await tx.units.all()
            return [ChannelEntry(c, units[c.unit_id].name if c.unit_id in units else None)
                    for c in await tx.channels.all()]

    async def remove(self, actor: Actor, name: str) -> ChannelEntry:
        """Gone with its key (not kept as history: a key that is kept can leak)."""
        _allowed(actor)
        async with self.change(actor) as tx:
            entry = await _entry(tx, name)
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
            entry = await _entry(tx, name)
        channel = entry.channel
        kind = robot_kind(channel.kind)
        robot = RobotConfig(kind.name, channel.webhook, channel.secret, channel.keyword)
        if kind.text is None:
            raise ValueError(f"no plain text for {kind.name}")
        payload = kind.text(text, channel.keyword)
        async with httpx.AsyncClient() as client:
            outcome = await post(client, robot, payload, self.now())
        if isinstance(outcome, Delivered | Broken):
            async with self.change(actor) as tx:
                if isinstance(outcome, Delivered):
                    await tx.channels.clear_broken(channel.name)
                    # it counts in the robot's rate windows like any message the sender sends
                    await tx.channels.sent(channel.id, self.now())
                else:
                    await tx.channels.mark_broken(channel.name, outcome.reason.value,
                                                  self.now())
        return ChannelTested(entry, outcome)


def _allowed(actor: Actor) -> None:
    if not permissions.can_manage_channels(actor):
        raise NotAllowed("channels")


async def _entry(tx: Tx, name: str) -> ChannelEntry:
    wanted = name.strip()
    channel = await tx.channels.by_name(wanted)
    if channel is None:
        known = [c.name for c in await tx.channels.all()]
        raise ChannelRefused("unknown", word=wanted[:CHANNEL_NAME_MAX], known=known)
    unit_name = None
    if channel.unit_id is not None:
        unit_name = (await tx.units.all())[channel.unit_id].name
    return ChannelEntry(channel, unit_name)


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
