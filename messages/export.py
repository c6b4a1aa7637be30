"""The Excel 台账: the chat's replies, the workbook's 说明 sheet, and the 履责纪实 in words.

The chat texts are HTML (user strings escaped); the workbook texts are plain text, since a
cell shows what it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from bot.domain.inspections import KIND_WORDS, POINT_WORDS
from bot.domain.ledger import (
    ASSESSMENTS,
    CASES,
    EVENTS,
    FIXES,
    INSPECTIONS,
    OBLIGATIONS,
    PERFORMANCE,
    RECONCILE,
    TALKS,
    LedgerWords,
)
from bot.domain.model import Duty
from bot.domain.transitions import Action
from bot.domain.vocabulary import (
    ANSWER_NAMES,
    CARRY_NAMES,
    DUTY_NAMES,
    GROUP_KIND_NAMES,
    KIND_NAMES,
    ROLE_NAMES,
    STATUS_NAMES,
    UNIT_KIND_NAMES,
)
from bot.domain.workbook import FIELD_COLUMNS, ITEMS, MAX_ROWS, PEOPLE, UNITS
from messages.decisions import label as decision_label
from messages.format import esc
from messages.names import say

# -- the chat ----------------------------------------------------------------------------------


def file_name(day: date) -> str:
    return f"四责协同台账_{day.isoformat()}.xlsx"


def export_caption(day: date, counts: Mapping[str, int]) -> str:
    shown = "、".join(f"{esc(sheet)} {n}" for sheet, n in counts.items())
    return f"📊 四责协同台账（{day.isoformat()} 导出）\n各工作表行数：{shown}"


def export_written(target: str, counts: Mapping[str, int]) -> str:
    """The command line's one line."""
    shown = "、".join(f"{sheet} {n}" for sheet, n in counts.items())
    return f"{target}: 台账已导出（{shown}）"


# -- the 说明 sheet ----------------------------------------------------------------------------

_SHEET_HELP = {
    UNITS: "全部单位（与导入模板同列）。",
    PEOPLE: "在册人员（与导入模板同列，含群机器人@提醒用的手机号、企业微信账号、飞书ID）；"
            "右侧“已绑定”表示是否已用邀请链接绑定 Telegram。",
    ITEMS: "问题、责任、措施三张清单（与导入模板同列）。右侧附当前状态、传导链（问题 → 责任 → 措施；"
           "分解的事项另注“分解自”上级事项、“分解给”下级事项）、"
           "逾期天数和最后更新时间，导入时不读取。",
    OBLIGATIONS: "按规则生成的履责事项（谈话、报告等），以及临时安排的约谈。",
    TALKS: "应开展的谈话（谈话人、谈话对象、期限、状态），以及已登记的谈话（日期、类型、情况）。",
    FIXES: "{纪委}交办的整改：来源、责任领导、整改方案和完成两个期限、状态、验收。",
    CASES: "问责案件（保密，只在{纪委委员}的导出中）：追责情形、查明问题、处理、一案双查的倒查，"
           "以及被问责人的书面检讨和深刻检查。",
    INSPECTIONS: "{纪委}的监督检查：每次检查按四个方面（责任分解是否明确、责任项目是否落实、"
                 "责任履行是否协同、责任追究是否严格）各占一行，以及发现转成的问题和整改。",
    ASSESSMENTS: "年度检查考核结果（党委登记）：等次、牵头班子成员、党委评语。",
    RECONCILE: "责任书年终对账：每位班子成员和下级党组织书记的责任事项逐项报告（已完成/未完成及原因）、"
               "{纪委}或党委的对账确认、未完成事项是否结转下一年度；另列签字背书时间。",
    EVENTS: "履责纪实：系统记录的每一次操作，按时间先后，只增不改。",
    PERFORMANCE: ("每人和每个单位的按时完成率、提醒回应率，以及据此排名用的计分"
                  "（按时完成率×70% + 提醒回应率×30%，0–100；不是考核得分）。"),
}


