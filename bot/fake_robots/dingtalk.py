"""A fake 钉钉 custom robot endpoint: `/robot/send?access_token=…[&timestamp=…&sign=…]`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from bot.fake_robots.common import (
    FakeRobotFamily,
    Reply,
    RobotState,
    SlidingCount,
    has_keyword,
    parse_json_object,
)

PATH = "/robot/send"
PER_MINUTE = 20
SILENCED_SECONDS = 600.0  # "如果超过20条，会限流10分钟"
MAX_SKEW_MS = 3_600_000  # the timestamp within an hour of DingTalk's clock
CONTENT_BYTES = 20_000

OK = (0, "ok")
TOKEN_UNKNOWN = (300001, "token is not exist")
RATE_LIMITED = (130101, "send too fast, exceed 20 times per minute")
SIGN_NOT_MATCH = (310000, "sign not match")
INVALID_TIMESTAMP = (310000, "invalid timestamp")
KEYWORDS_MISSING = (310000, "keywords not in content")
# not confirmed in DingTalk's docs: the code and text commonly reported for an overlong one
TOO_LONG = (460101, "message too long, exceed 20000 bytes")
PARAM_ERROR = (300001, "param error")


class FakeDingTalk(FakeRobotFamily):
    def add_robot(self, token: str, secret: str | None = None,
                  keywords: tuple[str, ...] = ()) -> str:
        """A robot needs a security setting; an IP allowlist (neither secret nor keyword)
        is assumed to let 127.0.0.1 through."""
        self._add(RobotState(token, secret, keywords, (SlidingCount(PER_MINUTE, 60.0),)))
        return f"{PATH}?access_token={token}"

    def handle(self, query: dict[str, str], body: bytes) -> Reply:
        token = query.get("access_token", "")
        with self.lock:
            robot = self._robot(token)
            payload = parse_json_object(body)
            code, message = self._judge(robot, query, payload)
            if robot is not None and code == 0:
                for window in robot.windows:
                    window.note(self.clock())
            return self._answer(robot, token, payload, Reply(200, {"errcode": code,
                                                                   "errmsg": message}),
                                code, message)

    def _judge(self, robot: RobotState | None, query: dict[str, str],
               payload: dict[str, Any] | None) -> tuple[int, str]:
        now = self.clock()
        if robot is None:
            return TOKEN_UNKNOWN
        if now < robot.silenced_until:
            return RATE_LIMITED
        if any(w.full(now) for w in robot.windows):
            robot.silenced_until = now + SILENCED_SECONDS
            return RATE_LIMITED
        if robot.secret is not None:
            failure = _check_signature(robot.secret, query, now)
            if failure:
                return failure
        if payload is None:
            return PARAM_ERROR
        content = payload.get(str(payload.get("msgtype")))
        if not isinstance(content, dict):
            return PARAM_ERROR
        if not has_keyword(content, robot.keywords):
            return KEYWORDS_MISSING
        size = sum(len(str(v).encode("utf-8")) for v in content.values())
        if size > CONTENT_BYTES:
            return TOO_LONG
        return OK


def _check_signature(secret: str, query: dict[str, str], now: float) -> tuple[int, str] | None:
    stamp = query.get("timestamp", "")
    if not stamp.isdigit() or abs(int(stamp) - now * 1000) > MAX_SKEW_MS:
        return INVALID_TIMESTAMP
    expected = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    # the query was url-decoded already: a `+` sent unencoded arrives as a space, and fails
    if not hmac.compare_digest(expected, query.get("sign", "")):
        return SIGN_NOT_MATCH
    return None
