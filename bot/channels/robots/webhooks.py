"""Is this the webhook of that messenger's robot? Checked before a channel is saved.

Each messenger's shape is declared in its own module (RobotKind.webhook). A webhook on
loopback (127.0.0.1, localhost, ::1) may be http and have any path: tests, fakes and a
local proxy in front of the messenger.
"""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

from bot.channels.robots.model import RobotKind

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
URL_MAX = 1000
_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f<>\"{}|\\^`]")
_TOKEN = re.compile(r"[A-Za-z0-9._~-]+")


class WebhookProblem(StrEnum):
    MALFORMED = "malformed"  # not a URL one can send to
    NOT_HTTPS = "not_https"  # http (or another scheme) outside loopback
    WRONG_HOST = "wrong_host"  # not the messenger's own server
    WRONG_SHAPE = "wrong_shape"  # the messenger's server, but not a robot's webhook


def is_loopback(url: str) -> bool:
    try:
        return (urlsplit(url).hostname or "") in LOOPBACK
    except ValueError:
        return False


def webhook_problem(kind: RobotKind, url: str) -> WebhookProblem | None:
    if not url or len(url) > URL_MAX or not url.isascii() or _BAD_CHARS.search(url):
        return WebhookProblem.MALFORMED
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (urlsplit checks the port only when asked)
    except ValueError:
        return WebhookProblem.MALFORMED
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username is not None \
            or parts.password is not None or parts.fragment:
        return WebhookProblem.MALFORMED
    if host in LOOPBACK:
        return None
    if parts.scheme != "https":
        return WebhookProblem.NOT_HTTPS
    shape = kind.webhook
    if shape is None:
        return None
    if host not in shape.hosts or parts.port not in (None, 443):
        return WebhookProblem.WRONG_HOST
    if shape.token_param is not None:
        tokens = parse_qs(parts.query).get(shape.token_param, [])
        if parts.path != shape.path or len(tokens) != 1 or not _TOKEN.fullmatch(tokens[0]):
            return WebhookProblem.WRONG_SHAPE
        return None
    token = parts.path.removeprefix(shape.path)
    if not parts.path.startswith(shape.path) or not _TOKEN.fullmatch(token) or parts.query:
        return WebhookProblem.WRONG_SHAPE
    return None
