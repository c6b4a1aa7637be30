"""责任传导 (issue 22 §4): 分解 as its own relation, the parent-close block and its recorded
override, the item card, the /传导 温差落差 report, and bad input."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.domain.delegation import (
    LAG_RULE,
    DelegationProblem,
    LagReason,
    Level,
    Link,
    chain_report,
    check_close,
    check_due,
    check_kind,
    check_link,
    check_owner,
    check_parent,
    lags,
    level_of,
    rollup,
)
from bot.domain.model import Duty, Item, ItemStatus, ListKind, Person, Role, Unit, UnitKind
from tests.conftest import snapshot

TODAY = date(2026, 11, 23)
# 局党委 ← 财务科 ← 财务科党支部; 项目科 ← 项目科党支部
UNITS = {1: Unit(1, "某局党委", UnitKind.COMMITTEE), 2: Unit(2, "财务科", UnitKind.DEPARTMENT, 1),
         3: Unit(3, "财务科党支部", UnitKind.BRANCH, 2),
         4: Unit(4, "项目科", UnitKind.DEPARTMENT, 1),
         5: Unit(5, "项目科党支部", UnitKind.BRANCH, 4)}
PEOPLE = {
    10: Person(10, "陈书记", 1, frozenset({Role.SECRETARY})),
    11: Person(11, "李明", 1, frozenset({Role.MEMBER}), oversees=frozenset({2})),
    12: Person(12, "王芳", 1, frozenset({Role.MEMBER}), oversees=frozenset({4})),
    13: Person(13, "刘纪委", 1, frozenset({Role.DISCIPLINE_SECRETARY})),
    14: Person(14, "周支书", 3, frozenset({Role.BRANCH_SECRETARY})),
    15: Person(15, "吴支书", 5, frozenset({Role.BRANCH_SECRETARY})),
}


def item(item_id: int, owner: int, due: date, status: ItemStatus = ItemStatus.OPEN,
         kind: ListKind = ListKind.RESPONSIBILITY) -> Item:
    return Item(item_id, f"Z{item_id:04d}", kind, "落实主体责任", Duty.PRINCIPAL, owner, 1, due,
                status)


# -- domain ------------------------------------------------------------------------------

def test_levels_follow_the_roles():
    assert [level_of(PEOPLE[p]) for p in (10, 11, 13, 14)] == [
        Level.COMMITTEE, Level.MEMBER, None, Level.BRANCH]


def test_a_child_owner_is_exactly_one_level_below():
    check_owner(PEOPLE[10], PEOPLE[11], UNITS)  # 书记 → 班子成员
    check_owner(PEOPLE[11], PEOPLE[14], UNITS)  # 李明 分管 财务科 → its 党支部书记
    for parent, child, detail in ((10, 14, "level"), (10, 10, "level"), (11, 12, "level"),
                                  (11, 15, "oversees"), (12, 14, "oversees")):
        with pytest.raises(DelegationProblem) as problem:
            check_owner(PEOPLE[parent], PEOPLE[child], UNITS)
        assert (problem.value.field, problem.value.detail) == ("owner", detail)
    for parent in (13, 14):  # the 纪委 holds no level; a 下级党组织 is the bottom
        with pytest.raises(DelegationProblem) as problem:
            check_owner(PEOPLE[parent], PEOPLE[11], UNITS)
        assert problem.value.field == "parent"


def test_only_open_list_items_of_a_leveled_owner_are_handed_down():
    assert check_parent(item(1, 10, TODAY), PEOPLE[10]) is Level.COMMITTEE
    cases = ((item(1, 10, TODAY, ItemStatus.DONE), 10, "closed"),
             (item(1, 10, TODAY, kind=ListKind.OBLIGATION), 10, "kind"),
             (item(1, 14, TODAY), 14, "level"), (item(1, 13, TODAY), 13, "level"))
    for parent, owner, detail in cases:
        with pytest.raises(DelegationProblem) as problem:
            check_parent(parent, PEOPLE[owner])
        assert (problem.value.field, problem.value.detail) == ("parent", detail)


def test_a_child_is_due_no_later_than_its_parent_and_not_in_the_past():
    check_due(date(2027, 3, 31), date(2027, 3, 31), TODAY)
    with pytest.raises(DelegationProblem) as problem:
        check_due(date(2027, 4, 1), date(2027, 3, 31), TODAY)
    assert (problem.value.field, problem.value.detail) == ("due", "2027-03-31")
    with pytest.raises(DelegationProblem) as problem:
        check_due(date(2026, 11, 1), date(2027, 3, 31), TODAY)
    assert problem.value.detail == "past"


def test_a_child_is_on_the_same_list():
    with pytest.raises(DelegationProblem) as problem:
        check_kind(item(2, 11, TODAY, kind=ListKind.MEASURE), item(1, 10, TODAY))
    assert problem.value.field == "kind"


def test_no_cycles_and_one_parent_per_child():
    parent_of = {2: 1, 3: 2}  # 1 → 2 → 3
    check_link(3, 4, parent_of)
    for parent, child, detail in ((3, 1, ""), (2, 2, ""), (3, 2, "")):
        with pytest.raises(DelegationProblem) as problem:
            check_link(parent, child, parent_of)
        assert problem.value.field == "cycle" and problem.value.detail == detail
    with pytest.raises(DelegationProblem) as problem:
        check_link(1, 3, parent_of)  # 3 is 2's already
    assert (problem.value.field, problem.value.detail) == ("cycle", "other_parent")


def test_progress_rolls_up_and_open_children_block_the_parent_unless_overridden():
    parent = item(1, 10, date(2027, 3, 31), ItemStatus.IN_PROGRESS)
    children = [item(2, 11, date(2026, 11, 20)), item(3, 12, TODAY, ItemStatus.DONE),
                item(4, 12, TODAY, ItemStatus.CANCELLED)]
    r = rollup(parent, children, TODAY)
    assert (r.status, r.done, r.total, r.overdue, r.all_done) == (
        ItemStatus.IN_PROGRESS, 1, 2, 1, False)
    with pytest.raises(DelegationProblem) as problem:
        check_close(children, override=False)
    assert (problem.value.field, problem.value.detail) == ("children", "Z0002")
    assert [c.code for c in check_close(children, override=True)] == ["Z0002"]
    assert check_close(children[1:], override=False) == []


def test_a_lower_level_lags_when_overdue_under_a_parent_on_track_or_left_open():
    on_track = item(1, 10, date(2027, 3, 31))
    assert lags(on_track, item(2, 11, date(2026, 11, 20)), TODAY) is LagReason.OVERDUE
    assert lags(on_track, item(2, 11, date(2026, 12, 20)), TODAY) is None
    overdue = item(1, 10, date(2026, 11, 1))
    assert lags(overdue, item(2, 11, date(2026, 11, 1)), TODAY) is None  # both late alike
    done = item(1, 10, date(2027, 3, 31), ItemStatus.DONE)
    assert lags(done, item(2, 11, date(2027, 3, 1)), TODAY) is LagReason.LEFT_OPEN
    assert lags(done, item(2, 11, date(2027, 3, 1), ItemStatus.CANCELLED), TODAY) is None
    assert "逾期" in LAG_RULE and "已完成" in LAG_RULE


def test_the_report_gives_each_level_its_completion_and_on_time_rates():
    items = {1: item(1, 10, date(2027, 3, 31)),
             2: item(2, 11, date(2026, 11, 20), ItemStatus.DONE),  # done late
             3: item(3, 12, date(2026, 11, 20)),  # overdue
             4: item(4, 14, date(2026, 11, 10), ItemStatus.DONE)}  # done on time
    links = [Link(1, 2), Link(1, 3), Link(2, 4)]
    finished = {2: date(2026, 11, 21), 4: date(2026, 11, 9)}
    report = chain_report(links, items, PEOPLE, finished, TODAY)
    committee, member, branch = report.levels
    assert (committee.total, committee.done, committee.due, committee.on_time) == (1, 0, 0, 0)
    assert committee.done_rate == 0 and committee.on_time_rate is None
    assert (member.total, member.done, member.due, member.on_time) == (2, 1, 2, 0)
    assert (branch.done_rate, branch.on_time_rate) == (1.0, 1.0)
    assert [(lag.child.code, lag.reason) for lag in report.lags] == [
        ("Z0003", LagReason.OVERDUE)]
    assert report.links == 3


# -- through the bot -----------------------------------------------------------------------

@pytest.fixture
async def handed(bot, api, org):
    """陈书记's 责任 Z0001 handed down to 李明 (Z0002), and his to 周支书 (Z0003)."""
    parent = await org.item("责任", "落实全面从严治党主体责任", "主体责任", "陈书记", "某局党委",
                            "2027-03-31")
    chen, li = org.users["陈书记"], org.users["李明"]
    await bot.send(chen, f"/分解 {parent} 李明 2027-03-15")
    text = api.last(chen.id).plain
    assert text.startswith("✅ 已把责任") and "李明" in text, text
    child = re.findall(r"Z\d{4}", text.split("⤵")[1])[0]
    await bot.send(li, f"/delegate {child} 周支书 2027-03-01")
    text = api.last(li.id).plain
    assert text.startswith("✅"), text
    grandchild = re.findall(r"Z\d{4}", text.split("⤵")[1])[0]
    return parent, child, grandchild