def ledger_help(made_at: str, counts: Mapping[str, int],
                period: tuple[date, date] | None) -> list[tuple[object, ...]]:
    """The 说明 sheet: notes (one cell each), then one row per sheet."""
    notes: list[tuple[object, ...]] = [
        ("四责协同助手 · 台账说明",),
        (f"导出时间：{made_at}（北京时间）",),
        ("“单位”“人员”“清单”三个工作表与导入模板完全一致：原样导入（dutybot import）不会产生任何改动，"
         "修改后导入即按文件更新。",),
        ("“清单”的“状态”列留空的事项正处在流程中（待验收、延期审批中、已退回、已销号），导入时保持原状态；"
         "实际状态见右侧“当前状态”列。",),
        (f"导入时每个工作表最多 {MAX_ROWS} 行；更大的台账请分批导入。",),
        ("日期为 Excel 日期，时间为北京时间；逾期天数只计仍在办理中的事项。",),
    ]
    if period is not None:
        notes.append((f"按时完成率和提醒回应率的统计期间：{period[0].isoformat()} 至 {period[1].isoformat()}。",))
    notes.append(("",))
    table: list[tuple[object, ...]] = [("工作表", "内容", "行数")]
    table += [(sheet, say(_SHEET_HELP.get(sheet, "")), n) for sheet, n in counts.items()]
    return notes + table


# -- the 履责纪实 in words ----------------------------------------------------------------------

EVENT_NAMES: dict[str, str] = {
    "item.created": "新建事项",
    "item.updated": "修改事项",
    "item.status": "状态变更",
    "item.note": "进展说明",
    "item.extension_requested": "申请延期",
    "item.extension_decided": "延期审批",
    "item.extension_withdrawn": "撤回延期申请",
    "item.delegated": "分解事项",
    "item.delegation_override": "下级未完成时办结",
    "talk.held": "登记谈话",
    "unit.created": "新建单位",
    "unit.updated": "修改单位",
    "person.registered": "登记人员",
    "person.updated": "修改人员",
    "person.bound": "绑定身份",
    "invite.reissued": "重发邀请",
    "group.bound": "登记群",
    "group_moved": "群升级",
    "database_restored": "从备份恢复数据库",
    "import.applied": "导入台账",
    "case.recorded": "登记问责案件",
    "case.review_opened": "开启倒查",
    "case.closed": "问责案件办结",
    "case.typical": "标记典型案例",
    "case.review_done": "倒查结论",
    "case.report_drafted": "生成报告草稿",
    "case.followups_opened": "问责后续事项（书面检讨、深刻检查）",
    "case.followup_done": "问责后续事项完成",
    "inspection.recorded": "登记监督检查",
    "inspection.finding_fixed": "检查发现转为问题和整改",
    "assessment.recorded": "登记检查考核结果",
    "letter.issued": "发出责任书",
    "letter.signed": "签字背书",
    "letter.reconcile_opened": "开始年终对账",
    "letter.answered": "对账报告",
    "letter.confirmed": "对账确认",
    "letter.carried": "结转下一年度",
    "item.carried_over": "结转自上一年度",
    "reminder_sent": "提醒送达",
    "overdue_notice": "逾期告知",
    "escalated": "逾期督办",
    "decision.escalated": "待决定督办",
    "obligation_created": "生成履责事项",
    "policy_changed": "修改提醒设置",
    "policy_reset": "恢复提醒设置",
    "acknowledged": "确认收到提醒",
    "meeting_held": "民主生活会",
    "ledger.exported": "导出台账",
    "board.link": "看板登录链接",  # the 纪委 看板 (issue 24): link made, login, view, logout
    "board.login": "登录看板",
    "board.view": "查看看板",
    "board.logout": "退出看板",
    "item.handed_over": "人员交接",
    "extension.handed_over": "人员交接（延期申请）",
    "decision.handed_over": "人员交接（待决定事项）",
    "letter.handed_over": "人员交接（责任书）",
    "person.handed_over": "人员交接（离任）",
    "person.took_over": "人员交接（接任）",
}

ACTION_NAMES = {
    Action.START: "开始办理", Action.COMPLETE: "报告完成", Action.REQUEST_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "批准延期", Action.REJECT_EXTENSION: "驳回延期",
    Action.WITHDRAW_EXTENSION: "撤回延期申请", Action.VERIFY: "验收销号", Action.RETURN: "退回",
    Action.CANCEL: "取消",
}

