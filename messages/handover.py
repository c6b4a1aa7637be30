"""人员交接 (issue 24 §5): the plan shown before (the dry run) and after, the two private
notices, and the refusals. Every text takes the plan as plain data
(bot/services/handover.py `preview`), so the chat, the guided flow and the console say the
same thing."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

from bot.domain.model import Role
from bot.domain.vocabulary import ROLE_NAMES
from bot.services.errors import HandoverRefused
from messages.format import esc, fmt_date
from messages.names import say

SECTION = 30  # lines a section lists; the rest are counted

_WHY = {
    "already_held": "{successor}已有同一项履责事项（同一周期），不重复移交",
    "self_talk": "谈话对象就是{successor}本人",
}
_ROLE_WHY = {
    "role_conflict": "{successor}担任的职务与之不能兼任（党委与{纪委}相互监督）",
}
_DECISION = {"acceptance": "整改验收", "extension": "延期审批", "reconciliation": "对账确认",
             "signature": "责任书签字背书"}
_FATE = {
    "successor": "改由{successor}决定",
    "others": "由其他有权决定的人决定",
    "nobody": "暂无人可决定，请党委办公室安排",
}
_LETTER = {
    "moves": "{year}年度责任书尚未签字，改由{successor}签字背书",
    "stays_signed": "{year}年度责任书已签字背书，作为{leaver}的履责记录保留",
    "stays_successor_has_one": "{successor}已有{year}年度责任书，{leaver}的这份保留在其名下",
}


def _role(value: str) -> str:
    return ROLE_NAMES.get(Role(value), value)


def _fill(template: str, p: dict[str, Any], **more: object) -> str:
    """One of our templates, the body's words and the (escaped) names filled in."""
    return say(template.replace("{successor}", esc(p["successor"]))
               .replace("{leaver}", esc(p["leaver"]))
               .replace("{year}", str(more.get("year", ""))))


def _items(entries: list[dict[str, Any]], line) -> list[str]:
    shown = [f"  · {line(e)}" for e in entries[:SECTION]]
    if len(entries) > SECTION:
        shown.append(f"  …另有 {len(entries) - SECTION} 项")
    return shown


def _due(e: dict[str, Any]) -> str:
    return f"截止 {fmt_date(date.fromisoformat(e['due']))}"


def plan_text(p: dict[str, Any]) -> str:
    """What moves and what does not: before (预览) or after (已交接)."""
    leaver, successor = esc(p["leaver"]), esc(p["successor"])
    head = "已交接" if p["applied"] else "交接预览（尚未交接）"
    lines = [f"<b>人员交接：{leaver} → {successor}</b>（{esc(p['unit'])}）", head, ""]
    if p["empty"] and not p["roles_kept"]:
        lines.append(f"{leaver}名下没有需要移交的内容。"
                     + ("" if p["applied"] else "确认后只解除其绑定。"))
    if p["items"]:
        lines.append(f"移交{successor}的事项 {len(p['items'])} 项：")

        def owned(e: dict[str, Any]) -> str:
            extra = ""
            if e["talk"]:
                extra = f"（谈话，对象 {esc(e['counterpart'])}）"
            elif e["delegated"]:
                extra = "（上级分解的事项）"
            return f"<code>{esc(e['code'])}</code> {esc(e['title'])}{extra}，{_due(e)}"

        lines += _items(p["items"], owned)
    if p["attending"]:
        lines.append(f"{leaver}应参加的谈话 {len(p['attending'])} 项，谈话对象改为{successor}：")
        lines += _items(p["attending"], lambda e: (
            f"<code>{esc(e['code'])}</code> {esc(e['title'])}（谈话人 {esc(e['holder'])}），"
            f"{_due(e)}"))
    if p["oversees"]:
        lines.append(f"分管单位：{esc('、'.join(p['oversees']))}")
    if p["roles"]:
        lines.append(f"角色：{esc('、'.join(_role(r) for r in p['roles']))}")
    for role, why in p["roles_kept"]:
        lines.append(f"不能移交的角色：{esc(_role(role))} — {_fill(_ROLE_WHY[why], p)}；"
                     f"交接后{leaver}不再担任，此角色暂无人担任，请另行登记新任人员。")
    if p["requests"]:
        lines.append(f"待审批的延期申请 {p['requests']} 项随事项移交，审批结果告知{successor}。")
    if p["decisions"]:
        lines.append(f"等{leaver}决定的事项 {len(p['decisions'])} 项：")
        lines += _items(p["decisions"], lambda d: (
            f"{_DECISION.get(d['kind'], '')} <code>{esc(d['code'])}</code>："
            f"{_fill(_FATE[d['fate']], p)}"))
    if p["handed_down"]:
        lines.append(f"{leaver}分解给下级、尚未办结的事项 {len(p['handed_down'])} 项"
                     f"（仍由原责任人办理，上级事项改由{successor}督促）：")
        lines += _items(p["handed_down"], lambda e: (
            f"<code>{esc(e['code'])}</code> {esc(e['title'])}（{esc(e['holder'])}），{_due(e)}"))
    if p["left"]:
        lines.append(f"不能移交、将取消的事项 {len(p['left'])} 项：")
        lines += _items(p["left"], lambda e: (
            f"<code>{esc(e['code'])}</code> {esc(e['title'])} — {_fill(_WHY[e['why']], p)}"))
    if p["letter"]:
        lines.append(_fill(_LETTER[p["letter"]["fate"]], p, year=p["letter"]["year"]) + "。")
    lines += ["", f"已办结的事项、已开展的谈话、问责案件和履责纪实留在{leaver}名下。",
              f"{leaver}的绑定" + ("已解除，不再收到提醒。" if p["applied"]
                                  else "将解除，今后不再收到提醒、不能再操作。")]
    if p["applied"]:
        lines.append(f"已私聊告知{successor}。" if p["successor_told"] else
                     f"{successor}尚未绑定，绑定后发送 /待办 即可看到移交的事项。")
    return "\n".join(lines)


