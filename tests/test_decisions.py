"""Decisions waiting on someone are duties too (issue 22 §6): a 整改 in 待验收 and a 延期
request are in their deciders' digests (待您决定) and /待办 with their age, and after T+3
workdays the decider's superior — within the 纪委 for the 纪委's own — is told once."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.domain.calendar import WorkCalendar, YearOverride
from bot.domain.decision_escalation import (
    escalation_stage,
    escalation_targets,
    superiors,
    workdays_after,
)
from bot.domain.decisions import DecisionKind, PendingDecision
from bot.domain.model import Duty, ItemStatus, ListKind, Person, Role, Unit, UnitKind
from bot.domain.policy import ReminderPolicy
from bot.fake_telegram.driver import driven_bot
from messages.export import event_details, event_name, subject_name
from tests.conftest import ADMIN_ID, DISCIPLINE_GROUP, TZ, snapshot
from tests.test_e2e_extensions import ask_extension
from tests.test_e2e_fixes import create_fix
from tests.test_e2e_replies import item_state
from tests.travel import at

# 局党委 ← 财务科 ← 财务科党支部; 项目科 ← 项目科党支部; 后勤党支部 (nobody 分管 it)
UNITS = {1: Unit(1, "某局党委", UnitKind.COMMITTEE), 2: Unit(2, "财务科", UnitKind.DEPARTMENT, 1),
         3: Unit(3, "财务科党支部", UnitKind.BRANCH, 2),
         4: Unit(4, "项目科", UnitKind.DEPARTMENT, 1),
         5: Unit(5, "后勤党支部", UnitKind.BRANCH, 1), 6: Unit(6, "局纪委", UnitKind.SUBORDINATE, 1)}
PEOPLE = {
    10: Person(10, "陈书记", 1, frozenset({Role.SECRETARY})),
    11: Person(11, "李明", 1, frozenset({Role.MEMBER}), oversees=frozenset({2})),
    12: Person(12, "王芳", 1, frozenset({Role.MEMBER}), oversees=frozenset({4})),
    13: Person(13, "刘纪委", 6, frozenset({Role.DISCIPLINE_SECRETARY})),
    14: Person(14, "周支书", 3, frozenset({Role.BRANCH_SECRETARY})),
    15: Person(15, "吴支书", 5, frozenset({Role.BRANCH_SECRETARY})),
    16: Person(16, "孙委员", 6, frozenset({Role.DISCIPLINE})),
    17: Person(17, "郑晓", 1, frozenset({Role.ADMIN})),
}


def decision(*deciders: int, discipline: bool = False, subject: int | None = None,
             since: date = date(2026, 11, 23)) -> PendingDecision:
    return PendingDecision(DecisionKind.ACCEPTANCE, "item:1", "G0001", "整改", deciders, since,
                           unit_id=3, discipline=discipline, subject_id=subject, ref=1)


# -- domain ------------------------------------------------------------------------------

@pytest.mark.parametrize(("pid", "expected"), [
    (11, [10]),  # a 班子成员: the 书记
    (14, [11]),  # a 下级党组织书记: the 班子成员 who 分管 their unit (above it)
    (15, [10]),  # … or, when nobody 分管 it, the 书记
    (17, [10]),  # the office: the 书记
    (10, []),  # the 书记: nobody above the 党委 in the bot
])
def test_whose_superior(pid, expected):
    assert superiors(PEOPLE[pid], PEOPLE, UNITS) == expected


@pytest.mark.parametrize(("deciders", "expected"), [
    ((14,), [11]),
    ((15,), [10]),
    ((11, 12), [10]),
    ((10,), []),
    ((10, 17), [10]),  # the office's superior is the 书记, a decider too: still told (督办)
])
def test_an_ordinary_decision_goes_to_the_deciders_superiors(deciders, expected):
    assert escalation_targets(decision(*deciders), PEOPLE, UNITS) == expected


def test_the_discipline_s_own_decisions_stay_inside_the_discipline():
    # the 纪委 as a body: its 纪委书记 — never the 分管 李明 or the 书记, though unit 3 is theirs
    assert escalation_targets(decision(13, 16, discipline=True), PEOPLE, UNITS) == [13]
    assert escalation_targets(decision(16, discipline=True), PEOPLE, UNITS) == [13]
    # the 纪委书记's own: the other 纪委 members
    assert escalation_targets(decision(13, discipline=True), PEOPLE, UNITS) == [16]
    # never the one the decision is about (a 纪委 member's own 整改)
    assert escalation_targets(decision(13, discipline=True, subject=16), PEOPLE, UNITS) == []
    assert escalation_targets(decision(14, subject=11), PEOPLE, UNITS) == []


def test_unknown_deciders_reach_nobody():
    assert escalation_targets(decision(99), PEOPLE, UNITS) == []


def test_workdays_are_counted_across_a_weekend_and_a_holiday():
    calendar = WorkCalendar({2030: YearOverride(
        holidays=frozenset(date(2030, 10, d) for d in (1, 2, 3, 4, 7)),
        workdays=frozenset({date(2030, 10, 12)}))})  # a 调休 Saturday
    # Friday: Monday is the first workday, then 国庆 (1–7 Oct), then Tuesday and Wednesday
    assert workdays_after(date(2030, 9, 27), 3, calendar) == date(2030, 10, 9)
    assert workdays_after(date(2030, 9, 30), 3, calendar) == date(2030, 10, 10)  # over 国庆
    assert workdays_after(date(2030, 10, 10), 3, calendar) == date(2030, 10, 14)  # Sat works
    policy = ReminderPolicy()
    waiting = decision(13, since=date(2030, 9, 30))
    assert escalation_stage(waiting, date(2030, 10, 9), calendar, policy) is None
    assert escalation_stage(waiting, date(2030, 10, 10), calendar, policy) == "T+3"
    assert escalation_stage(waiting, date(2030, 10, 20), calendar, policy) == "T+3"
    off = ReminderPolicy(leaders_after_days=0)
    assert escalation_stage(waiting, date(2030, 10, 20), calendar, off) is None


# -- through the bot -----------------------------------------------------------------------

def escalations(api, user) -> list:
    return [m for m in api.bot_messages(user.id) if m.plain.startswith("⏫ 督办")]


async def tick_on(bot, clock, day: date, hour: int = 9):
    clock.set(at(day, hour))
    await bot.tick()


async def reported_fix(bot, api, org):
    """孙委员 joins the 纪委; 刘纪委 sets 李明 a 整改; 李明 reports its 整改方案 done on
    Monday 23 Nov 2026: it waits for the 纪委's 验收."""
    await org.person(16, "孙委员", "/登记 孙委员 纪委委员 局纪委")
    ji, li = org.users["刘纪委"], org.users["李明"]
    main, plan = await create_fix(bot, api, ji)
    await bot.sender.drain()
    plan_item, _ = await item_state(bot, plan)
    await bot.press_data(li, api.last(li.id), f"it:done:{plan_item.id}:d")
    assert (await item_state(bot, plan))[0].status is ItemStatus.PENDING_VERIFICATION
    return main, plan, plan_item.id


