"""The Excel import: the template's 说明 sheet, refusals, the row-by-row error report and
the summary. Every function returns HTML for the chat; `plain()` turns it into what the
command line prints."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from bot.domain import bodies
from bot.domain.channels import Handle
from bot.domain.display import clip
from bot.domain.model import ListKind
from bot.domain.vocabulary import (
    DUTY_NAMES,
    KIND_NAMES,
    LIST_NAMES,
    ROLE_NAMES,
    UNIT_KIND_NAMES,
    problem_sources,
)
from bot.domain.workbook import (
    ALL_SHEETS,
    CASES,
    CODE_EXAMPLE,
    CODE_PREFIX,
    COLUMNS,
    DELEGATIONS,
    FIELD_COLUMNS,
    IMPORT_STATUSES,
    ITEMS,
    MAX_ROWS,
    PEOPLE,
    REQUIRED,
    SHEETS,
    UNITS,
    FileKind,
    ItemChange,
    PersonChange,
    Problem,
    RowError,
    UnitChange,
)
from bot.services.imports import (
    MAX_UPLOAD_BYTES,
    PARSE_SECONDS,
    ImportResult,
    UploadProblem,
    WorkbookRefused,
)
from messages.format import INVISIBLE_KINDS, MESSAGE_LIMIT, echo, esc, tg_len
from messages.names import say
from messages.people import invite_link

UPDATES_SHOWN = 20
_MB = 1024 * 1024
_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """A message as plain text, for the command line."""
    return html.unescape(_TAG.sub("", text))


def _names(values: Iterable[str]) -> str:
    return "、".join(values)


# -- refusals before anything is read ---------------------------------------------------------


_KIND_WORDS = {
    FileKind.XLSX: "Excel 工作簿（.xlsx）",
    FileKind.DOCX: "Word 文档",
    FileKind.PPTX: "PowerPoint 演示文稿",
    FileKind.ZIP: "ZIP 压缩包",
    FileKind.OLE2: "旧版 .xls 文件（或旧版 Word 文档，或设置了打开密码的工作簿）",
    FileKind.PDF: "PDF 文件",
}
_RESAVE = "请在 Excel 或 WPS 中打开，另存为普通的 .xlsx 工作簿后再发送。"
_USE_TEMPLATE = "请用导入模板填写（或在 Excel 或 WPS 中另存为普通的 .xlsx 工作簿）后再发送。"


def _size(n: int) -> str:
    if n >= _MB:
        return f"{n / _MB:.0f} MB" if n % _MB == 0 else f"{n / _MB:.1f} MB"
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} 字节"


def _sheet(part: str) -> str:
    return f"工作表“{esc(part)}”" if part else "有一个工作表"


def _part(part: str) -> str:
    return f"（{esc(part)}）" if part else ""


def _where(part: str) -> str:
    """A sheet by its name (工作表“清单”), another part of the package by its path."""
    if not part:
        return "文件中"
    return f"{esc(part)} " if "/" in part else f"工作表“{esc(part)}”"


def upload_refused(problem: UploadProblem, file_name: str = "", size: int = 0, *,
                   part: str = "", limit: int = 0, found: int = 0,
                   kind: FileKind | None = None) -> str:
    """One line: why the file is not imported, and what to do. `part`, `limit`, `found`,
    `kind` as in WorkbookRefused."""
    name = f"“{echo(file_name, 60)}”" if file_name else "这个文件"
    match problem:
        case UploadProblem.NOT_XLSX:
            what = f"“{echo(file_name, 60)}”不是 .xlsx 文件" if file_name else "这不是 .xlsx 文件"
            return (f"⛔ 只能导入 Excel 工作簿（.xlsx），{what}。"
                    "请用导入模板填写好，再把 .xlsx 文件发给我。")
        case UploadProblem.OLD_XLS:
            return ("⛔ 这是旧版 .xls 文件，不能导入。请在 Excel 或 WPS 中另存为 .xlsx 后再发送"
                    "（如果它本是 .xlsx，只是扩展名被改成了 .xls，把扩展名改回 .xlsx 即可）。")
        case UploadProblem.MACROS:
            return ("⛔ 文件中含有宏（VBA），出于安全考虑不予导入。"
                    "请另存为普通的 .xlsx 工作簿（不含宏）后再发送。")
        case UploadProblem.TOO_BIG:
            return (f"⛔ 文件太大（{(size or found) / _MB:.1f} MB），"
                    f"最大 {_size(limit or MAX_UPLOAD_BYTES)}。请分成几个文件分别导入。")
        case UploadProblem.CORRUPT:
            return ("⛔ 无法读取这个文件：它不是有效的 .xlsx 工作簿（可能已损坏或设置了打开密码）。"
                    "请在 Excel 或 WPS 中重新保存后再发送。")
        case UploadProblem.TOO_COMPLEX:
            return ("⛔ 读取这个文件所需的内存超出上限（文件内容过多或结构异常），没有导入任何内容。"
                    "请检查文件，或分成几个文件分别导入。")
        case UploadProblem.TOO_SLOW:
            return (f"⛔ 读取这个文件超过 {PARSE_SECONDS:.0f} 秒仍未完成，已停止，没有导入任何内容。"
                    "请检查文件，或分成几个文件分别导入。")
        case UploadProblem.NO_SUCH_FILE:
            return f"⛔ 找不到文件{name}，请检查路径。"
        case UploadProblem.NOT_A_FILE:
            return f"⛔ {name}不是文件（是文件夹或其他特殊路径），请给出 .xlsx 文件的路径。"
        case UploadProblem.UNREADABLE:
            return f"⛔ 无法读取{name}：没有读取权限或读取出错，请检查文件权限。"
        case UploadProblem.NOT_WORKBOOK:
            what = _KIND_WORDS.get(kind) if kind else None
            really = f"实际上是{what}，不是" if what else "的内容不是"
            hint = "（不设打开密码）" if kind is FileKind.OLE2 else ""
            return (f"⛔ {name}{really} .xlsx 工作簿，不能导入。"
                    f"请在 Excel 或 WPS 中打开，另存为普通的 .xlsx 工作簿{hint}后再发送。")
        case UploadProblem.RENAMED_XLSX:
            return (f"⛔ {name}实际上是 Excel 工作簿（.xlsx），只是扩展名不对。"
                    "请把扩展名改为 .xlsx 后再导入。")
        case UploadProblem.TOO_MANY_PARTS:
            return (f"⛔ 这个文件不像导入用的工作簿：内部文件太多（{found} 个，最多 {limit} 个），"
                    f"不予导入。{_USE_TEMPLATE}")
        case UploadProblem.UNPACKED_TOO_BIG:
            where = f"其中{esc(part)}" if part else "内容"
            return (f"⛔ 这个文件解压后太大（{where}超过 {_size(limit)}），不予导入。"
                    "请删去图片等无关内容，或分成几个文件分别导入。")
        case UploadProblem.ZIP_BOMB:
            return (f"⛔ 这个文件的压缩比异常（{esc(part)} 压缩了约 {found} 倍，正常不超过 {limit} 倍），"
                    f"疑似“压缩炸弹”，不予导入。{_USE_TEMPLATE}")
        case UploadProblem.SIZE_MISMATCH:
            return (f"⛔ 这个文件已损坏或被改动过：内部文件{_part(part)}的实际内容与记录的大小或校验值不符，不予导入。"
                    f"{_RESAVE}")
        case UploadProblem.EXTERNAL_LINKS:
            return ("⛔ 工作簿中有指向其他文件的外部链接，出于安全考虑不予导入。"
                    "请在 Excel 中用“数据 → 编辑链接 → 断开链接”去掉外部链接，另存后再发送。")
        case UploadProblem.XML_DTD:
            return (f"⛔ 这个文件内部含有 DTD 声明{_part(part)}，正常的 Excel 文件不会有，出于安全考虑不予导入。"
                    f"{_RESAVE}")
        case UploadProblem.XML_TOO_DEEP:
            return (f"⛔ 这个文件的内部结构异常（{_where(part)}嵌套超过 {limit} 层），不予导入。"
                    f"{_RESAVE}")
        case UploadProblem.XML_TAG_TOO_LONG:
            return (f"⛔ 这个文件的内部结构异常（{_where(part)}中有一个标签超过 {_size(limit)}），不予导入。"
                    f"{_RESAVE}")
        case UploadProblem.TOO_MANY_ELEMENTS:
            where = f"{_where(part)}{f'第{found}行' if found else ''}中的" if part else ""
            return (f"⛔ 这个文件的内容太多（{where}XML 元素超过 {limit} 个），不予导入。"
                    "请删去无关的工作表、样式和格式，或分成几个文件分别导入。")
        case UploadProblem.TEXT_TOO_LONG:
            return (f"⛔ {_where(part)}有一段文字超过 {limit} 个字（Excel 每个单元格最多 32767 个字），"
                    "不予导入。请检查后再发送。")
        case UploadProblem.TOO_MANY_STRINGS:
            return (f"⛔ 这个文件中的不同文字太多（超过 {limit} 个），不予导入。"
                    "请删去无关的工作表，或分成几个文件分别导入。")
        case UploadProblem.ROW_TOO_WIDE:
            return (f"⛔ {_sheet(part)}第{found}行有超过 {limit} 个单元格，不予导入。"
                    "请删去多余的列后再发送。")
        case UploadProblem.TOO_MANY_ROWS:
            return (f"⛔ {_sheet(part)}超过 {limit} 行（表头和示例行不算），不予导入。"
                    "请分成几个文件分别导入。")
        case UploadProblem.ROW_TOO_FAR:
            return (f"⛔ {_sheet(part)}第{found}行还有内容，超出了可导入的范围（前 {limit} 行）。"
                    "请把数据放在表格上部，删去下方无关的内容后再发送。")
    return "⛔ 这个文件不能导入。"


def workbook_refused(refused: WorkbookRefused, file_name: str = "") -> str:
    """upload_refused, with everything the refusal knows."""
    return upload_refused(refused.problem, refused.file_name or file_name, refused.size,
                          part=refused.part, limit=refused.limit, found=refused.found,
                          kind=refused.kind)


def import_refused_line(refused: WorkbookRefused, file_name: str) -> str:
    """The command line's one line (plain text); a file too big says how to allow it."""
    text = plain(workbook_refused(refused, file_name))
    if refused.problem is UploadProblem.TOO_BIG:
        text += "如确需导入更大的文件，可加 --max-size（单位 MB），如 --max-size 20。"
    return f"dutybot: import: {text}"


