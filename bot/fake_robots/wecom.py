"""A fake 企业微信 group robot endpoint: `/cgi-bin/webhook/send?key=…`."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from bot.fake_robots.common import (
    FakeRobotFamily,
    Reply,
    RobotState,
    SlidingCount,
    parse_json_object,
)

PATH = "/cgi-bin/webhook/send"
PER_MINUTE = 20
TEXT_BYTES = 2048
MARKDOWN_BYTES = 4096
IMAGE_BYTES = 2 * 1024 * 1024

OK = (0, "ok")
INVALID_WEBHOOK = (93000, "invalid webhook url, hint: [fake], more info at "
                          "https://open.work.weixin.qq.com/devtool/query?e=93000")
RATE_LIMITED = (45009, "api freq out of limit")
# 40058 is WeCom's "invalid parameter" and what it answers for an overlong content; the
# image answers below are the same code with our own wording (not confirmed in the docs)
INVALID_PARAMETER = 40058


class FakeWeCom(FakeRobotFamily):
    def add_robot(self, key: str) -> str:
        """The robot's webhook, relative to the server's root."""
        self._add(RobotState(key, None, (), (SlidingCount(PER_MINUTE, 60.0),)))
        return f"{PATH}?key={key}"

    def handle(self, query: dict[str, str], body: bytes) -> Reply:
        key = query.get("key", "")
        with self.lock:
            robot = self._robot(key)
            payload = parse_json_object(body)
            code, message = self._judge(robot, payload)
            if robot is not None and code == 0:
                for window in robot.windows:
                    window.note(self.clock())
            return self._answer(robot, key, payload, Reply(200, {"errcode": code,
                                                                 "errmsg": message}),
                                code, message)

    def _judge(self, robot: RobotState | None, payload: dict[str, Any] | None
               ) -> tuple[int, str]:
        if robot is None:
            return INVALID_WEBHOOK
        if any(w.full(self.clock()) for w in robot.windows):
            return RATE_LIMITED
        if payload is None:
            return INVALID_PARAMETER, "Warning: wrong json format."
        return _check_message(payload)


def _check_message(payload: dict[str, Any]) -> tuple[int, str]:
    kind = payload.get("msgtype")
    part = payload.get(kind) if isinstance(kind, str) else None
    if not isinstance(part, dict):
        return INVALID_PARAMETER, "invalid message type"
    if kind in ("text", "markdown"):
        content = part.get("content")
        limit = TEXT_BYTES if kind == "text" else MARKDOWN_BYTES
        if not isinstance(content, str) or not content:
            return INVALID_PARAMETER, f"{kind}.content is empty"
        if len(content.encode("utf-8")) > limit:
            return INVALID_PARAMETER, f"{kind}.content exceed max length {limit}"
        return OK
    if kind == "image":
        try:
            image = base64.b64decode(str(part.get("base64", "")), validate=True)
        except binascii.Error:
            return INVALID_PARAMETER, "image.base64 is not base64"
        if len(image) > IMAGE_BYTES:
            return INVALID_PARAMETER, f"image size exceed max {IMAGE_BYTES}"
        if hashlib.md5(image).hexdigest() != part.get("md5"):
            return INVALID_PARAMETER, "image.md5 does not match"
        return OK
    return INVALID_PARAMETER, "invalid message type"
