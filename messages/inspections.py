"""Texts of /监督检查 (the 纪委's inspections), /考核 (the 党委's yearly results, beside the
bot's figures) and of a 问责 case's follow-ups (confidential: private chat only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.inspections import KIND_WORDS, NO_PROBLEM, POINT_SHORT, POINT_WORDS, FollowUp
from bot.domain.inspections import FollowUpKind as K
from bot.services.errors import InspectionRefused
from bot.services.inspections import (
    AssessmentList,
    AssessmentView,
    FindingFixed,
    InspectionView,
)
from messages import callbacks as cb
from messages import commands as c
from messages import names
from messages.format import days_phrase, echo, esc, fmt_date

FOLLOW_UP_NAMES = {K.WRITTEN: "书面检讨", K.MEETING: "深刻检查"}
FOLLOW_UP_WHAT = {K.WRITTEN: "向作出处理决定的组织提交书面检讨",
                  K.MEETING: "在下一次民主生活会或组织生活会上作深刻检查"}
FOLLOW_UP_WORD = {K.WRITTEN: "检讨", K.MEETING: "检查"}  # what /问责 takes to mark it done
KINDS = "、".join(KIND_WORDS.values())
PRIVATE_ONLY = {
    "inspect": f"监督检查记录只在与我的私聊中登记和查看，请在私聊中发送 /{c.INSPECT.ascii}。",
    "assess": f"考核结果只在与我的私聊中登记和查看，请在私聊中发送 /{c.ASSESS.ascii}。"}


# -- 监督检查 ------------------------------------------------------------------------------

def inspection_lines(view: InspectionView) -> list[str]:
    x = view.inspection
    lines = [f"<b>{esc(x.code)}</b> {fmt_date(x.held_on)} {esc(view.unit.name)} · "
             f"{KIND_WORDS[x.kind]}" + (f"（{esc(view.recorder)}登记）" if view.recorder else "")]
    for number, f in enumerate(x.findings, start=1):
        said = esc(f.finding) if f.finding else NO_PROBLEM
        linked = ""
        if f.item_id:
            linked = (f" → 问题 {esc(view.linked.get(f.item_id, '?'))}，"
                      f"整改 {esc(view.linked.get(f.fix_id or 0, '?'))}")
        lines.append(f"　{number}. {POINT_WORDS[f.point]}：{said}{linked}")
    return lines


def findings_keyboard(views: list[InspectionView]) -> InlineKeyboardMarkup | None:
    """A button for each finding with a problem not yet turned into a 问题 and a 整改."""
    rows = [[InlineKeyboardButton(
        f"{v.inspection.code} {POINT_SHORT[f.point]}：转为问题和整改",
        callback_data=f"{cb.FINDING}:{f.id}")]
        for v in views for f in v.inspection.findings if f.finding and not f.item_id]
    return InlineKeyboardMarkup(rows[:20]) if rows else None


def inspection_recorded(view: InspectionView) -> str:
    problems = sum(1 for f in view.inspection.findings if f.finding)
    tail = ("点下面的按钮，可将某一方面的问题一键转为问题清单事项和整改（责任人为该单位党组织书记）。"
            if problems else "四个方面均无问题。")
    return "\n".join([f"✅ 已登记监督检查 {esc(view.inspection.code)}。",
                      *inspection_lines(view), "", tail])


def inspection_list(views: list[InspectionView], can_record: bool) -> str:
    lines = ["<b>监督检查</b>（最近登记的在前）" if views else "还没有您可以查看的监督检查记录。"]
    for view in views:
        lines += ["", *inspection_lines(view)]
    if can_record:
        lines += ["", inspect_usage()]
    return "\n".join(lines)


def inspect_usage() -> str:
    return (f"登记监督检查：发送 /{c.INSPECT.chinese} 登记，按提示逐项填写；"
            f"或一次写完：第一行写 /{c.INSPECT.chinese} 日期 单位 类型，"
            "之后每行写一个方面的检查结论（无问题的写“无问题”），例如：\n"
            f"/{c.INSPECT.chinese} 12月1日 财务科党支部 专项检查\n"
            "分解：无问题\n落实：公务接待台账未按月核对\n协同：无问题\n追究：无问题\n"
            f"类型可选：{KINDS}。四个方面（可写序号 1–4 或简称）："
            + "；".join(f"{POINT_SHORT[p]}＝{w}" for p, w in POINT_WORDS.items()) + "。")


def finding_fixed(done: FindingFixed) -> str:
    item, fix = done.item, done.fix.main
    return (f"✅ 已将监督检查 {esc(done.inspection.code)}“{POINT_WORDS[done.finding.point]}”"
            f"方面的问题转为问题清单事项 <code>{esc(item.item.code)}</code> 和整改 "
            f"<code>{esc(fix.item.code)}</code>（整改方案 <code>{esc(done.fix.plan.code)}</code>"
            f"，{fmt_date(done.fix.plan.due_date)} 前提交），责任人 {esc(fix.owner.name)}，"
            f"整改完成期限 {fmt_date(fix.item.due_date)}。已通知责任人。")


# -- 考核 ------------------------------------------------------------------------------------

def _rate(part: int, whole: int) -> str:
    return f"{part}/{whole}（{100 * part / whole:.0f}%）" if whole else "无可计数据"


def assessment_text(view: AssessmentView, recorded: bool = False) -> str:
    a = view.assessment
    head = (f"✅ 已登记 {view.year} 年度 {esc(view.unit.name)} 检查考核结果。" if recorded
            else f"<b>{view.year} 年度检查考核 · {esc(view.unit.name)}</b>")
    lines = [head]
    if a is None:
        lines.append("考核结果：尚未登记。")
    else:
        lines += [f"考核结果：<b>{esc(a.grade)}</b>（党委登记）",
                  f"牵头班子成员：{esc(view.leader) if view.leader else '未指定'}",
                  f"党委评语：{esc(a.remarks) if a.remarks else '无'}"]
    f = view.figures
    if f is None:
        lines += ["", "该年度尚未开始，没有机器人记录的数据。"]
        return "\n".join(lines)
    t = f.tally
    lines += ["", f"<b>机器人记录的数据</b>（{fmt_date(f.start)} 至 {fmt_date(f.end)}；"
                  "仅供参考的统计数字，不是考核评分）",
              f"· 按时完成：{_rate(t.on_time, t.counted)}",
              f"· 提醒已回应：{_rate(t.answered, t.reminded)}",
              f"· 整改验收销号：{_rate(f.fixes_closed, f.fixes)}",
              f"· 问责案件：{f.cases} 件（您有权查看的）"]
    return "\n".join(lines)


def assessment_list(found: AssessmentList, can_record: bool) -> str:
    lines = [f"<b>{found.year} 年度检查考核结果</b>" if found.views
             else f"{found.year} 年度还没有您可以查看的检查考核结果。"]
    for a, unit, leader in found.views:
        lines.append(f"· {esc(unit.name)}：<b>{esc(a.grade)}</b>"
                     + (f"（{esc(leader)}牵头）" if leader else ""))
    lines += ["", f"查看某单位的结果和机器人记录的数据：/{c.ASSESS.chinese} 年份 单位"
                  f"（如 /{c.ASSESS.chinese} {found.year} 财务科党支部）。"]
    if can_record:
        lines.append(f"登记结果：/{c.ASSESS.chinese} 年份 单位 等次 [牵头:姓名] 评语"
                     f"（如 /{c.ASSESS.chinese} {found.year} 财务科党支部 较好 台账规范）。")
    return "\n".join(lines)


# -- a 问责 case's follow-ups (confidential) --------------------------------------------------

def follow_up_lines(follow_ups: list[FollowUp], names: dict[int, str]) -> list[str]:
    lines = []
    for f in follow_ups:
        state = (f"已完成（{fmt_date(f.done_on)}）" if f.done_on
                 else f"截止 {fmt_date(f.due_date)}，未完成")
        lines.append(f"　{FOLLOW_UP_NAMES[f.kind]}：{esc(names.get(f.owner_id, '?'))}，{state}")
    return lines


def follow_up_reminder(payload: dict[str, Any], today: date) -> str:
    """In private only: to the person who owes it, or (overdue) to the 纪委."""
    kind = K(payload["kind"])
    due = date.fromisoformat(payload["due"])
    when = f"截止 {fmt_date(due)}（{days_phrase(due, today)}）"
    code = esc(payload["code"])
    if payload.get("own"):
        return (f"🔒 <b>问责后续事项提醒</b>\n按问责案件 {code} 的处理，请您"
                f"{FOLLOW_UP_WHAT[kind]}，{when}。\n"
                f"完成后点下面的按钮，或发送 /{c.CASES.chinese} {FOLLOW_UP_WORD[kind]} {code}，"
                "登记已完成。")
    return (f"🔒 <b>问责后续事项督办</b>\n问责案件 {code} 的{FOLLOW_UP_NAMES[kind]}"
            f"（{esc(payload.get('owner', ''))}）{when}，尚未完成，请督促。"
            f"此消息仅在{names.body()}内部发送。")


def follow_up_keyboard(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    """Under the owner's own reminder: one tap to say it is done."""
    if not payload.get("own") or "id" not in payload:
        return None
    label = "已提交书面检讨" if payload["kind"] == K.WRITTEN.value else "已作深刻检查"
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        label, callback_data=f"{cb.FOLLOW_UP}:{int(payload['id'])}")]])