def upload_not_admin() -> str:
    return "只有管理员（党委办公室）可以发送 Excel 文件导入人员和清单，这个文件没有处理。"


def upload_in_group() -> str:
    return "导入 Excel 请在与我的私聊中发送文件；群里的文件不会导入。"


# -- the error report -------------------------------------------------------------------------


def problem_text(error: RowError) -> str:
    """What is wrong with one cell (or sheet), in plain words; the caller escapes it."""
    v, n, choices = error.value, error.number, error.choices
    match error.problem:
        case Problem.SHEET_MISSING:
            return "缺少这个工作表（工作表名必须是 单位、人员、清单，请使用导入模板）"
        case Problem.HEADER_MISSING:
            return "缺少这一列（第1行的表头必须与导入模板一致）"
        case Problem.TOO_MANY_ROWS:
            return f"超过 {n} 行（表头和示例行不算），请分成几个文件导入"
        case Problem.FORMULA:
            return "是公式，不能导入：请复制后“选择性粘贴 → 数值”，把公式换成数值"
        case Problem.REQUIRED:
            return "不能为空"
        case Problem.BAD_NAME:
            return f"“{_short(v)}”太长或含有换行（最多{n}字）"
        case Problem.BAD_CHARACTERS:
            if choices and choices[0] == "invisible":
                return "只有看不见的字符（如零宽空格），没有能显示的文字"
            kind = INVISIBLE_KINDS.get(choices[0] if choices else "", "特殊字符")
            return f"含有看不见的{kind}（{v}），多半是复制粘贴时带进来的，请删掉后重新导入"
        case Problem.TOO_LONG:
            return f"太长了（最多{n}字）"
        case Problem.BAD_HANDLE:
            return f"“{_short(v)}”{_HANDLE_RULES.get(choices[0] if choices else '', '格式不对')}"
        case Problem.BAD_CODE:
            return (f"“{_short(v)}”不是本系统的编号：编号是清单的字母加至少4位数字，"
                    f"如 {CODE_EXAMPLE}（{_prefixes()}）；新事项可留空，由系统编号")
        case Problem.CODE_OF_OTHER_LIST:
            own, row_kind = (ListKind(k) for k in choices)
            return (f"编号“{v}”以 {CODE_PREFIX[own]} 开头，是{_kind_words(own)}的编号，"
                    f"与清单类型“{LIST_NAMES[row_kind]}”不符（{_prefixes()}）")
        case Problem.DUPLICATE_ROW:
            return f"“{_short(v)}”与第{n}行重复"
        case Problem.UNKNOWN_TERM:
            return f"不认识“{_short(v)}”，可填：{_names(choices)}"
        case Problem.STATUS_NOT_IMPORTABLE:
            return f"“{v}”要在机器人中办理，不能导入；状态可填：{_names(choices)}"
        case Problem.STATUS_HELD:
            return f"这项事项在系统中是“{v}”，正在机器人中办理，不能通过导入改状态（状态留空即可）"
        case Problem.UNKNOWN_ROLE:
            return f"不认识角色“{_short(v)}”，可填：{_names(choices)}"
        case Problem.UNKNOWN_UNIT:
            return f"找不到单位“{v}”（单位表和系统中都没有）"
        case Problem.UNIT_CYCLE:
            return f"上级单位“{v}”会形成循环（单位不能在自己的下级之下）"
        case Problem.UNKNOWN_PERSON:
            return f"找不到责任人“{v}”（人员表和系统中都没有）"
        case Problem.AMBIGUOUS_PERSON:
            return (f"有多位“{v}”（{_names(choices)}），请写成 姓名@单位，"
                    f"如 {v}@{choices[0] if choices else '单位'}")
        case Problem.BAD_DATE:
            return f"看不懂日期“{_short(v)}”，请写成 2026-03-31、2026/3/31 或 2026年3月31日"
        case Problem.DATE_WITHOUT_YEAR:
            return f"日期“{v}”缺少年份，请写完整日期，如 2026-03-31"
        case Problem.IMPOSSIBLE_DATE:
            return f"{_short(v)} 不是有效日期（{_why_not(choices)}）"
        case Problem.DATE_IS_NUMBER:
            return (f"“{_short(v)}”是一个数字，不是日期：请把这一格设为日期格式，"
                    "或写成 2026-03-31")
        case Problem.UNKNOWN_PARENT:
            return f"找不到上级事项“{v}”（清单表和系统中都没有这个编号）"
        case Problem.PARENT_CYCLE:
            return f"上级事项“{v}”会形成循环（事项不能在自己的下级之下）"
        case Problem.PROBLEM_HAS_NO_PARENT:
            return "问题清单事项没有上级事项，请留空"
        case Problem.WRONG_PARENT_KIND:
            kind = choices[0] if choices else ""
            return f"上级事项“{v}”必须是{kind}清单中的事项（问题 → 责任 → 措施）"
        case Problem.NOT_A_LIST_ITEM:
            kind = choices[0] if choices else ""
            return f"编号“{v}”在系统中是{kind}事项，不在三张清单中，不能通过导入修改"
        case Problem.KIND_CHANGED:
            kind = choices[0] if choices else ""
            return f"编号“{v}”在系统中是{kind}清单事项，不能改为其他清单"
        case Problem.SAME_ITEM:
            return f"与第{n}行是同一事项（{v}）"
        case Problem.AMBIGUOUS_ITEM:
            return f"系统中已有多项相同的事项（{_names(choices)}），请在编号列填写是哪一项"
        case Problem.UNKNOWN_ITEM:
            return f"找不到事项“{_short(v)}”（清单表和系统中都没有这个编号）"
        case Problem.DELEGATION:
            return _delegation_words(v, *(*choices, "", "")[:2])
        case Problem.CASE:
            return _case_words(v, *(*choices, "", "")[:2])
        case Problem.CASES_NOT_ALLOWED:
            return say("含有问责案件：问责案件只能由{纪委}成员本人导入（或在服务器上用 dutybot import 导入），"
                       "整个文件都没有导入")
    return "无法导入"


