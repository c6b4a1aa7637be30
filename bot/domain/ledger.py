"""The Excel 台账: what it holds, as plain typed data, and the few facts derived from it.

Pure: storage/ledger.py reads the rows (a few set-based queries), bot/ledger_io.py writes
the workbook. Rows are NamedTuples, light enough to hold half a million of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from bot.domain.model import (
    ACTIVE_STATUSES,
    Duty,
    ItemStatus,
    ListKind,
    Role,
    UnitKind,
)
from bot.domain.workbook import IMPORT_STATUSES

# -- the sheets ---------------------------------------------------------------------------
# 单位, 人员 and 清单 are the import template's sheets (bot/domain/workbook.py) with the same
# header columns first, so that importing an exported file changes nothing; the import reads
# columns by their header and ignores the extra ones to their right.

# PERFORMANCE: the two rates and the ranking score made of them (issue 22 §7: not an
# "index" — the sheet is named for what it holds; its 说明 gives the formula)
OBLIGATIONS, TALKS, FIXES, EVENTS = "履责事项", "约谈", "整改", "履责纪实"
PERFORMANCE = "完成与响应"
CASES = "问责"  # confidential: only in a 纪委 member's export (and the console's)
RECONCILE = "对账"  # the year-end 对账 of the 责任书, line by line (once there is one)
INSPECTIONS, ASSESSMENTS = "监督检查", "考核"

EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "人员": ("已绑定",),
    "清单": ("当前状态", "传导链", "逾期天数", "最后更新"),
}

LEDGER_COLUMNS: dict[str, tuple[str, ...]] = {
    OBLIGATIONS: ("编号", "标题", "责任类型", "责任人", "所在单位", "谈话对象", "规则", "周期",
                  "截止日期", "状态", "逾期天数", "最后更新"),
    TALKS: ("编号", "标题", "谈话人", "谈话人单位", "谈话对象", "对象单位", "截止日期", "状态",
            "逾期天数", "谈话日期", "谈话类型", "谈话情况", "登记时间"),
    FIXES: ("编号", "整改事项", "来源", "责任领导", "所在单位", "责任类型", "方案编号",
            "方案期限", "方案状态", "完成期限", "状态", "逾期天数", "验收结果", "验收人",
            "验收时间", "退回次数"),
    EVENTS: ("序号", "时间", "操作人", "类型", "对象", "内容"),
    CASES: ("编号", "被问责人", "所在单位", "追责情形", "查明问题", "处理", "处理日期",
            "一案双查", "典型案例", "状态", "倒查", "登记时间", "后续义务"),
    INSPECTIONS: ("编号", "检查日期", "被检查单位", "检查类型", "检查方面", "检查发现",
                  "问题清单编号", "整改编号", "登记人"),
    ASSESSMENTS: ("年度", "单位", "考核结果", "牵头班子成员", "党委评语", "登记时间"),
    RECONCILE: ("年度", "责任人", "所在单位", "编号", "事项", "截止日期", "签字背书",
                "责任人报告", "未完成原因", "报告时间", "对账确认人", "对账确认时间", "结转",
                "结转后编号"),
    PERFORMANCE: ("类别", "名称", "所在单位", "计入事项", "按时完成", "按时完成率", "提醒",
                  "已回应", "回应率", "排名计分"),
}


# -- the rows -----------------------------------------------------------------------------


class LedgerUnit(NamedTuple):
    id: int
    name: str
    kind: UnitKind
    parent_id: int | None


class LedgerPerson(NamedTuple):
    id: int
    name: str
    unit_id: int
    roles: frozenset[Role]
    oversees: tuple[int, ...]  # 分管 unit ids
    phone: str | None
    note: str | None
    bound: bool
    active: bool
    wecom_userid: str | None = None  # 企业微信账号
    feishu_open_id: str | None = None  # 飞书ID


class LedgerItem(NamedTuple):
    id: int
    code: str
    kind: ListKind
    title: str
    duty: Duty
    owner_id: int
    unit_id: int
    parent_id: int | None
    source: str | None
    due_date: date
    status: ItemStatus
    counterpart_id: int | None
    rule_key: str | None
    period: str | None
    updated_at: datetime
    parent_code: str | None = None  # the 上级事项编号
    grandparent_code: str | None = None  # its own 上级's: the 传导 chain is three deep at most


class LedgerTalk(NamedTuple):
    """A talk recorded as held (the talks table)."""

    id: int
    item_id: int | None
    holder_id: int
    counterpart_id: int
    kind: str
    held_on: date
    note: str
    recorded_at: datetime


class LedgerEvent(NamedTuple):
    id: int
    at: datetime
    actor_person_id: int | None
    actor_telegram_id: int | None
    kind: str
    subject_type: str
    subject_id: str
    data: str  # JSON as stored; read when the row is written (off the event loop)
    item_code: str | None  # the item's 编号, when the subject is an item


class LedgerCase(NamedTuple):
    """A 问责 case, with its 倒查 told in one cell (bot/domain/cases.py)."""

    code: str
    person_id: int
    unit_id: int
    situation: str  # the 追责情形's words as recorded
    finding: str
    handling: str | None
    decided_on: date | None
    misconduct: bool
    typical: bool
    closed: bool
    reviews: tuple[LedgerReview, ...]
    created_at: datetime
    follow_ups: tuple[LedgerFollowUp, ...] = ()  # 书面检讨, 深刻检查


class LedgerFollowUp(NamedTuple):
    """One follow-up of a person held accountable (bot/domain/inspections.py)."""

    kind: str  # a FollowUpKind value
    owner_id: int
    due_date: date
    done_on: date | None


class LedgerFinding(NamedTuple):
    point: str  # the point's words
    finding: str | None  # None: 无问题
    item_code: str | None
    fix_code: str | None


class LedgerInspection(NamedTuple):
    """A 监督检查 with its four findings."""

    code: str
    held_on: date
    unit_id: int
    kind: str  # the kind's words
    recorder_id: int | None
    findings: tuple[LedgerFinding, ...]


class LedgerAssessment(NamedTuple):
    year: int
    unit_id: int
    grade: str
    led_by: int | None
    remarks: str
    created_at: datetime


class LedgerReview(NamedTuple):
    """One 倒查 of a case."""

    duty: Duty
    owner_id: int
    due_date: date
    done: bool
    parties: tuple[int, ...]


class LedgerLine(NamedTuple):
    """One line of a 责任书's year-end 对账 (bot/domain/letters.py)."""

    year: int
    holder_id: int
    code: str
    title: str
    due_date: date
    signed_at: datetime | None  # the 责任书's 签字背书
    answer: str | None  # "done", "undone"; None: not answered yet
    reason: str | None
    answered_at: datetime | None
    confirmed_by: int | None  # None with confirmed_at: the 整改's 验收销号
    confirmed_at: datetime | None
    carry: str | None  # "carry", "drop"
    carried_code: str | None


