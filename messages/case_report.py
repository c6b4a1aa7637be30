"""The drafts of the 纪委's 责任追究季报 and 典型案例通报, as a message (to check) and as an
Excel file (to edit and send on). Confidential: they go to their owner's private chat only."""

from __future__ import annotations

import io
from typing import Any

from bot.channels.message import Attachment, Outgoing
from bot.domain.case_report import QUARTERLY, UNDECIDED, CaseReport, from_payload
from bot.domain.model import ItemStatus
from messages import replies
from messages.format import esc
from messages.markup import from_html
from messages.telegram import actions_of

TITLES = {QUARTERLY: "责任追究情况报告", "typical_cases_bimonthly": "典型案例通报"}


def _period(r: CaseReport) -> str:
    return f"{r.start.isoformat()} 至 {r.end.isoformat()}"


def _handling(name: str) -> str:
    return name if name != UNDECIDED else "尚未决定"


def draft_message(payload: dict[str, Any]) -> Outgoing:
    """The draft, with the report's own buttons (收到, 进行中, 已完成…)."""
    r = from_payload(payload["report"])
    title = TITLES.get(r.rule, "报告")
    lines = [f"<b>📝 {title}（草稿）</b>",
             f"{esc(payload['code'])} {esc(payload['title'])}",
             f"统计期间：{_period(r)}（按登记日期）",
             "以下由问责台账自动汇总，请核对、修改后报送；附件为同样内容的 Excel 表。", ""]
    if r.total == 0:
        lines.append("本期问责台账中没有登记案件。")
    else:
        lines.append(f"本期登记问责案件 {r.total} 件，其中违纪违法案件（一案双查）"
                     f"{r.misconduct} 件。")
        lines += ["", "<b>按追责情形</b>"]
        lines += [f"· {esc(name)}：{n} 件" for name, n in r.by_situation]
        lines += ["", "<b>按处理方式</b>"]
        lines += [f"· {esc(_handling(name))}：{n} 件" for name, n in r.by_handling]
        lines += ["", "<b>按单位</b>"]
        lines += [f"· {esc(name)}：{n} 件" for name, n in r.by_unit]
    if r.typical:
        lines += ["", f"<b>典型案例</b>（{len(r.typical)} 件）"]
        for n, t in enumerate(r.typical, start=1):
            lines.append(f"{n}. {esc(t.code)} {esc(t.person)}（{esc(t.unit)}）："
                         f"{esc(t.finding)}；处理：{esc(t.handling or '尚未决定')}")
    elif r.rule != QUARTERLY:
        lines += ["", "本期没有标记为典型案例的案件（在 /问责 中可标记）。"]
    lines += ["", "内容保密，请勿转发到群聊。"]
    keyboard = replies.rows_keyboard([{"item": payload["item"], "code": payload["code"],
                                       "status": payload.get("status", ItemStatus.OPEN.value),
                                       "own": True}])
    return Outgoing(title=f"{title}（草稿）", lines=from_html("\n".join(lines)),
                    actions=actions_of(keyboard),
                    attachment=Attachment(f"{title}草稿_{r.end.isoformat()}.xlsx",
                                          draft_workbook(r, title)))


def draft_workbook(r: CaseReport, title: str) -> bytes:
    """The same draft as a workbook: 汇总 (counts) and, where any, 典型案例."""
    from openpyxl import Workbook  # loaded where it is used: in the sender's child process
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "汇总"
    sheet.append([f"{title}（草稿）"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(["统计期间", _period(r)])
    sheet.append(["登记案件", r.total])
    sheet.append(["其中违纪违法（一案双查）", r.misconduct])
    for heading, rows in (("按追责情形", r.by_situation),
                          ("按处理方式", [(_handling(n), c) for n, c in r.by_handling]),
                          ("按单位", r.by_unit)):
        sheet.append([])
        sheet.append([heading, "件数"])
        for name, count in rows:
            sheet.append([name, count])
    sheet.column_dimensions["A"].width = 60
    if r.typical:
        cases = book.create_sheet("典型案例")
        cases.append(["编号", "涉及人员", "所在单位", "追责情形", "查明问题", "处理"])
        for t in r.typical:
            cases.append([t.code, t.person, t.unit, t.situation, t.finding,
                          t.handling or "尚未决定"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