def _case_words(value: str, field: str, detail: str) -> str:
    """A 问责 line the register refuses (plain text)."""
    match field:
        case "situation":
            return f"没有编号为“{_short(value)}”的追责情形（见规则文件 [accountability]，默认 1 到 10）"
        case "handling":
            return f"“{_short(value)}”不是规则文件里列出的处理方式"
        case "finding":
            return "请写明查明的问题（不超过 500 字）"
        case "decided_on":
            return f"处理日期 {value} 晚于今天"
        case "recorder":
            return say(f"登记人“{_short(value)}”不是{{纪委}}成员")
        case "duplicate":
            return f"与第{detail}行是同一案件"
    return "这件问责案件无法登记"


def _delegation_words(code: str, field: str, detail: str) -> str:
    """A 分解 line the rules of bot/domain/delegation.py refuse (plain text)."""
    match field, detail:
        case "parent", "kind":
            return f"“{code}”不是问题、责任、措施清单中的事项，不能分解"
        case "parent", _:
            return (f"“{code}”的责任人不是党委书记或班子成员，不能向下分解"
                    "（党委 → 班子成员 → 下级党组织）")
        case "owner", "oversees":
            return f"“{code}”的责任人不是上级事项责任人分管单位的下级党组织书记"
        case "owner", _:
            return (f"“{code}”的责任人必须比上级事项的责任人低一级（党委书记 → 班子成员 → "
                    "下级党组织书记）")
        case "due", due:
            return f"“{code}”的截止日期不能晚于上级事项的截止日期（{due}）"
        case "kind", _:
            return f"“{code}”必须和上级事项在同一张清单上"
        case "cycle", "other_parent":
            return f"“{code}”已分解自另一个事项，一个事项只能有一个上级事项"
        case "cycle", _:
            return f"“{code}”会形成循环（下级事项不能是上级事项本身或它的上级）"
    return f"“{code}”不能这样分解"