async def test_a_rectification_waiting_for_its_acceptance(settings, bot, api, org, clock):
    _, plan, plan_id = await reported_fix(bot, api, org)
    ji, sun = org.users["刘纪委"], org.users["孙委员"]
    others = [org.users[n] for n in ("陈书记", "李明", "王芳", "周支书")]
    await tick_on(bot, clock, date(2026, 11, 23))
    digest = api.last(ji.id)
    assert "今日提醒" in digest.plain and "待您决定" in digest.plain
    assert f"待验收 · {plan} 整改方案：" in digest.plain and "今天提交" in digest.plain
    assert "责任人 李明（某局党委）" in digest.plain
    assert (f"销号 {plan}", f"zg:ok:{plan_id}") in digest.buttons
    assert (f"退回 {plan}", f"zg:back:{plan_id}") in digest.buttons
    assert "待您决定" in api.last(sun.id).plain
    assert all("⚖️ 待您决定" not in m.plain for u in others for m in api.bot_messages(u.id))
    # its age grows day by day; /待办 shows it too
    await tick_on(bot, clock, date(2026, 11, 25))
    assert "已等 2 天" in api.last(ji.id).plain and not escalations(api, ji)
    await bot.send(ji, "/待办")
    todo = api.last(ji.id)
    assert "待您决定" in todo.plain and plan in todo.plain and "已等 2 天" in todo.plain
    assert (f"销号 {plan}", f"zg:ok:{plan_id}") in todo.buttons
    # three workdays after Monday: Thursday the 纪委书记 is told, and nobody outside the 纪委
    await tick_on(bot, clock, date(2026, 11, 26))
    told = escalations(api, ji)
    assert len(told) == 1, [m.plain for m in told]
    assert "已等待 3 个工作日" in told[0].plain and plan in told[0].plain
    assert "应由 刘纪委、孙委员 决定" in told[0].plain and not told[0].buttons
    for user in [sun, *others]:
        assert not escalations(api, user), user.first_name
    assert all("督办：待决定" not in m.plain for m in api.bot_messages(DISCIPLINE_GROUP))
    # once only: the next days, and after a restart on the same database
    await tick_on(bot, clock, date(2026, 11, 27))
    async with driven_bot(settings, api, clock) as again:
        clock.set(at(date(2026, 11, 27), 10))
        await again.tick()
        assert len(escalations(api, ji)) == 1
        async with again.app.bot_data.services.db.read() as tx:
            events = await tx.events.for_subject("item", plan_id)
        steps = [e for e in events if e.kind == "decision.escalated"]
        assert [(e.data["stage"], e.data["recipients"]) for e in steps] == [
            ("T+3", [f"p:{(await person_id(again, '刘纪委'))}"])]
        # 孙委员 signs it off from his digest: it leaves the digests, nothing more is sent
        friday = api.last(sun.id)
        await again.press(sun, friday, f"销号 {plan}")
        assert api.callback_answers[-1].text == f"{plan} 已销号"
        assert (f"{plan} · 已销号", f"it:st:{plan_id}:d") in friday.buttons
        clock.set(at(date(2026, 11, 30)))
        await again.tick()
    assert (await item_state(bot, plan))[0].status is ItemStatus.VERIFIED
    monday = [m for m in api.bot_messages(ji.id) if "2026-11-30" in m.plain]
    assert all(plan not in m.plain.split("待您决定")[-1] for m in monday)
    assert len(escalations(api, ji)) == 1


