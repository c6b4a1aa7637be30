"""The command table: Chinese name, ASCII alias, menu description, who may use it.

Telegram only accepts [a-z0-9_] command names, so the ASCII alias goes into the menu
and the Chinese name is matched as text (see handlers/commands.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from messages.names import say


@dataclass(frozen=True, slots=True)
class Command:
    ascii: str
    chinese: str | None
    description: str  # a template: {纪委} etc. are the configured body's words (messages/names.py)
    audience: str  # "anyone", "bound", "admin", "creator", "secretary", "discipline", "leader", "approver", "confirmer"

    @property
    def words(self) -> str:
        """The description as shown, in the configured body's words."""
        return say(self.description)


START = Command("start", None, "开始 / 用邀请码绑定身份", "anyone")
HELP = Command("help", "帮助", "我能做什么", "anyone")
MY_LIST = Command("mylist", "我的清单", "我的问题、责任、措施清单；加编号（如 C0003）看单个事项", "bound")
TODO = Command("todo", "待办", "逾期和14天内到期的事项、待您决定的事项", "bound")
NEW_ITEM = Command("new", "新建", "新建清单事项（引导填写）", "creator")
REGISTER = Command("register", "登记", "登记人员，生成邀请链接", "admin")
INVITE = Command("invite", "邀请", "给已登记人员重发邀请链接", "admin")
UNITS = Command("units", "单位", "查看单位列表", "admin")
NEW_UNIT = Command("newunit", "新建单位", "新建单位", "admin")
BIND_GROUP = Command("bindgroup", "绑定群", "登记本群为{纪委群}或单位群", "admin")
REMIND_SETTINGS = Command("remindsettings", "提醒设置", "查看或修改提醒时间和提前天数", "admin")
MEETING = Command("meeting", "民主生活会", "登记民主生活会召开日期（7天内报上级纪委）", "secretary")
REPORT = Command("report", "汇报", "汇报事项进展：选事项、改状态、写说明", "bound")
FIXES = Command("fixes", "整改", "整改事项：本人的整改；{纪委}查看全部、验收销号", "bound")
TALKS = Command("talks", "约谈", "应开展和已开展的谈话，登记谈话情况", "bound")
WEEKLY = Command("weekly", "周报", "{纪委}周报：逾期、临期、约谈、整改、完成与响应", "discipline")
OVERDUE = Command("overdue", "逾期", "我管辖范围内的逾期事项", "leader")
EXPORT = Command("export", "导出", "导出 Excel 台账（清单、约谈、整改、履责纪实）", "discipline")
EXTENSIONS = Command("extensions", "延期审批", "待我审批的延期申请，逐项批准或驳回", "approver")
CASES = Command("cases", "问责", "问责案件（一案双查），仅私聊，按权限显示", "leader")
DELEGATE = Command("delegate", "分解", "把我的事项分解给下一级（班子成员、下级党组织书记）",
                   "bound")
CHAIN = Command("chain", "传导", "责任传导温差落差：各层级完成率、按时率和落后事项", "discipline")
INSPECT = Command("inspect", "监督检查", "监督检查记录：四个方面的检查发现，可一键转为问题和整改", "discipline")
ASSESS = Command("assess", "考核", "年度检查考核结果，及机器人记录的数据", "leader")
LETTER = Command("letter", "责任书", "本人年度责任书：查看、签字背书、年终对账", "bound")
RECONCILE = Command("reconcile", "对账", "待对账确认的事项（{纪委}、党委），逐项确认、结转", "confirmer")
BOARD = Command("board", "看板", "{纪委}看板的一次性登录链接（仅私聊，10分钟内有效）", "leader")
CHANNELS = Command("channels", "渠道", "办公群机器人（企业微信、钉钉、飞书）及其状态", "admin")
HANDOVER = Command("handover", "交接", "人员交接：把离任人员的事项、分管、谈话和待决定事项一次移交继任者",
                   "admin")
CANCEL = Command("cancel", "取消", "取消正在填写的内容", "anyone")

ALL: tuple[Command, ...] = (
    START, HELP, MY_LIST, TODO, REPORT, FIXES, TALKS, EXTENSIONS, WEEKLY, OVERDUE, CASES, EXPORT,
    DELEGATE, CHAIN, INSPECT, ASSESS, LETTER, RECONCILE, BOARD,
    NEW_ITEM, REGISTER, INVITE, UNITS, NEW_UNIT, BIND_GROUP, REMIND_SETTINGS, CHANNELS, MEETING,
    HANDOVER, CANCEL,
)


def menu() -> list[tuple[str, str]]:
    """(command, description) pairs for set_my_commands."""
    return [(c.ascii, c.words) for c in ALL]
