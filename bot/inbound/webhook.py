"""Webhook mode (issue 23, SPEC §8): Telegram POSTs each update to the office's reverse
proxy, which passes it on to this server on the `--listen` address.

Why a tornado app of our own and not PTB's `Updater.start_webhook` (which uses the same
tornado): PTB's handler answers 200 as soon as the update is in its in-memory queue, and
a kill at that moment loses it; it has no 413 for a large body and no `/healthz`. Here an
update is answered 200 only once it is in the durable inbox (storage/inbox.py), the same
one polling fills, and the dispatcher serves it from there exactly as a polled one.

What a request gets:
- 403: no `X-Telegram-Bot-Api-Secret-Token`, or not the exact secret (compared in
  constant time);
- 413: a body over 1 MB, answered from its Content-Length before the body is read (what
  still arrives is thrown away unread, so the client sees the answer; one that declares
  more than DISCARD_LIMIT is cut off);
- 400: a body that is not JSON, or not an update;
- 200: stored, or an update_id stored before (a replay: stored once, handled once);
- 503: the inbox could not store it (Telegram sends it again later).
Each refusal is one log line with the status, the client and the reason: never the secret,
never the path (an operator may have put something secret in the URL).
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from tornado import httpserver, iostream, netutil, web

from bot.inbound.lanes import lane_of
from bot.services.inbox import InboxService
from bot.services.webhook import Health
from storage.inbox import Inbound

log = logging.getLogger("dutybot.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few kB; Telegram's largest are far below this
DISCARD_LIMIT = 16 * MAX_BODY  # declared larger than this: cut off at once, not drained
MAX_UPDATE_ID = 2**63 - 1  # what the inbox can keep


class WebhookFailed(Exception):
    """Webhook mode could not start (the address, or Telegram's refusal); one line."""


class WebhookServer:
    """The HTTP side of webhook mode, on the running bot's event loop."""

    def __init__(self, inbox: InboxService, secret: str, path: str, host: str, port: int,
                 health: Callable[[], Awaitable[Health]],
                 stored: Callable[[], None] = lambda: None) -> None:
        self.inbox = inbox
        self.secret = secret.encode()
        self.path = path or "/"
        self.host = host
        self.port = port  # 0: any free port; the one bound is here after start()
        self.health = health
        self.stored = stored  # told after each stored update (the dispatcher's wake)
        self._server: httpserver.HTTPServer | None = None

    async def start(self) -> None:
        app = web.Application(
            [(r"/healthz", _Health, {"owner": self}),
             (_route(self.path), _Updates, {"owner": self})],
            log_function=lambda _handler: None,  # refusals are logged once, by us
        )
        self._server = httpserver.HTTPServer(
            app, xheaders=True,  # the client's address as the proxy reports it
            max_body_size=DISCARD_LIMIT, body_timeout=30, idle_connection_timeout=75)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sockets = netutil.bind_sockets(self.port, self.host, family=family)
        self.port = sockets[0].getsockname()[1]
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        """Take nothing new; what was stored stays stored."""
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None

    def secret_matches(self, given: str | None) -> bool:
        if given is None:
            return False
        try:
            raw = given.encode("latin-1")  # tornado reads header values as latin-1
        except UnicodeEncodeError:
            return False
        return hmac.compare_digest(raw, self.secret)


def _malformed(record: logging.LogRecord) -> bool:
    """tornado's line for a request it cannot parse quotes the bad header value (which may
    be a secret token sent with a stray byte): said in our words instead, the value left out."""
    if record.msg == "Malformed HTTP message from %s: %s" and record.args:
        record.name = log.name
        record.msg = "webhook: answered 400 to %s: a malformed HTTP request"
        record.args = (record.args[0],)  # type: ignore[index]
    return True


logging.getLogger("tornado.general").addFilter(_malformed)


def _route(path: str) -> str:
    escaped = "".join("\\" + c if c in r".^$*+?{}[]\|()" else c for c in path)
    return escaped.rstrip("/") + "/?" if escaped != "/" else "/"


def refused(request: Any, status: int, reason: str) -> None:
    log.warning("webhook: answered %s to %s %s: %s", status, request.method,
                request.remote_ip, reason)


class _Health(web.RequestHandler):
    def initialize(self, owner: WebhookServer) -> None:
        self.owner = owner

    async def get(self) -> None:
        health = await self.owner.health()
        self.set_status(200 if health.database else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(health.to_json()))


@web.stream_request_body
class _Updates(web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, owner: WebhookServer) -> None:
        self.owner = owner
        self._chunks: list[bytes] = []
        self._size = 0
        self._too_large = False  # answered 413 already; the rest is thrown away

    def prepare(self) -> None:
        if not self.owner.secret_matches(self.request.headers.get(SECRET_HEADER)):
            return self._answer(403, "wrong or missing secret token", at_once=True)
        declared = self.request.headers.get("Content-Length")
        if declared is not None and int(declared) > MAX_BODY:
            # answered before the body is read; what arrives of it is dropped unread
            return self._answer(413, f"body of {declared} bytes over {MAX_BODY}",
                                at_once=int(declared) > DISCARD_LIMIT)
        return None

    def data_received(self, chunk: bytes) -> None:
        if self._too_large:
            return
        self._size += len(chunk)
        if self._size > MAX_BODY:  # a chunked body that grew past the limit
            self._chunks.clear()
            self._answer(413, f"body over {MAX_BODY} bytes")
            return
        self._chunks.append(chunk)

    async def post(self) -> None:
        if self._too_large:
            self.finish()
            return
        update = _update(b"".join(self._chunks))
        if isinstance(update, str):
            self._answer(400, update, at_once=True)
            return
        try:
            await self.owner.inbox.store([Inbound(update["update_id"], lane_of(update),
                                                  update)])
        except Exception as exc:  # Telegram tries again later: nothing is lost
            log.error("webhook: could not store update %s (%s); answered 503",
                      update["update_id"], type(exc).__name__)
            self.set_status(503)
            self.finish()
            return
        self.owner.stored()
        self.set_status(200)
        self.finish()

    def _answer(self, status: int, reason: str, at_once: bool = False) -> None:
        refused(self.request, status, reason)
        body = json.dumps({"ok": False, "error_code": status}).encode()
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        if at_once or self._finished:
            if not self._finished:
                self.finish(body)
            return
        # the answer goes out now; the connection stays until the rest has arrived (and
        # been dropped), so that the client reads the answer rather than a reset
        self._too_large = True
        self.set_header("Content-Length", str(len(body)))
        self.set_header("Connection", "close")
        self.write(body)
        self.flush()

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, iostream.StreamClosedError):  # a client that hung up
            return
        super().log_exception(typ, value, tb)


def _update(body: bytes) -> dict[str, Any] | str:
    """The update in a body, or why it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return "the body is not JSON"
    if not isinstance(data, dict):
        return "the body is not an update (not a JSON object)"
    update_id = data.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
        return "the body is not an update (no valid update_id)"
    try:
        Update.de_json(data, None)
    except Exception:
        return "the body is not an update (PTB cannot read it)"
    return data
