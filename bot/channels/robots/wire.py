"""The robots as the channel service sees them (bot/services/channels.py `RobotWire`):
which kinds there are, whether a webhook is one, how a key is masked, one test line sent.
Services define what they need; this is where the messengers' wire code provides it, so
that no service imports a messenger."""

from __future__ import annotations

from datetime import datetime

import httpx

from bot.channels.robots.kinds import robot_kind
from bot.channels.robots.masking import mask_webhook
from bot.channels.robots.model import RobotConfig
from bot.channels.robots.outcome import Broken, Delivered, Outcome
from bot.channels.robots.transport import post
from bot.channels.robots.webhooks import webhook_problem
from bot.domain.channels import KindFacts, RobotChannel


class RobotWire:
    def kind(self, word: str) -> KindFacts | None:
        try:
            kind = robot_kind(word)
        except KeyError:
            return None
        return KindFacts(kind.name, signed=kind.capabilities.signed,
                         keyword=kind.capabilities.keyword_security)

    def webhook_problem(self, kind: str, webhook: str) -> str | None:
        problem = webhook_problem(robot_kind(kind), webhook)
        return None if problem is None else problem.value

    def mask(self, webhook: str) -> str:
        return mask_webhook(webhook)

    async def send_test(self, channel: RobotChannel, text: str, now: datetime) -> Outcome:
        kind = robot_kind(channel.kind)
        if kind.text is None:
            raise ValueError(f"no plain text for {kind.name}")
        robot = RobotConfig(kind.name, channel.webhook, channel.secret, channel.keyword)
        async with httpx.AsyncClient() as client:
            return await post(client, robot, kind.text(text, channel.keyword), now)

    def health(self, outcome: object) -> str | None:
        """"ok" when the robot took it, a BrokenReason value when its key or security
        check failed, None when the answer says nothing of the robot's health."""
        if isinstance(outcome, Delivered):
            return "ok"
        if isinstance(outcome, Broken):
            return outcome.reason.value
        return None
