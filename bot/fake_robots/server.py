"""The fake robots over real HTTP on 127.0.0.1, for the real `post()` and the bench."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from bot.fake_http import LocalServer
from bot.fake_robots.api import FakeRobots

_NOT_FOUND = b"<html><head><title>404 Not Found</title></head><body>nginx</body></html>"


@dataclass(frozen=True)
class CannedAnswer:
    """What a test makes the server say instead of the robot: a proxy's HTML, garbage."""

    status: int
    body: bytes
    content_type: str = "text/html"


class FakeRobotServer(LocalServer):
    def __init__(self, robots: FakeRobots, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.robots = robots
        # test hooks: answer every request with this instead; wait this long (real seconds)
        # before answering, to make a client time out
        self.canned: CannedAnswer | None = None
        self.delay = 0.0
        # the kill sweep's hooks (tests/robot_kill_sweep.py): called with the request's path
        # and query before the robot sees it (False: hang up unanswered, the robot never
        # saw it), and after the answer went out
        self.before_call: Callable[[str], bool] | None = None
        self.after_call: Callable[[str], None] | None = None

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        if len(body) < length:  # the sender died mid-request: a robot never sees it
            request.close_connection = True
            return None
        if self.delay:
            time.sleep(self.delay)
        if self.before_call is not None and not self.before_call(request.path):
            request.close_connection = True
            return None
        if self.canned is not None:
            _send(request, self.canned.status, self.canned.body, self.canned.content_type)
        else:
            reply = self.robots.handle(request.path, body)
            if reply is None:
                _send(request, 404, _NOT_FOUND, "text/html")
            else:
                data = json.dumps(reply.body, ensure_ascii=False).encode()
                _send(request, reply.status, data, "application/json;charset=utf-8")
        if self.after_call is not None:
            self.after_call(request.path)
        return None


def _send(request: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str) -> None:
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)
