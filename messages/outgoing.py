"""What the office group robots say: neutral messages (bot/channels/message.py) built from
the outbox's stored payloads, each robot writing them in its own form.

A unit's day of reminders (one message, a section per person with an @mention); the 纪委's
overdue notices and escalations; the weekly summary and its chart. In 保密 mode a push
carries only item codes, statuses, due dates and the person who must act: no titles, no
notes, no other names (SPEC §10); the weekly summary carries counts and codes only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.channels.message import (
    BLANK,
    Line,
    Mention,
    Outgoing,
    bold,
    code,
    line,
)
from bot.domain.model import ItemStatus, ListKind
from bot.domain.summary import Summary, from_payload
from bot.domain.vocabulary import STATUS_NAMES
from messages import replies, summary
from messages.channels import BROKEN, BROKEN_ADVICE, KIND_NAMES
from messages.chart import unit_rows
from messages.format import days_phrase, fmt_date
from messages.markup import from_html
from messages.names import body

NO_CHAT_HINT = "请向党委办公室报告进展。"
LEDGER_HINT = "完整台账请在 Telegram 私聊机器人发送 /导出，或向党委办公室索取。"
BOUND_HINT = "也可在 Telegram 私聊机器人，发送 /待办 逐项回复。"


def robot_message(kind: str, payload: dict[str, Any], today: date,
                  confidential: bool) -> Outgoing | None:
    """None: nothing to send (a chart with no CJK font and nothing to say without it)."""
    if kind == "robot_digest":
        return unit_digest(payload, today, confidential)
    if kind == "group_digest":
        return overdue_notice(payload, today, confidential)
    if kind == "weekly_summary":
        weekly = from_payload(payload)
        if confidential:
            return weekly_counts(weekly)
        # a robot group has no buttons: the text ends by saying where the rest is
        lines = list(from_html(summary.weekly(weekly, pushed=True)))
        return Outgoing(title=f"四责协同周报 {summary.period_label(weekly)}",
                        lines=_trimmed(lines))
    if kind == "weekly_chart":
        return chart(from_payload(payload), confidential)
    if kind == "robot_broken_notice":
        return robot_broken(payload)
    raise ValueError(f"office group robots do not carry {kind!r}")


def _trimmed(lines: list[Line]) -> tuple[Line, ...]:
    while lines and not lines[-1]:
        lines = lines[:-1]
    return tuple(lines)


def _status(entry: dict[str, Any]) -> str:
    return STATUS_NAMES[ItemStatus(entry.get("status", "open"))]


def _kind(entry: dict[str, Any]) -> str:
    return replies.kind_label(ListKind(entry["kind"]))


def _entry_lines(number: int, entry: dict[str, Any], today: date, confidential: bool,
                 owner: Line = ()) -> list[Line]:
    due = date.fromisoformat(entry["due"])
    when = f"截止 {fmt_date(due)} · {days_phrase(due, today)}"
    if confidential:  # the code, where it stands, when: nothing that says what it is about,
        # nor whose it is (the one who must act is the person the push is addressed to)
        urge = " · 请督办" if not entry.get("own", True) else ""
        return [line(f"{number}. ", code(entry["code"]), f" · {_status(entry)} · {when}{urge}")]
    head = line(f"{number}. ", code(entry["code"]), f" {entry['title']}")
    meta = line(f"　{_kind(entry)} · ", *((*owner, " · ") if owner else ()), when)
    return [head, meta]


def unit_digest(payload: dict[str, Any], today: date, confidential: bool) -> Outgoing:
    sections = payload["sections"]
    total = sum(len(s["entries"]) + s.get("more", 0) for s in sections)
    unit = "" if confidential else f"{payload['unit']}："  # 保密: not even the unit
    lines: list[Line] = [
        line(bold(f"📋 今日提醒 · {fmt_date(today)}")),
        line(f"{unit}{len(sections)} 人共 {total} 项事项需要关注。"),
    ]
    for section in sections:
        who = Mention(section["name"], section.get("handles", {}), section.get("person"))
        count = len(section["entries"]) + section.get("more", 0)
        lines += [BLANK, line(who, f"：{count} 项")]
        for number, entry in enumerate(section["entries"], start=1):
            mark = "（请督办）" if not entry.get("own", True) else ""
            entry_lines = _entry_lines(number, entry, today, confidential,
                                       line(entry["owner"]) if mark else ())
            lines += entry_lines
        if section.get("more"):
            lines.append(line(f"……另有 {section['more']} 项"))
        lines.append(line("　" + (BOUND_HINT if section.get("bound") else NO_CHAT_HINT)))
    title = "今日提醒" if confidential else f"今日提醒 · {payload['unit']}"
    return Outgoing(title=title, lines=tuple(lines))


def overdue_notice(payload: dict[str, Any], today: date, confidential: bool) -> Outgoing:
    entries = payload["entries"]
    more = payload.get("more", 0)
    lines: list[Line] = [
        line(bold(f"🔴 逾期事项通报 · {fmt_date(today)}")),
        line(f"以下 {len(entries) + more} 项事项逾期已久，提请{body()}督办："), BLANK,
    ]
    for number, entry in enumerate(entries, start=1):
        # 保密: the 纪委 is asked to act; whose item it is stays in the 台账
        lines += _entry_lines(number, entry, today, confidential,
                              line(f"{entry['owner']}（{entry['unit']}）"))
    if more:
        lines += [BLANK, line(f"……另有 {more} 项未逐一列出")]
    return Outgoing(title="逾期事项通报", lines=tuple(lines), hint=LEDGER_HINT)


def weekly_counts(s: Summary) -> Outgoing:
    """保密 mode: numbers and item codes, no titles, no names."""
    today = s.today
    overall = s.overall
    lines: list[Line] = [
        line(bold(f"📊 四责协同周报（保密模式） · {summary.period_label(s)}")),
        line(f"在办和已办事项共 {overall.total} 项；按期完成率 "
             f"{summary.percent(overall.on_time.on_time_rate)}"),
        line(f"🔴 逾期 {s.red_total} · 🟡 7天内到期 {s.yellow_total} · 🟢 正常推进 "
             f"{s.green_total} · ✅ 已完成 {overall.finished}"),
    ]
    for title, shown, total in (("逾期事项编号", s.red, s.red_total),
                                ("7天内到期事项编号", s.yellow, s.yellow_total)):
        if shown:
            codes = "、".join(one.code for one in shown)
            rest = f" 等 {total} 项" if total > len(shown) else ""
            lines += [BLANK, line(bold(title)), line(f"{codes}{rest}")]
    f = s.fixes
    t = s.talks
    lines += [BLANK, line(f"整改：未销号 {f.open} 项（逾期 {f.overdue}）· 待验收 {f.pending}"
                          f" · 已销号 {f.verified}"),
              line(f"约谈：制度要求应谈 {t.required} 次，已谈 {t.required_held} 次"),
              line(f"提醒未回应：{len(s.silent)} 人"),
              BLANK, line("保密模式下群内不显示事项名称和人员姓名。"),
              line(summary.PUSH_HINT)]  # where the rest is
    return Outgoing(title=f"四责协同周报 {today.isoformat()}", lines=tuple(lines))


def chart(s: Summary, confidential: bool = False) -> Outgoing:
    """The picture where the robot takes one; a compact table where it does not. Drawn in
    the sender's child process (slow), as for Telegram. 保密 mode: no picture (it names
    the units), the table by duty only."""
    data = summary.chart_data(s)
    if confidential:
        caption = (f"📊 {summary.period_label(s)} 各责任类型事项状态（逾期 {s.red_total} 项，"
                   f"7天内到期 {s.yellow_total} 项）")
        table = [line(bold("按责任类型（完成/正常/临期/逾期）"))]
        table += [line(f"· {b.label}：{b.done}/{b.on_track}/{b.due_soon}/{b.overdue}")
                  for b in data.by_duty]
        return Outgoing(title=f"四责协同周报图表 {s.today.isoformat()}", lines=(),
                        image_lines=(line(caption), *table))
    table: list[Line] = [line(bold("按责任类型（完成/正常/临期/逾期）"))]
    table += [line(f"· {b.label}：{b.done}/{b.on_track}/{b.due_soon}/{b.overdue}")
              for b in data.by_duty]
    units = unit_rows(data.by_unit)
    if units:
        table += [line(bold("按单位（完成/正常/临期/逾期）"))]
        table += [line(f"· {b.label}：{b.done}/{b.on_track}/{b.due_soon}/{b.overdue}")
                  for b in units]
    caption = summary.chart_caption(s)
    return Outgoing(title=f"四责协同周报图表 {s.today.isoformat()}", lines=(),
                    image=summary.chart(s), image_lines=(line(caption), *table),
                    image_caption=caption)


def robot_broken(payload: dict[str, Any]) -> Outgoing:
    """To the admins, once: a robot refused its key or security check."""
    why = BROKEN.get(payload["reason"], "机器人拒收了消息")
    advice = BROKEN_ADVICE.get(payload["reason"], "")
    return Outgoing(title="群机器人故障", lines=(
        line(bold("⚠️ 群机器人故障")),
        line(f"“{payload['name']}”的机器人发不出消息：{why}。"),
        line(f"{advice}；改好后在服务器上运行 dutybot channel test {payload['name']}，"
             "待发的消息随即补发。此提示只发一次。"),
    ))


#: What a messenger's robot @-s people by, as the import template names the columns.
HANDLE_WORDS = {"wecom": "企业微信账号（或手机号）", "dingtalk": "手机号", "feishu": "飞书ID"}


def no_handle(payload: dict[str, Any]) -> Outgoing:
    """To the admins, once per person: a robot can name them but not @ them."""
    kind = payload["kind"]
    return Outgoing(title="无法@提醒", lines=(
        line(f"ℹ️ “{payload['group']}”（{KIND_NAMES.get(kind, kind)}）里的提醒只能写出 "
             f"{payload['who']} 的名字，无法@到本人：人员表里没有他的"
             f"{HANDLE_WORDS.get(kind, '账号')}。"),
        line("请在人员表的这一列填好后重新导入。此提示每人只发一次。"),
    ))