async def test_handing_down_makes_ordinary_items_of_the_owners_one_level_below(
        bot, api, org, handed):
    parent, child, grandchild = handed
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        items = {i.code: i for i in [await tx.items.by_code(c) for c in handed]}
        people = await tx.persons.all()
        links = await tx.delegations.all()
        events = await tx.events.latest("item", items[parent].id, "item.delegated", 5)
    assert people[items[child].owner_id].name == "李明"
    assert items[child].kind is ListKind.RESPONSIBILITY and items[child].duty is Duty.DUAL
    assert items[child].parent_id is None  # the 问题→责任→措施 chain is left alone
    assert items[grandchild].duty is Duty.PRINCIPAL
    assert items[grandchild].due_date == date(2027, 3, 1)
    assert links == [Link(items[parent].id, items[child].id),
                     Link(items[child].id, items[grandchild].id)]
    assert events and events[0].data["children"] == [child]
    # the child's owner is told at once, in private, with the item's buttons
    await bot.tick()
    told = [m for m in api.bot_messages(org.users["李明"].id) if "分解事项" in m.plain]
    assert told and f"陈书记的责任 {parent} 分解给您" in told[0].plain
    assert "已完成" in [label for label, _ in told[0].buttons]
    # the child's owner has it on their own list, as any item
    zhou = org.users["周支书"]
    await bot.send(zhou, "/我的清单")
    assert grandchild in api.last(zhou.id).plain