async def person_id(bot, name: str) -> int:
    async with bot.app.bot_data.services.db.read() as tx:
        return next(p.id for p in (await tx.persons.all()).values() if p.name == name)


async def test_a_forged_or_foreign_press_in_the_digest_changes_nothing(bot, api, org, clock):
    _, plan, plan_id = await reported_fix(bot, api, org)
    await tick_on(bot, clock, date(2026, 11, 24))
    digest = api.last(org.users["刘纪委"].id)
    before = await snapshot(bot)
    await bot.press_data(org.users["陈书记"], digest, f"zg:ok:{plan_id}")
    assert "只能由纪委操作" in api.callback_answers[-1].text
    for bad in ("ex:ok:1:q", "ex:ok:x:g", "ex:ok:1:g:g", "zg:ok:0"):
        await bot.press_data(org.users["刘纪委"], digest, bad)
        assert "失效" in api.callback_answers[-1].text, bad
    assert await snapshot(bot) == before
    assert (await item_state(bot, plan))[0].status is ItemStatus.PENDING_VERIFICATION


async def test_a_rectification_s_extension_waits_on_the_discipline(bot, api, org, clock):
    main, _, _ = await reported_fix(bot, api, org)
    ji, sun, li = org.users["刘纪委"], org.users["孙委员"], org.users["李明"]
    main_id = (await item_state(bot, main))[0].id
    await bot.send(li, "/我的清单")
    await bot.press_data(li, api.last(li.id), f"it:ext:{main_id}:l0")
    await bot.send(li, "2027-01-15")
    await bot.send(li, "需补充整改材料")
    assert "已提交延期申请" in api.last(li.id).plain
    await tick_on(bot, clock, date(2026, 11, 24))
    digest = api.last(sun.id)
    assert f"延期申请待审批 · {main}" in digest.plain and "申请人 李明" in digest.plain
    approve = next(d for b, d in digest.buttons if b == f"批准延期 {main}")
    assert approve.startswith("ex:ok:") and approve.endswith(":g")
    # the leader may not approve his own request, even with the data
    before = await snapshot(bot)
    await bot.press_data(li, digest, approve)
    assert await snapshot(bot) == before
    # Thursday (T+3 workdays from Monday): the 纪委书记, once; nobody outside the 纪委
    for day in (25, 26, 27):
        await tick_on(bot, clock, date(2026, 11, day))
    told = [m for m in escalations(api, ji) if main in m.plain]
    assert len(told) == 1 and "延期申请待审批" in told[0].plain
    for name in ("陈书记", "李明", "王芳"):
        assert not escalations(api, org.users[name])
    # 孙委员 approves it in the digest: only its row changes, the due date moves
    digest = api.last(sun.id)
    text = digest.plain
    await bot.press(sun, digest, f"批准延期 {main}")
    assert api.callback_answers[-1].text == "已批准，截止日期已顺延"
    assert digest.plain == text and (f"{main} · 已批准延期", f"it:st:{main_id}:d") in \
        digest.buttons
    item, _ = await item_state(bot, main)
    assert item.due_date == date(2027, 1, 15)
    await tick_on(bot, clock, date(2026, 11, 30))
    assert f"延期申请待审批 · {main}" not in api.last(sun.id).plain
    assert len([m for m in escalations(api, ji) if main in m.plain]) == 1