_KEY_NAMES = {
    "code": "编号", "kind": "类型", "title": "标题", "duty": "责任类型", "owner": "责任人",
    "unit": "单位", "parent": "上级", "source": "来源", "due_date": "截止日期", "due": "截止日期",
    "status": "状态", "counterpart": "谈话对象", "reason": "理由", "note": "情况",
    "text": "说明", "old_due": "原期限", "new_due": "新期限", "held_on": "谈话日期",
    "talk": "谈话类型", "holder": "谈话人", "name": "名称", "roles": "角色", "oversees": "分管",
    "via": "方式", "file": "文件", "stage": "阶段", "recipients": "告知", "rule": "规则",
    "period": "周期", "value": "设置", "event": "会议", "old_chat_id": "原群号",
    "revoked": "作废旧邀请", "item": "事项", "request": "延期申请号", "counts": "数量",
    "delegated_from": "分解自",
    "led_by": "牵头班子成员",
    "year": "年度", "items": "事项", "answer": "报告", "carry": "结转",
    "carried_from": "原编号", "carried_to": "结转后编号", "reconciled": "年终对账确认",
    "leaver": "离任", "successor": "继任", "fate": "去向",
    "attending": "参加的谈话", "cancelled": "取消", "roles_kept": "未移交角色",
    "superseded": "作废的待发消息", "why": "原因", "reminders": "转给继任者的提醒",
    "decision": "待决定事项",
}
#: Why a 人员交接 left something behind (bot/domain/handover.py Why).
_HANDOVER_WHY = {"already_held": "继任者已有同一履责事项，取消", "self_talk": "谈话对象是继任者本人，取消",
                 "role_conflict": "职务不能兼任"}
#: Events that trigger obligations (the rules file's `event`).
TRIGGER_NAMES = {"democratic_life_meeting": "民主生活会"}
_VIA = {"import": "Excel 导入", "cli": "命令行", "chat": "聊天"}

Who = Callable[[str], str]  # a recipient key (p:12, g:-100…) → a name


def event_name(kind: str) -> str:
    return EVENT_NAMES.get(kind, kind)