async def test_the_card_shows_both_ends_of_the_relation_with_progress(bot, api, org, handed):
    parent, child, grandchild = handed
    li = org.users["李明"]
    await bot.send(li, f"/我的清单 {child}")
    card = api.last(li.id).plain
    assert f"分解自：{parent} 陈书记" in card
    assert "已分解给下级：完成 0/1" in card and f"{grandchild} 周支书" in card


async def test_a_parent_is_not_done_while_a_child_is_open_unless_overridden(
        bot, api, org, handed):
    parent, child, grandchild = handed
    chen = org.users["陈书记"]
    await bot.send(chen, f"/我的清单 {parent}")
    before = await snapshot(bot)
    await bot.press(chen, api.last(chen.id), "已完成")
    toast = api.callback_answers[-1].text
    assert f"{parent} 还有分解给下级的事项未完成：{child}" in toast
    assert f"/分解 办结 {parent}" in toast
    assert await snapshot(bot) == before
    # the same through /汇报's path: the one move_in refuses it
    await bot.send(chen, f"/分解 办结 {parent}")
    text = api.last(chen.id).plain
    assert text.startswith(f"✅ {parent} 已标记为已完成") and child in text, text
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        item = await tx.items.by_code(parent)
        override = await tx.events.latest("item", item.id, "item.delegation_override", 1)
    assert item.status is ItemStatus.DONE
    assert override[0].data["open_children"] == [child]
    # only the owner reports their item done
    li = org.users["李明"]
    before = await snapshot(bot)
    await bot.send(li, f"/分解 办结 {grandchild}")
    assert "只有事项的责任人本人可以报告它已完成" in api.last(li.id).plain
    assert await snapshot(bot) == before


