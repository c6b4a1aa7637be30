"""An in-process `BaseRequest`: PTB's Bot talks to a FakeTelegram with no network at all."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.fake_telegram.api import NETWORK_DOWN, FakeTelegram, Upload


class FakeRequest(BaseRequest):
    def __init__(self, api: FakeTelegram) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        files = f"/file/bot{self.api.token}/"
        if files in unquote(url):  # File.download_* GETs the file's (percent-encoded) URL
            content = self.api.download(unquote(url).split(files, 1)[1])
            if content is None:
                return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
            return 200, content
        prefix, _, api_method = url.rpartition("/")
        if not prefix.endswith(f"/bot{self.api.token}"):
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            params.update(uploads(request_data))
        status, body = self.api.handle(api_method, params)
        if status == NETWORK_DOWN:
            raise NetworkError(f"connection reset: {body['description']}")
        return status, json.dumps(body, ensure_ascii=False).encode()


def uploads(request_data: RequestData) -> dict[str, Upload]:
    """The files PTB would send as multipart/form-data parts, by part name: a file given
    straight as a parameter (sendPhoto's `photo`) is a part of that name and absent from
    `parameters`; one referenced as `attach://<name>` is the part `<name>`."""
    parts: dict[str, Upload] = {}
    for name, (file_name, content, mime_type) in request_data.multipart_data.items():
        if not isinstance(content, bytes):  # PTB 21.5+: an open file handle
            if hasattr(content, "seek"):
                content.seek(0)
            data = content.read()
            if hasattr(content, "seek"):
                content.seek(0)  # as httpx leaves it: a retry reads it again
            content = data
        parts[name] = Upload(content, file_name or None, mime_type or None)
    return parts