def follow_up_done(code: str, follow_up: FollowUp) -> str:
    return f"✅ 已登记问责案件 {esc(code)} 的{FOLLOW_UP_NAMES[follow_up.kind]}已完成。"


# -- refusals ----------------------------------------------------------------------------

def inspection_refused(error: InspectionRefused) -> str:
    field, detail = error.field, echo(error.detail)
    match field:
        case "kind":
            return f"检查类型“{detail}”不在可选范围内。类型可选：{KINDS}。"
        case "point":
            return (f"看不懂检查方面“{detail}”。每行写“方面：结论”，方面可写 1–4 或 "
                    + "、".join(POINT_SHORT.values()) + "。")
        case "point_missing":
            return f"缺少“{detail}”方面的检查结论（没有问题的写“无问题”）。没有登记。"
        case "finding":
            return "检查结论太长了：每个方面最多 500 字。"
        case "finding_id":
            return "这一条检查结论没有问题可转，或已不存在。请发送 /监督检查 查看。"
        case "linked":
            return "这一条检查发现已经转为问题清单事项和整改了。"
        case "no_head":
            return (f"单位“{detail}”还没有登记党组织书记，无法确定整改责任人。"
                    "请先用 /登记 登记该单位的书记，或用 /新建 手动新建问题和整改。")
        case "year":
            return f"年份“{detail}”不对，请写四位数的年份，如 2026。"
        case "grade":
            return f"考核等次“{detail}”不在规则文件 [inspections] grades 列出的等次中。没有登记。"
        case "unit_top":
            return f"“{detail}”是最上级的党组织；检查考核的对象是下级党组织，请写下级单位的名称。"
        case "led_by":
            return f"牵头人“{detail}”不是班子成员。检查考核由班子成员牵头。"
        case "scope":
            return f"单位“{detail}”不在您的分管范围内，不能查看它的考核结果。"
        case "follow_up":
            return "请写明要登记的后续事项：检讨（书面检讨）或 检查（深刻检查）。"
        case "follow_up_done":
            return f"问责案件 {detail} 的这项后续事项已经登记为完成。"
    return "这项监督检查或考核记录无法按要求处理。"