async def test_a_parent_with_every_child_done_closes_the_ordinary_way(bot, api, org, handed):
    _parent, child, grandchild = handed
    zhou, li = org.users["周支书"], org.users["李明"]
    for user, code in ((zhou, grandchild), (li, child)):
        await bot.send(user, f"/我的清单 {code}")
        await bot.press(user, api.last(user.id), "已完成")
        assert "已完成" in api.callback_answers[-1].text
    await bot.send(li, f"/分解 办结 {child}")
    assert "没有未完成的下级事项" in api.last(li.id).plain


@pytest.mark.parametrize(("who", "args", "expected"), [
    ("李明", "{child} 周支书 2027-03-20", "不能晚于原事项"),  # later than the parent
    ("陈书记", "{parent} 周支书 2027-03-01", "必须比原事项的责任人低一级"),  # skips a level
    ("李明", "{child} 王芳 2027-03-01", "必须比原事项的责任人低一级"),  # same level
    ("陈书记", "Z9999 李明 2027-03-01", "找不到编号为“Z9999”的事项"),  # unknown code
    ("王芳", "{parent} 李明 2027-03-01", "只有事项的责任人本人或管理员"),  # not allowed
    ("周支书", "{grandchild} 李明 2027-01-01", "不能再向下分解"),  # the bottom level
    ("陈书记", "{parent} 李明 2027-03-01 李明 2027-03-02", "同一个人只能写一次"),
    ("陈书记", "{parent} 无名氏 2027-03-01", "找不到人员"),
    ("陈书记", "{parent} 王芳 明年某日", "看不懂日期"),
    ("陈书记", "{parent} 王芳 2026-11-01", "已经过去"),
    ("陈书记", "{parent} 王芳", "用法"),
    ("陈书记", "", "用法"),
])
async def test_bad_delegations_get_one_clear_line_and_change_nothing(
        bot, api, org, handed, who, args, expected):
    parent, child, grandchild = handed
    user = org.users[who]
    before = await snapshot(bot)
    async with bot.app.bot_data.services.db.read() as tx:
        links = await tx.delegations.all()
    typed = args.format(parent=parent, child=child, grandchild=grandchild)
    await bot.send(user, f"/分解 {typed}".rstrip())
    assert expected in api.last(user.id).plain, api.last(user.id).plain
    assert await snapshot(bot) == before
    async with bot.app.bot_data.services.db.read() as tx:
        assert await tx.delegations.all() == links


async def test_the_office_may_hand_down_any_leveled_item(bot, api, org, admin, handed):
    parent, _, _ = handed
    await bot.send(admin, f"/分解 {parent} 王芳 2027-02-01")
    assert api.last(admin.id).plain.startswith("✅"), api.last(admin.id).plain