class Verdict(NamedTuple):
    """A 销号 or 退回 of a 整改 (from the event log)."""

    item_id: int
    at: datetime
    actor_person_id: int | None
    action: str  # "verify" or "return"


class Score(NamedTuple):
    """One line of the 完成与响应 sheet: a person (with their unit) or a unit."""

    name: str
    unit: str | None
    counted: int
    on_time: int
    on_time_rate: float | None
    reminded: int
    answered: int
    response_rate: float | None
    score: int | None  # 0–100 (bot/domain/performance.py)


@dataclass(frozen=True, slots=True)
class LedgerWords:
    """The words the workbook is written in: messages/export.py's (`WORDS`), passed in by
    whoever asks for the 台账, since the writer stands below messages/. Module-level
    functions, so that the bundle pickles (the workbook is written in a child process)."""

    #: the 说明 sheet: (made at, rows per sheet, the period of the rates) → its rows
    help: Callable[[str, Mapping[str, int], tuple[date, date] | None], list[tuple[object, ...]]]
    #: who did it: (person, Telegram id, the event's "via")
    actor: Callable[[str | None, int | None, object], str]
    #: an event kind in words
    event: Callable[[str], str]
    #: an event's subject: (type, id, its name if known)
    subject: Callable[[str, str, str | None], str]
    #: what an event says: (kind, data, a recipient key → a name)
    details: Callable[[str, Mapping[str, Any], Callable[[str], str]], str]
    #: someone told, known by key only: (kind, name if known, id)
    recipient: Callable[[str, str | None, str], str]
    #: one 倒查 of a 问责 case: (duty, who leads it, due, done, whose responsibility)
    review: Callable[[Duty, str, date, bool, list[str]], str] | None = None
    #: a case's follow-up in the 问责 sheet's cell: (kind, owner, due, done on)
    follow_up: Callable[[str, str, date, date | None], str] | None = None


