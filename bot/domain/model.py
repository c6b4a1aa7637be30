"""The 四责协同 domain: units, people, roles, duties, the three lists.

Plain typed data. Nothing here does I/O or knows about Telegram or SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Role(StrEnum):
    SECRETARY = "secretary"  # 党委书记
    MEMBER = "member"  # 班子成员
    DISCIPLINE_SECRETARY = "discipline_secretary"  # 纪委书记
    DISCIPLINE = "discipline"  # 纪委委员/纪检干部
    BRANCH_SECRETARY = "branch_secretary"  # 下级党组织书记
    ADMIN = "admin"  # 党委办公室 operator


class Duty(StrEnum):
    PRINCIPAL = "principal"  # 党委主体责任
    SUPERVISION = "supervision"  # 纪委监督责任
    FIRST = "first"  # 党委书记第一责任
    DUAL = "dual"  # 班子成员一岗双责


class ListKind(StrEnum):
    PROBLEM = "problem"  # 问题清单
    RESPONSIBILITY = "responsibility"  # 责任清单
    MEASURE = "measure"  # 措施清单
    OBLIGATION = "obligation"  # 履责事项: an occurrence of a recurring obligation (SPEC §4)
    RECTIFICATION = "rectification"  # 整改: set by the 纪委, closed only by its 销号


#: An item's 编号 is its list's letter and the item's id (W0001, Z0002, C0003, L…, G…).
CODE_PREFIX: dict[ListKind, str] = {ListKind.PROBLEM: "W", ListKind.RESPONSIBILITY: "Z",
                                    ListKind.MEASURE: "C", ListKind.OBLIGATION: "L",
                                    ListKind.RECTIFICATION: "G"}


class ItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    PENDING_VERIFICATION = "pending_verification"
    VERIFIED = "verified"
    RETURNED = "returned"
    EXTENSION_REQUESTED = "extension_requested"
    CANCELLED = "cancelled"


#: Statuses in which an item still asks something of its owner.
ACTIVE_STATUSES = frozenset(
    {
        ItemStatus.OPEN,
        ItemStatus.IN_PROGRESS,
        ItemStatus.RETURNED,
        ItemStatus.EXTENSION_REQUESTED,
    }
)


class UnitKind(StrEnum):
    COMMITTEE = "committee"  # 党委
    SUBORDINATE = "subordinate"  # 二级党组织
    DEPARTMENT = "department"  # 部门
    BRANCH = "branch"  # 党支部


class GroupKind(StrEnum):
    DISCIPLINE = "discipline"  # 纪委群
    UNIT = "unit"  # 单位群


#: The 传导 chain: which list an item's parent must come from.
PARENT_KIND: dict[ListKind, ListKind | None] = {
    ListKind.PROBLEM: None,
    ListKind.RESPONSIBILITY: ListKind.PROBLEM,
    ListKind.MEASURE: ListKind.RESPONSIBILITY,
    ListKind.OBLIGATION: None,
    ListKind.RECTIFICATION: None,
}

#: The three lists people create items on; obligations are made by the rules.
THREE_LISTS = (ListKind.PROBLEM, ListKind.RESPONSIBILITY, ListKind.MEASURE)

#: Where the problems on a 问题清单 come from (SPEC §1); free text is allowed too.
SOURCES = ("自查", "巡察", "审计", "专项检查", "纪委监督", "民主生活会")

#: Where a 整改 comes from (issue 4); free text is allowed too.
RECTIFICATION_SOURCES = ("巡察", "审计", "专项检查", "日常监督", "廉情抄告")

#: The kinds of talk one records as held or sets (SPEC §11: one list; the rules file's
#: `[talks] kinds` default, which the services use). 提醒告诫 and 责令纠错 are outcomes a talk
#: records, not kinds of talk.
TALK_KINDS = ("廉政谈话", "逐级约谈", "谈心谈话", "工作约谈", "提醒谈话", "履职约谈", "诫勉谈话",
              "任前谈话")

TITLE_MAX = 200
NOTE_MAX = 500  # a progress note, a 延期 reason, a 退回 reason
NAME_MAX = 40


@dataclass(frozen=True, slots=True)
class Unit:
    id: int
    name: str
    kind: UnitKind
    parent_id: int | None = None


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    unit_id: int
    roles: frozenset[Role]
    oversees: frozenset[int] = frozenset()  # 分管 unit ids, for a member
    telegram_user_id: int | None = None

    @property
    def is_bound(self) -> bool:
        return self.telegram_user_id is not None


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    code: str
    kind: ListKind
    title: str
    duty: Duty
    owner_id: int
    unit_id: int
    due_date: date
    status: ItemStatus = ItemStatus.OPEN
    parent_id: int | None = None
    source: str | None = None
    rule_key: str | None = None  # obligations: the rule that made it
    counterpart_id: int | None = None  # talks: the person to talk with

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def days_left(self, today: date) -> int:
        return (self.due_date - today).days

    def is_overdue(self, today: date) -> bool:
        return self.is_active and self.due_date < today

    @property
    def needs_verification(self) -> bool:
        """A 整改 is done only when the 纪委 signs it off (验收销号)."""
        return self.kind is ListKind.RECTIFICATION

    @property
    def is_talk(self) -> bool:
        return self.counterpart_id is not None


@dataclass(frozen=True, slots=True)
class Invite:
    code: str
    person_id: int
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Group:
    chat_id: int
    kind: GroupKind
    title: str
    unit_id: int | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a Telegram user, maybe bound to a person, maybe a bootstrap admin."""

    telegram_user_id: int | None
    person: Person | None = None
    bootstrap_admin: bool = False
    update_id: int | None = None  # the Telegram update that caused the change, for replay safety
    roles: frozenset[Role] = field(init=False)

    def __post_init__(self) -> None:
        roles = set(self.person.roles) if self.person else set()
        if self.bootstrap_admin:
            roles.add(Role.ADMIN)
        object.__setattr__(self, "roles", frozenset(roles))

    @property
    def person_id(self) -> int | None:
        return self.person.id if self.person else None


#: The operator at the office machine (`dutybot …` on the console): an admin.
CONSOLE = Actor(telegram_user_id=None, bootstrap_admin=True)