async def test_the_chain_report_for_the_discipline_body_and_the_secretary_only(
        bot, api, org, clock, handed):
    from datetime import timedelta
    _parent, child, grandchild = handed
    liu = org.users["刘纪委"]
    clock.advance(timedelta(days=99))  # 2027-03-02: 周支书's Z… (due 03-01) is overdue
    await bot.send(liu, "/传导")
    text = api.last(liu.id).plain
    assert "温差落差" in text and LAG_RULE in text
    assert "党委：完成率 0%（0/1）" in text and "班子成员：完成率 0%（0/1）" in text
    assert "下级党组织：完成率 0%（0/1） · 按时率 0%（0/1）" in text
    assert f"• {grandchild} 周支书" in text and f"← {child} 李明" in text
    assert "下级逾期，上级未逾期" in text
    chen = org.users["陈书记"]
    await bot.send(chen, "/chain")
    assert "温差落差" in api.last(chen.id).plain
    for name in ("李明", "周支书"):
        user = org.users[name]
        await bot.send(user, "/传导")
        assert "只提供给纪委、党委书记和管理员" in api.last(user.id).plain


async def test_the_chain_report_with_nothing_handed_down(bot, api, org):
    liu = org.users["刘纪委"]
    await bot.send(liu, "/传导")
    assert "还没有分解的事项" in api.last(liu.id).plain


async def test_the_help_names_the_new_commands(bot, api, org):
    chen = org.users["陈书记"]
    await bot.send(chen, "/帮助")
    text = api.last(chen.id).plain
    assert "/delegate" in text or "/分解" in text
    assert "/chain" in text or "/传导" in text


async def test_the_delegations_migration_upgrades_a_database_of_the_previous_version(tmp_path):
    from storage.db import Database
    from tests.test_channels import build_to

    path = tmp_path / "old.db"
    build_to(path, 8)
    db = await Database.open(path)
    try:
        assert (await db.migrate())[0] == 9  # and any later ones
        async with db.read() as tx:
            assert await tx.delegations.all() == []
    finally:
        await db.close()


# -- the 台账 ------------------------------------------------------------------------------

def test_the_ledger_chain_names_both_relations():
    from bot.domain.ledger import LedgerItem, chain_of

    row = LedgerItem(3, "Z0003", ListKind.RESPONSIBILITY, "t", Duty.DUAL, 11, 1, 1, None,
                     TODAY, ItemStatus.OPEN, None, None, None, None, parent_code="W0001")
    assert chain_of(row) == "W0001 → Z0003"
    assert chain_of(row, "Z0002", ["Z0004", "Z0005"]) == \
        "W0001 → Z0003；分解自 Z0002；分解给 Z0004、Z0005"


async def test_the_exported_ledger_shows_the_delegations_in_its_chain_column(
        bot, api, org, handed):
    import io

    import openpyxl

    parent, child, grandchild = handed
    liu = org.users["刘纪委"]
    await bot.send(liu, "/export")
    sent = api.last(liu.id)
    assert sent.file is not None, sent.plain
    rows = list(openpyxl.load_workbook(io.BytesIO(sent.file))["清单"].iter_rows(values_only=True))
    column = rows[0].index("传导链")
    chains = {r[0]: r[column] for r in rows[1:]}
    assert chains[parent] == f"{parent}；分解给 {child}"
    assert chains[child] == f"{child}；分解自 {parent}；分解给 {grandchild}"
    assert chains[grandchild] == f"{grandchild}；分解自 {child}"


# -- the import's 分解 sheet -----------------------------------------------------------------

def delegation_book(lines, extra_items=()) -> bytes:
    from tests.workbooks import ITEMS_ROWS, to_bytes, workbook

    items = [*ITEMS_ROWS,
             ("W0200", "问题", "公务接待超标准（分管）", "一岗双责", "李明", "某局党委", None, None,
              date(2026, 12, 1), None),
             ("W0201", "问题", "公务接待超标准（支部）", "主体责任", "周支书", "财务科党支部", None,
              None, date(2026, 11, 30), None),
             *extra_items]
    book = workbook(items=items)
    for line in lines:
        book["分解"].append(list(line))
    return to_bytes(book)


