"""The HTTP shell the fake servers share (bot/fake_telegram, bot/fake_robots): a threaded
server on 127.0.0.1 that hands each request to its owner, started and stopped by tests."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # a client killed mid-request or one that gave up (a kill or a timeout test)
        # leaves a broken pipe: that is the test, not a fault
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class LocalServer:
    """Subclasses answer in `_serve`; `get` also takes GET requests (file downloads)."""

    def __init__(self, host: str, port: int, get: bool = False) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                server._serve(self)

            if get:
                do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _QuietServer((host, port), Handler)
        # a short poll so that stop() returns at once: tests start one server each
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def root(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError
