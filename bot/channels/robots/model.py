"""What every office group robot is described by: its configuration, limits and capabilities.

Each messenger module declares these as data (after Apprise's plugins), so that the sender,
the splitter and the fakes read one source of truth instead of scattering numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.channels.message import Line, Mention, Span, Style
from bot.channels.robots.masking import mask_secret, mask_webhook
from bot.channels.robots.outcome import ErrorTable, Outcome, classify
from bot.domain.channels import FEISHU_ID, PLAIN_ID, Handle

Payload = dict[str, Any]


@dataclass(frozen=True)
class RobotConfig:
    """One robot in one group. The webhook carries its key, so neither it nor the secret
    is ever shown in full, not even in a repr that lands in a log."""

    kind: str
    webhook: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    keyword: str | None = None

    def __repr__(self) -> str:
        secret = mask_secret(self.secret) if self.secret else None
        return (f"RobotConfig(kind={self.kind!r}, webhook={mask_webhook(self.webhook)!r}, "
                f"secret={secret!r}, keyword={self.keyword!r})")


@dataclass(frozen=True)
class RateWindow:
    """At most `count` messages in any `seconds` (a sliding window, per robot)."""

    count: int
    seconds: float


@dataclass(frozen=True)
class Limits:
    windows: tuple[RateWindow, ...]
    text_bytes: int | None = None  # the text itself, UTF-8
    markdown_bytes: int | None = None
    body_bytes: int | None = None  # the whole JSON request body
    image_bytes: int | None = None  # the image before base64
    # how long the messenger silences a robot that went over its rate (0: it does not)
    silenced_seconds: float = 0.0
    avoid_half_hours: bool = False  # Feishu: spread pushes away from :00 and :30


@dataclass(frozen=True)
class Capabilities:
    markdown: bool
    image_upload: bool
    keyword_security: bool  # a 自定义关键词 that every message must contain
    signed: bool  # 加签 / 签名校验 with a secret
    text_mention: Handle | None
    markdown_mention: Handle | None


@dataclass(frozen=True)
class WebhookShape:
    """What a messenger's webhook looks like: its hosts, its path, where the key is (a
    query parameter, or else the last path segment after `path`)."""

    hosts: tuple[str, ...]
    path: str
    token_param: str | None = None


@dataclass(frozen=True)
class PreparedRequest:
    url: str
    body: bytes


@dataclass(frozen=True)
class RobotKind:
    """A messenger's group robot: names, limits, capabilities and its two wire functions."""

    name: str
    names: tuple[str, ...]  # every name an admin may type, the canonical one first
    limits: Limits
    capabilities: Capabilities
    prepare: Callable[[RobotConfig, Payload, datetime], PreparedRequest]
    errors: ErrorTable  # how its answers read
    webhook: WebhookShape | None = None  # None: any https URL
    # one short text for a test, with the robot's keyword where it has one
    text: Callable[[str, str | None], Payload] | None = None
    # how a neutral message is written for it (bot/channels/robots/render.py)
    writer: Writer | None = None

    def classify(self, status: int, body: bytes) -> Outcome:
        """What became of a message, from the messenger's answer; never raises."""
        return classify(status, body, self.errors)

    def reaches(self, mention: Mention) -> bool:
        """Whether this messenger can @ the person (else they are only named): by any
        handle its text or markdown mentions take."""
        caps = self.capabilities
        return any(usable(mention, h) is not None
                   for h in {caps.text_mention, caps.markdown_mention} if h is not None)


@dataclass(frozen=True)
class Form:
    """One way a messenger writes a message: markdown or plain text, and its size limit
    for the text part (bytes of UTF-8)."""

    name: str
    limit: int


class Writer(Protocol):
    """A messenger's renderer of neutral messages (bot/channels/message.py)."""

    def form(self, mentions: Sequence[Mention]) -> Form:
        """The richest form this message's mentions allow."""

    def line(self, form: Form, line: Line) -> str: ...

    def payload(self, form: Form, title: str, text: str, mentions: Sequence[Mention],
                keyword: str | None) -> Payload:
        """Raises PayloadTooLarge where the messenger would refuse it."""

    def image(self, image: bytes) -> Payload | None:
        """None: this messenger's robot cannot upload an image."""


class PayloadTooLarge(ValueError):
    """The message does not fit the robot's limit; splitting is the caller's job."""

    def __init__(self, what: str, size: int, limit: int) -> None:
        super().__init__(f"{what} is {size} bytes, over the limit of {limit}")
        self.what = what
        self.size = size
        self.limit = limit


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def check_size(what: str, size: int, limit: int | None) -> None:
    if limit is not None and size > limit:
        raise PayloadTooLarge(what, size, limit)


def with_keyword(text: str, keyword: str | None) -> str:
    """The text, led by the robot's 自定义关键词 when it does not already contain it."""
    if not keyword or keyword in text:
        return text
    return f"【{keyword}】{text}"


_MOBILE = re.compile(r"\+?[0-9-]{5,20}")


def checked_ids(ids: tuple[str, ...] | list[str], pattern: re.Pattern[str] = PLAIN_ID,
                what: str = "id") -> list[str]:
    """Handles go into markup (<@id>, <at user_id="…">): anything but plain ids is refused."""
    for one in ids:
        if not pattern.fullmatch(one):
            raise ValueError(f"not a valid {what}: {one!r}")
    return list(dict.fromkeys(ids))  # once each, in order


def checked_mobiles(mobiles: tuple[str, ...] | list[str]) -> list[str]:
    return checked_ids(mobiles, _MOBILE, "mobile number")


def json_body(payload: Payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def markup_safe(text: str) -> str:
    """User words in markup: an angle bracket could open a mention (<@id>, <at …>) or a
    tag, so it is written as its full-width twin."""
    return text.replace("<", "＜").replace(">", "＞")


#: a WeCom userid begins with a letter or digit; "@all" (a PLAIN_ID) would @ the whole group
_WECOM_USERID = re.compile(r"(?!@)" + PLAIN_ID.pattern)
_HANDLE_PATTERNS = {Handle.MOBILE: _MOBILE, Handle.WECOM_USERID: _WECOM_USERID,
                    Handle.FEISHU_OPEN_ID: FEISHU_ID}


def usable(mention: Mention, handle: Handle) -> str | None:
    """The person's handle for this messenger, if it is one the messenger takes; a number
    typed with spaces ("138 0000 0001") is read without them. Otherwise None: the person
    is named, not @-ed, and the message still goes."""
    value = mention.handles.get(handle.value)
    if not value:
        return None
    if handle is Handle.MOBILE:
        value = value.replace(" ", "")
    return value if _HANDLE_PATTERNS[handle].fullmatch(value) else None


def markdown_span(span: Span) -> str:
    """A span in the markdown 企业微信 and 钉钉 robots read: bold, code, plain words."""
    words = markup_safe(span.text)
    if span.style is Style.BOLD:
        return f"**{words}**"
    if span.style is Style.CODE:
        return f"`{words}`"
    return words