def event_details(kind: str, data: Mapping[str, Any], who: Who) -> str:
    """What an event says, in words; what is not known by name is listed as 键：值."""
    d = dict(data)
    if kind.startswith("item."):
        d.pop("code", None)  # the item's 编号 is the event's 对象 already
    head = ""
    match kind:
        case "item.created":
            kind_name = KIND_NAMES.get(_enum_of(KIND_NAMES, d.pop("kind", None)), "")
            head = f"新建{kind_name}事项“{d.pop('title', '')}”"
        case "item.updated" | "unit.updated" | "person.updated":
            changes = d.pop("changes", {}) or {}
            head = "；".join(f"{FIELD_COLUMNS.get(k, _KEY_NAMES.get(k, k))}：{_value(k, old)} → "
                            f"{_value(k, new)}" for k, (old, new) in changes.items())
        case "item.status":
            action = d.pop("action", "")
            before, after = d.pop("from", None), d.pop("to", None)
            head = f"{ACTION_NAMES.get(action, action)}（{_value('status', before)} → " \
                   f"{_value('status', after)}）"
        case "item.note":
            head = f"进展说明：{d.pop('text', '')}"
        case "item.extension_requested":
            head = f"申请延期：{d.pop('old_due', '')} → {d.pop('new_due', '')}"
        case "item.extension_withdrawn":
            head = f"撤回延期申请：{d.pop('old_due', '')} → {d.pop('new_due', '')}"
        case "item.extension_decided":
            verdict = "批准" if d.pop("approved", False) else "驳回"
            head = f"{verdict}延期：{d.pop('old_due', '')} → {d.pop('new_due', '')}"
        case "item.delegated":
            head = f"分解给下级：{'、'.join(map(str, d.pop('children', []) or []))}"
        case "item.delegation_override":
            head = ("下级事项未完成时确认办结："
                    f"{'、'.join(map(str, d.pop('open_children', []) or []))}")
        case "talk.held":
            head = (f"{d.pop('kind', '谈话')}：{d.pop('holder', '')} 与 {d.pop('counterpart', '')}，"
                    f"{d.pop('held_on', '')}")
        case "unit.created":
            head = f"新建单位“{d.pop('name', '')}”"
        case "person.registered":
            head = f"登记“{d.pop('name', '')}”"
        case "person.bound":
            d.pop("code", None)  # an invite code is a credential, even a used one
            head = "用邀请链接绑定 Telegram 账号"
        case "group.bound":
            group_kind = d.pop("kind", "")
            names = {k.value: v for k, v in GROUP_KIND_NAMES.items()}
            head = f"登记群“{d.pop('title', '')}”为{names.get(group_kind, group_kind)}"
        case "reminder_sent" | "overdue_notice" | "escalated":
            stage = d.pop("stage", "")
            told = d.pop("recipients", None)
            if told is None and "recipient" in d:
                told = [d.pop("recipient")]
            head = f"阶段 {stage}" + (f"，告知 {'、'.join(who(k) for k in told or [])}"
                                      if told else "")
        case "decision.escalated":
            what = decision_label({"kind": d.pop("decision", "")})
            stage, told = d.pop("stage", ""), d.pop("recipients", None) or []
            head = (f"{what}自 {d.pop('since', '')} 起未决定，阶段 {stage}"
                    + (f"，告知 {'、'.join(who(k) for k in told)}" if told else ""))
        case "import.applied":
            counts = d.pop("counts", {}) or {}
            sheets = {"units": UNITS, "people": PEOPLE, "items": ITEMS}
            d.pop("file", None)  # the subject names it
            ordered = [k for k in sheets if k in counts] + [k for k in counts if k not in sheets]
            head = "；".join(f"{sheets.get(k, k)} 新建 {counts[k].get('created', 0)}、更新 "
                            f"{counts[k].get('updated', 0)}、未变 {counts[k].get('unchanged', 0)}"
                            for k in ordered)
        case "ledger.exported":
            counts = d.pop("counts", {}) or {}
            head = "、".join(f"{k} {v}" for k, v in counts.items())
        case "board.link":
            via = d.pop("via", "")
            expires = str(d.pop("expires_at", ""))[11:16]
            d.pop("link", None)
            head = ("控制台生成" if via == "cli" else "私聊发送") + (
                f"，{expires} 前有效" if expires else "")
        case "board.login" | "board.view" | "board.logout":
            for key in ("link", "session", "via", "path"):
                d.pop(key, None)
            scope = d.pop("scope", None)
            head = {"all": "范围：全部", "oversees": "范围：本人和分管单位"}.get(scope, "")
        case "policy_reset":
            head = "恢复规则文件中的提醒设置"
        case "meeting_held":
            event = d.pop("event", "")
            head = f"登记{TRIGGER_NAMES.get(event, event)}召开"
        case "inspection.recorded":
            kind = _enum_of(KIND_WORDS, d.pop("kind", None))
            found = [POINT_WORDS[p] for p in (_enum_of(POINT_WORDS, v)
                                              for v in d.pop("problems", []) or []) if p]
            head = (f"{d.pop('code', '')} {d.pop('held_on', '')} {d.pop('unit', '')} "
                    f"{KIND_WORDS.get(kind, '')}；"
                    + (f"发现问题：{'、'.join(found)}" if found else "四个方面均无问题"))
        case "inspection.finding_fixed":
            point = _enum_of(POINT_WORDS, d.pop("point", None))
            head = (f"{d.pop('code', '')}“{POINT_WORDS.get(point, '')}”方面的问题转为问题 "
                    f"{d.pop('item', '')}、整改 {d.pop('fix', '')}")
        case "case.followups_opened":
            due = d.pop("due", {}) or {}
            head = "；".join(f"{_FOLLOW_UP_NAMES.get(k, k)}截止 {v}" for k, v in due.items())
        case "case.followup_done":
            kind = d.pop("kind", "")
            head = f"{_FOLLOW_UP_NAMES.get(kind, kind)}已完成"
        case "item.handed_over" | "extension.handed_over" | "decision.handed_over" | \
                "letter.handed_over" | "person.handed_over" | "person.took_over":
            what = {"owner": "责任人", "counterpart": "谈话对象"}.get(d.pop("as", ""), "")
            head = f"交接：{what}{d.pop('leaver', '')} → {d.pop('successor', '')}"
            d.pop("via", None)
            why = d.pop("why", None)
            if why:
                head += "（" + _HANDOVER_WHY.get(why, why) + "）"
        case "assessment.recorded":
            head = (f"{d.pop('year', '')} 年度 {d.pop('unit', '')}：{d.pop('grade', '')}"
                    + ("（替换此前登记的结果）" if d.pop("replaced", False) else ""))
    rest = "；".join(f"{_KEY_NAMES.get(k, k)}：{_value(k, v)}" for k, v in d.items()
                    if v not in (None, "", [], {}))
    return "；".join(p for p in (head, rest) if p)