@dataclass(frozen=True, slots=True)
class Ledger:
    """Everything the 台账 shows, read in one snapshot.

    The long parts (the lists, the obligations, the events) may be one-pass iterables that
    read as they are written: the writer goes through each once, in the order of the sheets.
    """

    made_at: datetime  # timezone-aware; the workbook shows local time without the zone
    units: Mapping[int, LedgerUnit]
    people: Mapping[int, LedgerPerson]  # everyone, for names; the 人员 sheet has the active
    lists: Iterable[LedgerItem]  # the three lists, 问题 then 责任 then 措施, by 编号
    obligations: Iterable[LedgerItem] = ()  # 履责事项, by due date
    talk_items: Sequence[LedgerItem] = ()  # items with a 谈话对象, by due date
    talks: Sequence[LedgerTalk] = ()  # talks recorded as held
    fixes: Sequence[LedgerItem] = ()  # 整改 and their 整改方案, by due date
    verdicts: Sequence[Verdict] = ()  # 销号 and 退回 of the 整改, oldest first
    events: Iterable[LedgerEvent] = ()  # the 履责纪实, oldest first
    person_scores: Sequence[Score] = ()
    unit_scores: Sequence[Score] = ()
    score_period: tuple[date, date] | None = None
    group_titles: Mapping[int, str] = field(default_factory=dict)
    cases: Sequence[LedgerCase] | None = None  # None: not this reader's (the sheet is left out)
    # 分解 (bot/domain/delegation.py): item id → the code it was handed down from, and
    # item id → the codes handed down from it
    delegated_from: Mapping[int, str] = field(default_factory=dict)
    delegated_to: Mapping[int, Sequence[str]] = field(default_factory=dict)
    inspections: Sequence[LedgerInspection] | None = None  # None: no such sheet
    assessments: Sequence[LedgerAssessment] | None = None
    reconciliation: Sequence[LedgerLine] = ()  # the 对账 sheet, when there is any

    @property
    def today(self) -> date:
        return self.made_at.date()


# -- what is derived ----------------------------------------------------------------------


def overdue_days(due: date, status: ItemStatus, today: date) -> int | None:
    """Days past the due date of an item still asking something of its owner."""
    if status in ACTIVE_STATUSES and due < today:
        return (today - due).days
    return None


def import_status(status: ItemStatus) -> ItemStatus | None:
    """What the 状态 column says so that importing the file changes nothing: the status
    itself where an import may set it; empty (left as it is) for an item mid-workflow
    (待验收, 延期审批中, 已退回, 已销号), which an import refuses to set."""
    return status if status in IMPORT_STATUSES else None


def chain_of(item: LedgerItem, delegated_from: str | None = None,
             delegated_to: Sequence[str] = ()) -> str:
    """The 传导 chain of an item on the three lists: 问题 → 责任 → 措施, by 编号; then,
    when it is in the 分解 relation, where it was handed down from and to."""
    chain = " → ".join(c for c in (item.grandparent_code, item.parent_code, item.code) if c)
    parts = [chain]
    if delegated_from:
        parts.append(f"分解自 {delegated_from}")
    if delegated_to:
        parts.append(f"分解给 {'、'.join(delegated_to)}")
    return "；".join(parts)


def person_labels(people: Mapping[int, LedgerPerson],
                  units: Mapping[int, LedgerUnit]) -> dict[int, str]:
    """How the 清单 sheet names a 责任人: the 姓名 where it is unique among the active people,
    else 姓名@单位 (what the import reads)."""
    counts: dict[str, int] = {}
    for p in people.values():
        if p.active:
            counts[p.name] = counts.get(p.name, 0) + 1
    labels = {}
    for p in people.values():
        unit = units.get(p.unit_id)
        labels[p.id] = p.name if counts.get(p.name, 0) == 1 or unit is None \
            else f"{p.name}@{unit.name}"
    return labels
