"""bot.domain.vocabulary: reading the Chinese names of roles, duties, lists and group kinds."""

from __future__ import annotations

import pytest

from bot.domain.model import THREE_LISTS, Duty, GroupKind, ItemStatus, ListKind, Role, UnitKind
from bot.domain.vocabulary import (
    DUTY_NAMES,
    GROUP_KIND_NAMES,
    KIND_NAMES,
    LIST_NAMES,
    ROLE_NAMES,
    STATUS_NAMES,
    UNIT_KIND_NAMES,
    parse_term,
    split_words,
)

ALL_TABLES = [
    (ROLE_NAMES, Role),
    (DUTY_NAMES, Duty),
    (KIND_NAMES, ListKind),
    (STATUS_NAMES, ItemStatus),
    (UNIT_KIND_NAMES, UnitKind),
    (GROUP_KIND_NAMES, GroupKind),
]


@pytest.mark.parametrize(("names", "enum"), ALL_TABLES)
def test_every_member_has_a_chinese_name(names, enum):
    assert set(names) == set(enum)
    assert len(set(names.values())) == len(names)  # no two members share a name


@pytest.mark.parametrize(("names", "enum"), ALL_TABLES)
def test_every_member_is_read_back_by_its_name_and_its_code(names, enum):
    for member, name in names.items():
        assert parse_term(name, names) is member
        assert parse_term(member.value, names) is member


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("党委书记", Role.SECRETARY),
        ("书记", Role.SECRETARY),
        ("班子成员", Role.MEMBER),
        ("委员", Role.MEMBER),
        ("领导班子成员", Role.MEMBER),
        ("纪委书记", Role.DISCIPLINE_SECRETARY),
        ("纪委委员", Role.DISCIPLINE),
        ("纪检干部", Role.DISCIPLINE),
        ("纪检委员", Role.DISCIPLINE),
        ("支部书记", Role.BRANCH_SECRETARY),
        ("党支部书记", Role.BRANCH_SECRETARY),
        ("下级党组织书记", Role.BRANCH_SECRETARY),
        ("管理员", Role.ADMIN),
        ("办公室", Role.ADMIN),
        ("admin", Role.ADMIN),
        ("  班子成员  ", Role.MEMBER),
        ("\u3000管理员\u3000", Role.ADMIN),
    ],
)
def test_roles_by_name_synonym_and_code(word, expected):
    assert parse_term(word, ROLE_NAMES) is expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("主体责任", Duty.PRINCIPAL),
        ("党委主体责任", Duty.PRINCIPAL),
        ("监督责任", Duty.SUPERVISION),
        ("纪委监督责任", Duty.SUPERVISION),
        ("第一责任", Duty.FIRST),
        ("党委书记第一责任", Duty.FIRST),
        ("第一责任人", Duty.FIRST),
        ("一岗双责", Duty.DUAL),
        ("班子成员一岗双责", Duty.DUAL),
        ("dual", Duty.DUAL),
    ],
)
def test_duties_by_name_synonym_and_code(word, expected):
    assert parse_term(word, DUTY_NAMES) is expected


def test_the_three_lists_are_the_kinds_people_create():
    assert set(LIST_NAMES) == set(THREE_LISTS)
    assert ListKind.OBLIGATION not in LIST_NAMES


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("问题", ListKind.PROBLEM),
        ("问题清单", ListKind.PROBLEM),
        ("责任", ListKind.RESPONSIBILITY),
        ("责任清单", ListKind.RESPONSIBILITY),
        ("措施", ListKind.MEASURE),
        ("措施清单", ListKind.MEASURE),
        ("项目清单", ListKind.MEASURE),
        ("measure", ListKind.MEASURE),
    ],
)
def test_lists_by_name_synonym_and_code(word, expected):
    assert parse_term(word, LIST_NAMES) is expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("纪委群", GroupKind.DISCIPLINE),
        ("纪委", GroupKind.DISCIPLINE),
        ("discipline", GroupKind.DISCIPLINE),
        ("单位群", GroupKind.UNIT),
        ("单位", GroupKind.UNIT),
        ("unit", GroupKind.UNIT),
    ],
)
def test_group_kinds_by_name_synonym_and_code(word, expected):
    assert parse_term(word, GROUP_KIND_NAMES) is expected


@pytest.mark.parametrize(
    ("word", "names"),
    [
        ("局长", ROLE_NAMES),
        ("", ROLE_NAMES),
        ("   ", ROLE_NAMES),
        ("ADMIN", ROLE_NAMES),
        ("党委书记 班子成员", ROLE_NAMES),
        ("清单", LIST_NAMES),
        ("普通群", GROUP_KIND_NAMES),
        ("责任", DUTY_NAMES),
    ],
)
def test_unknown_words_give_none(word, names):
    assert parse_term(word, names) is None


@pytest.mark.parametrize(
    ("word", "names"),
    [
        ("单位", ROLE_NAMES),  # a group-kind synonym is not a role
        ("问题清单", DUTY_NAMES),  # a list synonym is not a duty
        ("书记", GROUP_KIND_NAMES),  # a role synonym is not a group kind
        ("第一责任人", LIST_NAMES),
    ],
)
def test_a_synonym_of_another_kind_of_term_gives_none(word, names):
    assert parse_term(word, names) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("甲、乙、丙", ["甲", "乙", "丙"]),
        ("甲,乙", ["甲", "乙"]),
        ("甲，乙", ["甲", "乙"]),
        ("甲;乙", ["甲", "乙"]),
        ("甲；乙", ["甲", "乙"]),
        ("甲/乙", ["甲", "乙"]),
        ("甲、乙,丙，丁;戊；己", ["甲", "乙", "丙", "丁", "戊", "己"]),
        (" 财务科 、 人事科 ", ["财务科", "人事科"]),
        ("甲、、乙，", ["甲", "乙"]),
        ("财务科", ["财务科"]),
        ("", []),
        ("、，;", []),
    ],
)
def test_split_words(text, words):
    assert split_words(text) == words