async def test_the_import_records_delegations_and_is_idempotent(services):
    from bot.domain.model import CONSOLE

    data = delegation_book([("W0100", "W0200"), ("w0200", "W0201")])
    result = await services.imports.import_file(CONSOLE, data, "分解.xlsx")
    assert result.delegations == 2
    async with services.db.read() as tx:
        codes = {i.id: i.code for i in (await tx.items.by_ids(range(1, 400))).values()}
        assert [(codes[lk.parent_id], codes[lk.child_id]) for lk in await tx.delegations.all()
                ] == [("W0100", "W0200"), ("W0200", "W0201")]
        events = await tx.events.count()
    again = await services.imports.import_file(CONSOLE, data, "分解.xlsx")
    assert again.delegations == 0
    async with services.db.read() as tx:
        assert len(await tx.delegations.all()) == 2
        assert await tx.events.count() == events + 1  # the import itself, nothing else
    from messages.imports import import_summary
    assert "分解：新增 2 条" in import_summary(result)


@pytest.mark.parametrize(("lines", "extra", "expected"), [
    ([("W0100", "W0202")], [("W0202", "问题", "晚于上级", "一岗双责", "李明", "某局党委", None,
                              None, date(2027, 1, 1), None)],
     "分解 第3行 下级事项编号: “W0202”的截止日期不能晚于上级事项的截止日期（2026-12-05）"),
    ([("W0100", "W0201")], [], "分解 第3行 下级事项编号: “W0201”的责任人必须比上级事项的责任人低一级"),
    ([("W0100", "Z0101")], [], "分解 第3行 下级事项编号: “Z0101”必须和上级事项在同一张清单上"),
    ([("W0100", "W0100")], [], "分解 第3行 下级事项编号: “W0100”会形成循环"),
    ([("W0100", "W0200"), ("W0100", "W0200")], [], "分解 第4行 下级事项编号: “W0200”与第3行重复"),
    ([("W0100", "W9999")], [], "分解 第3行 下级事项编号: 找不到事项“W9999”"),
    ([("W0201", "W0200")], [], "分解 第3行 上级事项编号: “W0201”的责任人不是党委书记或班子成员"),
    ([("W0100", "甲乙")], [], "分解 第3行 下级事项编号: “甲乙”不是本系统的编号"),
    ([("W0100", None)], [], "分解 第3行 下级事项编号: "),
])
async def test_one_bad_delegation_line_and_nothing_is_imported(services, tmp_path, lines, extra,
                                                               expected):
    from bot.domain.model import CONSOLE
    from bot.services.imports import ImportRejected
    from messages.imports import error_line

    with pytest.raises(ImportRejected) as rejected:
        await services.imports.import_file(CONSOLE, delegation_book(lines, extra), "坏.xlsx")
    said = [error_line(e) for e in rejected.value.errors]
    assert any(line.startswith(expected) for line in said), said
    async with services.db.read() as tx:
        assert await tx.units.all() == {} and await tx.delegations.all() == []
        assert await tx.events.count() == 0


async def test_a_file_without_the_delegation_sheet_still_imports(services):
    from bot.domain.model import CONSOLE
    from tests.workbooks import to_bytes, workbook

    book = workbook()
    del book["分解"]
    result = await services.imports.import_file(CONSOLE, to_bytes(book), "旧模板.xlsx")
    assert result.delegations == 0 and result.plan.created("清单") == 3


# -- any arguments (a property test, as tests/test_property_inputs.py does it) ---------------

@pytest.fixture
def fuzzed(settings, api, admin, clock):
    from tests.fuzz import Fuzzed

    world = Fuzzed(settings, api, admin, clock).open()
    world.codes["chen"] = world.run(world.org.item(
        "责任", "落实全面从严治党主体责任", "主体责任", "陈书记", "某局党委", "2027-03-31"))
    yield world
    world.close()


