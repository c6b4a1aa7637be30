"""One message to one robot over HTTP: sign, send, read the answer; never raise on it."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import httpx

from bot.channels.robots.kinds import robot_kind
from bot.channels.robots.masking import mask_secret, webhook_tokens
from bot.channels.robots.model import Payload, RobotConfig
from bot.channels.robots.outcome import Broken, Outcome, RateLimited, Refused, RetryLater

DEFAULT_TIMEOUT = 10.0  # seconds; a robot that takes longer is retried later


class LazyClient:
    """An httpx.AsyncClient made when the first robot message goes, not at start-up: making
    one reads the system's CA file for its TLS context (some 20 ms), which `dutybot run`'s
    first answer need not wait for, and an office without robots never does at all."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    @property
    def opened(self) -> bool:
        return self._client is not None

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return await self._client.post(url, **kwargs)

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


async def post(client: httpx.AsyncClient | LazyClient, robot: RobotConfig, payload: Payload,
               now: datetime, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """`now` signs the request (DingTalk and Feishu check it against their clocks)."""
    kind = robot_kind(robot.kind)
    request = kind.prepare(robot, payload, now)
    try:
        response = await client.post(
            request.url, content=request.body, timeout=timeout,
            headers={"Content-Type": "application/json; charset=utf-8"})
    except httpx.TimeoutException:
        return RetryLater("timeout")
    except httpx.HTTPError as exc:  # refused, reset, DNS, a broken answer
        return RetryLater(f"{type(exc).__name__}")  # its text may carry the URL and key
    return _scrubbed(kind.classify(response.status_code, response.content), robot)


def _scrubbed(outcome: Outcome, robot: RobotConfig) -> Outcome:
    """A messenger's answer never carries the key or the secret on to a screen or a log."""
    secrets = [s for s in (robot.secret, *webhook_tokens(robot.webhook)) if s and len(s) >= 6]

    def clean(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, mask_secret(secret))
        return text

    match outcome:
        case RateLimited() | Broken() | Refused():
            return dataclasses.replace(outcome, message=clean(outcome.message))
        case RetryLater():
            return dataclasses.replace(outcome, detail=clean(outcome.detail))
    return outcome