_HANDLE_RULES = {
    Handle.WECOM_USERID.value: "不是有效的企业微信账号：账号是1到64个字符，只能有英文字母、数字和 _ . @ -"
                               "（不能有汉字、空格），请从企业微信管理后台的成员详情中复制“账号”",
    Handle.FEISHU_OPEN_ID.value: "不是有效的飞书ID：应是以 ou_ 开头的 open_id（后面是英文字母和数字），"
                                 "或1到64位英文字母和数字的 user_id，不能有汉字、空格和其他符号",
}


def _prefixes() -> str:
    return "、".join(f"{LIST_NAMES[k]} {CODE_PREFIX[k]}" for k in LIST_NAMES)


def _kind_words(kind: ListKind) -> str:
    return f"{LIST_NAMES[kind]}清单" if kind in LIST_NAMES else f"{KIND_NAMES[kind]}事项"


def _why_not(why: tuple[str, ...]) -> str:
    match why:
        case ("day", year, month, days):
            return f"{year}年{month}月只有{days}天"
        case ("month", month):
            return f"没有{month}月"
        case ("year", first, last):
            return f"年份须在 {first}—{last} 之间"
    return "没有这一天"


def _short(text: str, limit: int = 30) -> str:
    return clip(text, limit + 1)


def error_line(error: RowError) -> str:
    """`工作表 第N行 列名: 问题` (plain text)."""
    where = error.sheet
    if error.row is not None:
        where += f" 第{error.row}行"
    if error.column:
        where += f" {error.column}"
    return f"{where}: {problem_text(error)}"


