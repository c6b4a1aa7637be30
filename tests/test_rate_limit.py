"""The sliding-window rate limiter: never more than the limit in any window, overall, per
group and per chat; a RetryAfter goes back to the caller and holds everything meanwhile."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.app import build_application
from bot.config import load_settings
from bot.fake_telegram.api import most_in_any_window
from bot.scheduling.rate_limit import (
    OVERALL,
    SlidingWindow,
    SlidingWindowRateLimiter,
    retry_after_seconds,
)


class VirtualTime:
    """A monotonic clock that only moves when a waiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + seconds
        await asyncio.sleep(0)  # let the other senders run, as a real sleep would
        self.now = max(self.now, target)


class Recorder:
    """Stands in for PTB's request: notes when each one reached 'Telegram'."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.sent: list[tuple[float, object]] = []

    async def __call__(self, chat_id: object) -> dict[str, Any]:
        self.sent.append((self.clock(), chat_id))
        return {"ok": True}


async def send(limiter: SlidingWindowRateLimiter, recorder: Recorder, chat_id: object,
               endpoint: str = "sendMessage") -> Any:
    data = {} if chat_id is None else {"chat_id": chat_id, "text": "x"}
    return await limiter.process_request(recorder, (chat_id,), {}, endpoint, data, None)


def limiter_on(clock: VirtualTime, **windows: Any) -> SlidingWindowRateLimiter:
    return SlidingWindowRateLimiter(**windows, clock=clock, sleep=clock.sleep)


def test_a_window_admits_its_limit_then_waits_for_the_oldest_to_leave() -> None:
    window = SlidingWindow(3, 1.0)
    for moment in (0.0, 0.1, 0.2):
        assert window.wait(moment) == 0
        window.note(moment)
    assert window.wait(0.5) == pytest.approx(0.5)
    assert window.wait(1.0) == 0  # the send at 0.0 is a full second old
    with pytest.raises(ValueError):
        SlidingWindow(0, 1.0)


async def test_never_more_than_the_overall_limit_in_any_second_and_no_slower() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock)
    recorder = Recorder(clock)
    for n in range(100):  # one after the other, to 100 different people
        await send(limiter, recorder, 1000 + n)
    times = [t for t, _ in recorder.sent]
    limit = OVERALL[0]
    assert most_in_any_window(times, 1.0) == limit
    # a burst of `limit` at once, the next as soon as the first is a second old
    assert times[:limit] == [0.0] * limit
    assert times[limit] == pytest.approx(1.0)
    assert times[-1] == pytest.approx(3.0)  # 100 sends: windows at 0, 1, 2 and 3 s


async def test_concurrent_senders_do_not_overfill_the_window() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock, overall=(30, 1.0))
    recorder = Recorder(clock)
    await asyncio.gather(*(send(limiter, recorder, 1000 + n) for n in range(200)))
    times = [t for t, _ in recorder.sent]
    assert len(times) == 200
    assert most_in_any_window(times, 1.0) == 30
    assert max(times) < 200 / 30


async def test_a_group_gets_at_most_twenty_a_minute() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock, chat=(100, 1.0))  # only the group window counts here
    recorder = Recorder(clock)
    for _ in range(45):
        await send(limiter, recorder, -100_123)
    times = [t for t, _ in recorder.sent]
    assert most_in_any_window(times, 60.0) == 20
    assert times[19] < 1 and times[20] == pytest.approx(60.0) and times[40] == pytest.approx(120)


async def test_one_group_waiting_does_not_hold_up_private_chats() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock)
    recorder = Recorder(clock)
    await asyncio.gather(*(send(limiter, recorder, -100_123) for _ in range(21)),
                         *(send(limiter, recorder, 2000 + n) for n in range(10)))
    private = [t for t, chat in recorder.sent if chat > 0]
    group = [t for t, chat in recorder.sent if chat < 0]
    assert max(private) < 2
    assert most_in_any_window(group, 60.0) == 20 and max(group) >= 60


async def test_a_chat_gets_a_short_burst_then_one_a_second() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock)
    recorder = Recorder(clock)
    for _ in range(7):
        await send(limiter, recorder, 4242)
    times = [t for t, _ in recorder.sent]
    assert times == pytest.approx([0, 0, 0, 3, 3, 3, 6])
    assert most_in_any_window(times, 3.0) == 3


async def test_a_group_named_by_username_counts_as_a_group() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock, chat=(100, 1.0))
    recorder = Recorder(clock)
    for _ in range(21):
        await send(limiter, recorder, "@somechannel")
    assert recorder.sent[-1][0] == pytest.approx(60.0)


async def test_requests_without_a_chat_are_not_held() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock, overall=(1, 1.0))
    recorder = Recorder(clock)
    await send(limiter, recorder, 1)
    for _ in range(5):
        await send(limiter, recorder, None, "answerCallbackQuery")
    assert [t for t, _ in recorder.sent] == [0.0] * 6


async def test_retry_after_goes_back_to_the_caller_and_holds_every_request() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock)
    calls = 0

    async def refused(chat_id: object) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        raise RetryAfter(timedelta(seconds=2))

    with pytest.raises(RetryAfter):
        await limiter.process_request(refused, (1,), {}, "sendMessage", {"chat_id": 1}, None)
    assert calls == 1  # not retried here: the outbox owns the retrying
    recorder = Recorder(clock)
    await send(limiter, recorder, 2)
    assert recorder.sent == [(2.0, 2)]


def test_retry_after_seconds_reads_an_int_or_a_timedelta() -> None:
    assert retry_after_seconds(RetryAfter(timedelta(seconds=3))) == 3.0


async def test_real_waits_keep_the_window() -> None:
    admitted: list[float] = []

    def clock() -> float:  # what the limiter decides on; a busy machine may delay the send
        admitted.append(time.monotonic())
        return admitted[-1]

    limiter = SlidingWindowRateLimiter(overall=(5, 0.2), clock=clock)
    recorder = Recorder(time.monotonic)
    started = time.monotonic()
    await asyncio.gather(*(send(limiter, recorder, 1000 + n) for n in range(12)))
    assert len(recorder.sent) == 12
    assert 0.4 <= time.monotonic() - started < 5
    # each send's admission is the last clock reading before it went out
    times = [max(t for t in admitted if t <= sent) for sent, _ in recorder.sent]
    assert most_in_any_window(times, 0.2) <= 5


def test_a_real_run_uses_the_sliding_window_limiter(tmp_path) -> None:
    settings = load_settings(_env_file=None, TELEGRAM_BOT_TOKEN="1:x",
                             DUTYBOT_DB_PATH=tmp_path / "bot.db", DUTYBOT_ADMIN_IDS="",
                             DUTYBOT_RULES=None)
    assert isinstance(build_application(settings, "1:x").bot.rate_limiter,
                      SlidingWindowRateLimiter)
    assert build_application(settings, "1:x", rate_limited=False).bot.rate_limiter is None
