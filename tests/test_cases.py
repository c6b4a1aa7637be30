"""The 问责 register (issue 22, first step): cases, 一案双查, who sees them, /问责, the CLI."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest

from bot.domain.cases import (
    Case,
    CaseProblem,
    CaseStatus,
    Party,
    PartyRole,
    Review,
    can_see_case,
    check_case,
    plan_reviews,
)
from bot.domain.model import Actor, Duty, Person, Role, Unit, UnitKind
from bot.rules import RulesError, load_rules
from bot.services.cases import CaseDraft
from bot.services.errors import CaseRefused, NotAllowed
from tests.botprocess import DUTYBOT, clean_env
from tests.conftest import DISCIPLINE_GROUP

RULES = load_rules().accountability

# 局党委 ← 财务科 ← 财务科党支部
UNITS = {1: Unit(1, "某局党委", UnitKind.COMMITTEE), 2: Unit(2, "财务科", UnitKind.DEPARTMENT, 1),
         3: Unit(3, "财务科党支部", UnitKind.BRANCH, 2)}
PEOPLE = {
    10: Person(10, "陈书记", 1, frozenset({Role.SECRETARY})),
    11: Person(11, "李明", 1, frozenset({Role.MEMBER}), oversees=frozenset({2})),
    12: Person(12, "王芳", 1, frozenset({Role.MEMBER}), oversees=frozenset({99})),
    13: Person(13, "刘纪委", 1, frozenset({Role.DISCIPLINE_SECRETARY})),
    14: Person(14, "周支书", 3, frozenset({Role.BRANCH_SECRETARY})),
    15: Person(15, "赵会计", 3, frozenset()),
}


def actor(pid: int) -> Actor:
    return Actor(telegram_user_id=pid, person=PEOPLE[pid])


# -- domain ------------------------------------------------------------------------------

def test_one_case_two_reviews_name_the_responsible_from_the_bottom_up():
    principal, supervision = plan_reviews(3, 15, PEOPLE, UNITS)
    assert principal.duty is Duty.PRINCIPAL and principal.unit_id == 3
    assert principal.parties == (Party(14, PartyRole.BRANCH_SECRETARY),
                                 Party(10, PartyRole.SECRETARY), Party(11, PartyRole.OVERSEER))
    assert supervision.duty is Duty.SUPERVISION
    assert supervision.parties == (Party(13, PartyRole.DISCIPLINE_SECRETARY),)


def test_the_person_a_case_concerns_is_never_a_party_of_its_review():
    principal, _ = plan_reviews(3, 14, PEOPLE, UNITS)
    assert 14 not in {p.person_id for p in principal.parties}


def case(status: CaseStatus = CaseStatus.OPEN, person: int = 15, unit: int = 3) -> Case:
    return Case(1, "A0001", person, unit, "4", "压案不查", "诫勉", None, True, False, status)


REVIEWS = [Review(1, 1, Duty.PRINCIPAL, 3, 13, date(2027, 1, 4),
                  (Party(14, PartyRole.BRANCH_SECRETARY), Party(10, PartyRole.SECRETARY),
                   Party(11, PartyRole.OVERSEER)))]


@pytest.mark.parametrize(("pid", "open_", "closed"), [
    (13, True, True),  # the 纪委: always
    (10, False, True),  # the 书记 is a party: not before 办结
    (11, False, True),  # the 分管 member is a party: not before 办结
    (12, False, False),  # another member: not their 分管 scope
    (14, False, False),  # a 支部书记: no
    (15, False, False),  # the person concerned: no
])
def test_who_sees_a_case(pid, open_, closed):
    assert can_see_case(actor(pid), case(), REVIEWS, UNITS) is open_
    assert can_see_case(actor(pid), case(CaseStatus.CLOSED), REVIEWS, UNITS) is closed
    # `concerned_see = "never"`: those it concerns never see it, 办结 or not
    never = closed and pid not in (10, 11)
    assert can_see_case(actor(pid), case(CaseStatus.CLOSED), REVIEWS, UNITS,
                        after_closing=False) is never


def test_the_rules_file_says_when_those_concerned_may_see_a_case(tmp_path):
    assert RULES.concerned_see_after_closing is True
    path = tmp_path / "rules.toml"
    path.write_text('[accountability]\nconcerned_see = "never"\n', encoding="utf-8")
    assert load_rules(path).accountability.concerned_see_after_closing is False
    path.write_text('[accountability]\nconcerned_see = "sometimes"\n', encoding="utf-8")
    with pytest.raises(RulesError, match="concerned_see"):
        load_rules(path)


def test_a_case_needs_a_situation_of_the_list_a_known_handling_and_a_finding():
    for args, field in ((("", "诫勉", "x"), "situation"), (("11", "诫勉", "x"), "situation"),
                        (("4", "罚款", "x"), "handling"), (("4", None, " "), "finding")):
        with pytest.raises(CaseProblem) as problem:
            check_case(args[0], RULES.situations, args[1], RULES.handlings, args[2])
        assert problem.value.field == field
    check_case("4", RULES.situations, None, RULES.handlings, "压案不查")


def test_the_rules_file_lists_the_ten_situations_and_refuses_a_code_twice(tmp_path):
    assert list(RULES.situations) == [str(n) for n in range(1, 11)]
    assert RULES.situations["4"].text.startswith("对严重违纪违法行为放任纵容")
    bad = tmp_path / "rules.toml"
    bad.write_text('[accountability]\nsituations = [{ code = "1", text = "a" }, '
                   '{ code = "1", text = "b" }]\n', encoding="utf-8")
    with pytest.raises(RulesError, match=r"代码 '1' 重复"):
        load_rules(bad)


# -- through the bot -----------------------------------------------------------------------

@pytest.fixture
async def recorded(bot, org):
    """刘纪委 records a 违纪违法 case about 周支书 (财务科党支部): 一案双查."""
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        liu = next(p for p in (await tx.persons.all()).values() if p.name == "刘纪委")
    return await services.cases.record(
        Actor(telegram_user_id=13, person=liu),
        CaseDraft(person="周支书", situation="4", finding="对下属违规报销压案不查",
                  handling="诫勉", decided_on="12月1日", misconduct=True))


async def test_recording_a_misconduct_case_opens_both_reviews(bot, org, recorded):
    assert recorded.case.code == "A0001" and recorded.unit.name == "财务科党支部"
    duties = {r.duty: r for r in recorded.reviews}
    assert set(duties) == {Duty.PRINCIPAL, Duty.SUPERVISION}
    names = {recorded.names[p.person_id] for p in duties[Duty.PRINCIPAL].parties}
    assert names == {"陈书记", "李明"}  # 周支书 is the one concerned
    assert all(recorded.names[r.owner_id] == "刘纪委" for r in recorded.reviews)


async def test_only_the_entitled_see_the_case_and_only_in_private(bot, api, org, recorded,
                                                                   admin):
    liu, chen, li, wang = (org.users[n] for n in ("刘纪委", "陈书记", "李明", "王芳"))
    await bot.send(liu, "/问责")
    assert "A0001" in api.last(liu.id).plain and "主体责任倒查" in api.last(liu.id).plain
    for user in (chen, li, wang, org.users["周支书"]):
        await bot.send(user, "/cases")
        assert "A0001" not in api.last(user.id).plain, user.first_name
    group = api.group(DISCIPLINE_GROUP, "局纪委工作群")
    await bot.send(admin, "/bindgroup 纪委", chat=group)
    await bot.send(liu, "/cases", chat=group)
    assert "私聊" in api.last(group.id).plain and "A0001" not in api.last(group.id).plain
    # nothing about the case was ever pushed to anyone
    for user in (chen, li, wang, org.users["周支书"]):
        assert not [m for m in api.bot_messages(user.id) if "A0001" in m.plain]
    # 办结: now the 书记 and the 分管 member see it, the other member still does not
    await bot.send(liu, "/问责 办结 A0001")
    assert "已办结" in api.last(liu.id).plain
    for user, sees in ((chen, True), (li, True), (wang, False)):
        await bot.send(user, "/问责")
        assert ("A0001" in api.last(user.id).plain) is sees, user.first_name


async def test_closing_is_the_discipline_bodys_and_says_so(bot, api, org, recorded):
    chen = org.users["陈书记"]
    await bot.send(chen, "/问责 办结 A0001")
    assert "只能由纪委操作" in api.last(chen.id).plain
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        assert (await tx.cases.get(recorded.case.id)).status is CaseStatus.OPEN
    liu = org.users["刘纪委"]
    await bot.send(liu, "/问责 办结 A9999")
    assert "没有编号为“A9999”的问责案件" in api.last(liu.id).plain


async def test_bad_cases_are_refused_naming_the_field_and_nothing_is_saved(bot, org):
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        people = {p.name: p for p in (await tx.persons.all()).values()}
    liu = Actor(telegram_user_id=13, person=people["刘纪委"])
    for draft, field in ((CaseDraft("周支书", "", "x"), "situation"),
                         (CaseDraft("周支书", "12", "x"), "situation"),
                         (CaseDraft("周支书", "4", "x", handling="罚款"), "handling")):
        with pytest.raises(CaseRefused) as refused:
            await services.cases.record(liu, draft)
        assert refused.value.field == field
    with pytest.raises(NotAllowed):
        await services.cases.record(Actor(telegram_user_id=10, person=people["陈书记"]),
                                    CaseDraft("周支书", "4", "x"))
    async with services.db.read() as tx:
        assert await tx.cases.all() == []


def test_the_console_records_a_case_by_a_named_discipline_member(tmp_path):
    env = clean_env(DUTYBOT_DB_PATH=str(tmp_path / "bot.db"))

    def dutybot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(DUTYBOT), *args], cwd=tmp_path, env=env, text=True,
                              capture_output=True, timeout=60)

    book = tmp_path / "people.xlsx"
    assert dutybot("template", str(book)).returncode == 0
    _fill(book)
    assert dutybot("import", str(book)).returncode == 0, "import"
    wrong = dutybot("case", "add", "周支书", "--by", "刘纪委", "--situation", "12",
                    "--finding", "压案不查")
    assert wrong.returncode == 1 and "没有编号为“12”的追责情形" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
    done = dutybot("case", "add", "周支书", "--by", "刘纪委", "--situation", "4",
                   "--finding", "压案不查", "--misconduct")
    assert done.returncode == 0, done.stderr
    assert "已登记问责案件 A0001" in done.stdout and "<b>" not in done.stdout
    listed = dutybot("case", "list")
    assert "A0001 周支书（财务科党支部）" in listed.stdout and "监督责任倒查" in listed.stdout


def _fill(book) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(book)
    units, people = wb["单位"], wb["人员"]
    for ws in (units, people):
        ws.delete_rows(2, ws.max_row)
    for row in (("某局党委", None, "党委"), ("财务科", "某局党委", "部门"),
                ("财务科党支部", "财务科", "党支部")):
        units.append(row)
    for row in (("陈书记", "党委书记", "某局党委"), ("刘纪委", "纪委书记", "某局党委"),
                ("周支书", "支部书记", "财务科党支部")):
        people.append(row)
    wb.save(book)


async def test_the_cases_migration_upgrades_a_database_of_the_previous_version(tmp_path):
    from storage.db import Database
    from tests.test_channels import build_to

    path = tmp_path / "old.db"
    build_to(path, 7)
    db = await Database.open(path)
    try:
        assert (await db.migrate())[0] == 8  # and any later ones
        async with db.read() as tx:
            assert await tx.cases.all() == [] and await tx.cases.reviews() == {}
    finally:
        await db.close()


async def test_the_ledger_has_a_cases_sheet_for_the_discipline_body_only(bot, api, org,
                                                                         recorded, admin):
    """The 纪委's export has the 问责 sheet; the office's has neither it nor any trace of
    the case in the 履责纪实."""
    import io

    import openpyxl

    def book_of(user) -> openpyxl.Workbook:
        sent = api.last(user.id)
        assert sent.file is not None, sent.plain
        return openpyxl.load_workbook(io.BytesIO(sent.file))

    liu = org.users["刘纪委"]
    await bot.send(liu, "/export")
    book = book_of(liu)
    rows = list(book["问责"].iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "被问责人", "所在单位", "追责情形")
    assert rows[1][0] == "A0001" and rows[1][1] == "周支书" and rows[1][7] == "是"
    assert "主体责任倒查：刘纪委负责" in rows[1][10] and "陈书记" in rows[1][10]
    events = [r[3] for r in book["履责纪实"].iter_rows(values_only=True)]
    assert "登记问责案件" in events
    await bot.send(admin, "/export")
    office = book_of(admin)
    assert "问责" not in office.sheetnames
    events = [r for r in office["履责纪实"].iter_rows(values_only=True)]
    assert not [r for r in events if "问责" in str(r[3]) or "倒查" in str(r[3])]


async def test_the_discipline_body_records_a_case_in_chat_step_by_step(bot, api, org):
    liu, chen = org.users["刘纪委"], org.users["陈书记"]
    await bot.send(chen, "/问责 登记")
    assert "只能由纪委操作" in api.last(chen.id).plain
    await bot.send(liu, "/问责 登记")
    assert "涉及哪一位" in api.last(liu.id).plain
    await bot.send(liu, "周支书")
    assert "追责情形" in api.last(liu.id).plain
    await bot.send(liu, "11")  # not on the list: asked again, nothing saved
    assert "追责情形" in api.last(liu.id).plain
    await bot.send(liu, "4")
    await bot.press(liu, api.last(liu.id), "是，违纪违法（一案双查）")
    await bot.press(liu, api.last(liu.id), "诫勉")
    await bot.send(liu, "对下属违规报销问题压案不查")
    done = api.last(liu.id).plain
    assert "已登记问责案件 A0001，并按一案双查开启主体责任和监督责任倒查" in done
    assert "主体责任倒查：刘纪委负责" in done and "陈书记（党委书记）" in done
    # the case is in the register, and nobody examined was told anything
    await bot.send(liu, "/问责")
    assert "A0001 周支书（财务科党支部）" in api.last(liu.id).plain
    for name in ("陈书记", "李明", "周支书"):
        user = org.users[name]
        assert not [m for m in api.bot_messages(user.id) if "A0001" in m.plain], name


async def test_the_quarterly_and_bimonthly_reports_are_drafted_from_the_register(
        bot, api, org, recorded, clock):
    """A week before they are due, 刘纪委 (who owns both reports) gets each as a draft in
    private, with an Excel file and the report's own buttons; nobody else gets anything."""
    import io
    from datetime import datetime, timedelta

    import openpyxl

    from tests.conftest import TZ

    liu = org.users["刘纪委"]
    services = bot.app.bot_data.services
    await bot.tick()  # the year's obligations on the lists
    await services.cases.record(
        Actor(telegram_user_id=13, person=(await _person(services, "刘纪委"))),
        CaseDraft(person="王芳", situation="5",
                  finding="交办事项不督促落实", handling="通报批评", typical=True))
    before = len(api.bot_messages(liu.id))
    clock.set(datetime(2026, 12, 23, 9, 0, tzinfo=TZ))
    await bot.tick()
    assert not [m for m in api.bot_messages(liu.id)[before:] if "草稿" in m.plain]
    clock.set(clock.now() + timedelta(days=1))  # 12-24: a week before 12-31
    await bot.tick()
    fresh = api.bot_messages(liu.id)[before:]
    files = [m for m in fresh if m.file is not None]
    drafts = [m for m in fresh if "（草稿）" in m.plain and m.file is None]
    assert len(files) == 2 and len(drafts) == 2, [m.plain[:30] for m in fresh]
    quarterly = next(m for m in drafts if "责任追究情况报告" in m.plain)
    assert "统计期间：2026-10-01 至 2026-12-31" in quarterly.plain
    assert "本期登记问责案件 2 件，其中违纪违法案件（一案双查）1 件" in quarterly.plain
    assert "诫勉：1 件" in quarterly.plain and "通报批评：1 件" in quarterly.plain
    assert any(label.startswith("收到") for label, _ in quarterly.buttons)
    typical = next(m for m in drafts if "典型案例通报" in m.plain)
    assert "A0002 王芳" in typical.plain and "A0001" not in typical.plain
    book = openpyxl.load_workbook(io.BytesIO(
        next(m for m in files if "典型案例" in (m.file_name or "")).file))
    assert [r[0] for r in book["典型案例"].iter_rows(min_row=2, values_only=True)] == ["A0002"]
    # once: the next days bring no second draft; and no one else ever got one
    clock.set(clock.now() + timedelta(days=1))
    await bot.tick()
    assert len([m for m in api.bot_messages(liu.id)[before:] if m.file is not None]) == 2
    for chat_id in api.messages:
        if chat_id != liu.id:
            assert not [m for m in api.bot_messages(chat_id) if "草稿" in m.plain], chat_id