def import_rejected(errors: list[RowError], examples_skipped: int = 0,
                    limit: int = MESSAGE_LIMIT) -> str:
    """Every bad row, as many as one message holds, then how many more."""
    head = [f"❌ <b>没有导入</b>：文件中有 {len(errors)} 处问题，系统中的内容没有任何改动。",
            "请改正后重新发送整个文件。", ""]
    tail = []
    if examples_skipped:
        tail = ["", f"注：与模板示例完全相同的 {examples_skipped} 行不导入。"]
    lines = list(head)
    budget = limit - tg_len("\n".join(head + tail)) - 40
    for shown, error in enumerate(errors):
        line = esc(error_line(error))
        if tg_len(line) + 1 > budget:
            lines.append(f"…另有 {len(errors) - shown} 项")
            break
        lines.append(line)
        budget -= tg_len(line) + 1
    return "\n".join(lines + tail)


def import_rejected_all(errors: list[RowError]) -> list[str]:
    """The command line has no length limit: every line."""
    return [f"没有导入：文件中有 {len(errors)} 处问题，数据库没有任何改动。",
            *(error_line(e) for e in errors)]


# -- the summary ------------------------------------------------------------------------------

_SHEET_WORDS = {UNITS: "单位", PEOPLE: "人员", ITEMS: "清单事项"}


