"""责任书 签字背书 and the year-end 对账 (issue 22 §3): who gets one, what is on it, the
signature, the 对账 line by line, its 对账确认, carry-over into next year, the pending
decisions they leave, and the refusals — each naming its field and changing nothing."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from bot.domain.decisions import DecisionKind
from bot.domain.letters import (
    Answer,
    Carry,
    Letter,
    LetterProblem,
    Line,
    LineState,
    can_confirm,
    carried_due,
    check_answer,
    check_confirm,
    check_sign,
    holders,
    issue_due,
    letter_items,
    opening,
    reconcile_due,
)
from bot.domain.model import Actor, Duty, Item, ItemStatus, ListKind, Person, Role
from bot.rules import RulesError, load_rules
from bot.services.errors import LetterRefused, NotAllowed
from messages.refusals import refusal
from tests.conftest import TZ, snapshot
from tests.test_decisions import each_persons_decisions_as_everyones

PEOPLE = {
    10: Person(10, "陈书记", 1, frozenset({Role.SECRETARY})),
    11: Person(11, "李明", 1, frozenset({Role.MEMBER}), oversees=frozenset({2})),
    13: Person(13, "刘纪委", 1, frozenset({Role.DISCIPLINE_SECRETARY})),
    14: Person(14, "周支书", 3, frozenset({Role.BRANCH_SECRETARY})),
    15: Person(15, "赵会计", 3, frozenset()),
    16: Person(16, "钱委员", 1, frozenset({Role.MEMBER, Role.DISCIPLINE})),
    17: Person(17, "孙主任", 1, frozenset({Role.ADMIN})),
}


def actor(pid: int) -> Actor:
    return Actor(telegram_user_id=pid, person=PEOPLE[pid])


def item(item_id: int, kind: ListKind, due: date, owner: int = 11,
         status: ItemStatus = ItemStatus.OPEN) -> Item:
    return Item(item_id, f"X{item_id:04d}", kind, f"事项{item_id}", Duty.DUAL, owner, 1, due,
                status)


def line(answer: Answer | None = None, confirmed: bool = False, holder: int = 11,
         reason: str | None = None) -> Line:
    at = datetime(2027, 12, 2, 10, 0, tzinfo=TZ)
    return Line(1, 1, holder, 2027, 5, "Z0005", "事项", date(2027, 6, 30), 1, answer, reason,
                at if answer else None, 13 if confirmed else None, at if confirmed else None)


# -- domain --------------------------------------------------------------------------------

def test_every_member_and_lower_secretary_holds_a_letter_and_nobody_else():
    assert [p.name for p in holders(PEOPLE)] == ["李明", "周支书", "钱委员"]


def test_the_letter_lists_the_holders_items_of_the_year_on_the_three_lists_and_fixes():
    items = [item(1, ListKind.RESPONSIBILITY, date(2027, 6, 30)),
             item(2, ListKind.MEASURE, date(2027, 3, 1)),
             item(3, ListKind.RECTIFICATION, date(2027, 9, 1)),
             item(4, ListKind.PROBLEM, date(2027, 6, 30)),  # a problem: not a duty to sign
             item(5, ListKind.OBLIGATION, date(2027, 1, 31)),  # recurring: not on it
             item(6, ListKind.RESPONSIBILITY, date(2028, 1, 5)),  # next year's
             item(7, ListKind.RESPONSIBILITY, date(2027, 6, 30), owner=14),  # someone else's
             item(8, ListKind.MEASURE, date(2027, 6, 30), status=ItemStatus.CANCELLED)]
    assert [i.id for i in letter_items(items, 11, 2027)] == [2, 1, 3]


def test_a_verified_fix_is_reconciled_and_a_done_item_waits_for_confirmation():
    assert opening(item(1, ListKind.RECTIFICATION, date(2027, 6, 1),
                        status=ItemStatus.VERIFIED)) == (Answer.DONE, True)
    assert opening(item(2, ListKind.MEASURE, date(2027, 6, 1),
                        status=ItemStatus.DONE)) == (Answer.DONE, False)
    assert opening(item(3, ListKind.MEASURE, date(2027, 6, 1))) == (None, False)


def test_only_the_holder_signs_and_only_once():
    letter = Letter(1, 11, 2027, date(2027, 1, 11))
    check_sign(actor(11), letter)
    with pytest.raises(LetterProblem) as other:
        check_sign(actor(14), letter)
    assert other.value.field == "holder"
    signed = Letter(1, 11, 2027, date(2027, 1, 11), datetime(2027, 1, 11, 10, tzinfo=TZ))
    with pytest.raises(LetterProblem) as twice:
        check_sign(actor(11), signed)
    assert twice.value.field == "signed"


def test_the_holder_answers_and_undone_needs_a_reason():
    check_answer(actor(11), line(), Answer.DONE, None)
    check_answer(actor(11), line(), Answer.UNDONE, "资金未到位")
    for who, answer, reason, field in ((14, Answer.DONE, None, "holder"),
                                       (11, Answer.UNDONE, None, "reason"),
                                       (11, Answer.UNDONE, "  ", "reason")):
        with pytest.raises(LetterProblem) as refused:
            check_answer(actor(who), line(), answer, reason)
        assert refused.value.field == field
    with pytest.raises(LetterProblem) as confirmed:
        check_answer(actor(11), line(Answer.DONE, confirmed=True), Answer.UNDONE, "x")
    assert confirmed.value.field == "confirmed"


@pytest.mark.parametrize(("pid", "allowed"), [
    (13, True), (10, True), (17, True),  # 纪委, 书记, 党委办公室
    (11, False), (14, False), (15, False),  # the holder, a lower 书记, anyone else
    (16, True),  # a 班子成员 who is also 纪委: someone else's line, yes
])
def test_who_may_confirm_someone_elses_line(pid, allowed):
    assert can_confirm(actor(pid), 11) is allowed


def test_confirming_refusals_name_their_field():
    done, undone = line(Answer.DONE), line(Answer.UNDONE, reason="资金未到位")
    check_confirm(actor(13), done, None)
    check_confirm(actor(10), undone, Carry.CARRY)
    cases = [
        (actor(11), done, None, "own"),  # a holder confirming their own line
        (actor(14), done, None, "confirmer"),  # a lower 书记
        (Actor(telegram_user_id=16, person=PEOPLE[16]), line(Answer.DONE, holder=16), None,
         "own"),  # a 班子成员 who is also 纪委: never their own line
        (actor(13), line(), None, "answer"),  # not answered yet
        (actor(13), line(Answer.DONE, confirmed=True), None, "confirmed"),  # twice
        (actor(13), undone, None, "carry"),  # 未完成 without 结转/不结转
        (actor(13), done, Carry.CARRY, "carry_done"),  # 已完成 cannot carry
    ]
    for who, one, carry, field in cases:
        with pytest.raises(LetterProblem) as refused:
            check_confirm(who, one, carry)
        assert refused.value.field == field


def test_line_states():
    assert line().state is LineState.WAITING
    assert line(Answer.DONE).state is LineState.ANSWERED
    assert line(Answer.DONE, confirmed=True).state is LineState.CONFIRMED


def test_a_carried_item_is_due_the_same_day_a_year_on():
    assert carried_due(date(2027, 6, 30)) == date(2028, 6, 30)
    assert carried_due(date(2028, 2, 29)) == date(2029, 2, 28)


def test_the_windows_of_issue_and_reconcile():
    issue, reconcile = date(2027, 1, 10), date(2027, 12, 1)
    assert not issue_due(date(2027, 1, 9), issue, reconcile)
    assert issue_due(date(2027, 1, 10), issue, reconcile)
    assert issue_due(date(2027, 2, 8), issue, reconcile)  # a bot down on the day catches up
    assert not issue_due(date(2027, 6, 1), issue, reconcile)  # then: the console's
    assert not issue_due(date(2027, 11, 20), issue, date(2027, 1, 20))
    assert reconcile_due(date(2027, 12, 31), reconcile)
    assert not reconcile_due(date(2027, 11, 30), reconcile)


# -- rules ---------------------------------------------------------------------------------

def test_the_rules_file_gives_the_days_and_marks_them_as_defaults(tmp_path):
    from importlib.resources import files

    rules = load_rules().letters
    assert rules.issue_on(2027) == date(2027, 1, 10)
    assert rules.reconcile_on(2027) == date(2027, 12, 1)
    text = (files("bot") / "default_rules.toml").read_text(encoding="utf-8")
    section = text[text.index("[letters]"):text.index("[letters]") + 400]
    assert section.count("默认值") == 2
    mine = tmp_path / "rules.toml"
    mine.write_text('[letters]\nreconcile = "11-20"\n', encoding="utf-8")
    merged = load_rules(mine).letters
    assert merged.issue == (1, 10) and merged.reconcile == (11, 20)  # merged per key
    mine.write_text('[letters]\nissue = "13-01"\n', encoding="utf-8")
    with pytest.raises(RulesError, match=r"letters\.issue：应为 MM-DD"):
        load_rules(mine)
    mine.write_text('[letters]\nreconcile = "01-05"\n', encoding="utf-8")
    with pytest.raises(RulesError, match=r"letters\.reconcile：应在一年中"):
        load_rules(mine)


# -- storage -------------------------------------------------------------------------------

async def test_the_letters_migration_upgrades_a_database_of_the_previous_version(tmp_path):
    from storage.db import Database
    from tests.test_channels import build_to

    path = tmp_path / "old.db"
    build_to(path, 8)
    db = await Database.open(path)
    try:
        assert 10 in await db.migrate()
        async with db.read() as tx:
            assert await tx.letters.of_year(2027) == []
            assert await tx.letters.waiting() == []
            assert await tx.letters.pending_decisions(date(2027, 3, 1)) == []
        assert await db.migrate() == []
    finally:
        await db.close()


# -- end to end ----------------------------------------------------------------------------

ISSUE_DAY = datetime(2027, 1, 11, 9, 0, tzinfo=TZ)  # 01-10 is a Sunday: the next workday
RECONCILE_DAY = datetime(2027, 12, 1, 9, 0, tzinfo=TZ)


def letters_of(api, user) -> list:
    return [m for m in api.bot_messages(user.id) if m.plain.startswith("📜 ")
            and "党风廉政建设责任书" in m.plain and m.file is None]


def files_of(api, user, word: str) -> list:
    return [m for m in api.bot_messages(user.id)
            if m.file is not None and word in (m.file_name or "")]


@pytest.fixture
async def year(bot, api, org, clock):
    """2027's lists: two items of 李明's (a 责任 and a 措施), one 措施 of 周支书's; 王芳
    holds nothing for 2027."""
    codes = {
        "duty": await org.item("责任", "落实财务科廉政风险防控责任", "一岗双责", "李明", "财务科",
                               "2027-06-30"),
        "measure": await org.item("措施", "修订财务审批制度", "一岗双责", "李明", "财务科",
                                  "2027-09-30"),
        "branch": await org.item("措施", "开展支部廉政教育", "一岗双责", "周支书",
                                 "财务科党支部", "2027-05-31"),
    }
    return codes


async def _line_ids(bot, name: str) -> dict[str, int]:
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        person = next(p for p in (await tx.persons.all()).values() if p.name == name)
        letter = await tx.letters.of(person.id, 2027)
        return {x.code: x.id for x in await tx.letters.lines(letter.id)}


async def _letter_id(bot, name: str, year: int = 2027) -> int:
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        person = next(p for p in (await tx.persons.all()).values() if p.name == name)
        return (await tx.letters.of(person.id, year)).id


async def test_letters_go_out_on_the_issue_day_in_private_with_the_sheet(bot, api, org, year,
                                                                         clock):
    li, zhou, wang = org.users["李明"], org.users["周支书"], org.users["王芳"]
    clock.set(datetime(2027, 1, 8, 9, 0, tzinfo=TZ))
    await bot.tick()
    assert not letters_of(api, li)  # not before its day
    clock.set(ISSUE_DAY)
    await bot.tick()
    [letter] = letters_of(api, li)
    assert "2027年度党风廉政建设责任书" in letter.plain and "李明（某局党委）" in letter.plain
    assert year["duty"] in letter.plain and year["measure"] in letter.plain
    assert year["branch"] not in letter.plain
    assert [label for label, _ in letter.buttons] == ["✍️ 签字背书"]
    [sheet] = files_of(api, li, "责任书")
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.file))["责任书"].iter_rows(
        values_only=True))
    assert ("序号", "编号", "事项", "清单", "责任类型", "截止日期") in rows
    assert {r[1] for r in rows[7:]} == {year["duty"], year["measure"]}
    assert year["branch"] in letters_of(api, zhou)[0].plain
    assert not letters_of(api, wang)  # nothing for 2027: no letter
    assert not letters_of(api, org.users["陈书记"])  # the 书记 gives them, holds none
    await bot.tick()
    assert len(letters_of(api, li)) == 1  # once


async def test_signing_is_the_holders_own_and_once(bot, api, org, year, clock):
    li, zhou = org.users["李明"], org.users["周支书"]
    clock.set(ISSUE_DAY)
    await bot.tick()
    li_letter = await _letter_id(bot, "李明")
    # 周支书 forges a tap on 李明's letter: refused, nothing changed
    before = await snapshot(bot)
    await bot.press_data(zhou, letters_of(api, zhou)[0], f"qz:{li_letter}")
    assert "只有责任书的责任人本人" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    clock.set(datetime(2027, 1, 12, 10, 30, tzinfo=TZ))
    await bot.press(li, letters_of(api, li)[0], "✍️ 签字背书")
    assert api.last(li.id).plain.startswith("✅ 已签字背书：2027年度党风廉政建设责任书（2 项），"
                                            "时间 2027-01-12 10:30")
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        events = await tx.events.for_subject("letter", li_letter)
    assert [e.kind for e in events] == ["letter.issued", "letter.signed"]
    before = await snapshot(bot)
    await bot.press_data(li, letters_of(api, li)[0], f"qz:{li_letter}")
    assert "已经签字背书" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    await bot.send(li, "/责任书")
    assert "已于 2027-01-12 10:30 签字背书" in api.last(li.id).plain
    assert not api.last(li.id).buttons
    # only 周支书's signature is still waiting, for 周支书, since the issue day
    async with services.db.read() as tx:
        pending = await tx.letters.pending_decisions(date(2027, 1, 20))
    zhou_id = await _person_id(bot, "周支书")
    assert [(d.kind, d.key, d.decider_ids, d.since) for d in pending] == [
        (DecisionKind.SIGNATURE, f"letter:{await _letter_id(bot, '周支书')}", (zhou_id,),
         date(2027, 1, 11))]


async def _person_id(bot, name: str) -> int:
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        return next(p.id for p in (await tx.persons.all()).values() if p.name == name)


async def test_letters_and_reconciling_happen_in_private_only(bot, api, org, year, clock):
    from tests.conftest import DISCIPLINE_GROUP

    group = api.group(DISCIPLINE_GROUP, "局纪委工作群")
    await bot.send(org.admin, "/bindgroup 纪委", chat=group)
    await bot.send(org.users["李明"], "/letter", chat=group)
    assert "只在与我的私聊中办理" in api.last(group.id).plain
    await bot.send(org.users["刘纪委"], "/reconcile", chat=group)
    assert "只在与我的私聊中办理" in api.last(group.id).plain


async def test_from_signature_to_reconciliation_and_carry_over(bot, api, org, year, clock):
    """One year of 李明's 责任书: signed in January; in December the 措施 he closed waits for
    对账确认, the 责任 he could not finish is 未完成 with its reason; 刘纪委 confirms both,
    carrying the 责任 over; 李明 gets his 对账 sheet, and next January's 责任书 holds the
    carried item."""
    li, liu, wang = org.users["李明"], org.users["刘纪委"], org.users["王芳"]
    services = bot.app.bot_data.services
    clock.set(ISSUE_DAY)
    await bot.tick()
    await bot.press(li, letters_of(api, li)[0], "✍️ 签字背书")
    # during the year: the owner's 已完成 closes his 措施, as ever
    async with services.db.transaction() as tx:
        measure = await tx.items.by_code(year["measure"])
        await tx.items.set_status(measure.id, ItemStatus.DONE, clock.now())
    clock.set(datetime(2027, 11, 30, 9, 0, tzinfo=TZ))
    await bot.tick()
    assert not [m for m in api.bot_messages(li.id) if "年度责任书 年终对账" in m.plain]
    clock.set(RECONCILE_DAY)
    await bot.tick()
    [rec] = [m for m in api.bot_messages(li.id) if "年度责任书 年终对账" in m.plain]
    assert "共 2 项，待报告 1 项" in rec.plain
    assert "您报：已完成，待对账确认" in rec.plain
    duty = year["duty"]
    lines = await _line_ids(bot, "李明")
    # a 班子成员 may not confirm, nor see what waits
    await bot.send(wang, "/对账")
    assert "对账确认只能由纪委或党委" in api.last(wang.id).plain
    before = await snapshot(bot)
    await bot.press_data(wang, api.last(wang.id), f"dq:ok:{lines[year['measure']]}")
    assert "对账确认只能由纪委或党委" in api.callback_answers[-1].text
    await bot.press_data(li, rec, f"dq:ok:{lines[year['measure']]}")
    assert "是您本人的事项" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    # 未完成: the reason is asked for, then recorded
    await bot.press(li, rec, f"{duty} 未完成")
    assert "未完成的原因" in api.last(li.id).plain
    await bot.send(li, "专项资金年底才到位，验收顺延")
    assert f"已记录：{duty} 未完成，原因：专项资金年底才到位" in api.last(li.id).plain
    # the 纪委 sees both lines waiting, and confirms them
    await bot.send(liu, "/对账")
    listing = api.last(liu.id)
    assert listing.plain.startswith("🧾 待对账确认（共 2 项")
    assert "李明（某局党委）报：未完成，原因：专项资金年底才到位" in listing.plain
    labels = [label for label, _ in listing.buttons]
    assert f"{year['measure']} 确认" in labels and f"{duty} 确认·结转" in labels
    await bot.press(liu, listing, f"{year['measure']} 确认")
    assert "已对账确认（已完成）" in api.callback_answers[-1].text
    await bot.press(liu, api.last(liu.id), f"{duty} 确认·结转")
    toast = api.callback_answers[-1].text
    assert "已对账确认（未完成），已结转为 Z" in toast
    new_code = toast.rsplit(" ", 1)[-1]
    # twice: refused, nothing changed
    before = await snapshot(bot)
    await bot.press_data(liu, listing, f"dq:drop:{lines[duty]}")
    assert "已经对账确认" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    # the carried item: next year, same day, history linked; the old one cancelled
    async with services.db.read() as tx:
        new = await tx.items.by_code(new_code)
        old = await tx.items.by_code(duty)
        new_events = await tx.events.for_subject("item", new.id)
        pending = await tx.letters.pending_decisions(date(2027, 12, 2))
    assert new.due_date == date(2028, 6, 30) and new.owner_id == old.owner_id
    assert old.status is ItemStatus.CANCELLED
    assert new_events[0].kind == "item.carried_over"
    assert new_events[0].data["carried_from"] == duty
    assert not [d for d in pending if d.kind is DecisionKind.RECONCILIATION]
    # all confirmed: the 对账 sheet goes to 李明
    await bot.tick()
    [sheet] = files_of(api, li, "对账表")
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.file))["对账"].iter_rows(
        values_only=True))
    header = rows.index(("年度", "责任人", "编号", "事项", "截止日期", "责任人报告", "未完成原因",
                         "对账确认人", "对账确认日期", "结转", "结转后编号"))
    body = {r[2]: r for r in rows[header + 1:]}
    assert body[duty][5:] == ("未完成", "专项资金年底才到位，验收顺延", "刘纪委", "2027-12-01",
                              "结转下一年度", new_code)
    assert body[year["measure"]][5] == "已完成" and body[year["measure"]][7] == "刘纪委"
    # the 台账 has the 对账 sheet, and the 履责纪实 the signature and the confirmations
    await bot.send(liu, "/export")
    ledger = openpyxl.load_workbook(io.BytesIO(api.last(liu.id).file))
    rows = list(ledger["对账"].iter_rows(values_only=True))
    assert rows[0][:8] == ("年度", "责任人", "所在单位", "编号", "事项", "截止日期", "签字背书",
                           "责任人报告")
    by_code = {r[3]: r for r in rows[1:]}
    assert by_code[duty][7:9] == ("未完成", "专项资金年底才到位，验收顺延")
    assert by_code[duty][10] == "刘纪委" and by_code[duty][12:] == ("结转下一年度", new_code)
    assert {r[1] for r in rows[1:]} == {"李明", "周支书"}
    events = [(r[3], r[5]) for r in ledger["履责纪实"].iter_rows(values_only=True)]
    assert ("签字背书", next(e[1] for e in events if e[0] == "签字背书")) in events
    assert any(kind == "结转自上一年度" and f"原编号：{duty}" in text for kind, text in events)
    # next year opens from the last: the carried item is on 李明's 2028 责任书
    clock.set(datetime(2028, 1, 10, 9, 0, tzinfo=TZ))
    await bot.tick()
    latest = letters_of(api, li)[-1]
    assert "2028年度党风廉政建设责任书" in latest.plain and new_code in latest.plain


async def test_reconcile_refusals_name_the_field_and_change_nothing(bot, api, org, year, clock):
    li, zhou, chen = org.users["李明"], org.users["周支书"], org.users["陈书记"]
    services = bot.app.bot_data.services
    clock.set(ISSUE_DAY)
    await bot.tick()
    clock.set(RECONCILE_DAY)
    await bot.tick()
    lines = await _line_ids(bot, "李明")
    duty = lines[year["duty"]]
    li_actor = Actor(li.id, await _person(bot, "李明"))
    before = await snapshot(bot)
    # a 未完成 without a reason
    with pytest.raises(LetterRefused) as no_reason:
        await services.letters.answer(li_actor, duty, Answer.UNDONE, "  ")
    assert refusal(no_reason.value) == f"请写明 {year['duty']} 未完成的原因（未完成原因不能为空）。"
    # someone else answering 李明's line
    rec = next(m for m in api.bot_messages(zhou.id) if "年度责任书 年终对账" in m.plain)
    await bot.press_data(zhou, rec, f"dz:done:{duty}")
    assert "只有责任书的责任人本人" in api.callback_answers[-1].text
    # confirming a line not answered yet
    await bot.send(chen, "/对账")
    assert "没有等待对账确认的事项" in api.last(chen.id).plain
    await bot.press_data(chen, api.last(chen.id), f"dq:ok:{duty}")
    assert "还没有报告完成情况" in api.callback_answers[-1].text
    # a forged, unknown or malformed line
    await bot.press_data(chen, api.last(chen.id), "dq:ok:999999")
    assert "找不到这项对账事项" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    # a 已完成 confirmed with 结转 is refused too
    await bot.press(li, next(m for m in api.bot_messages(li.id) if "年度责任书 年终对账" in m.plain),
                    f"{year['duty']} 已完成")
    before = await snapshot(bot)
    await bot.press_data(chen, api.last(chen.id), f"dq:carry:{duty}")
    assert "已完成，无需选择结转" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    # confirmed 已完成: the item, still open, is closed with the confirmation
    await bot.press_data(chen, api.last(chen.id), f"dq:ok:{duty}")
    async with services.db.read() as tx:
        closed = await tx.items.by_code(year["duty"])
        events = await tx.events.for_subject("item", closed.id)
    assert closed.status is ItemStatus.DONE
    assert events[-1].kind == "item.status" and events[-1].data["reconciled"] is True
    with pytest.raises(NotAllowed):
        await services.letters.waiting(li_actor)


async def _person(bot, name: str) -> Person:
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        return next(p for p in (await tx.persons.all()).values() if p.name == name)


async def test_an_answered_line_waits_on_the_confirmers_never_the_holder(bot, api, org, year,
                                                                         clock):
    li = org.users["李明"]
    services = bot.app.bot_data.services
    clock.set(ISSUE_DAY)
    await bot.tick()
    clock.set(RECONCILE_DAY)
    await bot.tick()
    rec = next(m for m in api.bot_messages(li.id) if "年度责任书 年终对账" in m.plain)
    clock.set(datetime(2027, 12, 3, 10, 0, tzinfo=TZ))
    await bot.press(li, rec, f"{year['duty']} 已完成")
    async with services.db.read() as tx:
        pending = await tx.letters.pending_decisions(date(2027, 12, 10))
    waiting = {d.code: d for d in pending if d.kind is DecisionKind.RECONCILIATION}
    assert set(waiting) == {year["duty"]}  # the 措施 is not answered yet: nothing to confirm
    one = waiting[year["duty"]]
    li_id, chen_id, liu_id = [await _person_id(bot, n) for n in ("李明", "陈书记", "刘纪委")]
    assert li_id not in one.decider_ids
    assert {chen_id, liu_id} <= set(one.decider_ids)
    assert one.since == date(2027, 12, 3) and one.discipline is False
    assert one.key == f"reconcile:{(await _line_ids(bot, '李明'))[year['duty']]}"


def test_the_console_sends_the_years_letters_now_and_lists_them(tmp_path):
    """`dutybot letters issue --year 2027`: for an office that set up after the issue day;
    once more changes nothing; `list` says who signed."""
    import subprocess

    from tests.botprocess import DUTYBOT, clean_env

    env = clean_env(DUTYBOT_DB_PATH=str(tmp_path / "bot.db"))

    def dutybot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(DUTYBOT), *args], cwd=tmp_path, env=env, text=True,
                              capture_output=True, timeout=60)

    book = tmp_path / "people.xlsx"
    assert dutybot("template", str(book)).returncode == 0
    wb = openpyxl.load_workbook(book)
    for ws in (wb["单位"], wb["人员"], wb["清单"]):
        ws.delete_rows(2, ws.max_row)
    for row in (("某局党委", None, "党委"), ("财务科", "某局党委", "部门"),
                ("财务科党支部", "财务科", "党支部")):
        wb["单位"].append(row)
    for row in (("陈书记", "党委书记", "某局党委"), ("周支书", "支部书记", "财务科党支部")):
        wb["人员"].append(row)
    wb["清单"].append((None, "措施", "开展支部廉政教育", "一岗双责", "周支书", "财务科党支部",
                       None, None, "2027-05-31", None))
    wb.save(book)
    loaded = dutybot("import", str(book))
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    issued = dutybot("letters", "issue", "--year", "2027")
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.splitlines() == [
        "2027年度责任书：本次排队发送 0 份（已绑定的人在机器人运行时收到）。",
        "· 周支书（财务科党支部）：1 项，未签字背书"]
    again = dutybot("letters", "issue", "--year", "2027")
    assert again.stdout == issued.stdout  # nobody gets a second one
    listed = dutybot("letters", "list", "--year", "2027")
    assert listed.stdout.splitlines()[0] == "2027年度责任书共 1 份。"
    assert dutybot("letters", "issue").returncode == 2  # --year is required


async def test_a_holder_bound_later_gets_their_letter_once_bound(bot, api, org, clock):
    from tests.conftest import invite_code

    wu = await org.person(20, "吴书记", "/登记 吴书记 支部书记 财务科党支部", bind=False)
    await org.item("措施", "支部廉政风险排查", "一岗双责", "吴书记", "财务科党支部", "2027-04-30")
    clock.set(ISSUE_DAY)
    await bot.tick()
    assert not letters_of(api, wu)
    clock.set(datetime(2027, 3, 1, 9, 0, tzinfo=TZ))
    await bot.send(org.admin, "/邀请 吴书记")
    await bot.send(wu, f"/start {invite_code(api.last(org.admin.id).plain)}")
    await bot.tick()
    [letter] = letters_of(api, wu)
    assert "支部廉政风险排查" in letter.plain and letter.buttons


async def test_a_verified_fix_is_reconciled_without_asking(bot, api, org, year, clock):
    """A 整改 already 验收销号 needs no 对账确认; the holder is not asked about it."""
    li = org.users["李明"]
    services = bot.app.bot_data.services
    async with services.db.transaction() as tx:
        person = next(p for p in (await tx.persons.all()).values() if p.name == "李明")
        fix = await tx.items.add(kind=ListKind.RECTIFICATION, title="整改公务接待超标问题",
                                 duty=Duty.DUAL, owner_id=person.id, unit_id=person.unit_id,
                                 parent_id=None, source="巡察", due_date=date(2027, 3, 31),
                                 now=clock.now(), status=ItemStatus.VERIFIED)
    clock.set(ISSUE_DAY)
    await bot.tick()
    clock.set(RECONCILE_DAY)
    await bot.tick()
    rec = next(m for m in api.bot_messages(li.id) if "年度责任书 年终对账" in m.plain)
    assert f"{fix.code} 整改公务接待超标问题\n　已验收销号（视为已对账）" in rec.plain
    assert not [label for label, _ in rec.buttons if label.startswith(fix.code)]
    async with services.db.read() as tx:
        pending = await tx.letters.pending_decisions(date(2027, 12, 2))
    assert fix.code not in {d.code for d in pending}


async def test_help_names_the_letter_to_holders_and_the_reconciliation_to_confirmers(bot, api,
                                                                                    org):
    li, liu = org.users["李明"], org.users["刘纪委"]
    await bot.send(li, "/help")
    assert "/责任书（/letter）" in api.last(li.id).plain
    assert "/对账（/reconcile）" not in api.last(li.id).plain
    await bot.send(liu, "/help")
    assert "/对账（/reconcile）" in api.last(liu.id).plain
    assert "/责任书（/letter）" not in api.last(liu.id).plain
    await bot.send(liu, "/责任书")
    assert "您还没有责任书" in api.last(liu.id).plain


async def test_what_waits_is_in_todo_the_signature_with_its_button(bot, api, org, year, clock):
    """The pending decisions reach /待办 (issue 22 §6): 周支书's unsigned 责任书, signed from
    there; later 李明's answered line, waiting on the 纪委's 对账确认."""
    zhou, li, liu = org.users["周支书"], org.users["李明"], org.users["刘纪委"]
    clock.set(ISSUE_DAY)
    await bot.tick()
    clock.set(datetime(2027, 1, 14, 10, 0, tzinfo=TZ))
    await bot.send(zhou, "/待办")
    todo = next(m for m in reversed(api.bot_messages(zhou.id)) if "待签字背书" in m.plain)
    assert "待签字背书 · 2027年度责任书 2027年度党风廉政建设责任书 · 已等 3 天" in todo.plain
    assert DecisionKind.SIGNATURE in {d.kind for d in await each_persons_decisions_as_everyones(bot)}
    await bot.press(zhou, todo, "✍️ 签字背书")
    assert api.last(zhou.id).plain.startswith("✅ 已签字背书")
    await bot.send(zhou, "/待办")
    assert "待签字背书" not in api.last(zhou.id).plain
    clock.set(RECONCILE_DAY)
    await bot.tick()
    rec = next(m for m in api.bot_messages(li.id) if "年度责任书 年终对账" in m.plain)
    await bot.press(li, rec, f"{year['duty']} 已完成")
    await bot.send(liu, "/待办")
    assert f"待对账确认 · {year['duty']} 落实财务科廉政风险防控责任 · 今天提交\n　责任人 李明" \
        in api.last(liu.id).plain
    await bot.send(li, "/待办")
    assert "待对账确认" not in api.last(li.id).plain  # never the holder's own decision
    kinds = {d.kind for d in await each_persons_decisions_as_everyones(bot)}
    assert DecisionKind.RECONCILIATION in kinds
