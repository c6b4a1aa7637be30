"""钉钉 (DingTalk) custom robot: POST JSON to the webhook (`access_token=`), signed in the URL.

Facts (open.dingtalk.com, 自定义机器人接入 / 安全设置): 20 messages a minute per robot, over
it errcode 130101 "send too fast, exceed 20 times per minute" and the robot is throttled
for 10 minutes; a robot needs at least one security setting: 加签 (`timestamp` in ms and
`sign` = urlencode(base64(HmacSHA256(key=secret, msg=timestamp+"\\n"+secret))) as query
parameters, the timestamp within an hour of DingTalk's clock), 自定义关键词 (up to 10; a
message must contain one) or an IP allowlist. All three fail with errcode 310000, told
apart by errmsg: "sign not match", "invalid timestamp", "keywords not in content",
"ip X.X.X.X not in whitelist". An unknown token answers 300001 (texts vary: "token is not
exist", "description: robot 不存在…"). @ by 手机号 in `at.atMobiles`; markdown also shows
"@手机号" in its text. Images only by URL (no upload).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

import httpx

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
    checked_mobiles,
    json_body,
    markdown_span,
    markup_safe,
    usable,
    utf8_size,
    with_keyword,
)
from bot.channels.robots.outcome import BrokenReason, ErrorTable

# ≈20 000 bytes of text per message: the figure the issue gives; the vendor page we could
# read does not state it, so it is kept as the conservative bound
LIMITS = Limits(
    windows=(RateWindow(20, 60.0),),
    text_bytes=20_000,
    markdown_bytes=20_000,
    silenced_seconds=600.0,
)
CAPABILITIES = Capabilities(
    markdown=True, image_upload=False, keyword_security=True, signed=True,
    text_mention=Handle.MOBILE, markdown_mention=Handle.MOBILE,
)

RATE_LIMITED = 130101
SECURITY_FAILED = 310000
TOKEN_UNKNOWN = 300001
TOKEN_NOT_EXIST = 300005
SYSTEM_BUSY = -1


def sign(secret: str, timestamp_ms: int) -> str:
    """base64(HmacSHA256(secret, f"{timestamp}\\n{secret}")); the URL encoding is httpx's
    when the parameter is added (`+`, `/`, `=` become %2B, %2F, %3D)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def timestamp_ms(now: datetime) -> int:
    if now.tzinfo is None:
        raise ValueError("DingTalk's timestamp needs a timezone-aware time")
    return int(now.timestamp() * 1000)


def signed_url(webhook: str, secret: str, now: datetime) -> str:
    stamp = timestamp_ms(now)
    url = httpx.URL(webhook).copy_merge_params({"timestamp": str(stamp),
                                                "sign": sign(secret, stamp)})
    return str(url)


def _at(mobiles: list[str]) -> dict[str, object]:
    return {"atMobiles": mobiles, "isAtAll": False}


def text_payload(text: str, mobiles: Sequence[str] = (), keyword: str | None = None) -> Payload:
    ids = checked_mobiles(list(mobiles))
    text = with_keyword(text, keyword)
    check_size("text", utf8_size(text), LIMITS.text_bytes)
    return {"msgtype": "text", "text": {"content": text}, "at": _at(ids)}


def markdown_payload(title: str, markdown: str, mobiles: Sequence[str] = (),
                     keyword: str | None = None) -> Payload:
    """The mention only shows in markdown when "@手机号" is in the text as well."""
    ids = checked_mobiles(list(mobiles))
    missing = [one for one in ids if f"@{one}" not in markdown]
    if missing:
        markdown = f"{markdown}\n\n" + " ".join(f"@{one}" for one in missing)
    markdown = with_keyword(markdown, keyword)
    check_size("markdown", utf8_size(markdown), LIMITS.markdown_bytes)
    return {"msgtype": "markdown", "markdown": {"title": with_keyword(markup_safe(title), keyword),
                                                "text": markdown}, "at": _at(ids)}


MARKDOWN = Form("markdown", LIMITS.markdown_bytes or 0)


class DingtalkWriter:
    """Markdown always; @ by 手机号, shown as "@手机号" in the text as DingTalk wants."""

    def form(self, mentions: Sequence[Mention]) -> Form:
        del mentions
        return MARKDOWN

    def line(self, form: Form, line: Line) -> str:
        out = []
        for piece in line:
            if isinstance(piece, Mention):
                mobile = usable(piece, Handle.MOBILE)
                out.append(f"{markup_safe(piece.name)} @{mobile}" if mobile
                           else markup_safe(piece.name))
            else:
                out.append(markdown_span(piece))
        # a markdown line break; an empty line stays a paragraph break
        return "".join(out) + "  " if out else ""

    def payload(self, form: Form, title: str, text: str, mentions: Sequence[Mention],
                keyword: str | None) -> Payload:
        del form
        mobiles = [usable(m, Handle.MOBILE) for m in mentions]
        return markdown_payload(title, text, [m for m in mobiles if m], keyword)

    def image(self, image: bytes) -> Payload | None:
        del image  # DingTalk robots take images by URL only
        return None


def prepare(robot: RobotConfig, payload: Payload, now: datetime) -> PreparedRequest:
    url = signed_url(robot.webhook, robot.secret, now) if robot.secret else robot.webhook
    return PreparedRequest(url, json_body(payload))


def _broken(code: int, message: str) -> BrokenReason | None:
    if code in (TOKEN_UNKNOWN, TOKEN_NOT_EXIST):
        return BrokenReason.WRONG_KEY
    if code != SECURITY_FAILED:
        return None
    text = message.lower()
    if "sign" in text or "timestamp" in text:
        return BrokenReason.SIGNATURE
    if "keyword" in text:
        return BrokenReason.KEYWORD
    if "whitelist" in text or text.startswith("ip "):
        return BrokenReason.IP_NOT_ALLOWED
    return BrokenReason.SECURITY


ERRORS = ErrorTable(
    code_fields=("errcode",), message_fields=("errmsg",),
    rate_limited={RATE_LIMITED}, broken=_broken, transient={SYSTEM_BUSY},
)



def plain_text(text: str, keyword: str | None) -> Payload:
    """One plain line (a test), with the robot's keyword where it has one."""
    return text_payload(text, keyword=keyword)


DINGTALK = RobotKind(
    name="dingtalk", names=("dingtalk", "钉钉"), limits=LIMITS,
    capabilities=CAPABILITIES, prepare=prepare, errors=ERRORS,
    webhook=WebhookShape(("oapi.dingtalk.com",), "/robot/send", "access_token"),
    text=plain_text, writer=DingtalkWriter(),
)