async def _person(services, name: str):
    async with services.db.read() as tx:
        return next(p for p in (await tx.persons.all()).values() if p.name == name)


async def test_marking_a_typical_case_is_the_discipline_bodys(bot, api, org, recorded):
    liu, chen = org.users["刘纪委"], org.users["陈书记"]
    await bot.send(chen, "/问责 典型 A0001")
    assert "只能由纪委操作" in api.last(chen.id).plain
    await bot.send(liu, "/问责 典型 A0001")
    assert "已标记为典型案例" in api.last(liu.id).plain
    await bot.send(liu, "/问责")
    assert "典型案例" in api.last(liu.id).plain.split("\n")[2]


async def test_a_review_reminds_its_owner_and_escalates_within_the_discipline_body_only(
        bot, api, org, recorded, clock):
    """The 倒查 fall due 30 days after the case (23 Nov → 23 Dec). 刘纪委, who leads them,
    is reminded; once they are a week late the other 纪委 member hears of it; the 书记 and
    the 分管 member, who are examined, never do. A concluded 倒查 reminds no one."""
    from datetime import datetime

    from tests.conftest import TZ

    sun = await org.person(15, "孙纪检", "/登记 孙纪检 纪委委员 局纪委")
    liu = org.users["刘纪委"]
    for day in (16, 23, 30):
        clock.set(datetime(2026, 12, day, 9, 0, tzinfo=TZ))
        await bot.tick()
    to_liu = [m.plain for m in api.bot_messages(liu.id) if "倒查提醒" in m.plain]
    assert len(to_liu) == 6  # T-7, T-0 … of both 倒查 (the latest stage of each day)
    assert "问责案件 A0001 的主体责任倒查由您负责" in to_liu[0]
    to_sun = [m.plain for m in api.bot_messages(sun.id) if "倒查督办" in m.plain]
    assert len(to_sun) == 2 and "负责人 刘纪委" in to_sun[0]
    for name in ("陈书记", "李明", "周支书", "王芳"):
        user = org.users[name]
        assert not [m for m in api.bot_messages(user.id) if "倒查" in m.plain], name
    # concluded: no more reminders of it
    await bot.send(liu, "/问责 倒查 A0001 主体 党委对下属报销问题失察，已约谈书记")
    assert "已登记 A0001 的倒查结论" in api.last(liu.id).plain
    await bot.send(liu, "/问责 倒查 A0001 主体 再写一次")
    assert "没有这项倒查，或它已经有了结论" in api.last(liu.id).plain
    before = len(api.bot_messages(liu.id))
    clock.set(datetime(2026, 12, 31, 9, 0, tzinfo=TZ))
    await bot.tick()
    later = [m.plain for m in api.bot_messages(liu.id)[before:] if "倒查" in m.plain]
    assert not [t for t in later if "主体责任倒查" in t]


