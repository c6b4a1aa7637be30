"""The 纪委's weekly summary (/周报 and the Monday push) and /逾期, as HTML text."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.display import clip
from bot.domain.model import ItemStatus
from bot.domain.performance import ON_TIME_WEIGHT, RESPONSE_WEIGHT, Tally, ties
from bot.domain.summary import ItemLine, Ranked, Row, Summary
from bot.domain.vocabulary import KIND_NAMES, STATUS_NAMES
from messages import callbacks
from messages.chart import Bar, ChartData, Point, render_chart
from messages.format import esc, fmt_date
from messages.names import say

UNITS_SHOWN = 10
SILENT_SHOWN = 10
SCREEN_LINES = 30  # the one-screen summary's most lines
RED_BRIEF = 5  # the worst overdue items it names
YELLOW_BRIEF = 3
UNITS_BRIEF = 3
SILENT_BRIEF = 3
TITLE_SHOWN = 18  # characters of a title on the one-screen summary

EXPORT_HINT = "完整台账请发送 /导出（/export，{纪委}和管理员可用）。"
DETAILS_BUTTON = "📄 详细周报（四责、各单位、全部逾期、排名）"
TAP_HINT = "详细内容点下方按钮；完整台账发送 /导出，也可在看板（/看板）查看。"
ASK_HINT = "详细周报请私聊机器人发送 /周报；完整台账发送 /导出，也可在看板（/看板）查看。"
PUSH_HINT = ("其余内容：私聊机器人发送 /周报 看详细周报，在看板（/看板）查看各单位情况，"
             "发送 /导出 取完整台账。")


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def _more(shown: int, total: int, what: str = "项", hint: str = "，发送 /导出 查看完整台账") -> list[str]:
    rest = total - shown
    return [f"…另有 {rest} {what}{hint}"] if rest > 0 else []


def _row(row: Row, with_rate: bool = True) -> str:
    parts = [f"已完成 {row.finished}", f"逾期 {row.overdue}", f"临期 {row.soon}",
             f"正常 {row.on_track}"]
    if with_rate:
        parts.append(f"按期率 {percent(row.on_time.on_time_rate)}")
    return f"· {esc(row.label)} {row.total} 项：" + "，".join(parts)


def _item_line(number: int, line: ItemLine, today: date) -> str:
    late = (today - line.due_date).days
    when = f"逾期 {late} 天" if late > 0 else (
        "今天到期" if late == 0 else f"{_md(line.due_date)}到期（还剩 {-late} 天）")
    return (f"{number}. <code>{esc(line.code)}</code> {esc(line.title)}"
            f"（{KIND_NAMES[line.kind]}）\n　责任人 {esc(line.owner)}（{esc(line.unit)}）· {when}")


def _items_section(title: str, shown: list[ItemLine], total: int, today: date,
                   empty: str) -> list[str]:
    lines = ["", title]
    if not shown:
        return [*lines, empty]
    lines += [_item_line(n, line, today) for n, line in enumerate(shown, start=1)]
    return lines + _more(len(shown), total)


def _ranked(entries: list[Ranked]) -> str:
    """Names by score; those tied say so: "甲、乙 并列 90 分；丙 80 分"."""
    if not entries:
        return "—"
    parts = []
    for group in ties(entries, _tally_of):
        names = "、".join(f"{esc(e.name)}{_unit_suffix(e)}" for e in group)
        parts.append(f"{names} {'并列 ' if len(group) > 1 else ''}{group[0].tally.score} 分")
    return "；".join(parts)


def _tally_of(entry: Ranked) -> Tally:
    return entry.tally


def _unit_suffix(entry: Ranked) -> str:
    return f"（{esc(entry.unit)}）" if entry.unit else ""


def period_label(summary: Summary) -> str:
    """"上周 11月23日—11月29日" (a scheduled push) or "本周 11月30日—12月3日" (/周报)."""
    span = summary.span
    word = "上周" if span.last_week else "本周"
    if span.start == span.end:
        return f"{word} {_md(span.start)}"
    return f"{word} {_md(span.start)}—{_md(span.end)}"


def _short_item(number: int, line: ItemLine, today: date) -> str:
    late = (today - line.due_date).days
    when = f"逾期 {late} 天" if late > 0 else (
        "今天到期" if late == 0 else f"{_md(line.due_date)}到期")
    return (f"{number}. <code>{esc(line.code)}</code> {esc(clip(line.title, TITLE_SHOWN))}"
            f" · {esc(line.owner)} · {when}")


def _short_items(title: str, shown: list[ItemLine], total: int, today: date,
                 limit: int) -> list[str]:
    if not total:
        return []
    lines = ["", f"<b>{title}</b>（共 {total} 项）"]
    lines += [_short_item(n, line, today) for n, line in enumerate(shown[:limit], start=1)]
    rest = total - min(limit, len(shown))
    return lines + ([f"…另有 {rest} 项"] if rest > 0 else [])


def _short_ranked(entries: list[Ranked]) -> str:
    parts = []
    for group in ties(entries, _tally_of):
        names = "、".join(esc(e.name) for e in group[:SILENT_BRIEF])
        more = f"等 {len(group)} 人" if len(group) > SILENT_BRIEF else ""
        parts.append(f"{names}{more} {'并列 ' if len(group) > 1 else ''}{group[0].tally.score} 分")
    return "；".join(parts)


def weekly(summary: Summary, pushed: bool = False, buttons: bool = False) -> str:
    """The week on one phone screen (at most SCREEN_LINES lines): the numbers that matter
    and the worst items. `buttons`: the rest is one tap away (a Telegram chat); `pushed`: a
    robot push, which ends by saying where the rest is."""
    s = summary
    today = s.today
    overall = s.overall
    c, f, t = s.changes, s.fixes, s.talks
    required = percent(t.required_held / t.required if t.required else None)
    word = "上周" if s.span.last_week else "本周"
    duties = " · ".join(f"{esc(r.label)} {r.overdue}/{r.open}" for r in s.by_duty)
    lines = [
        f"<b>📊 四责协同周报</b> · {period_label(s)}",
        f"事项 {overall.total} 项 · 按期完成率 {percent(overall.on_time.on_time_rate)}"
        f"（{today.year}年应完成 {overall.on_time.counted} 项，按期 {overall.on_time.on_time} 项）",
        f"🔴 逾期 {s.red_total} · 🟡 7天内到期 {s.yellow_total} · 🟢 正常推进 {s.green_total}"
        f" · ✅ 已完成 {overall.finished}",
        f"{word}变化：办结 {c.finished} · 整改销号 {c.verified} · 新增逾期 {c.newly_overdue}"
        f" · 升级督办 {c.escalated}",
        f"整改：未销号 {f.open}（逾期 {f.overdue}）· 待验收 {f.pending} · 已销号 {f.verified}",
        f"约谈（{today.year}年）：应谈 {t.required} 次，已谈 {t.required_held} 次（{required}）",
        f"四责（逾期/在办）：{duties}",
    ]
    lines += _short_items("🔴 逾期最久", s.red, s.red_total, today, RED_BRIEF)
    lines += _short_items("🟡 7天内到期", s.yellow, s.yellow_total, today, YELLOW_BRIEF)
    tail = []
    late_units = [r for r in s.by_unit if r.overdue][:UNITS_BRIEF]
    if late_units:
        tail.append("逾期最多的单位：" + "、".join(f"{esc(r.label)} {r.overdue} 项"
                                            for r in late_units))
    if s.silent:
        names = "、".join(esc(x.name) for x in s.silent[:SILENT_BRIEF])
        more = f" 等 {len(s.silent)} 人" if len(s.silent) > SILENT_BRIEF else ""
        tail.append(f"提醒2个工作日未回应：{names}{more}")
    if s.push_only:
        tail.append(f"另有 {s.push_only} 人只在办公群机器人中收到提醒，不计入回应统计。")
    if s.worst_people:
        tail.append(f"按期与响应靠后：{_short_ranked(s.worst_people)}")
    if tail:
        lines += ["", *tail]
    lines += ["", say(PUSH_HINT if pushed else (TAP_HINT if buttons else ASK_HINT))]
    return "\n".join(lines)


def details_keyboard() -> InlineKeyboardMarkup:
    """Under the summary in a Telegram chat: the rest, one tap away."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(DETAILS_BUTTON,
                                                       callback_data=callbacks.WEEKLY_MORE)]])