def import_summary(result: ImportResult) -> str:
    plan = result.plan
    title = f"✅ <b>导入完成</b>（{echo(result.source, 60)}）" if result.source else "✅ <b>导入完成</b>"
    lines = [title]
    if not any(plan.unchanged.values()) and plan.is_empty():
        lines.append("文件中没有要导入的行，没有任何改动。")
    elif plan.is_empty():
        lines.append("文件内容与系统中一致，没有任何改动。")
    for sheet in SHEETS:
        lines.append(f"{_SHEET_WORDS[sheet]}：新建 {plan.created(sheet)} · "
                     f"更新 {plan.updated(sheet)} · 未变 {plan.unchanged[sheet]}")
    updates = [_update_line(c) for c in plan.updates()]
    if updates:
        lines += ["", "已更新（记入履责纪实）："]
        lines += updates[:UPDATES_SHOWN]
        if len(updates) > UPDATES_SHOWN:
            lines.append(f"…另有 {len(updates) - UPDATES_SHOWN} 项")
    if result.delegations:
        lines.append(f"分解：新增 {result.delegations} 条")
    if result.cases or result.cases_unchanged:
        lines.append(f"问责案件（保密）：新登记 {result.cases} 件 · 已有 {result.cases_unchanged} 件")
    if plan.examples_skipped:
        lines.append(f"与模板示例完全相同的 {plan.examples_skipped} 行没有导入。")
    lines += ["", "系统中已有、但文件中没有的单位、人员和事项保持不变：导入不会删除任何内容。"]
    return "\n".join(lines)


def _update_line(change: UnitChange | PersonChange | ItemChange) -> str:
    columns = "、".join(FIELD_COLUMNS.get(k, k) for k in change.changes)
    if isinstance(change, ItemChange):
        return f"• 清单 <code>{esc(change.code or '')}</code> {esc(_short(change.title, 20))}：{columns}"
    if isinstance(change, PersonChange):
        return f"• 人员 {esc(change.name)}（{esc(change.unit)}）：{columns}"
    return f"• 单位 {esc(change.name)}：{columns}"


def import_done(result: ImportResult, bot_username: str) -> str:
    """The summary, then each new person's invite link (split into several messages when
    long: every link is needed)."""
    lines = [import_summary(result)]
    if result.invites:
        expires = min(i.expires_at for i in result.invites)
        lines += ["", f"<b>新登记 {len(result.invites)} 人</b>，请把各自的邀请链接发给本人"
                      f"（每个链接只能用一次，有效期至 {expires:%Y-%m-%d %H:%M}）："]
        lines += [f"{esc(i.name)}（{esc(i.unit)}）：{esc(invite_link(bot_username, i.code))}"
                  for i in result.invites]
    return "\n".join(lines)


def invites_heading() -> str:
    return "新登记人员的邀请（制表符分隔：姓名、单位、邀请码、链接）："


def no_invite_links(reason: str) -> str:
    return (f"dutybot: import: 邀请链接需要机器人的用户名（{reason}）；邀请码已生效，"
            "可在机器人中发送 /start 邀请码 绑定，或稍后用 dutybot invite --all-unbound 重新生成链接")


def template_written(path: str) -> str:
    return (f"{path}: 导入模板已生成（工作表 单位、人员、清单、分解、说明）。"
            f"填好后用 dutybot import {path} 导入，或由管理员私聊发给机器人。")


# -- the template's 说明 sheet ----------------------------------------------------------------