def confirm_question() -> str:
    return "请核对以上交接清单，无误后点“确认交接”："


def successor_notice(p: dict[str, Any], today: date) -> str:
    """To the successor, in private: what they hold now."""
    lines = [f"<b>人员交接</b>\n{esc(p['from'])}的工作已交接给您。"]
    if p["items"]:
        lines.append(f"您现在负责的事项（{len(p['items']) + p.get('more', 0)} 项）：")
        lines += [f"  · <code>{esc(e['code'])}</code> {esc(e['title'])}，{_due(e)}"
                  for e in p["items"]]
        if p.get("more"):
            lines.append(f"  …另有 {p['more']} 项，发送 /我的清单 查看全部")
    if p["attending"]:
        lines.append("您需要参加的谈话：")
        lines += [f"  · <code>{esc(e['code'])}</code> {esc(e['title'])}，{_due(e)}"
                  for e in p["attending"]]
    if p["oversees"]:
        lines.append(f"分管单位：{esc('、'.join(p['oversees']))}")
    if p["roles"]:
        lines.append(f"角色：{esc('、'.join(_role(r) for r in p['roles']))}")
    if p["decisions"]:
        lines.append(f"另有 {p['decisions']} 项待您决定，发送 /待办 查看。")
    if p.get("letter"):
        lines.append(f"{p['letter']}年度责任书待您签字背书，发送 /责任书 查看。")
    lines.append("提醒今后发给您。发送 /待办 查看逾期和临期的事项。")
    return "\n".join(lines)


def leaver_notice(p: dict[str, Any], today: date) -> str:
    """To the leaver, in private: that the handover happened."""
    return (f"<b>人员交接</b>\n您的工作已交接给{esc(p['to'])}（{p['count']} 项事项）。"
            "您与本机器人的绑定已解除，今后不再收到提醒；您的履责记录仍然保留。感谢您的工作！")


def handover_refused(error: HandoverRefused) -> str:
    leaver, successor = esc(error.leaver), esc(error.successor)
    if error.problem == "same_person":
        return f"离任人员和继任人员不能是同一个人（{leaver}）。请另选继任人员。"
    if error.problem == "wrong_unit":
        return (f"继任人员须与离任人员同一单位：{leaver}在“{esc(error.leaver_unit)}”，"
                f"{successor}在“{esc(error.successor_unit)}”。"
                f"请先用 /登记 把继任人员登记到“{esc(error.leaver_unit)}”，再交接。")
    return ("交接内容在您确认前有了变化（有事项新增、办结或改派），没有交接。"
            "请重新发送 /交接 查看最新的交接清单。")


def handover_private_only() -> str:
    return "人员交接只在与我的私聊中进行，请在私聊中发送 /handover。"


def console(text: str) -> str:
    """A chat text on the office machine's console: no tags, no escapes."""
    return html.unescape(re.sub(r"</?(b|i|code)>", "", text))


def console_question(leaver: str, successor: str) -> str:
    """`dutybot handover` without --yes, after the plan: plain text (a console)."""
    return f"确认把{leaver}的以上内容交接给{successor}、并解除{leaver}的绑定？输入 y 确认："


def console_declined() -> str:
    return "没有确认，未交接，什么也没有改变。"