def weekly_details(summary: Summary) -> str:
    """Everything the one-screen summary leaves out: by list, duty and unit, all the worst
    items, 约谈 by kind, who is silent, the ranking."""
    s = summary
    today = s.today
    overall = s.overall
    lines = [
        f"<b>📊 四责协同周报 · 详细</b> · {period_label(s)}",
        f"在办和已办事项共 {overall.total} 项（不含已取消）。",
        "",
        "<b>一、总体情况</b>",
        f"按期完成率（{today.year}年已到期事项）：{percent(overall.on_time.on_time_rate)}"
        f"（应完成 {overall.on_time.counted} 项，按期完成 {overall.on_time.on_time} 项）",
        f"🔴 逾期 {s.red_total} · 🟡 7天内到期 {s.yellow_total} · 🟢 正常推进 {s.green_total}"
        f" · ✅ 已完成 {overall.finished}",
    ]
    if s.by_list:
        lines.append("按清单：")
        lines += [_row(r, with_rate=False) for r in s.by_list]
    shown_statuses = [f"{STATUS_NAMES[st]} {n}" for st, n in _status_order(s.by_status)]
    if shown_statuses:
        lines.append("按状态：" + " · ".join(shown_statuses))

    lines += ["", "<b>二、四责落实</b>"]
    lines += [_row(r) for r in s.by_duty]

    lines += ["", "<b>三、各单位</b>（逾期多的在前）"]
    if s.by_unit:
        lines += [_row(r) for r in s.by_unit[:UNITS_SHOWN]]
        lines += _more(min(UNITS_SHOWN, len(s.by_unit)), len(s.by_unit), "个单位")
    else:
        lines.append("暂无事项。")

    lines += _items_section("<b>四、🔴 逾期事项</b>（逾期最久的在前）", s.red, s.red_total,
                            today, "没有逾期事项。👍")
    lines += _items_section("<b>五、🟡 7天内到期</b>", s.yellow, s.yellow_total, today,
                            "7天内没有到期事项。")

    t = s.talks
    lines += ["", f"<b>六、约谈</b>（{today.year}年）",
              f"制度要求的谈话：应谈 {t.required} 次，已谈 {t.required_held} 次"
              f"（{percent(t.required_held / t.required if t.required else None)}）"]
    if t.adhoc:
        lines.append(f"安排的约谈：{t.adhoc} 项，已谈 {t.adhoc_held} 项")
    held = sum(t.held_by_kind.values())
    kinds = "、".join(f"{esc(k)} {n}" for k, n in sorted(t.held_by_kind.items()))
    lines.append(f"本年共登记谈话 {held} 次" + (f"：{kinds}" if kinds else ""))

    f = s.fixes
    lines += ["", "<b>七、整改</b>",
              f"未销号 {f.open} 项（其中逾期 {f.overdue} 项）· 待验收 {f.pending} 项"
              f" · 已销号 {f.verified} 项"]

    lines += ["", "<b>八、提醒未回应</b>（近30天的提醒，2个工作日以上未点“收到”）"]
    if s.silent:
        lines += [f"· {esc(x.name)}（{esc(x.unit)}）：{x.items} 项，{_md(x.since)}起未回应"
                  for x in s.silent[:SILENT_SHOWN]]
        lines += _more(min(SILENT_SHOWN, len(s.silent)), len(s.silent), "人", "")
    else:
        lines.append("无。")
    if s.push_only:
        lines.append(f"另有 {s.push_only} 人只在办公群机器人中收到提醒（群里无法确认），"
                     "不计入回应统计。")

    c = s.changes
    word = "上周" if s.span.last_week else "本周"
    lines += ["", f"<b>九、{word}变化</b>（{_md(s.span.start)}—{_md(s.span.end)}）",
              f"办结 {c.finished} 项 · 整改销号 {c.verified} 项 · 新增逾期 {c.newly_overdue} 项"
              f" · 升级督办 {c.escalated} 项"]

    lines += ["", f"<b>十、按期完成与提醒响应</b>（{today.year}年；排名计分 = 按期完成率×"
                  f"{ON_TIME_WEIGHT:.0%} + 提醒响应率×{RESPONSE_WEIGHT:.0%}）"]
    if s.best_people:
        lines += [f"个人靠前：{_ranked(s.best_people)}", f"个人靠后：{_ranked(s.worst_people)}"]
    if s.best_units:
        lines += [f"单位靠前：{_ranked(s.best_units)}", f"单位靠后：{_ranked(s.worst_units)}"]
    if not (s.best_people or s.best_units):
        lines.append("暂不排名：数据还不够（每人至少 3 个已到期事项或提醒），或各人计分相同。")
    lines += ["", say(EXPORT_HINT)]
    return "\n".join(lines)