def test_no_one_leads_the_review_of_their_own_responsibility():
    from bot.domain.cases import review_owner

    people = {**PEOPLE, 16: Person(16, "孙纪检", 1, frozenset({Role.DISCIPLINE}))}
    _, supervision = plan_reviews(3, 15, people, UNITS)
    assert review_owner(13, supervision.parties, people) == 16  # not 刘纪委 himself
    assert review_owner(13, supervision.parties, PEOPLE) == 13  # nobody else: he holds it
    principal, _ = plan_reviews(3, 15, people, UNITS)
    assert review_owner(13, principal.parties, people) == 13


async def test_a_review_conclusion_needs_a_known_review_and_changes_nothing_otherwise(
        bot, api, org, recorded):
    liu, chen = org.users["刘纪委"], org.users["陈书记"]
    services = bot.app.bot_data.services
    for user, line, said in (
            (liu, "/问责 倒查 A0001 其他 结论", "不是倒查的类型，请写“主体”或“监督”"),
            (liu, "/问责 倒查 A9999 主体 结论", "没有编号为“A9999”的问责案件"),
            (chen, "/问责 倒查 A0001 主体 结论", "只能由纪委操作")):
        await bot.send(user, line)
        assert said in api.last(user.id).plain, line
    async with services.db.read() as tx:
        reviews = (await tx.cases.reviews([recorded.case.id]))[recorded.case.id]
    assert all(r.status.value == "open" for r in reviews)
