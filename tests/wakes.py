"""A tick that lands while a sending loop drains (the Telegram sender's, the robots'): the
loop must wake at once (bot/scheduling/scheduler.py), not after its idle wait. Shared by
tests/test_e2e_edges.py and tests/test_robot_push.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.clock import ManualClock
from bot.scheduling.scheduler import Scheduler


def ticking_once(drain: Callable[..., Awaitable[Any]], scheduler: Scheduler, clock: ManualClock,
                 moment: datetime, ticked: asyncio.Event,
                 sent: Callable[[Any], int] = lambda result: result) -> Callable[..., Any]:
    """`drain`, but the first time it finds nothing the clock moves to `moment` and the tick
    plans, before the drain returns (`sent`: how many its result says went out)."""

    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = await drain(*args, **kwargs)
        if not sent(result) and not ticked.is_set():
            clock.set(moment)
            await scheduler.tick()
            ticked.set()
        return result

    return wrapped


async def goes_at_once(scheduler: Scheduler, monkeypatch: Any, ticked: asyncio.Event,
                       pushed: Callable[[], bool], loop: str) -> None:
    """Start the scheduler without its own timer (only the tick may wake the loop, else its
    idle wait); once it has ticked, the push must be out within half a second."""

    async def no_timer() -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(scheduler, "_tick_forever", no_timer)
    scheduler.start()
    try:
        await asyncio.wait_for(ticked.wait(), 5)
        since = time.monotonic()
        while not pushed():
            assert time.monotonic() - since < 0.5, f"the push waited for {loop} timer"
            await asyncio.sleep(0.01)
    finally:
        await scheduler.stop()
        await scheduler.backup_done()