_STATUS_ORDER = (ItemStatus.OPEN, ItemStatus.IN_PROGRESS, ItemStatus.EXTENSION_REQUESTED,
                 ItemStatus.RETURNED, ItemStatus.PENDING_VERIFICATION, ItemStatus.DONE,
                 ItemStatus.VERIFIED, ItemStatus.CANCELLED)


def _status_order(counts: dict[ItemStatus, int]) -> list[tuple[ItemStatus, int]]:
    return [(st, counts[st]) for st in _STATUS_ORDER if counts.get(st)]


def chart_caption(summary: Summary) -> str:
    return (f"📊 {period_label(summary)} 各责任类型、各单位事项状态，按期完成率走势"
            f"（逾期 {summary.red_total} 项，7天内到期 {summary.yellow_total} 项）")


def chart_facts(summary: Summary) -> list[str]:
    """The figures beside the counts: the on-time rate, 整改, 约谈."""
    f, t = summary.fixes, summary.talks
    return [f"按期完成率 {percent(summary.overall.on_time.on_time_rate)}",
            f"整改 未销号 {f.open}（逾期 {f.overdue}）· 待验收 {f.pending}",
            f"约谈 已谈 {t.required_held}/应谈 {t.required}"]


def chart(summary: Summary) -> bytes | None:
    """The week's chart as PNG (None: no CJK font to draw it). Slow: the bot draws it in a
    child process."""
    return render_chart(chart_data(summary))


