"""Texts of the 责任书 (签字背书) and the year-end 对账: the pushes, /责任书, /对账, the
sheets. Private chat only: a 责任书 names one person's duties."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.message import Attachment, Outgoing
from bot.domain.letters import Answer, Carry, LineState
from bot.domain.model import Duty, ListKind
from bot.domain.vocabulary import ANSWER_NAMES, CARRY_NAMES, DUTY_NAMES
from bot.services.errors import LetterRefused
from bot.services.letters import Confirmed, LetterView, Waiting, view_payload
from messages import callbacks as cb
from messages import commands as c
from messages.format import echo, esc, fmt_date
from messages.markup import from_html
from messages.names import body
from messages.replies import kind_label
from messages.telegram import actions_of

LETTER_TITLE = "党风廉政建设责任书"
ANSWERS = {a: ANSWER_NAMES[a.value] for a in Answer}
CARRIES = {c: CARRY_NAMES[c.value] for c in Carry}
SHOWN = 30  # lines listed in one message; the rest are counted
BUTTON_TITLE = 10


def _item_line(number: int, entry: dict[str, Any]) -> list[str]:
    due = date.fromisoformat(entry["due"])
    return [f"{number}. <code>{esc(entry['code'])}</code> {esc(entry['title'])}",
            f"　{kind_label(ListKind(entry['kind']))} · {DUTY_NAMES[Duty(entry['duty'])]}"
            f" · 截止 {fmt_date(due)}"]


def _signed_on(text: str | None) -> str:
    return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M") if text else ""


# -- the 责任书 ----------------------------------------------------------------------------

def letter_text(payload: dict[str, Any]) -> str:
    items = payload["items"]
    lines = [f"<b>📜 {payload['year']}年度{LETTER_TITLE}</b>",
             f"责任人：{esc(payload['name'])}（{esc(payload['unit'])}）",
             f"本年度您承担的责任事项共 {len(items)} 项（附件为同样内容的 Excel 表）：", ""]
    for number, entry in enumerate(items[:SHOWN], start=1):
        lines += _item_line(number, entry)
    if len(items) > SHOWN:
        lines.append(f"……另有 {len(items) - SHOWN} 项，见附件。")
    lines.append("")
    if payload.get("signed"):
        lines.append(f"✅ 已于 {_signed_on(payload['signed'])} 签字背书。")
    else:
        lines.append("请核对后点下方“签字背书”确认，确认时间记入履责纪实，作为年终对账和考核的依据。")
    lines.append("内容只在私聊中发送，请勿转发到群聊。")
    return "\n".join(lines)


def sign_keyboard(letter_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        "✍️ 签字背书", callback_data=f"{cb.SIGN}:{letter_id}")]])


def letter_message(payload: dict[str, Any]) -> Outgoing:
    """The 责任书 as pushed: text, the .xlsx, and 签字背书 while not signed."""
    text = letter_text(payload)
    keyboard = None if payload.get("signed") else sign_keyboard(payload["letter"])
    title = f"{payload['year']}年度{LETTER_TITLE}"
    return Outgoing(title=title, lines=from_html(text), actions=actions_of(keyboard),
                    attachment=Attachment(f"{title}_{payload['name']}.xlsx",
                                          letter_workbook(payload)))


def letter_workbook(payload: dict[str, Any]) -> bytes:
    from openpyxl import Workbook  # loaded where it is used: in the sender's child process
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "责任书"
    sheet.append([f"{payload['year']}年度{LETTER_TITLE}"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(["责任人", payload["name"]])
    sheet.append(["所在单位", payload["unit"]])
    sheet.append(["签发日期", payload["issued"]])
    sheet.append(["签字背书", _signed_on(payload.get("signed")) or "（在聊天中点“签字背书”确认）"])
    sheet.append([])
    sheet.append(["序号", "编号", "事项", "清单", "责任类型", "截止日期"])
    for number, entry in enumerate(payload["items"], start=1):
        sheet.append([number, entry["code"], entry["title"], kind_label(ListKind(entry["kind"])),
                      DUTY_NAMES[Duty(entry["duty"])], entry["due"]])
    sheet.column_dimensions["C"].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def letter_signed(view: LetterView) -> str:
    return (f"✅ 已签字背书：{view.letter.year}年度{LETTER_TITLE}（{len(view.items)} 项），"
            f"时间 {view.letter.signed_at.strftime('%Y-%m-%d %H:%M')}，已记入履责纪实。")


# -- the holder's 对账 ---------------------------------------------------------------------

def _line_state(entry: dict[str, Any]) -> str:
    state = LineState(entry["state"])
    if entry.get("verified"):
        return "已验收销号（视为已对账）"
    if state is LineState.WAITING:
        return "待您报告"
    answer = ANSWERS[Answer(entry["answer"])]
    if entry.get("reason"):
        answer += f"（原因：{esc(entry['reason'])}）"
    if state is LineState.ANSWERED:
        return f"您报：{answer}，待对账确认"
    carry = f"，{CARRIES[Carry(entry['carry'])]}" if entry.get("carry") else ""
    return f"{answer}，已对账确认{carry}"


def reconcile_text(payload: dict[str, Any]) -> str:
    entries = payload["lines"]
    waiting = sum(1 for e in entries if e["state"] == LineState.WAITING.value)
    lines = [f"<b>🧾 {payload['year']}年度责任书 年终对账</b>",
             f"{esc(payload['name'])}（{esc(payload['unit'])}），请逐项报告完成情况"
             f"（共 {len(entries)} 项，待报告 {waiting} 项）：", ""]
    if not entries:
        lines.append("您的责任书上没有事项，无需对账。")
    for number, entry in enumerate(entries[:SHOWN], start=1):
        lines += [f"{number}. <code>{esc(entry['code'])}</code> {esc(entry['title'])}",
                  f"　{_line_state(entry)}"]
    if len(entries) > SHOWN:
        lines.append(f"……另有 {len(entries) - SHOWN} 项，发送 /{c.LETTER.chinese} 查看。")
    lines += ["", f"点“已完成”或“未完成”（未完成须写明原因）。每项报告后由{body()}或党委对账确认；"
                  "全部确认后您会收到对账表。"]
    return "\n".join(lines)


def reconcile_keyboard(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    rows = []
    for entry in payload["lines"][:SHOWN]:
        if entry["state"] == LineState.CONFIRMED.value:
            continue
        line_id = entry["line"]
        rows.append([
            InlineKeyboardButton(f"{entry['code']} 已完成",
                                 callback_data=f"{cb.ANSWER}:{cb.ANSWER_DONE}:{line_id}"),
            InlineKeyboardButton(f"{entry['code']} 未完成",
                                 callback_data=f"{cb.ANSWER}:{cb.ANSWER_UNDONE}:{line_id}"),
        ])
    return InlineKeyboardMarkup(rows) if rows else None


def reconcile_message(payload: dict[str, Any]) -> Outgoing:
    text = reconcile_text(payload)
    return Outgoing(title=f"{payload['year']}年度责任书 年终对账", lines=from_html(text),
                    actions=actions_of(reconcile_keyboard(payload)))


def view_reconcile(view: LetterView) -> tuple[str, InlineKeyboardMarkup | None]:
    payload = view_payload(view)
    return reconcile_text(payload), reconcile_keyboard(payload)


def answer_toast(view: LetterView, line_id: int) -> str:
    line = next((x for x in view.lines if x.id == line_id), None)
    if line is None or line.answer is None:
        return "已记录。"
    return f"{line.code} 已报{ANSWERS[line.answer]}，待对账确认"


def reason_recorded(view: LetterView, line_id: int) -> str:
    line = next(x for x in view.lines if x.id == line_id)
    return (f"✅ 已记录：<code>{esc(line.code)}</code> 未完成，原因：{esc(line.reason or '')}。"
            f"待{body()}或党委对账确认。")


# -- /责任书 --------------------------------------------------------------------------------

def my_letter(view: LetterView | None) -> tuple[str, InlineKeyboardMarkup | None]:
    if view is None:
        return ("您还没有责任书。责任书每年年初发给班子成员和下级党组织书记"
                "（本年度责任清单）；如有疑问请联系党委办公室。"), None
    if view.reconciling:
        return view_reconcile(view)
    payload = {"letter": view.letter.id, "year": view.letter.year, "name": view.person.name,
               "unit": view.unit,
               "signed": view.letter.signed_at.isoformat() if view.letter.signed_at else None,
               "items": [{"code": i.code, "title": i.title, "kind": i.kind.value,
                          "duty": i.duty.value, "due": i.due_date.isoformat()}
                         for i in view.items]}
    keyboard = None if view.letter.signed else sign_keyboard(view.letter.id)
    return letter_text(payload), keyboard


# -- /对账: what waits for 对账确认 ----------------------------------------------------------

def waiting_text(waiting: list[Waiting]) -> str:
    if not waiting:
        return "没有等待对账确认的事项。"
    lines = [f"<b>🧾 待对账确认</b>（共 {len(waiting)} 项，按报告先后）", ""]
    for number, w in enumerate(waiting[:SHOWN], start=1):
        line = w.line
        answer = ANSWERS[line.answer]
        if line.reason:
            answer += f"，原因：{esc(line.reason)}"
        lines += [f"{number}. <code>{esc(line.code)}</code> {esc(line.title)}",
                  f"　{esc(w.holder)}（{esc(w.unit)}）报：{answer}"]
    if len(waiting) > SHOWN:
        lines.append(f"……另有 {len(waiting) - SHOWN} 项，确认以上各项后再发送 "
                     f"/{c.RECONCILE.chinese} 查看。")
    lines += ["", "已完成的点“确认”；未完成的请选择“确认·结转”（转入下一年度清单和责任书）"
                  "或“确认·不结转”。"]
    return "\n".join(lines)


def waiting_keyboard(waiting: list[Waiting]) -> InlineKeyboardMarkup | None:
    rows = []
    for w in waiting[:SHOWN]:
        line_id, code = w.line.id, w.line.code
        if w.line.answer is Answer.DONE:
            rows.append([InlineKeyboardButton(
                f"{code} 确认", callback_data=f"{cb.CONFIRM}:{cb.CONFIRM_OK}:{line_id}")])
        else:
            rows.append([
                InlineKeyboardButton(f"{code} 确认·结转",
                                     callback_data=f"{cb.CONFIRM}:{cb.CONFIRM_CARRY}:{line_id}"),
                InlineKeyboardButton(f"{code} 确认·不结转",
                                     callback_data=f"{cb.CONFIRM}:{cb.CONFIRM_DROP}:{line_id}"),
            ])
    return InlineKeyboardMarkup(rows) if rows else None


def confirmed_toast(done: Confirmed) -> str:
    line = done.line
    text = f"{line.code} 已对账确认（{ANSWERS[line.answer]}）"
    if done.carried is not None:
        text += f"，已结转为 {done.carried.code}"
    elif line.carry is Carry.DROP:
        text += "，不结转"
    return text


# -- the 对账 sheet -----------------------------------------------------------------------

def sheet_message(payload: dict[str, Any]) -> Outgoing:
    entries = payload["lines"]
    done = sum(1 for e in entries if e["answer"] == Answer.DONE.value)
    carried = [e for e in entries if e.get("carried_to")]
    title = f"{payload['year']}年度对账表"
    lines = [f"<b>🧾 {title}</b>",
             f"{esc(payload['name'])}（{esc(payload['unit'])}）的 {len(entries)} 项已全部对账确认：",
             f"已完成 {done} 项，未完成 {len(entries) - done} 项"
             + (f"，其中结转下一年度 {len(carried)} 项（"
                + "、".join(f"{esc(e['code'])} → {esc(e['carried_to'])}" for e in carried) + "）"
                if carried else "") + "。",
             "附件为对账表（Excel）。"]
    return Outgoing(title=title, lines=from_html("\n".join(lines)),
                    attachment=Attachment(f"{title}_{payload['name']}.xlsx",
                                          sheet_workbook(payload)))


SHEET_HEADER = ("年度", "责任人", "编号", "事项", "截止日期", "责任人报告", "未完成原因",
                "对账确认人", "对账确认日期", "结转", "结转后编号")


def sheet_row(year: int, name: str, entry: dict[str, Any]) -> tuple[object, ...]:
    answer = ANSWERS[Answer(entry["answer"])] if entry.get("answer") else "未报告"
    confirmer = entry.get("confirmed_by") or ("验收销号" if entry.get("verified") else "")
    return (year, name, entry["code"], entry["title"], entry["due"], answer,
            entry.get("reason") or "", confirmer, entry.get("confirmed_on") or "",
            CARRIES[Carry(entry["carry"])] if entry.get("carry") else "",
            entry.get("carried_to") or "")


def sheet_workbook(payload: dict[str, Any]) -> bytes:
    from openpyxl import Workbook  # loaded where it is used: in the sender's child process
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "对账"
    sheet.append([f"{payload['year']}年度责任书 对账表（{payload['name']}，{payload['unit']}）"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(["签字背书", _signed_on(payload.get("signed")) or "未签字背书"])
    sheet.append([])
    sheet.append(list(SHEET_HEADER))
    for entry in payload["lines"]:
        sheet.append(list(sheet_row(payload["year"], payload["name"], entry)))
    sheet.column_dimensions["D"].width = 50
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- refusals -------------------------------------------------------------------------------

def letters_need_private_chat() -> str:
    return f"责任书和对账只在与我的私聊中办理，请在私聊中发送 /{c.LETTER.ascii}。"


def letter_refused(error: LetterRefused) -> str:
    field, detail = error.field, echo(error.detail)
    if field == "holder":
        return "⛔ 只有责任书的责任人本人才能签字背书或报告对账情况（责任人）。"
    if field == "signed":
        return f"您的{detail}年度责任书已经签字背书，无需重复签字。"
    if field == "reason":
        return f"请写明 {detail} 未完成的原因（未完成原因不能为空）。"
    if field == "confirmed":
        return f"{detail} 已经对账确认，不能再更改（对账确认只做一次）。"
    if field == "own":
        return (f"⛔ {detail} 是您本人的事项，对账确认须由{body()}或党委（书记、党委办公室）"
                "其他人作出（对账确认人）。")
    if field == "confirmer":
        return f"⛔ 对账确认只能由{body()}或党委（书记、党委办公室）作出（对账确认人）。"
    if field == "answer":
        return f"{detail} 责任人还没有报告完成情况，暂不能对账确认（责任人报告）。"
    if field == "carry":
        return f"{detail} 未完成，请选择“确认·结转”或“确认·不结转”（结转）。"
    if field == "carry_done":
        return f"{detail} 已完成，无需选择结转，请点“确认”（结转）。"
    if field == "line":
        return "找不到这项对账事项，可能已被更新。请发送 /对账 重新查看。"
    if field == "letter":
        return "找不到这份责任书，可能已被更新。"
    return "无法按要求办理这项对账。"


# -- the console (dutybot letters …) ------------------------------------------------------

def console_lines(action: str, year: int, queued: int, views: list[LetterView]) -> list[str]:
    """Plain lines for the office machine's console: no tags, no escapes."""
    head = {"issue": f"{year}年度责任书：本次排队发送 {queued} 份（已绑定的人在机器人运行时收到）。",
            "reconcile": f"{year}年度对账：本次排队发送 {queued} 份对账清单。",
            "list": f"{year}年度责任书共 {len(views)} 份。"}[action]
    lines = [head]
    for view in views:
        signed = (f"已于 {view.letter.signed_at.strftime('%Y-%m-%d %H:%M')} 签字背书"
                  if view.letter.signed_at else "未签字背书")
        text = f"· {view.person.name}（{view.unit}）：{len(view.items)} 项，{signed}"
        if view.reconciling:
            states = [x.state for x in view.lines]
            text += (f"；对账 {len(states)} 项，待报告 {states.count(LineState.WAITING)}，"
                     f"待确认 {states.count(LineState.ANSWERED)}，"
                     f"已确认 {states.count(LineState.CONFIRMED)}")
        lines.append(text)
    return lines
