"""What the three fake robot servers share: a sliding count, a record of each request."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Clock = Callable[[], float]  # seconds since the epoch: the fakes check timestamps against it


class SlidingCount:
    """At most `limit` in any `period` seconds. Written apart from the bot's own limiter on
    purpose: the fake is the oracle, so a bug in one does not hide in the other."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._times: deque[float] = deque()

    def full(self, now: float) -> bool:
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()
        return len(self._times) >= self.limit

    def note(self, now: float) -> None:
        self._times.append(now)


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Exchange:
    """One request a fake robot answered: what it got and what it said."""

    robot: str
    at: float
    payload: dict[str, Any] | None  # None: the body was not JSON
    code: int
    message: str

    @property
    def accepted(self) -> bool:
        return self.code == 0


@dataclass
class RobotState:
    ident: str
    secret: str | None
    keywords: tuple[str, ...]
    windows: tuple[SlidingCount, ...]
    silenced_until: float = 0.0
    exchanges: list[Exchange] = field(default_factory=list)


class FakeRobotFamily:
    """Robots of one messenger, keyed by their webhook id; safe across server threads."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._robots: dict[str, RobotState] = {}
        self._lock = threading.Lock()

    def _add(self, state: RobotState) -> None:
        with self._lock:
            self._robots[state.ident] = state

    def exchanges(self, ident: str) -> list[Exchange]:
        with self._lock:
            return list(self._robots[ident].exchanges)

    def seed_sends(self, ident: str, times: list[float]) -> None:
        """Messages this robot took before (not recorded as exchanges): its windows start
        with them, as a robot's do that was busy a moment ago."""
        with self._lock:
            for window in self._robots[ident].windows:
                for at in times:
                    window.note(at)

    def received(self, ident: str) -> list[dict[str, Any]]:
        """What the group saw: the payloads the robot accepted, in order."""
        return [e.payload for e in self.exchanges(ident) if e.accepted and e.payload]

    def _robot(self, ident: str) -> RobotState | None:
        return self._robots.get(ident)

    def _answer(self, robot: RobotState | None, ident: str, payload: dict[str, Any] | None,
                reply: Reply, code: int, message: str) -> Reply:
        if robot is not None:
            robot.exchanges.append(Exchange(ident, self.clock(), payload, code, message))
        return reply

    @property
    def lock(self) -> threading.Lock:
        return self._lock


def parse_json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON value: where a robot looks for its keyword."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def has_keyword(content: Any, keywords: tuple[str, ...]) -> bool:
    return not keywords or any(k in text for text in strings_in(content) for k in keywords)
