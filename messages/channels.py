"""Texts for the office's group robots: `dutybot channel …` on the console (plain text, one
line per refusal or explanation) and /渠道 in chat (HTML). A webhook or a secret only ever
appears masked; what the messenger answered is explained in one Chinese line."""

from __future__ import annotations

import html

from bot.channels.robots import (
    Broken,
    Delivered,
    Outcome,
    RateLimited,
    Refused,
    RetryLater,
    is_loopback,
    mask_secret,
    mask_webhook,
    robot_kind,
)
from bot.domain.channels import KEYWORD_MAX, SECRET_MAX, RobotChannel
from bot.services.channels import ChannelAdded, ChannelEntry, ChannelTested
from bot.services.errors import ChannelRefused
from messages import commands as c
from messages.format import echo, esc
from messages.names import body, group

KIND_NAMES = {"wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书"}

#: Where each messenger's robot webhook lives, as an admin copies it from the group.
WEBHOOK_FORMS = {
    "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
    "dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=…",
    "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/…",
}

#: Why a messenger refused the robot (BrokenReason values), said the same in the answer to
#: `channel test`, in `channel list` and in /渠道.
BROKEN = {
    "wrong_key": "机器人不存在或 Webhook 地址无效（机器人已被移出群或删除，或地址复制不全）",
    "signature": "签名校验未通过：加签密钥（--secret）不对，或本机时钟与标准时间相差超过一小时",
    "keyword": "消息里没有机器人设置的自定义关键词",
    "ip_not_allowed": "本机的出口 IP 地址不在机器人的 IP 白名单里",
    "security": "机器人的安全设置拒收了消息",
}
BROKEN_ADVICE = {
    "wrong_key": "请在群设置里重新复制机器人的 Webhook 地址，先 dutybot channel remove 再重新添加",
    "signature": "请核对机器人安全设置里的加签密钥，并校准本机时间（如开启 NTP 自动对时）",
    "keyword": "请用与机器人设置一致的 --keyword 重新添加这个渠道",
    "ip_not_allowed": "请在机器人安全设置里把本机的出口 IP 加入白名单",
    "security": "请检查机器人的安全设置（加签、自定义关键词、IP 白名单）",
}


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind)


def _plain(text: object, limit: int = 30) -> str:
    """What someone typed, repeated on the console: cut, nothing invisible, not escaped."""
    return html.unescape(echo(text, limit))


def _whose(entry: ChannelEntry) -> str:
    if entry.unit_name is None:
        return group()
    return f"{entry.unit_name}的单位群" + ("（主渠道）" if entry.channel.primary else "")


def health(channel: RobotChannel) -> str:
    if channel.broken_since is None:
        return "正常"
    since = channel.broken_since
    why = BROKEN.get(channel.broken_reason or "", "机器人拒收了消息")
    return f"故障（自 {since.month}月{since.day}日 {since:%H:%M}）：{why}"


def test_line(name: str) -> str:
    """What `dutybot channel test` sends: one short line (the robot's keyword is added)."""
    return f"四责协同助手：渠道测试。这条消息发到“{name}”，说明机器人设置正确，无需回复。"


# -- the console -------------------------------------------------------------------------------


def channel_added(added: ChannelAdded) -> str:
    channel = added.entry.channel
    return (f"已登记渠道“{channel.name}”（{kind_name(channel.kind)}，{_whose(added.entry)}）。"
            f"可以用 dutybot channel test {channel.name} 发一条测试消息。")


def ip_allowlist_needed(kind: str) -> str:
    return (f"注意：这个{kind_name(kind)}机器人既没有加签（--secret）也没有自定义关键词（--keyword），"
            "只有在机器人安全设置里限定了 IP 地址（加入本机出口 IP）时才能收到消息。")


def channel_removed(entry: ChannelEntry) -> str:
    return f"已删除渠道“{entry.channel.name}”（{kind_name(entry.channel.kind)}），它的 Webhook 地址和密钥不再保存。"


def no_channels() -> str:
    return ("还没有登记任何办公群机器人。用 dutybot channel add 企业微信 群名称 --webhook 地址 "
            "添加（钉钉、飞书另需 --secret 或 --keyword）。")


def channel_rows(entries: list[ChannelEntry]) -> list[str]:
    """`dutybot channel list`: a header and one tab-separated line per robot."""
    rows = ["类型\t名称\t所属\t主渠道\tWebhook\t加签密钥\t关键词\t状态\t保密"]
    for entry in entries:
        channel = entry.channel
        rows.append("\t".join((
            kind_name(channel.kind), channel.name,
            body() if entry.unit_name is None else entry.unit_name,
            "是" if channel.primary else "—",
            mask_webhook(channel.webhook),
            mask_secret(channel.secret) if channel.secret else "—",
            channel.keyword or "—",
            health(channel),
            "是" if entry.confidential else "—",
        )))
    return rows