async def test_an_ordinary_extension_waits_on_the_secretary(bot, api, org, clock, world):
    chen, wang = org.users["陈书记"], org.users["王芳"]
    await bot.send(wang, "/我的清单")
    await ask_extension(bot, api, wang, api.last(wang.id), "申请延期", "2026-12-20",
                        "等待上级批复")
    await tick_on(bot, clock, date(2026, 11, 24))
    digest = api.last(chen.id)
    assert f"延期申请待审批 · {world['b']}" in digest.plain and "已等 1 天" in digest.plain
    await bot.send(chen, "/todo")
    assert world["b"] in api.last(chen.id).plain.split("待您决定")[-1]
    # the 书记 has no superior in the bot: nobody else hears of it, whatever the wait
    for day in (25, 26, 27, 30):
        await tick_on(bot, clock, date(2026, 11, day))
    for user in org.users.values():
        assert not escalations(api, user), user.first_name
    assert not escalations(api, api.users[ADMIN_ID])
    digest = api.last(chen.id)
    assert "已等 7 天" in digest.plain
    await bot.press(chen, digest, f"驳回 {world['b']}")
    assert api.callback_answers[-1].text == "已驳回"
    await bot.send(chen, "/待办")
    assert "待您决定" not in api.last(chen.id).plain


async def each_persons_decisions_as_everyones(bot) -> list[PendingDecision]:
    """Asked for one person's, the sources may leave out what that person cannot decide,
    never what they can: for everyone registered, the same as picked from everyone's."""
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        everyone = await services.decisions.pending_in(tx)
        for person in (await tx.persons.all()).values():
            theirs = [d for d in await services.decisions.pending_in(tx, person)
                      if person.id in d.decider_ids]
            assert theirs == [d for d in everyone if person.id in d.decider_ids], person.name
    return everyone


