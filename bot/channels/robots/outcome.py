"""What became of one message to a robot, read from the messenger's answer.

Four outcomes drive the sender: delivered; rate-limited (back off this robot only); broken
(the robot's key or security check failed: stop, mark the channel, tell the admins);
retry later (the messenger did not answer properly). A fifth, refused, is a message the
messenger will never take as it is (too long, malformed): the robot is fine and the
message is set aside, because retrying it would block the queue and marking the robot
broken would be wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum

_DETAIL_CHARS = 200  # a vendor message or a garbage body, cut for logs


class BrokenReason(StrEnum):
    WRONG_KEY = "wrong_key"  # webhook key/token unknown: a typo, or the robot was removed
    SIGNATURE = "signature"  # bad signature, or a timestamp over an hour off (server clock)
    KEYWORD = "keyword"  # the 自定义关键词 is missing from the message
    IP_NOT_ALLOWED = "ip_not_allowed"  # the robot only takes requests from listed IPs
    SECURITY = "security"  # a security check the answer does not name


@dataclass(frozen=True)
class Delivered:
    pass


@dataclass(frozen=True)
class RateLimited:
    code: int | None
    message: str


@dataclass(frozen=True)
class Broken:
    reason: BrokenReason
    code: int
    message: str


@dataclass(frozen=True)
class Refused:
    code: int
    message: str


@dataclass(frozen=True)
class RetryLater:
    detail: str
    status: int | None = None  # None: no HTTP answer at all (timeout, connection)


Outcome = Delivered | RateLimited | Broken | Refused | RetryLater


@dataclass(frozen=True)
class ErrorTable:
    """How one messenger's answer reads: where its code and message are, and what they mean."""

    code_fields: tuple[str, ...]  # the first present wins (Feishu has had two spellings)
    message_fields: tuple[str, ...]
    rate_limited: Collection[int]
    broken: Callable[[int, str], BrokenReason | None]
    transient: Collection[int] = ()  # e.g. -1 "system busy"


def classify(status: int, body: bytes, table: ErrorTable) -> Outcome:
    """Never raises: HTML from a proxy, garbage or an empty body is a reason to retry."""
    answer = _json_object(body)
    code = _first_int(answer, table.code_fields) if answer is not None else None
    if code is None:
        if status == 429:
            return RateLimited(None, _cut(body))
        return RetryLater(f"HTTP {status}: {_cut(body)}", status)
    message = _first_str(answer or {}, table.message_fields)
    if code == 0:
        if 200 <= status < 300:
            return Delivered()
        return RetryLater(f"HTTP {status} with code 0", status)
    if code in table.rate_limited:
        return RateLimited(code, message)
    reason = table.broken(code, message)
    if reason is not None:
        return Broken(reason, code, message)
    if code in table.transient or status >= 500:
        return RetryLater(f"HTTP {status}, code {code}: {message}", status)
    return Refused(code, message)


def _json_object(body: bytes) -> dict[str, object] | None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _first_int(answer: dict[str, object], names: tuple[str, ...]) -> int | None:
    for name in names:
        value = answer.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _first_str(answer: dict[str, object], names: tuple[str, ...]) -> str:
    for name in names:
        value = answer.get(name)
        if isinstance(value, str):
            return value[:_DETAIL_CHARS]
    return ""


def _cut(body: bytes) -> str:
    return body[:_DETAIL_CHARS].decode("utf-8", errors="replace")
