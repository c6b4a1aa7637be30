"""飞书 (Feishu) custom bot: POST JSON to `/open-apis/bot/v2/hook/<id>`, signed in the body.

Facts (open.feishu.cn, 自定义机器人使用指南): 100 requests a minute and 5 a second per bot,
over it code 11232 (Feishu asks senders to avoid the exact hour and half hour); the request
body ≤ 20 KB; 签名校验 puts `timestamp` (seconds) and `sign` = base64(HmacSHA256(key=
timestamp+"\\n"+secret, msg=empty)) in the JSON body, and fails, like a timestamp more than
an hour off, with 19021 "sign match fail or timestamp is not within one hour from current
time"; a missing 自定义关键词 is 19024 "Key Words Not Found"; an IP outside the allowlist
19022 "Ip Not Allowed"; a wrong hook id 19001 "param invalid: incoming webhook access token
invalid". @ only by open_id or user_id (`<at user_id="ou_…"></at>` in text), never by phone.
No image upload for custom bots. Plain markdown needs a card (left to the card renderer).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from bot.channels.message import Line, Mention
from bot.channels.robots.model import (
    Capabilities,
    Form,
    Handle,
    Limits,
    Payload,
    PreparedRequest,
    RateWindow,
    RobotConfig,
    RobotKind,
    WebhookShape,
    check_size,
    checked_ids,
    json_body,
    markup_safe,
    usable,
    with_keyword,
)
from bot.channels.robots.outcome import BrokenReason, ErrorTable
from bot.domain.channels import FEISHU_ID

LIMITS = Limits(
    windows=(RateWindow(100, 60.0), RateWindow(5, 1.0)),
    body_bytes=20 * 1024,
    avoid_half_hours=True,
)
CAPABILITIES = Capabilities(
    markdown=False, image_upload=False, keyword_security=True, signed=True,
    text_mention=Handle.FEISHU_OPEN_ID, markdown_mention=None,
)

RATE_LIMITED = 11232
WRONG_HOOK = 19001
SIGN_OR_TIMESTAMP = 19021
IP_NOT_ALLOWED = 19022
KEYWORD_MISSING = 19024

# what `timestamp` and `sign` add to the body, kept free when a message is measured
_SIGN_ROOM = 96


def sign(secret: str, timestamp_s: int) -> str:
    """The key is `timestamp\\nsecret` and the message empty: the reverse of DingTalk."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def timestamp_s(now: datetime) -> int:
    if now.tzinfo is None:
        raise ValueError("Feishu's timestamp needs a timezone-aware time")
    return int(now.timestamp())


def text_payload(text: str, open_ids: Sequence[str] = (), keyword: str | None = None) -> Payload:
    ids = checked_ids(list(open_ids), FEISHU_ID, "Feishu open_id")
    if ids:
        text = f"{text}\n" + " ".join(f'<at user_id="{one}"></at>' for one in ids)
    payload: Payload = {"msg_type": "text", "content": {"text": with_keyword(text, keyword)}}
    check_size("body", len(json_body(payload)) + _SIGN_ROOM, LIMITS.body_bytes)
    return payload


TEXT = Form("text", LIMITS.body_bytes or 0)


class FeishuWriter:
    """Plain text (markdown needs a card); @ by open_id inline, else the name."""

    def form(self, mentions: Sequence[Mention]) -> Form:
        del mentions
        return TEXT

    def line(self, form: Form, line: Line) -> str:
        out = []
        for piece in line:
            if isinstance(piece, Mention):
                open_id = usable(piece, Handle.FEISHU_OPEN_ID)
                name = markup_safe(piece.name)
                out.append(f'<at user_id="{open_id}">{name}</at>' if open_id else name)
            else:
                out.append(markup_safe(piece.text))
        return "".join(out)

    def payload(self, form: Form, title: str, text: str, mentions: Sequence[Mention],
                keyword: str | None) -> Payload:
        del form, title, mentions  # the mentions are in the text already
        return text_payload(text, keyword=keyword)

    def image(self, image: bytes) -> Payload | None:
        del image  # custom bots cannot upload
        return None


def prepare(robot: RobotConfig, payload: Payload, now: datetime) -> PreparedRequest:
    if robot.secret:
        stamp = timestamp_s(now)
        payload = {"timestamp": str(stamp), "sign": sign(robot.secret, stamp), **payload}
    return PreparedRequest(robot.webhook, json_body(payload))


def _broken(code: int, message: str) -> BrokenReason | None:
    del message
    return {
        WRONG_HOOK: BrokenReason.WRONG_KEY,
        SIGN_OR_TIMESTAMP: BrokenReason.SIGNATURE,
        IP_NOT_ALLOWED: BrokenReason.IP_NOT_ALLOWED,
        KEYWORD_MISSING: BrokenReason.KEYWORD,
    }.get(code)


ERRORS = ErrorTable(
    code_fields=("code", "StatusCode"), message_fields=("msg", "StatusMessage"),
    rate_limited={RATE_LIMITED}, broken=_broken,
)



def plain_text(text: str, keyword: str | None) -> Payload:
    """One plain line (a test), with the robot's keyword where it has one."""
    return text_payload(text, keyword=keyword)


FEISHU = RobotKind(
    name="feishu", names=("feishu", "飞书", "lark"), limits=LIMITS,
    capabilities=CAPABILITIES, prepare=prepare, errors=ERRORS,
    webhook=WebhookShape(("open.feishu.cn", "open.larksuite.com"), "/open-apis/bot/v2/hook/"),
    text=plain_text, writer=FeishuWriter(),
)