def chart_data(summary: Summary) -> ChartData:
    def bar(row: Row) -> Bar:
        return Bar(label=row.label, done=row.finished, on_track=row.on_track,
                   due_soon=row.soon, overdue=row.overdue)
    return ChartData(title=f"四责协同周报 {period_label(summary)}",
                     by_duty=[bar(r) for r in summary.by_duty],
                     by_unit=[bar(r) for r in summary.by_unit],  # the chart sums all past 12
                     facts=chart_facts(summary),
                     trend=[Point(f"{p.week_end.month}/{p.week_end.day}", p.rate)
                            for p in summary.trend])


def overdue(lines: list[ItemLine], total: int, today: date, everything: bool) -> str:
    scope = "全部事项" if everything else "您本人及分管单位的事项"
    if not lines:
        return f"✅ {scope}中没有逾期事项。"
    text = [f"<b>🔴 逾期事项</b> · {fmt_date(today)}",
            f"{scope}中共有 {total} 项逾期（逾期最久的在前）：", ""]
    text += [_item_line(n, line, today) for n, line in enumerate(lines, start=1)]
    hint = "，发送 /导出 查看完整台账" if everything else "，发送 /我的清单 查看全部"
    text += _more(len(lines), total, hint=hint)
    return "\n".join(text)