async def test_one_person_s_decisions_are_those_of_everyone_s_they_decide(bot, api, org, world):
    """/待办 reads only the asker's decisions; a 支部书记 (no deciding role) is asked none of
    the 验收 and 延期 sources, and loses nothing by it."""
    await reported_fix(bot, api, org)
    wang = org.users["王芳"]
    await bot.send(wang, "/我的清单")
    await ask_extension(bot, api, wang, api.last(wang.id), "申请延期", "2026-12-20",
                        "等待上级批复")
    kinds = {d.kind for d in await each_persons_decisions_as_everyones(bot)}
    assert kinds == {DecisionKind.ACCEPTANCE, DecisionKind.EXTENSION}
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        zhou = await tx.persons.by_telegram_id(org.users["周支书"].id)
        assert await services.decisions.pending_in(tx, zhou) == []


def test_the_escalation_reads_in_words_in_the_ledger():
    details = event_details("decision.escalated", {
        "decision": "acceptance", "code": "G0002", "stage": "T+3", "since": "2026-11-23",
        "recipients": ["p:13"]}, lambda key: {"p:13": "刘纪委"}[key])
    assert event_name("decision.escalated") == "待决定督办"
    assert details.startswith("待验收自 2026-11-23 起未决定，阶段 T+3，告知 刘纪委")
    assert subject_name("extension", "7", None) == "延期申请（序号 7）"


async def test_a_returned_rectification_waits_anew_when_reported_again(bot, api, org, clock):
    _, _, plan_id = await reported_fix(bot, api, org)
    ji, li = org.users["刘纪委"], org.users["李明"]
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        (waiting,) = [d for d in await services.decisions.pending_in(tx)
                      if d.key == f"item:{plan_id}"]
    assert waiting.since == date(2026, 11, 23) and waiting.discipline
    assert waiting.kind is DecisionKind.ACCEPTANCE and waiting.subject_id is not None
    await bot.sender.drain()
    await bot.press(ji, api.last(ji.id), "退回")
    await bot.send(ji, "方案缺少时间表")
    async with services.db.read() as tx:
        assert all(d.key != f"item:{plan_id}" for d in await services.decisions.pending_in(tx))
    clock.set(at(date(2026, 11, 25), 15))
    await bot.sender.drain()
    await bot.press_data(li, api.last(li.id), f"it:done:{plan_id}:d")
    async with services.db.read() as tx:
        (waiting,) = [d for d in await services.decisions.pending_in(tx)
                      if d.key == f"item:{plan_id}"]
    assert waiting.since == date(2026, 11, 25)


async def test_an_item_imported_as_waiting_counts_from_its_last_change(services):
    async with services.db.transaction() as tx:
        unit = await tx.units.add(name="某局党委", kind=UnitKind.COMMITTEE, parent_id=None,
                                  now=datetime(2026, 11, 2, 10, tzinfo=TZ))
        owner = await tx.persons.add(name="李明", unit_id=unit.id,
                                     roles=frozenset({Role.MEMBER}), oversees=frozenset(),
                                     now=datetime(2026, 11, 2, 10, tzinfo=TZ))
        await tx.items.add(kind=ListKind.RECTIFICATION, title="旧整改", duty=Duty.DUAL,
                           owner_id=owner.id, unit_id=unit.id, parent_id=None, source="巡察",
                           due_date=date(2026, 12, 31), now=datetime(2026, 11, 3, 10, tzinfo=TZ),
                           status=ItemStatus.PENDING_VERIFICATION)
    async with services.db.read() as tx:
        (found,) = await tx.decisions.awaiting_check()
        (waiting,) = await services.decisions.pending_in(tx)
    assert found.since.date() == date(2026, 11, 3) and waiting.since == date(2026, 11, 3)
    assert waiting.decider_ids == ()  # nobody to decide yet: no digest, no escalation