def _enum_of(names: Mapping[Any, str], value: object) -> Any:
    for member in names:
        if member.value == value:
            return member
    return None


_VALUE_NAMES: dict[str, Mapping[Any, str]] = {
    "status": STATUS_NAMES, "to": STATUS_NAMES, "from": STATUS_NAMES, "duty": DUTY_NAMES,
}


def _value(key: str, value: object) -> str:
    """A stored value as a reader would say it."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "roles" and isinstance(value, list):
        return "、".join(ROLE_NAMES.get(_enum_of(ROLE_NAMES, v), str(v)) for v in value)
    if isinstance(value, list):
        return "、".join(_value(key, v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{_KEY_NAMES.get(k, k)} {_value(k, v)}" for k, v in value.items())
    if key == "via":
        return _VIA.get(str(value), str(value))
    if key == "why":  # why a 人员交接 left something behind
        return _HANDOVER_WHY.get(str(value), str(value))
    if key in ("answer", "carry"):  # a 对账 line's answer, its carry-over choice
        return {**ANSWER_NAMES, **CARRY_NAMES}.get(str(value), str(value))
    names = _VALUE_NAMES.get(key)
    if names is not None:
        member = _enum_of(names, value)
        return names[member] if member is not None else str(value)
    if key == "kind":
        for table in (KIND_NAMES, UNIT_KIND_NAMES):
            member = _enum_of(table, value)
            if member is not None:
                return table[member]
    return str(value)


def actor_name(person: str | None, telegram_id: int | None, via: object = None) -> str:
    """Who did it: a person; an admin known only by Telegram id; the operator at the
    console (an import or export run from the command line); else the bot itself."""
    if person:
        return person
    if telegram_id is not None:
        return f"管理员（Telegram {telegram_id}）"
    if via in ("import", "cli"):
        return "管理员（命令行）"
    return "系统"


def subject_name(subject_type: str, subject_id: str, name: str | None) -> str:
    """An event's subject: an item's 编号, a person's or unit's name, a group's title."""
    if name:
        return name
    match subject_type:
        case "talk":
            return f"谈话记录 {subject_id}"
        case "import":
            return f"导入 {subject_id}"
        case "policy":
            return f"提醒设置 {subject_id}"
        case "meeting":
            event, _, day = subject_id.partition(":")
            return f"{TRIGGER_NAMES.get(event, event)} {day}".strip()
        case "ledger":
            return f"台账 {subject_id}"
        case "case":
            return f"问责案件（序号 {subject_id}）"
        case "extension":
            return f"延期申请（序号 {subject_id}）"
        case "inspection":
            return f"监督检查（序号 {subject_id}）"
        case "assessment":
            return f"检查考核（序号 {subject_id}）"
    return f"{subject_type} {subject_id}"


def recipient_name(kind: str, name: str | None, ident: str) -> str:
    if name:
        return name
    return f"群 {ident}" if kind == "g" else f"人员 {ident}"


#: The words the 台账 is written in (bot/ledger_io.py stands below messages/ and is given them).
#: The two 倒查 of 一案双查, in words (the register's list says the same: messages/cases.py).
REVIEW_NAMES = {Duty.PRINCIPAL: "主体责任倒查", Duty.SUPERVISION: "监督责任倒查"}


def case_review(duty: Duty, owner: str, due: date, done: bool, parties: list[str]) -> str:
    """One 倒查 in the 问责 sheet's cell."""
    what = REVIEW_NAMES[duty]
    state = "已完成" if done else f"截止 {due.isoformat()}"
    return f"{what}：{owner}负责，{state}；涉及 {'、'.join(parties) or '无'}"


_FOLLOW_UP_NAMES = {"written": "书面检讨", "meeting": "深刻检查"}


def case_follow_up(kind: str, owner: str, due: date, done_on: date | None) -> str:
    """One follow-up of a person held accountable in the 问责 sheet's cell."""
    state = f"已完成 {done_on.isoformat()}" if done_on else f"截止 {due.isoformat()}"
    return f"{_FOLLOW_UP_NAMES.get(kind, kind)}：{owner}，{state}"


WORDS = LedgerWords(help=ledger_help, actor=actor_name, event=event_name, subject=subject_name,
                    details=event_details, recipient=recipient_name, review=case_review,
                    follow_up=case_follow_up)
