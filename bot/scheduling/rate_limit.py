"""Telegram's flood limits as sliding windows: a `BaseRateLimiter` for PTB.

Telegram counts about 30 messages in any one second for the whole bot, 20 in any minute
into one group, and about one a second into one chat (short bursts allowed); over that it
answers 429. PTB's `AIORateLimiter` spaces requests with a leaky bucket: with the default
bucket of 30 it lets a burst of 30 follow a full second of 30, and with a bucket of one it
never catches up a request that came late. A sliding window admits a request as soon as
fewer than the limit went out in the last period, which keeps the bot just under the
ceiling and no further.

A `RetryAfter` is not retried here (as AIORateLimiter with max_retries=0): it goes back to
the caller, the outbox, which owns the retrying; meanwhile every request waits it out.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger("dutybot.rate_limit")

OVERALL = (29, 1.0)  # per bot: 30/s is Telegram's ceiling, one less leaves room for jitter
GROUP = (20, 60.0)  # per group or channel: 20 a minute
CHAT = (3, 3.0)  # per chat: one a second on average, a burst of three (a digest in parts)
# several processes: some room left for the jitter between a send's admission and its
# arrival, which differs from process to process (bench/workers.py counted 429s at 29, 28)
SHARED_OVERALL = (27, 1.0)
# ... and no more than three in any tenth of a second: sends admitted smoothly arrive
# smoothly, so a second of arrivals (admissions jittered by up to a tenth) holds at most
# 27 + 3 = 30 (at 27 alone, four processes' bursts met Telegram's 31st now and then).
# A freed slot is taken a moment late (the sleep, the database's round trip): past some
# 12 ms of that lag this window, not the 27, sets the pace (bench/workers.py: ~2 ms)
SHARED_BURST = (3, 0.1)
CHAT_WINDOWS_KEPT = 1024  # idle per-chat windows beyond this are dropped


class SlidingWindow:
    """At most `limit` events in any `period` seconds (times from one monotonic clock)."""

    __slots__ = ("_times", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a window needs a limit of at least 1 and a positive period")
        self.limit = limit
        self.period = period
        self._times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds from `now` until one more event fits (0: it fits now)."""
        times = self._times
        while times and now - times[0] >= self.period:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return times[0] + self.period - now

    def note(self, now: float) -> None:
        self._times.append(now)

    def idle(self, now: float) -> bool:
        return not self._times or now - self._times[-1] >= self.period


Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


class SlidingWindowRateLimiter(BaseRateLimiter[None]):
    """Every request that names a chat passes the overall window, its chat's window and,
    for a group or channel (a negative or @name chat id), the group window.

    Admission is checked and noted with no await in between, so concurrent senders never
    overfill a window; getUpdates and requests without a chat (answering a button) pass
    straight through, as in AIORateLimiter."""

    __slots__ = ("_chat", "_chats", "_clock", "_group", "_groups", "_overall",
                 "_paused_until", "_sleep")

    def __init__(self, overall: tuple[int, float] = OVERALL, group: tuple[int, float] = GROUP,
                 chat: tuple[int, float] = CHAT, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep) -> None:
        self._overall = SlidingWindow(*overall)
        self._group = group
        self._groups: dict[int | str, SlidingWindow] = {}
        self._chat = chat
        self._chats: dict[int | str, SlidingWindow] = {}
        self._clock = clock
        self._sleep = sleep
        self._paused_until = 0.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(self, callback: Callback, args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any],
                              rate_limit_args: None) -> bool | dict[str, Any] | list[Any]:
        chat_id = _chat_id(data.get("chat_id"))
        if chat_id is not None:
            await self._admit(chat_id)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            self._paused_until = max(self._paused_until, self._clock() + retry_after_seconds(exc))
            raise

    async def _admit(self, chat_id: int | str) -> None:
        windows = [self._overall, self._window(self._chats, chat_id, self._chat)]
        if isinstance(chat_id, str) or chat_id < 0:
            windows.append(self._window(self._groups, chat_id, self._group))
        while True:
            now = self._clock()
            wait = max([self._paused_until - now] + [w.wait(now) for w in windows])
            if wait <= 0:
                for window in windows:
                    window.note(now)
                return
            await self._sleep(wait)

    def _window(self, windows: dict[int | str, SlidingWindow], key: int | str,
                shape: tuple[int, float]) -> SlidingWindow:
        window = windows.get(key)
        if window is None:
            if len(windows) >= CHAT_WINDOWS_KEPT:
                now = self._clock()
                for old in [k for k, w in windows.items() if w.idle(now)]:
                    del windows[old]
            window = windows[key] = SlidingWindow(*shape)
        return window


class SharedRateLimiter(SlidingWindowRateLimiter):
    """The same windows for several `dutybot run` processes on one PostgreSQL: the send
    times live in the database (storage/workers.py SendWindows), so 27 a second for the
    bot (three in any tenth), 3 in 3 s per chat and 20 a minute per group hold whichever
    process sends. Should the database fail to answer, this process's own windows admit
    meanwhile (a request is never refused for it; the outbox's retrying would count it as
    Telegram's fault)."""

    def __init__(self, url: str, overall: tuple[int, float] = SHARED_OVERALL,
                 group: tuple[int, float] = GROUP, chat: tuple[int, float] = CHAT, *,
                 burst: tuple[int, float] = SHARED_BURST,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep) -> None:
        super().__init__(overall, group, chat, clock=clock, sleep=sleep)
        from storage.workers import SendWindows

        self._shapes = (overall, group, chat, burst)
        self._shared = SendWindows(url)

    async def shutdown(self) -> None:
        await self._shared.close()

    async def _admit(self, chat_id: int | str) -> None:
        overall, group, chat, burst = self._shapes
        windows = [("bot", *overall), ("bot_burst", *burst), (f"c{chat_id}", *chat)]
        if isinstance(chat_id, str) or chat_id < 0:
            windows.append((f"g{chat_id}", *group))
        while True:
            pause = self._paused_until - self._clock()
            if pause > 0:
                await self._sleep(pause)
                continue
            try:
                wait = await self._shared.admit(windows)
            except Exception as exc:
                log.warning("shared rate windows unavailable (%s): this process's own", exc)
                await super()._admit(chat_id)
                return
            if wait <= 0:
                return
            await self._sleep(wait)


def _chat_id(value: object) -> int | str | None:
    """PTB passes an int, or a numeric or @username string; None: no chat named."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return str(value)


def retry_after_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked to wait. Without PTB_TIMEDELTA=1 reading retry_after warns;
    it is an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
