"""The FakeTelegram over real HTTP on 127.0.0.1, for a bot run as its own process
(`TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT dutybot run`)."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

from bot.fake_http import LocalServer
from bot.fake_telegram.api import NETWORK_DOWN, ApiError, FakeTelegram, Upload

LONG_POLL_CAP = 2.0  # seconds; keeps shutdown quick


def _decode(value: str) -> Any:
    """PTB sends objects and lists as JSON inside form fields; scalars stay text."""
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# httpx (like browsers, per HTML5) writes `"` as %22 and control characters as %XX in a
# part's name and filename
_FORM_ESCAPE = re.compile(r"%(22|[01][0-9A-F])")


def _unescape_form_param(value: str) -> str:
    return _FORM_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)


def parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/form-data body as params: text fields decoded like form fields, file
    parts (those with a filename) as `Upload`s."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(b"Content-Type: " + content_type.encode("latin-1")
                                + b"\r\n\r\n" + body)
    params: dict[str, Any] = {}
    if not message.is_multipart():
        return params
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        name = _unescape_form_param(name)
        content = part.get_payload(decode=True) or b""
        file_name = part.get_filename()
        if file_name is None:
            params[name] = _decode(content.decode("utf-8"))
        else:
            mime_type = part.get_content_type() if part.get("Content-Type") else None
            params[name] = Upload(content, _unescape_form_param(file_name) or None, mime_type)
    return params


class FakeTelegramServer(LocalServer):
    def __init__(self, api: FakeTelegram, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port, get=True)
        self.api = api

        # a test's hook, called with each Bot API method before it is answered; False
        # drops the request unanswered (as if it never reached Telegram)
        self.before_call: Callable[[str], bool] | None = None

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        url = urlparse(request.path)
        files = f"/file/bot{self.api.token}/"
        if unquote(url.path).startswith(files):  # PTB percent-encodes the file's URL
            return self._send_file(request, unquote(url.path).removeprefix(files))
        prefix, _, method = url.path.rpartition("/")
        if prefix != f"/bot{self.api.token}":
            status, body = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            if prefix.startswith("/bot"):
                status, body = 401, {"ok": False, "error_code": 401,
                                     "description": "Unauthorized"}
            return self._reply(request, status, body)
        params = {k: _decode(v) for k, v in parse_qsl(url.query)}
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        ctype = request.headers.get("Content-Type", "")
        if raw and "application/json" in ctype:
            params.update(json.loads(raw))
        elif raw and "application/x-www-form-urlencoded" in ctype:
            params.update({k: _decode(v) for k, v in parse_qsl(raw.decode())})
        elif raw and "multipart/form-data" in ctype:
            params.update(parse_multipart(ctype, raw))
        if self.before_call is not None and not self.before_call(method):
            request.close_connection = True
            return None
        if method.lower() == "getupdates" and self.api.webhook is None:
            timeout = min(float(params.get("timeout") or 0), LONG_POLL_CAP)
            try:
                updates = self.api.wait_for_updates(params.get("offset"), timeout)
            except ApiError as exc:  # ended by a newer getUpdates: 409
                self.api.calls.append((method, params))
                return self._reply(request, exc.code, exc.body())
            self.api.calls.append((method, params))
            return self._reply(request, 200, {"ok": True, "result": updates})
        status, body = self.api.handle(method, params)
        if status == NETWORK_DOWN:  # hang up without an answer
            request.close_connection = True
            return None
        return self._reply(request, status, body)

    def _send_file(self, request: BaseHTTPRequestHandler, file_path: str) -> None:
        content = self.api.download(file_path)
        if content is None:
            return self._reply(request, 404, {"ok": False, "error_code": 404,
                                              "description": "Not Found"})
        request.send_response(200)
        request.send_header("Content-Type", "application/octet-stream")
        request.send_header("Content-Length", str(len(content)))
        request.end_headers()
        request.wfile.write(content)
        return None

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
