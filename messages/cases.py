"""Texts of the 问责 register (/问责): confidential, shown in private chat only."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

from bot.domain.cases import CaseStatus, PartyRole, ReviewStatus
from bot.domain.model import Duty
from bot.services.cases import CaseView
from bot.services.errors import CaseRefused
from messages import commands as c
from messages.export import REVIEW_NAMES
from messages.format import days_phrase, echo, esc, fmt_date
from messages.inspections import follow_up_lines
from messages.names import body, say

STATUS = {CaseStatus.OPEN: "办理中", CaseStatus.CLOSED: "已办结"}
PARTY_ROLES = {PartyRole.BRANCH_SECRETARY: "党组织书记", PartyRole.SECRETARY: "党委书记",
               PartyRole.OVERSEER: "分管班子成员", PartyRole.DISCIPLINE_SECRETARY: "{纪委书记}"}
SHOWN = 20


def case_lines(view: CaseView) -> list[str]:
    case = view.case
    marks = "".join((" · 违纪违法（一案双查）" if case.misconduct else "",
                     " · 典型案例" if case.typical else ""))
    lines = [f"<b>{esc(case.code)}</b> {esc(view.person.name)}（{esc(view.unit.name)}）"
             f" · {STATUS[case.status]}{marks}",
             f"　情形：{esc(view.situation_text)}",
             f"　查明：{esc(case.finding)}",
             "　处理：" + (esc(case.handling) if case.handling else "尚未决定")
             + (f"（{fmt_date(case.decided_on)}）" if case.decided_on else "")]
    for review in view.reviews:
        parties = "、".join(f"{esc(view.names.get(p.person_id, '?'))}（{say(PARTY_ROLES[p.role])}）"
                            for p in review.parties) or "无"
        done = "已完成" if review.status is ReviewStatus.DONE else \
            f"截止 {fmt_date(review.due_date)}"
        lines.append(f"　{REVIEW_NAMES[review.duty]}：{esc(view.names.get(review.owner_id, '?'))}"
                     f"负责，{done}；涉及 {parties}")
    lines += follow_up_lines(view.follow_ups, {view.case.person_id: view.person.name})
    return lines


def case_list(views: list[CaseView], can_record: bool) -> str:
    if not views:
        head = ["没有您可以查看的问责案件。"]
    else:
        head = [f"<b>问责案件</b>（共 {len(views)} 件，新登记的在前；仅在私聊中显示）"]
        for view in views[:SHOWN]:
            head += ["", *case_lines(view)]
        if len(views) > SHOWN:
            head += ["", f"……另有 {len(views) - SHOWN} 件，完整列表请发送 /导出。"]
    if can_record:
        head += ["", f"登记案件：/{c.CASES.chinese} 登记（逐项引导填写）。"
                 f"标记典型案例：/{c.CASES.chinese} 典型 编号；"
                 f"登记倒查结论：/{c.CASES.chinese} 倒查 编号 主体|监督 结论；"
                 f"办结案件：/{c.CASES.chinese} 办结 编号（如 /{c.CASES.chinese} 办结 A0001）。"
                 f"登记被问责人的书面检讨已交、深刻检查已做：/{c.CASES.chinese} 检讨 编号、"
                 f"/{c.CASES.chinese} 检查 编号。"]
    return "\n".join(head)


def case_recorded(view: CaseView) -> str:
    reviews = "，并按一案双查开启主体责任和监督责任倒查" if view.reviews else ""
    return "\n".join([f"✅ 已登记问责案件 {esc(view.case.code)}{reviews}。", *case_lines(view)])


def case_closed(view: CaseView) -> str:
    return f"✅ 问责案件 {esc(view.case.code)} 已办结。"


def review_reminder(payload: dict[str, Any], today: date) -> str:
    """A 倒查's reminder, in private: the case's code and which 倒查, never who is examined."""
    due = date.fromisoformat(payload["due"])
    what = f"问责案件 {esc(payload['code'])} 的{REVIEW_NAMES[Duty(payload['duty'])]}"
    when = f"截止 {fmt_date(due)}（{days_phrase(due, today)}）"
    if payload.get("own"):
        return (f"🔒 <b>倒查提醒</b>\n{what}由您负责，{when}。\n"
                f"发送 /{c.CASES.chinese} 查看；完成后发送 /{c.CASES.chinese} 倒查 "
                f"{esc(payload['code'])} {'主体' if payload['duty'] == 'principal' else '监督'} "
                "结论，登记倒查结论。")
    return (f"🔒 <b>倒查督办</b>\n{what}（负责人 {esc(payload.get('owner', ''))}）{when}，"
            f"请督促办理。此消息仅在{body()}内部发送。")


def review_done(view: CaseView) -> str:
    return "\n".join([f"✅ 已登记 {esc(view.case.code)} 的倒查结论。", *case_lines(view)])


def case_marked_typical(view: CaseView) -> str:
    return f"✅ 问责案件 {esc(view.case.code)} 已标记为典型案例，将列入典型案例通报草稿。"


def cases_need_private_chat() -> str:
    return f"问责案件只在与我的私聊中查看，请在私聊中发送 /{c.CASES.ascii}。"


def case_refused(error: CaseRefused) -> str:
    field, detail = error.field, echo(error.detail)
    if field == "situation":
        return (f"没有编号为“{detail}”的追责情形，请用规则文件 [accountability] 中的编号（1 到 10）。"
                if detail else "请写明适用的追责情形编号。")
    if field == "handling":
        return f"“{detail}”不是规则文件里列出的处理方式。"
    if field == "finding":
        return "请写明查明的问题（不超过 500 字）。"
    if field == "code":
        return f"没有编号为“{detail}”的问责案件。发送 /{c.CASES.chinese} 查看案件列表。"
    if field == "closed":
        return f"问责案件 {detail} 已经办结。"
    if field == "review":
        return f"“{detail}”不是倒查的类型，请写“主体”或“监督”。"
    if field == "review_done":
        return f"问责案件 {detail} 没有这项倒查，或它已经有了结论。"
    return "这件问责案件无法按要求处理。"


def console(text: str) -> str:
    """A chat text on the office machine's console: no tags, no escapes."""
    return html.unescape(re.sub(r"</?(b|i|code)>", "", text))