def channel_refused(error: ChannelRefused) -> str:
    """One line, plain text; never the webhook or the secret."""
    kind = kind_name(error.kind)
    form = WEBHOOK_FORMS.get(error.kind, "")
    match error.reason:
        case "unknown_kind":
            return (f"不认识渠道类型“{_plain(error.word)}”。可选：企业微信（wecom）、钉钉（dingtalk）、"
                    "飞书（feishu）。没有保存。")
        case "bad_name":
            return "渠道名称不能为空、不能换行、不能有看不见的字符，最多40字。没有保存。"
        case "duplicate_name":
            return (f"已经有名为“{_plain(error.word, 40)}”的渠道。要换机器人，请先 dutybot channel "
                    "remove 再添加。没有保存。")
        case "duplicate_webhook":
            return f"这个机器人已经登记为渠道“{_plain(error.other, 40)}”，不会重复登记。没有保存。"
        case "webhook_malformed":
            return f"Webhook 地址格式不对，请从群机器人设置里完整复制（形如 {form}）。没有保存。"
        case "webhook_not_https":
            return ("Webhook 地址必须以 https:// 开头（http:// 只允许本机 127.0.0.1 或 localhost，"
                    f"用于测试和本机代理）。{kind}机器人的地址形如 {form}。没有保存。")
        case "webhook_wrong_host":
            return f"这不是{kind}机器人的地址：{kind}群机器人的 Webhook 形如 {form}。没有保存。"
        case "webhook_wrong_shape":
            return (f"这个地址不是{kind}群机器人的 Webhook（缺少密钥部分，或路径不对），应形如 "
                    f"{form}。没有保存。")
        case "no_security_options":
            return (f"{kind}群机器人没有加签和自定义关键词设置，不要写 --secret 或 --keyword"
                    "（Webhook 地址里的 key 就是它的凭据）。没有保存。")
        case "bad_secret":
            return (f"加签密钥不对：应是机器人安全设置里显示的一串字母和数字（钉钉以 SEC 开头），"
                    f"不能有空格或中文，最多{SECRET_MAX}位。没有保存。")
        case "bad_keyword":
            return (f"自定义关键词不能换行、不能有看不见的字符，最多{KEYWORD_MAX}字，"
                    "并须与机器人安全设置里的一致。没有保存。")
        case "primary_for_supervision":
            return ("--primary 只用于单位的群（--for 单位名称）：单位人员的提醒改发到那个群。"
                    f"{group()}不需要。没有保存。")
        case "primary_taken":
            return (f"“{_plain(error.word, 40)}”已有主渠道“{_plain(error.other, 40)}”，一个单位只能有一个。"
                    "没有保存。")
        case "unknown":
            known = "、".join(error.known[:20])
            hint = f"现有渠道：{known}" if known else "还没有登记任何渠道"
            return f"没有名为“{_plain(error.word, 40)}”的渠道。{hint}。"
    raise ValueError(f"no text for {error.reason}")


def test_result(tested: ChannelTested) -> str:
    """The messenger's own answer to the test line, explained in one line."""
    channel = tested.entry.channel
    kind = kind_name(channel.kind)
    outcome: Outcome = tested.outcome
    match outcome:
        case Delivered():
            return f"✓ {kind}已收下测试消息：请到群“{channel.name}”里确认能看到它。"
        case Broken(reason=reason, code=code, message=message):
            return (f"✗ {kind}拒收了测试消息：{BROKEN[reason.value]}。{BROKEN_ADVICE[reason.value]}。"
                    f"（{kind}答复：{code} {_plain(message, 80)}）")
        case RateLimited(message=message):
            silenced = robot_kind(channel.kind).limits.silenced_seconds
            pause = f"，超出后会被限流 {silenced / 60:.0f} 分钟" if silenced else ""
            limit = robot_kind(channel.kind).limits.windows[0]
            return (f"✗ 发送太频繁，被{kind}限流（每个机器人每分钟最多 {limit.count} 条{pause}）："
                    f"请稍后再试。（{kind}答复：{_plain(message, 80)}）")
        case Refused(code=code, message=message):
            return (f"✗ {kind}拒收了这条消息，但机器人本身正常：{code} {_plain(message, 80)}。"
                    "请把这行告诉维护人员。")
        case RetryLater(status=None, detail=detail):
            where = "本机的" if is_loopback(channel.webhook) else f"{kind}的服务器"
            return (f"✗ 没有收到{kind}的答复（{_plain(detail, 40)}）：连不上{where}、超时或被防火墙拦截。"
                    "请检查本机的网络和代理设置后再试。")
        case RetryLater(status=status):
            return (f"✗ {kind}没有正常答复（HTTP {status}，不是机器人的答复）：多半是代理或网关出错，"
                    "请稍后再试。")
    raise ValueError(f"no text for {outcome!r}")


# -- the chat ------------------------------------------------------------------------------------


def channels_chat(entries: list[ChannelEntry]) -> str:
    """/渠道: each robot with whose group it is and its health, keys masked (HTML)."""
    if not entries:
        return ("还没有登记任何办公群机器人（企业微信、钉钉、飞书）。\n"
                "为了不让 Webhook 密钥经过聊天软件，机器人只能在服务器上用 "
                "<code>dutybot channel add</code> 添加。")
    lines = [f"<b>办公群机器人</b>（共 {len(entries)} 个）"]
    for entry in entries:
        channel = entry.channel
        mark = "✅" if channel.healthy else "⚠️"
        lines.append("")
        lines.append(f"{mark} <b>{esc(channel.name)}</b> · {kind_name(channel.kind)} · "
                     f"{esc(_whose(entry))}")
        lines.append(f"Webhook：<code>{esc(mask_webhook(channel.webhook))}</code>")
        security = []
        if channel.secret:
            security.append(f"加签 <code>{esc(mask_secret(channel.secret))}</code>")
        if channel.keyword:
            security.append(f"关键词“{esc(channel.keyword)}”")
        if security:
            lines.append("安全设置：" + "，".join(security))
        if entry.confidential:
            lines.append("保密模式：只推送事项编号、状态和截止日期")
        lines.append(f"状态：{esc(health(channel))}")
    lines.append("")
    lines.append(f"添加、测试和删除请在服务器上用 <code>dutybot channel add|test|remove</code>。"
                 f"发送 /{c.CHANNELS.chinese} 刷新。")
    return "\n".join(lines)


def channels_need_private_chat() -> str:
    return f"渠道列表只在与我的私聊中提供，请在私聊中发送 /{c.CHANNELS.ascii}。"