def test_any_arguments_to_the_delegation_commands(fuzzed):
    """/分解 and /传导 with arbitrary Unicode, from each kind of user: nothing reaches the
    error handler; a refusal changes nothing; a change comes only with its ✅ reply."""
    from hypothesis import HealthCheck, example, given, settings
    from hypothesis import strategies as st

    from tests.fuzz import TEXT

    chen = fuzzed.codes["chen"]
    tokens = st.sampled_from((chen, chen.lower(), "Z0002", "C0001", "Z9999", "办结", "close",
                              "李明", "王芳", "周支书", "陈书记", "李明@某局党委", "2027-03-01",
                              "2027-04-01", "3月1日", "明天", "昨天", "２０２７-０３-０１", "\u200b"))
    args = st.lists(st.one_of(tokens, TEXT), max_size=6).map(" ".join)

    changed = []

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck),
              derandomize=True, database=None)
    @given(command=st.sampled_from(("/分解", "/delegate", "/传导", "/chain")), args=args,
           who=st.sampled_from(("陈书记", "李明", "周支书", "刘纪委", "admin")))
    @example(command="/分解", args=f"{chen} 李明 2027-03-01", who="陈书记")
    def check(command, args, who):
        user = fuzzed.admin if who == "admin" else fuzzed.user(who)
        before, seen = fuzzed.snapshot(conversations=False), fuzzed.sent_to(user.id)
        with fuzzed.watching():
            fuzzed.run(fuzzed.bot.send(user, f"{command} {args}"))
        said = [m.plain for m in fuzzed.api.bot_messages(user.id)[seen:]]
        assert said, "no answer"
        if fuzzed.snapshot(conversations=False) != before:
            assert any(s.startswith("✅") for s in said), said
            changed.append(args)

    check()
    assert changed  # the explicit example at least: the property is not vacuous


async def test_the_report_flow_meets_the_same_block(bot, api, org, handed):
    """已完成 chosen in /汇报 goes through the same move: refused, nothing changed."""
    parent, child, _ = handed
    chen = org.users["陈书记"]
    before = await snapshot(bot)
    for text in ("/汇报", parent, "已完成", "跳过"):
        await bot.send(chen, text)
    said = api.last(chen.id).plain
    assert f"{parent} 还有分解给下级的事项未完成：{child}" in said, said
    async with bot.app.bot_data.services.db.read() as tx:
        assert (await tx.items.by_code(parent)).status is ItemStatus.OPEN
    assert await snapshot(bot) == before


async def test_a_child_is_not_extended_past_its_parent(bot, api, org, handed):
    parent, child, _ = handed
    li = org.users["李明"]
    await bot.send(li, f"/我的清单 {child}")
    await bot.press(li, api.last(li.id), "申请延期")
    before = await snapshot(bot)
    await bot.send(li, "2027-04-05")
    said = api.last(li.id).plain
    assert f"不能晚于原事项 {parent} 的截止日期（2027-03-31）" in said, said
    assert await snapshot(bot) == before
    await bot.send(li, "2027-03-31")
    await bot.send(li, "支部换届，需要顺延")
    assert "延期" in api.last(li.id).plain


def test_who_may_hand_down_and_who_sees_the_report():
    from bot.domain.delegation import can_hand_down, can_see_chain_report
    from bot.domain.model import CONSOLE, Actor

    def actor(pid: int) -> Actor:
        return Actor(telegram_user_id=pid, person=PEOPLE[pid])

    parent = item(1, 10, TODAY)
    assert [can_hand_down(a, parent) for a in (actor(10), actor(11), actor(13), CONSOLE)] == [
        True, False, False, True]
    assert [can_see_chain_report(a) for a in (actor(10), actor(11), actor(13), actor(14),
                                              CONSOLE)] == [True, False, True, False, True]
