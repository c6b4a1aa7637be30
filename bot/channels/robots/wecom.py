"""企业微信 (WeCom) group robot: POST JSON to the webhook, whose `key=` is the only credential.

Facts (developer.work.weixin.qq.com, 群机器人配置说明): 20 messages a minute per robot, over
it errcode 45009 "api freq out of limit"; text ≤ 2048 bytes and markdown ≤ 4096 bytes
(errcode 40058 "… exceed max length …"); image as base64 + md5 of the raw file, ≤ 2 MB;
text @-s by 手机号 (`mentioned_mobile_list`) or userid (`mentioned_list`), markdown only by
userid (`<@userid>` in the content); a wrong or removed key answers errcode 93000
"invalid webhook url". No signature and no keyword: the key is the whole security.
"""

from __future__ import annotations

import base64
import hashlib
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
    checked_mobiles,
    json_body,
    markdown_span,
    markup_safe,
    usable,
    utf8_size,
)
from bot.channels.robots.outcome import BrokenReason, ErrorTable

LIMITS = Limits(
    windows=(RateWindow(20, 60.0),),
    text_bytes=2048,
    markdown_bytes=4096,
    image_bytes=2 * 1024 * 1024,
)
CAPABILITIES = Capabilities(
    markdown=True, image_upload=True, keyword_security=False, signed=False,
    text_mention=Handle.MOBILE, markdown_mention=Handle.WECOM_USERID,
)

RATE_LIMITED = 45009
INVALID_WEBHOOK = 93000
TOO_LONG_OR_INVALID = 40058
SYSTEM_BUSY = -1


def text_payload(text: str, mobiles: Sequence[str] = (),
                 userids: Sequence[str] = ()) -> Payload:
    check_size("text", utf8_size(text), LIMITS.text_bytes)
    content: dict[str, object] = {"content": text}
    if mobiles:
        content["mentioned_mobile_list"] = checked_mobiles(list(mobiles))
    if userids:
        content["mentioned_list"] = checked_ids(list(userids), what="WeCom userid")
    return {"msgtype": "text", "text": content}


def markdown_payload(markdown: str, userids: Sequence[str] = ()) -> Payload:
    """Mentions go at the end, on their own line: markdown has no mention list."""
    ids = checked_ids(list(userids), what="WeCom userid")
    if ids:
        markdown = f"{markdown}\n" + "".join(f"<@{one}>" for one in ids)
    check_size("markdown", utf8_size(markdown), LIMITS.markdown_bytes)
    return {"msgtype": "markdown", "markdown": {"content": markdown}}


def image_payload(image: bytes) -> Payload:
    check_size("image", len(image), LIMITS.image_bytes)
    return {"msgtype": "image", "image": {
        "base64": base64.b64encode(image).decode("ascii"),
        "md5": hashlib.md5(image).hexdigest(),  # WeCom's integrity check, not security
    }}


MARKDOWN = Form("markdown", LIMITS.markdown_bytes or 0)
TEXT = Form("text", LIMITS.text_bytes or 0)


class WecomWriter:
    """Markdown where every mention has a userid (markdown @-s by userid only); otherwise
    text, which @-s by 手机号 too. A person with neither is named, not @-ed."""

    def form(self, mentions: Sequence[Mention]) -> Form:
        by_mobile_only = any(usable(m, Handle.WECOM_USERID) is None
                             and usable(m, Handle.MOBILE) is not None for m in mentions)
        return TEXT if by_mobile_only else MARKDOWN

    def line(self, form: Form, line: Line) -> str:
        out = []
        for piece in line:
            if isinstance(piece, Mention):
                userid = usable(piece, Handle.WECOM_USERID)
                out.append(f"<@{userid}>" if form is MARKDOWN and userid
                           else f"@{markup_safe(piece.name)}")
            elif form is MARKDOWN:
                out.append(markdown_span(piece))
            else:
                out.append(markup_safe(piece.text))  # <@…> is markup in text too
        return "".join(out)

    def payload(self, form: Form, title: str, text: str, mentions: Sequence[Mention],
                keyword: str | None) -> Payload:
        del title, keyword  # no title field, no keyword setting
        if form is MARKDOWN:
            return markdown_payload(text)
        userids = {m.name: usable(m, Handle.WECOM_USERID) for m in mentions}
        mobiles = [usable(m, Handle.MOBILE) for m in mentions if not userids[m.name]]
        return text_payload(text, mobiles=[m for m in mobiles if m],
                            userids=[u for u in userids.values() if u])

    def image(self, image: bytes) -> Payload | None:
        return image_payload(image)


def prepare(robot: RobotConfig, payload: Payload, now: datetime) -> PreparedRequest:
    del now  # nothing here depends on time
    return PreparedRequest(robot.webhook, json_body(payload))


def _broken(code: int, message: str) -> BrokenReason | None:
    del message
    return BrokenReason.WRONG_KEY if code == INVALID_WEBHOOK else None


ERRORS = ErrorTable(
    code_fields=("errcode",), message_fields=("errmsg",),
    rate_limited={RATE_LIMITED}, broken=_broken, transient={SYSTEM_BUSY},
)



def plain_text(text: str, keyword: str | None) -> Payload:
    """One plain line (a test), with the robot's keyword where it has one."""
    del keyword  # WeCom robots have no keyword setting
    return text_payload(text)


WECOM = RobotKind(
    name="wecom", names=("wecom", "企业微信", "企微"), limits=LIMITS,
    capabilities=CAPABILITIES, prepare=prepare, errors=ERRORS,
    webhook=WebhookShape(("qyapi.weixin.qq.com",), "/cgi-bin/webhook/send", "key"),
    text=plain_text, writer=WecomWriter(),
)