_COLUMN_HELP: dict[tuple[str, str], str] = {
    (UNITS, "名称"): "单位或党组织的全称，最多40字；名称不能重复。已有同名单位时按文件更新它。",
    (UNITS, "上级单位"): "上级单位的名称（本表或系统中已有的单位）；最上级的党委留空。",
    (UNITS, "类型"): f"可填：{_names(UNIT_KIND_NAMES.values())}。留空时，有上级单位的为部门，没有的为党委；"
                     "已有单位留空则类型不变。",
    (PEOPLE, "姓名"): "最多40字。同一单位内不能重名；按“姓名 + 所在单位”对应已登记的人员。",
    (PEOPLE, "角色"): "可填：{角色}；多个角色用“、”或“,”分隔。支部书记、党支部书记也认作下级党组织书记；"
                     "监督机构的职务按四种机构名称（见规则文件 [names]）中任一种写法都认。",
    (PEOPLE, "所在单位"): "单位表或系统中已有的单位名称。",
    (PEOPLE, "分管单位"): "班子成员分管的单位，多个用“、”分隔；其他角色留空。",
    (PEOPLE, "手机号"): "可选，最多40个字符。群机器人@提醒时，钉钉按手机号@本人；"
                       "企业微信没有填企业微信账号时也按手机号@本人。",
    (PEOPLE, "备注"): "可选，最多200字。",
    (PEOPLE, "企业微信账号"): "可选。企业微信群机器人按它@本人（markdown 消息只能按企业微信账号@人；"
                             "不填时改发文字消息，按手机号@人）。在企业微信管理后台“通讯录”中点开成员，"
                             "成员详情里的“账号”即是。1到64个字符，只能有英文字母、数字和 _ . @ -。",
    (PEOPLE, "飞书ID"): "可选。飞书群机器人只能按飞书ID（open_id）@本人，不填则只写姓名、不@。"
                       "open_id 以 ou_ 开头，由管理员在飞书开放平台获取（本人在飞书客户端里看不到）；"
                       "也可填 user_id（1到64位英文字母和数字）。",
    (ITEMS, "编号"): "可选。留空时由系统按清单编号（问题 W…、责任 Z…、措施 C…），与在机器人中新建的事项相同；"
                     "再次导入时，编号为空的行按“清单类型 + 标题 + 责任人 + 所在单位”对应已有事项。"
                     "填写编号便于上级事项编号引用，也便于以后按编号更新。",
    (ITEMS, "清单类型"): f"可填：{_names(LIST_NAMES.values())}（也可写“问题清单”等）。已有事项不能改清单类型。",
    (ITEMS, "标题"): "事项内容，最多200字。",
    (ITEMS, "责任类型"): f"可填：{_names(DUTY_NAMES.values())}。",
    (ITEMS, "责任人"): "人员表或系统中已登记人员的姓名；同名时写成 姓名@单位。",
    (ITEMS, "所在单位"): "事项所属的单位；留空时为责任人所在单位。",
    (ITEMS, "上级事项编号"): "按“问题 → 责任 → 措施”传导：责任清单事项的上级是问题清单事项，措施清单事项的上级是"
                           "责任清单事项，问题清单事项留空。可填本表或系统中已有事项的编号。",
    (ITEMS, "来源"): "可选，如 {来源}，也可自填。",
    (ITEMS, "截止日期"): "Excel 日期，或文字 2026-03-31、2026/3/31、2026年3月31日；必须含年份。",
    (DELEGATIONS, "上级事项编号"): "分解（责任传导）：被分解的事项编号，清单表或系统中已有的事项。"
                                  "党委书记的事项分解给班子成员，班子成员的事项分解给其分管单位的下级党组织书记。",
    (DELEGATIONS, "下级事项编号"): "分解出的事项编号（清单表或系统中已有的事项）：与上级事项同一张清单，"
                                  "截止日期不晚于上级事项；一个事项只能有一个上级事项，不能循环。"
                                  "这张表可以没有；与“上级事项编号”列（问题 → 责任 → 措施）是两种不同的关系。",
    (CASES, "被问责人"): "问责案件（保密）：被问责人的姓名，人员表或系统中已登记的人员；同名时写成 姓名@单位。",
    (CASES, "所在单位"): "可选：案件所在单位；留空时为被问责人所在单位。",
    (CASES, "追责情形"): "规则文件 [accountability] 中追责情形的编号（默认 1 到 10，见 /问责 登记），"
                        "也可写情形的原文（如导出台账“问责”表中的写法）。",
    (CASES, "查明问题"): "查明的问题，最多500字。",
    (CASES, "处理"): "可选：规则文件列出的处理方式之一（如 批评教育、诫勉、组织处理、党纪处分）；未决定可留空。",
    (CASES, "处理日期"): "可选：作出处理的日期，不能晚于今天；写法同截止日期。",
    (CASES, "一案双查"): "可选：是 / 否（留空为否）。违纪违法案件填“是”：按一案双查，同时开启主体责任和监督责任倒查。",
    (CASES, "典型案例"): "可选：是 / 否（留空为否）。典型案例列入双月典型案例通报。",
    (CASES, "登记人"): "可选：登记案件的{纪委委员}姓名；留空为导入文件的人。必须是{纪委}成员。",
    (ITEMS, "状态"): f"可选：{_names(IMPORT_STATUSES.values())}。新事项留空为未开始；已有事项留空则状态不变。"
                     "延期审批中、待验收等要在机器人中办理，不能导入。",
}


