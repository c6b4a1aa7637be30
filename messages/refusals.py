"""Why something was refused, in one or two clear lines."""

from __future__ import annotations

from bot.domain import bodies
from bot.domain.dates import DUE_EXAMPLES, RELATIVE_DAYS
from bot.domain.vocabulary import ROLE_NAMES
from bot.services import errors as e
from bot.services.export import EXPORT_SECONDS
from messages.board import board_refused
from messages.cases import case_refused
from messages.channels import channel_refused
from messages.delegation import delegation_refused
from messages.format import INVISIBLE_KINDS, echo, esc
from messages.handover import handover_refused
from messages.inspections import inspect_usage, inspection_refused
from messages.letters import letter_refused
from messages.names import say

_ACTIONS = {
    "confirm_reconcile": "对账确认只能由{纪委}或党委（书记、党委办公室）作出（对账确认人）。",
    "register": "登记人员只能由管理员（党委办公室）操作。",
    "bind_group": "登记群只能由管理员（党委办公室）操作。",
    "create_item": "新建清单事项只能由管理员、{纪委}或党委书记操作。",
    "manage_units": "管理单位只能由管理员（党委办公室）操作。",
    "remind_settings": "修改提醒设置只能由管理员（党委办公室）操作。",
    "record_meeting": "登记民主生活会只能由管理员或党委书记操作。",
    "decide_extension": "这项延期申请不归您审批（整改事项由{纪委}审批，其他事项由党委书记或管理员审批，"
                        "不能审批自己的申请；整改责任人是唯一的{纪委委员}时，由党委书记审批）。",
    "list_extensions": "延期审批只能由党委书记、管理员或{纪委}操作。",
    "verify": "验收销号和退回只能由{纪委}操作，且不能验收自己的整改"
              "（责任人是唯一的{纪委委员}时，由党委书记验收）。",
    "create_rectification": "新建整改只能由{纪委}操作。",
    "schedule_talk": "安排约谈只能由{纪委}或党委书记操作。",
    "weekly": "周报只提供给{纪委}和党委书记。",
    "overdue": "逾期事项汇总只提供给{纪委}、党委书记、办公室和分管领导。您自己的逾期事项请发送 /待办 查看。",
    "export": "导出台账只能由{纪委}或管理员（党委办公室）操作。",
    "channels": "办公群机器人（渠道）只能由管理员（党委办公室）查看和管理。",
    "delegate": "只有事项的责任人本人或管理员（党委办公室）可以分解这个事项。",
    "delegate_close": "只有事项的责任人本人可以报告它已完成。",
    "chain_report": "责任传导温差落差报告只提供给{纪委}、党委书记和管理员。",
    "record_case": "登记和办结问责案件只能由{纪委}操作。",
    "record_inspection": "登记监督检查、把检查发现转为问题和整改只能由{纪委}操作。",
    "view_inspections": "监督检查记录只提供给{纪委}、党委书记、办公室和班子成员（分管范围内）。",
    "record_assessment": "登记检查考核结果只能由党委（党委书记或党委办公室）操作。",
    "view_assessment": "检查考核结果只提供给党委、{纪委}和班子成员（分管范围内）。",
    "note": "您看不到这个事项，不能为它添加进展说明。",
    "report": "请先绑定身份再汇报。",
    "extension": "请先绑定身份再申请延期。",
    "record_talk": "请先绑定身份再登记谈话。",
    "handover": "人员交接只能由管理员（党委办公室）操作。",
}

_WRONG_CHAT = {
    "weekly": "周报只在{纪委群}或私聊中提供，请在那里发送 /weekly。",
    "overdue": "逾期事项汇总只在{纪委群}或私聊中提供，请在那里发送 /overdue。",
    "export": "台账只在{纪委群}或私聊中导出，请在那里发送 /export。",
}

_STATUS_NOW = {
    "handover_changed": "交接内容在您确认前有了变化（有事项新增、办结或改派），没有交接。"
                        "请重新发送 /交接 查看最新的交接清单。",
    "closed": "这个事项已经办结，无需再操作。",
    "already": "这个事项已经是“进行中”了。",
    "awaiting_verification": "这个事项已提交{纪委}验收，请等待验收结果。",
    "extension_pending": "这个事项的延期申请正在审批，请等审批结果出来后再操作。",
    "no_extension": "这项延期申请已经处理过了。",
    "not_for_verification": "这个事项不在待验收状态，不能销号或退回。",
    "plan_first": "请先提交整改方案，待{纪委}验收销号后，再报告整改完成。",
    "extension_past": "申请延期到的日期已经过去，不能再批准。请驳回，由申请人重新申请。",
    "plan_after_fix": "申请延期到的日期已晚于整改完成期限，整改方案不能晚于整改完成，不能批准。"
                      "请驳回，由申请人重新申请。",
}

