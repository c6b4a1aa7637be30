"""监督检查, 检查考核 and the follow-ups of a 问责 case (issue 22 §5): the domain, the rules
file, and end to end through the fake Bot API."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.assessments import (
    AssessmentProblem,
    can_record_assessments,
    can_see_assessment,
    check_grade,
    leader_of,
    parse_year,
)
from bot.domain.inspections import (
    POINT_WORDS,
    FollowUp,
    FollowUpKind,
    FollowUpTerms,
    InspectionKind,
    InspectionProblem,
    Point,
    can_mark_follow_up,
    can_record_inspections,
    check_findings,
    follow_up_dues,
    follow_up_recipients,
    parse_kind,
    parse_point,
    quarter_end,
    unit_head,
)
from bot.domain.model import Actor, Person, Role, Unit, UnitKind
from bot.rules import RulesError, load_rules
from bot.services.cases import CaseDraft
from tests.conftest import TZ, snapshot

UNITS = {1: Unit(1, "某局党委", UnitKind.COMMITTEE), 2: Unit(2, "财务科", UnitKind.DEPARTMENT, 1),
         3: Unit(3, "财务科党支部", UnitKind.BRANCH, 2), 4: Unit(4, "项目科", UnitKind.DEPARTMENT, 1)}
PEOPLE = {
    10: Person(10, "陈书记", 1, frozenset({Role.SECRETARY})),
    11: Person(11, "李明", 1, frozenset({Role.MEMBER}), oversees=frozenset({2})),
    12: Person(12, "王芳", 1, frozenset({Role.MEMBER}), oversees=frozenset({4})),
    13: Person(13, "刘纪委", 1, frozenset({Role.DISCIPLINE_SECRETARY})),
    14: Person(14, "周支书", 3, frozenset({Role.BRANCH_SECRETARY})),
    16: Person(16, "孙纪检", 1, frozenset({Role.DISCIPLINE})),
    17: Person(17, "办公室", 1, frozenset({Role.ADMIN})),
}


def actor(pid: int) -> Actor:
    return Actor(telegram_user_id=pid, person=PEOPLE[pid])


# -- domain ------------------------------------------------------------------------------

def test_the_four_points_and_the_kinds_are_the_source_texts_words():
    assert list(POINT_WORDS.values()) == ["责任分解是否明确", "责任项目是否落实",
                                          "责任履行是否协同", "责任追究是否严格"]
    assert parse_point("1") is Point.DIVISION and parse_point("协同") is Point.COORDINATION
    assert parse_point("责任追究是否严格") is Point.PURSUIT and parse_point("5") is None
    assert parse_kind("巡察") is InspectionKind.PATROL and parse_kind("政治生态分析")
    assert parse_kind("检查") is None


def test_every_point_needs_an_answer():
    answers = {p: None for p in POINT_WORDS}
    check_findings(answers)
    del answers[Point.COORDINATION]
    with pytest.raises(InspectionProblem) as problem:
        check_findings(answers)
    assert problem.value.field == "point_missing" and problem.value.detail == "责任履行是否协同"
    with pytest.raises(InspectionProblem, match="finding"):
        check_findings({**{p: None for p in POINT_WORDS}, Point.ITEMS: "x" * 501})


@pytest.mark.parametrize(("pid", "inspect", "assess"), [
    (13, True, False), (16, True, False), (10, False, True), (17, False, True),
    (11, False, False), (14, False, False)])
def test_who_records_inspections_and_assessments(pid, inspect, assess):
    assert can_record_inspections(actor(pid)) is inspect
    assert can_record_assessments(actor(pid)) is assess


def test_a_member_sees_assessments_of_their_scope_only():
    assert can_see_assessment(actor(11), 3, UNITS) and can_see_assessment(actor(11), 2, UNITS)
    assert not can_see_assessment(actor(11), 4, UNITS)
    assert can_see_assessment(actor(10), 4, UNITS) and can_see_assessment(actor(13), 4, UNITS)
    assert not can_see_assessment(actor(14), 3, UNITS)
    assert leader_of(3, PEOPLE, UNITS).name == "李明" and leader_of(1, PEOPLE, UNITS) is None
    assert unit_head(3, PEOPLE).name == "周支书" and unit_head(4, PEOPLE) is None


def test_a_grade_and_a_year_are_checked():
    check_grade("较好", ("好", "较好", "一般", "差"))
    with pytest.raises(AssessmentProblem, match="grade"):
        check_grade("优秀", ("好", "较好", "一般", "差"))
    assert parse_year("2026") == 2026 and parse_year("2026年") == 2026
    for bad in ("26", "２０２６", "1999", "abcd", ""):
        with pytest.raises(AssessmentProblem, match="year"):
            parse_year(bad)


def test_the_follow_ups_fall_due_as_the_rules_say():
    assert quarter_end(date(2026, 11, 23)) == date(2026, 12, 31)
    assert quarter_end(date(2026, 2, 1)) == date(2026, 3, 31)
    dues = follow_up_dues(date(2026, 11, 23), FollowUpTerms())
    assert dues == {FollowUpKind.WRITTEN: date(2026, 12, 8),
                    FollowUpKind.MEETING: date(2026, 12, 31)}
    assert follow_up_dues(date(2026, 11, 23), FollowUpTerms(10, meeting_days=20))[
        FollowUpKind.MEETING] == date(2026, 12, 13)
    assert follow_up_dues(date(2026, 11, 23), FollowUpTerms(10, meeting_date=(1, 15)))[
        FollowUpKind.MEETING] == date(2027, 1, 15)


def test_a_follow_up_escalates_within_the_discipline_body_only():
    owed = FollowUp(1, 1, FollowUpKind.WRITTEN, 14, date(2026, 12, 8))
    assert follow_up_recipients(owed, "owner", PEOPLE) == [14]
    assert follow_up_recipients(owed, "leaders", PEOPLE) == [13]
    assert follow_up_recipients(owed, "discipline", PEOPLE) == [13, 16]
    assert can_mark_follow_up(actor(14), owed) and can_mark_follow_up(actor(16), owed)
    assert not can_mark_follow_up(actor(10), owed) and not can_mark_follow_up(actor(11), owed)


def test_the_rules_file_marks_its_defaults_and_refuses_a_grade_twice(tmp_path):
    from importlib.resources import files

    rules = load_rules()
    assert rules.inspections.grades == ("好", "较好", "一般", "差")
    assert rules.followups == FollowUpTerms(15, None, None)
    text = (files("bot") / "default_rules.toml").read_text(encoding="utf-8")
    section = text[text.index("[inspections]"):text.index("[followups]")]
    assert "默认值" in section
    assert text[text.index("[followups]"):].count("默认值") >= 2
    mine = tmp_path / "rules.toml"
    mine.write_text('[inspections]\ngrades = ["优秀", "合格", "不合格"]\n'
                    '[followups]\nmeeting_due = "03-31"\n', encoding="utf-8")
    changed = load_rules(mine)
    assert changed.inspections.grades == ("优秀", "合格", "不合格")
    assert changed.followups.meeting_date == (3, 31)
    mine.write_text('[inspections]\ngrades = ["好", "好"]\n', encoding="utf-8")
    with pytest.raises(RulesError, match="grades"):
        load_rules(mine)
    mine.write_text('[followups]\nmeeting_due = "next"\n', encoding="utf-8")
    with pytest.raises(RulesError, match="meeting_due"):
        load_rules(mine)


# -- 监督检查 through the bot ------------------------------------------------------------------

RECORD = ("/监督检查 11月20日 财务科党支部 专项检查\n"
          "分解：无问题\n落实：公务接待台账未按月核对\n协同：无问题\n追究：无问题")


async def test_the_discipline_body_records_an_inspection_and_turns_a_finding_into_a_fix(
        bot, api, org):
    liu, zhou = org.users["刘纪委"], org.users["周支书"]
    await bot.send(liu, RECORD)
    done = api.last(liu.id)
    assert "已登记监督检查 J0001" in done.plain
    assert "责任分解是否明确：无问题" in done.plain
    assert "责任项目是否落实：公务接待台账未按月核对" in done.plain
    labels = [label for label, _ in done.buttons]
    assert labels == ["J0001 落实：转为问题和整改"]
    await bot.press(liu, done, "J0001 落实：转为问题和整改")
    fixed = api.last(liu.id).plain
    assert "已将监督检查 J0001“责任项目是否落实”方面的问题转为问题清单事项 W" in fixed
    assert "责任人 周支书" in fixed
    # the owner was told of the 整改, as any 整改's owner is
    await bot.sender.drain()
    assert any("公务接待台账未按月核对" in m.plain for m in api.bot_messages(zhou.id))
    await bot.send(liu, "/inspect")
    listed = api.last(liu.id)
    assert "→ 问题 W" in listed.plain and not listed.buttons
    # a second tap on the old button: refused, nothing doubled
    before = await snapshot(bot)
    await bot.press(liu, done, "J0001 落实：转为问题和整改")
    assert "已经转为问题清单事项和整改" in api.callback_answers[-1].text
    assert await snapshot(bot) == before


async def test_the_discipline_body_records_an_inspection_step_by_step(bot, api, org):
    liu, chen = org.users["刘纪委"], org.users["陈书记"]
    await bot.send(chen, "/监督检查 登记")
    assert "只能由纪委操作" in api.last(chen.id).plain
    await bot.send(liu, "/监督检查 登记")
    assert "检查的是哪个单位" in api.last(liu.id).plain
    await bot.press(liu, api.last(liu.id), "财务科党支部")
    await bot.press(liu, api.last(liu.id), "巡察")
    await bot.send(liu, "2026-12-20")  # not yet: asked again, nothing saved
    assert "还没到" in api.last(liu.id).plain
    await bot.send(liu, "11月20日")
    assert "责任分解是否明确" in api.last(liu.id).plain
    await bot.press(liu, api.last(liu.id), "无问题")
    await bot.send(liu, "班子成员责任清单未细化到岗")
    await bot.press(liu, api.last(liu.id), "无问题")
    await bot.send(liu, "无问题")
    done = api.last(liu.id)
    assert "已登记监督检查 J0001" in done.plain and "巡察" in done.plain
    assert "责任项目是否落实：班子成员责任清单未细化到岗" in done.plain
    assert "责任追究是否严格：无问题" in done.plain
    assert [label for label, _ in done.buttons] == ["J0001 落实：转为问题和整改"]


async def test_only_the_discipline_body_records_or_converts(bot, api, org):
    liu, chen = org.users["刘纪委"], org.users["陈书记"]
    before = await snapshot(bot)
    await bot.send(chen, RECORD)
    assert "只能由纪委操作" in api.last(chen.id).plain
    assert await snapshot(bot) == before
    await bot.send(liu, RECORD)
    recorded = api.last(liu.id)
    before = await snapshot(bot)
    await bot.press(chen, recorded, "J0001 落实：转为问题和整改")
    assert "只能由纪委操作" in api.callback_answers[-1].text
    assert await snapshot(bot) == before


@pytest.mark.parametrize(("text", "said"), [
    ("/监督检查 11月20日 不存在的科 专项检查\n分解：无问题\n落实：无问题\n协同：无问题\n追究：无问题",
     "找不到单位“不存在的科”"),
    ("/监督检查 11月20日 财务科党支部 抽查\n分解：无问题\n落实：无问题\n协同：无问题\n追究：无问题",
     "检查类型“抽查”不在可选范围内"),
    ("/监督检查 11月20日 财务科党支部 巡察\n分解：无问题\n落实：无问题\n追究：无问题",
     "缺少“责任履行是否协同”方面的检查结论"),
    ("/监督检查 11月20日 财务科党支部 巡察\n分解：无问题\n其他：x\n协同：无问题\n追究：无问题",
     "看不懂检查方面“其他”"),
    ("/监督检查 2026-12-20 财务科党支部 巡察\n分解：无问题\n落实：无问题\n协同：无问题\n追究：无问题",
     "还没到"),
    ("/监督检查 财务科党支部", "第一行写 /监督检查 日期 单位 类型"),
])
async def test_a_bad_inspection_is_refused_naming_the_field(bot, api, org, text, said):
    liu = org.users["刘纪委"]
    before = await snapshot(bot)
    await bot.send(liu, text)
    assert said in api.last(liu.id).plain
    assert await snapshot(bot) == before


async def test_a_finding_in_a_unit_without_a_secretary_says_so(bot, api, org):
    liu = org.users["刘纪委"]
    await bot.send(liu, RECORD.replace("财务科党支部", "项目科"))
    before = await snapshot(bot)
    await bot.press(liu, api.last(liu.id), "J0001 落实：转为问题和整改")
    assert "还没有登记党组织书记" in api.callback_answers[-1].text
    assert await snapshot(bot) == before


# -- 考核 through the bot ----------------------------------------------------------------------

async def test_the_committee_records_a_result_shown_beside_the_bots_figures(bot, api, org):
    chen, li, wang = org.users["陈书记"], org.users["李明"], org.users["王芳"]
    await bot.send(chen, "/考核 2026 财务科党支部 较好 台账规范，整改及时")
    done = api.last(chen.id).plain
    assert "已登记 2026 年度 财务科党支部 检查考核结果" in done
    assert "考核结果：较好" in done and "牵头班子成员：李明" in done
    assert "党委评语：台账规范，整改及时" in done
    assert "机器人记录的数据" in done and "不是考核评分" in done
    assert "按时完成：" in done and "提醒已回应：" in done and "整改验收销号：" in done
    assert "问责案件：0 件" in done
    await bot.send(li, "/assess 2026 财务科党支部")  # his 分管 scope
    assert "考核结果：较好" in api.last(li.id).plain
    await bot.send(li, "/考核")
    assert "财务科党支部：较好（李明牵头）" in api.last(li.id).plain
    await bot.send(wang, "/考核")
    assert "财务科党支部：" not in api.last(wang.id).plain
    # a second result replaces the first
    await bot.send(chen, "/考核 2026 财务科党支部 好 牵头:王芳")
    assert "考核结果：好" in api.last(chen.id).plain
    assert "牵头班子成员：王芳" in api.last(chen.id).plain


@pytest.mark.parametrize(("who", "text", "said"), [
    ("陈书记", "/考核 2026 财务科党支部 优秀", "考核等次“优秀”不在规则文件"),
    ("陈书记", "/考核 2026 不存在的科 好", "找不到单位“不存在的科”"),
    ("陈书记", "/考核 2026 某局党委 好", "检查考核的对象是下级党组织"),
    ("陈书记", "/考核 26 财务科党支部 好", "年份“26”不对"),
    ("陈书记", "/考核 2026 财务科党支部 好 牵头:周支书", "牵头人“周支书”不是班子成员"),
    ("刘纪委", "/考核 2026 财务科党支部 好", "只能由党委"),
    ("李明", "/考核 2026 财务科党支部 好", "只能由党委"),
    ("王芳", "/考核 2026 财务科党支部", "不在您的分管范围内"),
    ("周支书", "/考核 2026 财务科党支部", "只提供给党委、纪委和班子成员"),
])
async def test_a_bad_assessment_is_refused_naming_the_field(bot, api, org, who, text, said):
    user = org.users[who]
    before = await snapshot(bot)
    await bot.send(user, text)
    assert said in api.last(user.id).plain, api.last(user.id).plain
    assert await snapshot(bot) == before


async def test_inspections_and_assessments_are_shown_in_private_only(bot, api, org, admin):
    from tests.conftest import DISCIPLINE_GROUP

    group = api.group(DISCIPLINE_GROUP, "局纪委工作群")
    await bot.send(admin, "/bindgroup 纪委", chat=group)
    liu = org.users["刘纪委"]
    await bot.send(liu, RECORD)
    before = await snapshot(bot)
    await bot.send(liu, "/assess 2026 财务科党支部", chat=group)
    assert "考核结果只在与我的私聊中" in api.last(group.id).plain
    await bot.send(liu, "/inspect", chat=group)
    assert "监督检查记录只在与我的私聊中" in api.last(group.id).plain
    assert "J0001" not in api.last(group.id).plain
    await bot.send(liu, "/inspect 11月20日 财务科党支部 巡察\n分解：无问题", chat=group)
    assert await snapshot(bot) == before


# -- the follow-ups of a 问责 case ---------------------------------------------------------------

async def _record_case(bot, handling: str | None = "诫勉"):
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        liu = next(p for p in (await tx.persons.all()).values() if p.name == "刘纪委")
    return await services.cases.record(
        Actor(telegram_user_id=13, person=liu),
        CaseDraft(person="周支书", situation="4", finding="对下属违规报销压案不查",
                  handling=handling, decided_on="11月23日"))


async def test_a_case_with_a_handling_opens_the_two_follow_ups(bot, api, org):
    view = await _record_case(bot)
    kinds = {f.kind: f for f in view.follow_ups}
    assert kinds[FollowUpKind.WRITTEN].due_date == date(2026, 12, 8)
    assert kinds[FollowUpKind.MEETING].due_date == date(2026, 12, 31)
    assert all(f.owner_id == view.case.person_id for f in view.follow_ups)
    liu = org.users["刘纪委"]
    await bot.send(liu, "/问责")
    shown = api.last(liu.id).plain
    assert "书面检讨：周支书，截止 2026-12-08" in shown and "深刻检查：周支书" in shown
    # not items: nobody's list, no summary shows them
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        titles = [i.title for i in (await tx.items.by_ids(range(1, 200))).values()]
    assert not [t for t in titles if "检讨" in t or "深刻检查" in t]


async def test_a_case_without_a_handling_opens_none(bot, org):
    view = await _record_case(bot, handling=None)
    assert view.follow_ups == []


async def test_follow_ups_remind_the_owner_then_the_discipline_body_in_private_only(
        bot, api, org, clock):
    await _record_case(bot)
    sun = await org.person(15, "孙纪检", "/登记 孙纪检 纪委委员 局纪委")
    zhou, liu = org.users["周支书"], org.users["刘纪委"]
    for day in (1, 8, 11, 18):
        clock.set(datetime(2026, 12, day, 9, 0, tzinfo=TZ))
        await bot.tick()
    to_zhou = [m.plain for m in api.bot_messages(zhou.id) if "问责后续事项" in m.plain]
    assert to_zhou and "向作出处理决定的组织提交书面检讨" in to_zhou[0]
    assert "/问责 检讨 A0001" in to_zhou[0]
    overdue = [m.plain for m in api.bot_messages(liu.id) + api.bot_messages(sun.id)
               if "问责后续事项督办" in m.plain]
    assert overdue and "此消息仅在纪委内部发送" in overdue[0]
    for name in ("陈书记", "李明", "王芳"):
        assert not [m for m in api.bot_messages(org.users[name].id) if "A0001" in m.plain], name
    for chat_id in api.messages:
        if chat_id < 0:
            assert not [m for m in api.bot_messages(chat_id) if "A0001" in m.plain]
    # one tap on the owner's reminder marks it done; nobody else's tap does anything
    reminder = next(m for m in api.bot_messages(zhou.id) if "书面检讨" in m.plain and m.buttons)
    before = await snapshot(bot)
    await bot.press_data(org.users["陈书记"], reminder, reminder.buttons[0][1])
    assert await snapshot(bot) == before
    await bot.press(zhou, reminder, "已提交书面检讨")
    assert "书面检讨已完成" in api.last(zhou.id).plain
    await bot.press(zhou, reminder, "已提交书面检讨")
    assert "已经登记为完成" in api.callback_answers[-1].text


async def test_the_person_or_the_discipline_body_marks_a_follow_up_done(bot, api, org):
    await _record_case(bot)
    zhou, chen, liu = org.users["周支书"], org.users["陈书记"], org.users["刘纪委"]
    before = await snapshot(bot)
    await bot.send(chen, "/问责 检讨 A0001")
    assert "没有编号为“A0001”的问责案件" in api.last(chen.id).plain
    await bot.send(zhou, "/问责 反省 A0001")  # not a follow-up word: the case list
    assert await snapshot(bot) == before
    await bot.send(zhou, "/问责 检讨 A0001 已交")
    assert "已登记问责案件 A0001 的书面检讨已完成" in api.last(zhou.id).plain
    await bot.send(zhou, "/问责 检讨 A0001")
    assert "已经登记为完成" in api.last(zhou.id).plain
    await bot.send(liu, "/问责 检查 A0001")
    assert "深刻检查已完成" in api.last(liu.id).plain
    await bot.send(liu, "/问责")
    assert api.last(liu.id).plain.count("已完成（2026-11-23") == 2


# -- the migration ------------------------------------------------------------------------------

async def test_the_inspections_migration_upgrades_a_database_of_an_older_version(tmp_path):
    from storage.db import Database
    from tests.test_channels import build_to

    path = tmp_path / "old.db"
    build_to(path, 8)
    db = await Database.open(path)
    try:
        applied = await db.migrate()
        assert applied and applied[-1] >= 11 and 11 in applied
        async with db.read() as tx:
            assert await tx.inspections.recent(5) == []
            assert await tx.inspections.assessments() == []
            assert await tx.inspections.follow_ups() == {}
    finally:
        await db.close()


# -- arbitrary input ------------------------------------------------------------------------------

ANY = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)


@pytest.fixture
def fuzzed(settings, api, admin, clock):
    from tests.fuzz import Fuzzed

    world = Fuzzed(settings, api, admin, clock).open()
    yield world
    world.close()


def test_any_arguments_to_the_new_commands_change_nothing_unless_done(fuzzed):
    """/监督检查, /考核 and /问责 检讨 with arbitrary Unicode, from a 纪委 member, the 书记, a
    班子成员 and a 支部书记: never an error; nothing changes unless the reply says done."""
    import sqlite3
    from pathlib import Path

    tables = ("inspections", "inspection_findings", "assessments", "case_followups",
              "items", "events")

    def state() -> list[int]:
        conn = sqlite3.connect(f"file:{Path(fuzzed.settings.db_path)}?mode=ro", uri=True)
        try:
            return [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables]
        finally:
            conn.close()

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck),
              derandomize=True, database=None)
    @given(command=st.sampled_from(("/监督检查 ", "/inspect ", "/考核 ", "/assess ",
                                    "/问责 检讨 ", "/监督检查 11月20日 财务科党支部 ",
                                    "/考核 2026 财务科党支部 ")),
           args=ANY, lines=st.lists(ANY, max_size=5),
           who=st.sampled_from(("刘纪委", "陈书记", "李明", "周支书")))
    def check(command, args, lines, who):
        user = fuzzed.user(who)
        before, seen = state(), fuzzed.sent_to(user.id)
        with fuzzed.watching():
            fuzzed.run(fuzzed.bot.send(user, command + args + "\n" + "\n".join(lines)))
        replies = [m.plain for m in fuzzed.api.bot_messages(user.id)[seen:]]
        assert replies, "no answer"
        if state() != before:
            assert any(r.startswith("✅") for r in replies), replies
        if who in ("李明", "周支书"):
            assert state() == before

    check()


# -- the 台账 -------------------------------------------------------------------------------------

async def test_the_ledger_has_the_inspections_and_assessments_sheets(bot, api, org, admin):
    """Both exports carry 监督检查 and 考核; the follow-ups only in the 纪委's 问责 sheet."""
    import io

    import openpyxl

    liu, chen = org.users["刘纪委"], org.users["陈书记"]
    await bot.send(liu, RECORD)
    await bot.press(liu, api.last(liu.id), "J0001 落实：转为问题和整改")
    await bot.send(chen, "/考核 2026 财务科党支部 较好 台账规范")
    await _record_case(bot)

    def book_of(user) -> openpyxl.Workbook:
        sent = api.last(user.id)
        assert sent.file is not None, sent.plain
        return openpyxl.load_workbook(io.BytesIO(sent.file))

    await bot.send(liu, "/export")
    book = book_of(liu)
    rows = list(book["监督检查"].iter_rows(values_only=True))
    assert rows[0][:6] == ("编号", "检查日期", "被检查单位", "检查类型", "检查方面", "检查发现")
    assert [r[4] for r in rows[1:]] == list(POINT_WORDS.values())
    fixed = rows[2]
    assert fixed[0] == "J0001" and fixed[5] == "公务接待台账未按月核对"
    assert fixed[6].startswith("W") and fixed[7] and fixed[8] == "刘纪委"
    assert rows[1][5] == "无问题" and rows[1][6] is None
    assessed = list(book["考核"].iter_rows(values_only=True))
    assert assessed[1][:5] == (2026, "财务科党支部", "较好", "李明", "台账规范")
    told = [r for r in book["履责纪实"].iter_rows(values_only=True)]
    assert any(r[3] == "登记监督检查" and "发现问题：责任项目是否落实" in r[5] for r in told)
    assert any(r[3] == "登记检查考核结果" and "财务科党支部：较好" in r[5] for r in told)
    cases = list(book["问责"].iter_rows(values_only=True))
    assert cases[0][-1] == "后续义务"
    assert "书面检讨：周支书，截止 2026-12-08" in cases[1][-1]
    await bot.send(admin, "/export")
    office = book_of(admin)
    assert "监督检查" in office.sheetnames and "考核" in office.sheetnames
    assert "问责" not in office.sheetnames
    told = [str(r) for r in office["履责纪实"].iter_rows(values_only=True)]
    assert not [r for r in told if "检讨" in r or "深刻检查" in r]