def template_help() -> list[tuple[str, ...]]:
    """The 说明 sheet: notes (one cell each), then one row per column of every sheet."""
    missing = [(s, c) for s in ALL_SHEETS for c in COLUMNS[s] if (s, c) not in _COLUMN_HELP]
    if missing:
        raise LookupError(f"no help text for {missing}")
    notes = [
        "四责协同助手 · 导入模板说明",
        "填好“单位”“人员”“清单”三个工作表后，用 dutybot import 文件.xlsx 导入，或由管理员在与机器人的私聊中发送这个文件。",
        "第1行是表头，请勿修改或删除；第2行是示例（灰色），与示例完全相同的行不会导入，可以改写或删除。",
        "整个文件先全部检查：有任何问题都不导入，并逐行列出（工作表 第N行 列名: 问题）；没有问题才一次性全部导入。",
        "对应规则：单位按名称，人员按“姓名 + 所在单位”，清单事项按编号。已有的记录按文件更新，每处改动都记入履责纪实。",
        "同一文件再次导入不会产生任何改动。系统中已有、但文件中没有的单位、人员和事项保持不变：导入不会删除任何内容。",
        f"不要使用公式、宏和外部链接：含公式的单元格会被拒绝（请粘贴为数值），含宏或外部链接的文件不予导入。"
        f"每个工作表最多 {MAX_ROWS} 行数据（表头和示例行不算），文件最大 {MAX_UPLOAD_BYTES // _MB} MB。",
        "新登记的人员各得到一个一次性的邀请链接，导入结果中会列出；本人点开链接即完成绑定。",
        "群机器人@提醒：钉钉按手机号，企业微信按企业微信账号（markdown）或手机号，飞书只能按飞书ID（open_id）。"
        "“人员”表的手机号、企业微信账号、飞书ID都可不填，不填的人在群消息中只写姓名、不@；"
        "旧模板没有企业微信账号、飞书ID两列也能导入，系统中已有的值保持不变。",
        "“分解”表（可选）记录责任传导：哪个事项分解给了哪个下级事项，两列都填事项编号；"
        "按与机器人中 /分解 相同的规则检查（下一级责任人、截止日期不晚于上级、不能循环），"
        "有一行不合规则整个文件都不导入。旧模板没有这张表也能导入。",
        "“问责”表（可选，保密）登记问责案件，按与 /问责 登记 相同的规则检查；只有{纪委}成员本人导入的文件"
        "或在服务器上用 dutybot import 导入的文件可以含有问责案件，其他人导入时整个文件都不导入。"
        "同一案件（被问责人、单位、追责情形、查明问题都相同）再次导入不会重复登记，"
        "所以{纪委}导出的台账可以原样再导入。",
        "",
    ]
    table = [("工作表", "列名", "必填", "说明与可填的值")]
    # the roles and sources as configured now (messages/names.py), not at import time
    words = {"角色": _names(ROLE_NAMES.values()), "来源": _names(problem_sources()),
             **bodies.current().fields()}
    table += [(s, c, "必填" if c in REQUIRED[s] else "", _COLUMN_HELP[(s, c)].format_map(words))
              for s in ALL_SHEETS for c in COLUMNS[s]]
    return [(say(n),) for n in notes] + table