USAGE = {
    "handover": (
        "用法：/交接 离任人员 继任人员\n"
        "例如：/交接 李明 孙明（重名时写 姓名@单位）\n"
        "也可以只发送 /交接，按提示一步步选择。确认前会先列出将移交的内容。"
    ),
    "register": (
        "用法：/登记 姓名 角色 所在单位 [分管单位]\n"
        "例如：/登记 李明 班子成员 局机关 分管:财务科、人事科\n"
        "角色可选：{角色}（多个用、分隔）\n"
        "也可以只发送 /登记，按提示一步步填写。"
    ),
    "new_unit": "用法：/新建单位 名称 [上级单位] [类型]\n例如：/新建单位 财务科 某局党委 部门",
    "bind_group": "用法：/绑定群 {纪委}，或 /绑定群 单位 单位名称；也可以只发送 /绑定群 按按钮选择。",
    "invite": "用法：/邀请 姓名（同名时用 姓名@单位）",
    "meeting": "用法：/民主生活会 召开日期\n例如：/民主生活会 12月10日（也可写 2026-12-10、昨天）",
    "remind_settings": (
        "用法：\n"
        "/提醒设置 提前 7,3,1,0 —— 到期前几天提醒\n"
        "/提醒设置 时间 09:00 —— 每天发送时间\n"
        "/提醒设置 免打扰 21:00-08:00 —— 免打扰时段（写“关闭”取消）\n"
        "/提醒设置 逾期 1,3,7 —— 逾期第几天告知本人、分管领导和书记、{纪委群}（0 表示不告知）\n"
        "/提醒设置 恢复默认 —— 恢复规则文件中的设置"
    ),
}


def _role_words() -> str:
    return "、".join(ROLE_NAMES.values())


def usage(command: str) -> str:
    """How a command is used, in the configured body's words (messages/names.py)."""
    return USAGE[command].format_map({**bodies.current().fields(), "角色": _role_words()})


#: The date grammar of bot/domain/dates.py, as everyone is told it: the prompts and
#: refusals (DATE_EXAMPLE), /帮助 (DATE_HELP) and the README (tests/test_readme.py).
DATE_FORMS = "、".join(DUE_EXAMPLES[:-1]) + " 或 " + DUE_EXAMPLES[-1]
PAST_WORDS = "、".join(w for w in RELATIVE_DAYS if w.endswith("天"))
DATE_EXAMPLE = f"请按这样的格式输入日期：{DATE_FORMS}（不写年份即今天起最近的这一天）。"
DATE_HELP = (f"日期可以写成 {DATE_FORMS}，数字用半角或全角均可；不写年份，截止日期是今天起最近的"
             f"这一天，已发生的事（如谈话日期）是最近过去的这一天，也可以写{PAST_WORDS}。")


_FIELDS = {"person": "姓名", "unit": "单位名称", "title": "标题", "source": "来源",
           "note": "说明", "reason": "理由"}
def _bad_characters(what: str, problem: str, char: str) -> str:
    thing = _FIELDS.get(what, "内容")
    if problem == "invisible":
        return f"{thing}只有看不见的字符（如零宽空格），没有能显示的文字。请重新输入。"
    code = f"U+{ord(char):04X}" if len(char) == 1 else "?"
    return (f"{thing}里有看不见的{INVISIBLE_KINDS.get(problem, '特殊字符')}（{code}），"
            "多半是复制粘贴时带进来的。请删掉后重新输入，或直接手动输入。")


