"""Texts of 责任传导: /分解 (handing an item down), its lines on the item card, the block on
closing a parent over open children, and the /传导 温差落差 report."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.domain.delegation import LAG_RULE, ChainReport, LagReason, Level, LevelFigures
from bot.domain.model import ItemStatus, ListKind
from bot.domain.vocabulary import KIND_NAMES, STATUS_NAMES
from bot.services.delegation import MAX_CHILDREN, Delegation, Relative
from bot.services.errors import DelegationRefused
from messages import commands as c
from messages.format import days_phrase, echo, esc, fmt_date
from messages.replies import ROWS, item_row

CLOSE_WORDS = ("办结", "close")  # /分解 办结 W0003: 已完成 over open children, on record
LEVEL_NAMES = {Level.COMMITTEE: "党委", Level.MEMBER: "班子成员", Level.BRANCH: "下级党组织"}
LAGS_SHOWN = 30


def usage() -> str:
    d = c.DELEGATE.chinese
    return (f"用法：/{d} 事项编号 责任人 截止日期 [责任人 截止日期 …]\n"
            f"例如：/{d} Z0003 李明 2027-03-31 王芳 2027-03-15\n"
            "把您的事项分解给下一级：党委书记的事项分解给班子成员，班子成员的事项分解给"
            "其分管单位的下级党组织书记；截止日期不能晚于原事项。分解出的事项是责任人自己的"
            f"事项，照常提醒、答复。一次最多分解给 {MAX_CHILDREN} 人。\n"
            f"下级事项未完成时确需办结原事项：/{d} {CLOSE_WORDS[0]} 事项编号（记入履责纪实）。")


def delegation_refused(error: DelegationRefused) -> str:
    """One line naming the field to fix; nothing was changed."""
    code = esc(error.code)
    d = c.DELEGATE.chinese
    match error.field, error.detail:
        case "code", _:
            return f"找不到编号为“{echo(error.code)}”的事项。请核对编号（如 Z0003）。"
        case "parent", "kind":
            return f"事项编号：{code} 不是问题、责任、措施清单中的事项，不能分解。"
        case "parent", "closed":
            return f"事项编号：{code} 已经办结，不能再分解。"
        case "parent", _:
            return (f"事项编号：{code} 的责任人不是党委书记或班子成员，不能再向下分解"
                    "（党委 → 班子成员 → 下级党组织，下级党组织的事项不再分解）。")
        case "owner", "level":
            return ("责任人：必须比原事项的责任人低一级——党委书记的事项分解给班子成员，"
                    "班子成员的事项分解给下级党组织书记。")
        case "owner", "oversees":
            return "责任人：班子成员的事项只能分解给其分管单位（及下属单位）的下级党组织书记。"
        case "owner", "twice":
            return "责任人：同一个人只能写一次。"
        case "owner", _:
            return f"责任人：请写 1 到 {MAX_CHILDREN} 位，每位后面跟截止日期。"
        case "due", "past":
            return "截止日期：已经过去，请填写今天或以后的日期。"
        case "due", due:
            return f"截止日期：不能晚于原事项 {code} 的截止日期（{esc(due)}）。"
        case "kind", _:
            return f"清单类型：下级事项必须和原事项 {code} 在同一张清单上。"
        case "cycle", _:
            return "下级事项编号：这样分解会形成循环（下级事项不能是原事项或它的上级），或它已分解自其他事项。"
        case "children", "":
            return (f"事项编号：{code} 没有未完成的下级事项，无需特别办结；"
                    "请在事项卡片或提醒上点“已完成”。")
        case "children", open_codes:
            return (f"⛔ {code} 还有分解给下级的事项未完成：{esc(open_codes)}。"
                    f"请等下级完成后再报告完成；确需现在办结，请发送 /{d} {CLOSE_WORDS[0]} {code}"
                    "（将记入履责纪实）。")
    return "分解没有完成，请检查后重新发送。"


def _relative_line(r: Relative, today) -> str:
    item = r.item
    late = "，已逾期" if item.is_overdue(today) else ""
    return (f"　• <code>{esc(item.code)}</code> {esc(r.owner)} · {STATUS_NAMES[item.status]}"
            f" · 截止 {fmt_date(item.due_date)}{late}")


def card_lines(d: Delegation) -> list[str]:
    """The 分解 relation on an item's card: where it was handed down from, and what it was
    handed down to, with their progress."""
    lines = []
    if d.parent is not None:
        p = d.parent.item
        lines.append(f"⤴ 分解自：<code>{esc(p.code)}</code> {esc(d.parent.owner)} · "
                     f"{STATUS_NAMES[p.status]} · 截止 {fmt_date(p.due_date)}")
    if d.children and d.progress is not None:
        late = f"，{d.progress.overdue} 项逾期" if d.progress.overdue else ""
        lines.append(f"⤵ 已分解给下级：完成 {d.progress.done}/{d.progress.total}{late}")
        lines += [_relative_line(r, d.today) for r in d.children]
    return lines


def handed_down(d: Delegation) -> str:
    item = d.item
    return "\n".join([
        f"✅ 已把{KIND_NAMES[item.kind]} <code>{esc(item.code)}</code> {esc(item.title)} "
        f"分解给 {len(d.children)} 位责任人，各自作为本人事项照常提醒：",
        *card_lines(d)])


def delegated_notice(p: dict[str, Any], today: date) -> str:
    """To the owner of a child, at once: what was handed down to them, by whom, by when."""
    due = date.fromisoformat(p["due"])
    return (f"⤵ <b>分解事项</b>（{esc(p['by'])}）\n"
            f"{esc(p['parent_owner'])}的{KIND_NAMES[ListKind(p['kind'])]} "
            f"<code>{esc(p['parent'])}</code> 分解给您：\n"
            f"<code>{esc(p['code'])}</code> {esc(p['title'])}\n"
            f"截止 {fmt_date(due)}（{days_phrase(due, today)}），不晚于上级事项。"
            "这是您本人的事项，照常提醒；完成后点“已完成”。")


def delegated_keyboard(p: dict[str, Any]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([item_row(p["item"], p["code"], ItemStatus.OPEN, ROWS)])


def completed_anyway(code: str, open_codes: list[str]) -> str:
    return (f"✅ {esc(code)} 已标记为已完成。下级事项 {esc('、'.join(open_codes))} 仍未完成，"
            "这次办结已记入履责纪实。")


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def _level_line(f: LevelFigures) -> str:
    return (f"{LEVEL_NAMES[f.level]}：完成率 {_rate(f.done_rate)}（{f.done}/{f.total}）"
            f" · 按时率 {_rate(f.on_time_rate)}（{f.on_time}/{f.due}）")


def chain_report(report: ChainReport, names: dict[int, str]) -> str:
    """/传导: the 温差落差 report."""
    lines = [f"<b>责任传导 · 温差落差</b>（{fmt_date(report.today)}）"]
    if not report.links:
        lines += ["", f"还没有分解的事项。事项责任人可发送 /{c.DELEGATE.chinese} 把事项分解给下一级。"]
        return "\n".join(lines)
    lines += ["", "各层级（只计分解关系中的事项，已取消的不计）：",
              *(_level_line(f) for f in report.levels),
              "完成率 = 已完成 / 全部；按时率 = 按期完成 / 已到期或已完成。", "",
              f"<b>下级落后于上级</b>（{len(report.lags)} 项）", esc(LAG_RULE)]
    why = {LagReason.OVERDUE: "下级逾期，上级未逾期", LagReason.LEFT_OPEN: "上级已完成，下级未完成"}
    for lag in report.lags[:LAGS_SHOWN]:
        p, ch = lag.parent, lag.child
        lines.append(f"• <code>{esc(ch.code)}</code> {esc(names.get(ch.owner_id, ''))}"
                     f"（截止 {fmt_date(ch.due_date)}，{STATUS_NAMES[ch.status]}）← "
                     f"<code>{esc(p.code)}</code> {esc(names.get(p.owner_id, ''))}"
                     f"（{STATUS_NAMES[p.status]}）：{why[lag.reason]}")
    if len(report.lags) > LAGS_SHOWN:
        lines.append(f"……另有 {len(report.lags) - LAGS_SHOWN} 项，完整情况请发送 /导出 查看台账。")
    if not report.lags:
        lines.append("没有。")
    return "\n".join(lines)
