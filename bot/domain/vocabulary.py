"""The Chinese names of the domain's terms, for reading user input and for display.

These are the words the 四责协同 documents use; the Excel template (issue 6) uses the same.
The supervising body's words (纪委书记, 纪委委员, 纪委群) are the configured body's
(`configure_body`, see bot/domain/bodies.py); input accepts every body's words.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from bot.domain import bodies
from bot.domain.bodies import BodyNames
from bot.domain.model import SOURCES, Duty, GroupKind, ItemStatus, ListKind, Role, UnitKind

ROLE_NAMES: dict[Role, str] = {
    Role.SECRETARY: "党委书记",
    Role.MEMBER: "班子成员",
    Role.DISCIPLINE_SECRETARY: "纪委书记",
    Role.DISCIPLINE: "纪委委员",
    Role.BRANCH_SECRETARY: "下级党组织书记",
    Role.ADMIN: "管理员",
}

DUTY_NAMES: dict[Duty, str] = {
    Duty.PRINCIPAL: "主体责任",
    Duty.SUPERVISION: "监督责任",
    Duty.FIRST: "第一责任",
    Duty.DUAL: "一岗双责",
}

LIST_NAMES: dict[ListKind, str] = {
    ListKind.PROBLEM: "问题",
    ListKind.RESPONSIBILITY: "责任",
    ListKind.MEASURE: "措施",
}

#: Every kind of item as shown to people (the three lists, and obligations).
KIND_NAMES: dict[ListKind, str] = {**LIST_NAMES, ListKind.OBLIGATION: "履责",
                                   ListKind.RECTIFICATION: "整改"}

STATUS_NAMES: dict[ItemStatus, str] = {
    ItemStatus.OPEN: "未开始",
    ItemStatus.IN_PROGRESS: "进行中",
    ItemStatus.DONE: "已完成",
    ItemStatus.PENDING_VERIFICATION: "待验收",
    ItemStatus.VERIFIED: "已销号",
    ItemStatus.RETURNED: "已退回",
    ItemStatus.EXTENSION_REQUESTED: "延期审批中",
    ItemStatus.CANCELLED: "已取消",
}

UNIT_KIND_NAMES: dict[UnitKind, str] = {
    UnitKind.COMMITTEE: "党委",
    UnitKind.SUBORDINATE: "二级党组织",
    UnitKind.DEPARTMENT: "部门",
    UnitKind.BRANCH: "党支部",
}

GROUP_KIND_NAMES: dict[GroupKind, str] = {
    GroupKind.DISCIPLINE: "纪委群",
    GroupKind.UNIT: "单位群",
}

# Other words people use for the same thing.
_SYNONYMS: dict[str, StrEnum] = {
    "书记": Role.SECRETARY,
    "委员": Role.MEMBER,
    "领导班子成员": Role.MEMBER,
    "纪检干部": Role.DISCIPLINE,
    "纪检委员": Role.DISCIPLINE,
    "党支部书记": Role.BRANCH_SECRETARY,  # one case of 下级党组织书记; older sheets say so
    "支部书记": Role.BRANCH_SECRETARY,
    "办公室": Role.ADMIN,
    "党委主体责任": Duty.PRINCIPAL,
    "纪委监督责任": Duty.SUPERVISION,
    "党委书记第一责任": Duty.FIRST,
    "第一责任人": Duty.FIRST,
    "班子成员一岗双责": Duty.DUAL,
    "问题清单": ListKind.PROBLEM,
    "责任清单": ListKind.RESPONSIBILITY,
    "措施清单": ListKind.MEASURE,
    "项目清单": ListKind.MEASURE,
    "纪委": GroupKind.DISCIPLINE,
    "单位": GroupKind.UNIT,
}
# Every supervising body's words, whichever is configured: a sheet or a habit keeps working.
for _names in bodies.BODIES.values():
    _SYNONYMS.setdefault(_names.head, Role.DISCIPLINE_SECRETARY)
    _SYNONYMS.setdefault(_names.member, Role.DISCIPLINE)
    _SYNONYMS.setdefault(_names.group, GroupKind.DISCIPLINE)
    _SYNONYMS.setdefault(_names.body, GroupKind.DISCIPLINE)
    _SYNONYMS.setdefault(f"{_names.body}监督责任", Duty.SUPERVISION)


def configure_body(names: BodyNames) -> None:
    """Name the supervising body `names` from now on: in the role and group-kind names
    shown (and written to sheets), and in `messages.names`. Set once at assembly (see
    bot/domain/bodies.py); reading input accepts every body's words whatever is set."""
    bodies.set_current(names)
    ROLE_NAMES[Role.DISCIPLINE_SECRETARY] = names.head
    ROLE_NAMES[Role.DISCIPLINE] = names.member
    GROUP_KIND_NAMES[GroupKind.DISCIPLINE] = names.group


def problem_sources() -> tuple[str, ...]:
    """Where a problem comes from (SPEC §1), with the configured body's 监督 among them."""
    return tuple(f"{bodies.current().body}监督" if s == "纪委监督" else s for s in SOURCES)


E = TypeVar("E", bound=StrEnum)


def parse_term(text: str, names: dict[E, str]) -> E | None:
    """The enum member a word names: its Chinese name, a synonym, or its code."""
    word = text.strip()
    for member, name in names.items():
        if word in (name, member.value):
            return member
    synonym = _SYNONYMS.get(word)
    member_type = type(next(iter(names)))
    if isinstance(synonym, member_type):
        return synonym  # type: ignore[return-value]
    return None


def split_words(text: str) -> list[str]:
    """Split a list typed as 甲、乙,丙，丁 into its words."""
    for sep in "，,；;/":
        text = text.replace(sep, "、")
    return [w.strip() for w in text.split("、") if w.strip()]


#: The holder's answer on a year-end 对账 line, and the confirmer's carry-over choice
#: (bot/domain/letters.py Answer, Carry values).
ANSWER_NAMES: dict[str, str] = {"done": "已完成", "undone": "未完成"}
CARRY_NAMES: dict[str, str] = {"carry": "结转下一年度", "drop": "不结转"}