def refusal(error: e.ServiceError) -> str:
    match error:
        case e.NotAllowed(action=action):
            return "⛔ " + say(_ACTIONS.get(action, "您没有权限进行这个操作。"))
        case e.NotBound():
            return "您还没有绑定身份，无法查看或操作。请向党委办公室索取邀请链接。"
        case e.UnknownUnit(name=name, known=known):
            hint = f"现有单位：{esc('、'.join(known[:30]))}" if known else "还没有任何单位，请先用 /新建单位 创建。"
            return f"找不到单位“{echo(name)}”。{hint}"
        case e.DuplicateUnit(name=name):
            return f"单位“{esc(name)}”已经存在。"
        case e.UnknownPerson(name=name):
            return f"找不到人员“{echo(name)}”。请检查姓名，或先用 /登记 登记此人。"
        case e.AmbiguousPerson(name=name, units=units):
            return (f"有多位“{esc(name)}”（{esc('、'.join(units))}），"
                    f"请写成 姓名@单位，例如 {esc(name)}@{esc(units[0])}。")
        case e.DuplicatePerson(name=name, unit=unit):
            return f"“{esc(unit)}”已经登记过“{esc(name)}”，不会重复登记。需要重发邀请请用 /邀请 {esc(name)}。"
        case e.UnknownRole(word=word):
            return f"不认识角色“{echo(word)}”。可选：{_role_words()}。"
        case e.UnknownTerm(word=word, choices=choices):
            return f"“{echo(word)}”不在可选范围内。请点按钮选择，或输入：{esc('、'.join(choices[:30]))}。"
        case e.BadName(what=what, length=length):
            thing = "姓名" if what == "person" else "单位名称"
            return f"{thing}不能为空、不能换行，最多40字（您输入了{length}字）。"
        case e.BadCharacters(what=what, problem=problem, char=char):
            return _bad_characters(what, problem, char)
        case e.TitleTooLong(length=length, limit=limit):
            return f"标题太长了：最多{limit}字，您输入了{length}字。请精简后重新发送。"
        case e.EmptyText():
            return "内容不能为空，请重新输入。"
        case e.InvalidDate(text=text):
            return f"看不懂日期“{echo(text)}”。{DATE_EXAMPLE}"
        case e.BadParent(reason="unknown"):
            return "找不到这个上级事项编号，请点按钮选择或输入正确的编号（如 W0001）。"
        case e.BadParent(reason="problem_has_no_parent"):
            return "问题清单事项没有上级事项。"
        case e.BadParent(reason="wrong_parent_kind", expected=expected):
            names = {"problem": "问题", "responsibility": "责任"}
            return f"上级事项必须是{names.get(expected or '', '')}清单中的事项（问题 → 责任 → 措施）。"
        case e.InviteInvalid(reason=reason):
            return {
                "unknown": "这个邀请码无效。请核对链接，或向党委办公室索取新的邀请链接。",
                "used": "这个邀请码已经使用过了，不能再次使用。如需重新绑定，请向党委办公室索取新链接。",
                "expired": "这个邀请码已过期。请向党委办公室索取新的邀请链接。",
                "revoked": "这个邀请码已被撤销。请使用党委办公室发给您的最新邀请链接。",
            }[reason]
        case e.AlreadyBound(name=name):
            return f"您的账号已经绑定为“{esc(name)}”，无需再次绑定。"
        case e.UsageError(command=command):
            return inspect_usage() if command == "inspect" else usage(command)
        case e.StaleButton():
            return "这个按钮已失效，或不是给您的。如需操作请重新发送命令。"
        case e.NotYours():
            return "这个按钮不是给您的。"
        case e.WrongChat(what=what):
            return say(_WRONG_CHAT.get(what, "这个命令不能在这个群里使用，请在私聊中使用。"))
        case e.GroupOnly():
            return "这个命令要在群里使用。"
        case e.BadSetting(reason=reason):
            return f"没有修改：{esc(reason)}。"
        case e.FutureDate(text=text):
            return f"“{echo(text)}”还没到。请填写已经发生的日期，例如 12月10日 或 昨天。"
        case e.CannotNow(reason=reason):
            return say(_STATUS_NOW.get(reason, "这个事项的状态已经变了，请重新发送命令查看。"))
        case e.TextTooLong(what=what, length=length, limit=limit):
            thing = "理由" if what == "reason" else "说明"
            return f"{thing}太长了：最多{limit}字，您输入了{length}字。请精简后重新发送。"
        case e.BadNewDue(text=text, due=due):
            return (f"新的截止日期（{echo(text)}）要晚于 {esc(due)}（现在的截止日期或今天）。"
                    "请重新输入。")
        case e.BadPlanDue(plan_due=plan_due, due=due):
            return (f"整改方案的期限（{esc(plan_due)}）不能晚于整改完成期限（{esc(due)}）。"
                    "请重新输入。")
        case e.TooBigToSend(size=size, limit=limit):
            return (f"台账文件有 {size / 2**20:.0f} MB，超过 Telegram 允许机器人发送的 {limit // 2**20} MB。"
                    "请管理员在服务器上用 dutybot export 文件.xlsx 导出。")
        case e.ExportFailed(reason="time"):
            return (f"⛔ 生成台账超过 {EXPORT_SECONDS / 60:.0f} 分钟仍未完成，已停止，没有导出。"
                    "请稍后再试。")
        case e.ExportFailed(reason="memory"):
            return "⛔ 生成台账所需的内存超出上限，没有导出。请联系管理员。"
        case e.ExportFailed():
            return "⛔ 生成台账时出错，没有导出。请稍后再试。"
        case e.UnknownItem(code=code):
            return f"找不到编号为“{echo(code)}”的事项，或它不是您的。发送 /待办 查看您的事项。"
        case e.OutOfScope(code=code):
            return (f"编号为“{echo(code)}”的事项不在您的查看范围内（本人的事项，班子成员另含分管单位的事项）。"
                    "发送 /我的清单 查看您能看到的事项。")
        case e.CaseRefused():
            return case_refused(error)
        case e.LetterRefused():
            return letter_refused(error)
        case e.BoardRefused():
            return board_refused(error)
        case e.DelegationRefused():
            return delegation_refused(error)
        case e.HandoverRefused():
            return handover_refused(error)
        case e.InspectionRefused():
            return inspection_refused(error)
        case e.ChannelRefused():  # the console's, in HTML should a chat ever need one
            return esc(channel_refused(error))
        case e.NothingToNote():
            return ("没找到您可以添加说明的事项。请回复（引用）提醒消息或事项卡片，"
                    "或发送 /汇报 选择事项。")
    return "操作没有完成，请稍后再试。"
