"""A fake 飞书 custom bot endpoint: `/open-apis/bot/v2/hook/<id>`, signed in the body."""

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

PATH_PREFIX = "/open-apis/bot/v2/hook/"
PER_MINUTE = 100
PER_SECOND = 5
MAX_SKEW_S = 3600
BODY_BYTES = 20 * 1024

OK = (0, "success")
WRONG_HOOK = (19001, "param invalid: incoming webhook access token invalid")
SIGN_OR_TIMESTAMP = (19021, "sign match fail or timestamp is not within one hour from "
                            "current time")
KEYWORD_MISSING = (19024, "Key Words Not Found")
RATE_LIMITED = (11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]")
BAD_REQUEST = (9499, "Bad Request")  # Feishu's answer to a malformed or oversized request


class FakeFeishu(FakeRobotFamily):
    def add_robot(self, hook_id: str, secret: str | None = None,
                  keywords: tuple[str, ...] = ()) -> str:
        self._add(RobotState(hook_id, secret, keywords,
                             (SlidingCount(PER_MINUTE, 60.0), SlidingCount(PER_SECOND, 1.0))))
        return f"{PATH_PREFIX}{hook_id}"

    def handle(self, hook_id: str, body: bytes) -> Reply:
        with self.lock:
            robot = self._robot(hook_id)
            payload = parse_json_object(body)
            code, message = self._judge(robot, payload, len(body))
            if robot is not None and code == 0:
                for window in robot.windows:
                    window.note(self.clock())
            status = 400 if code == BAD_REQUEST[0] else 200
            answer = {"code": code, "data": {}, "msg": message}
            if code == 0:  # the older spelling still comes back alongside
                answer |= {"StatusCode": 0, "StatusMessage": "success"}
            return self._answer(robot, hook_id, payload, Reply(status, answer), code, message)

    def _judge(self, robot: RobotState | None, payload: dict[str, Any] | None,
               size: int) -> tuple[int, str]:
        now = self.clock()
        if robot is None:
            return WRONG_HOOK
        if any(w.full(now) for w in robot.windows):
            return RATE_LIMITED
        if payload is None or size > BODY_BYTES:
            return BAD_REQUEST
        if robot.secret is not None and not _signed(robot.secret, payload, now):
            return SIGN_OR_TIMESTAMP
        if not has_keyword(payload.get("content") or payload.get("card"), robot.keywords):
            return KEYWORD_MISSING
        return OK


def _signed(secret: str, payload: dict[str, Any], now: float) -> bool:
    stamp = str(payload.get("timestamp", ""))
    if not stamp.isdigit() or abs(int(stamp) - now) > MAX_SKEW_S:
        return False
    expected = base64.b64encode(hmac.new(f"{stamp}\n{secret}".encode(), b"",
                                         hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, str(payload.get("sign", "")))
