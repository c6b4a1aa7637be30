"""人员交接 (issue 24 §5): the plan's rules, the one-transaction move, `/交接` in chat and
`dutybot handover` on the console — and bad input, each a clear line with nothing changed."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.domain.decisions import DecisionKind, PendingDecision
from bot.domain.handover import (
    CannotHandOver,
    DecisionFate,
    HandoverProblem,
    Holdings,
    LetterFate,
    LetterState,
    Why,
    plan_handover,
    talk_title,
)
from bot.domain.model import CONSOLE, Actor, Duty, Item, ItemStatus, ListKind, Person, Role
from bot.domain.target import Target
from bot.services.errors import HandoverRefused, NotAllowed, UnknownPerson
from storage.outbox import OutboxStatus
from tests.botprocess import DUTYBOT, clean_env
from tests.conftest import DISCIPLINE_GROUP, snapshot

# -- domain ------------------------------------------------------------------------------

LI = Person(11, "李明", 1, frozenset({Role.MEMBER}), oversees=frozenset({2}), telegram_user_id=11)
SUN = Person(15, "孙明", 1, frozenset(), telegram_user_id=None)
CHEN = Person(10, "陈书记", 1, frozenset({Role.SECRETARY}))
LIU = Person(13, "刘纪委", 1, frozenset({Role.DISCIPLINE_SECRETARY}))
ZHOU = Person(14, "周支书", 3, frozenset({Role.BRANCH_SECRETARY}))
DUE = date(2026, 12, 2)


def item(item_id: int, owner: int = 11, counterpart: int | None = None,
         kind: ListKind = ListKind.RESPONSIBILITY) -> Item:
    return Item(item_id, f"Z{item_id:04d}", kind, f"事项{item_id}", Duty.DUAL, owner, 2,
                DUE + timedelta(days=item_id), counterpart_id=counterpart)


def decision(key: str, deciders: tuple[int, ...], kind=DecisionKind.ACCEPTANCE,
             subject: int | None = 14) -> PendingDecision:
    return PendingDecision(kind=kind, key=key, code="G0009", title="整改", decider_ids=deciders,
                           since=DUE, subject_id=subject)


def test_the_leaver_and_the_successor_must_be_two_people_of_one_unit():
    with pytest.raises(CannotHandOver) as same:
        plan_handover(LI, LI, Holdings())
    assert same.value.problem is HandoverProblem.SAME_PERSON
    with pytest.raises(CannotHandOver) as unit:
        plan_handover(LI, ZHOU, Holdings())
    assert unit.value.problem is HandoverProblem.WRONG_UNIT


def test_open_items_talks_分管_and_roles_move_to_the_successor():
    talk = item(2, counterpart=14, kind=ListKind.OBLIGATION)
    attend = item(3, owner=10, counterpart=11, kind=ListKind.OBLIGATION)
    plan = plan_handover(LI, SUN, Holdings(owned=[item(1), talk], attending=[attend],
                                            requests=[(7, 1), (8, 99)]))
    assert [i.id for i in plan.items] == [1, 2] and plan.talks == (talk,)
    assert plan.attending == (attend,)
    assert plan.oversees == (2,) and plan.roles == (Role.MEMBER,) and plan.roles_kept == ()
    assert plan.requests == (7,)  # only a request on an item that moves
    assert not plan.empty and plan.left == ()


def test_a_talk_the_successor_attends_is_retitled_only_where_it_names_the_leaver_once():
    talk = item(3, owner=10, counterpart=11, kind=ListKind.OBLIGATION)
    assert talk_title(replace(talk, title="逐级约谈：李明"), LI, SUN) == "逐级约谈：孙明"
    assert talk_title(replace(talk, title="2026年度逐级约谈"), LI, SUN) is None
    assert talk_title(replace(talk, title="李明与李明"), LI, SUN) is None


def test_what_cannot_move_is_left_with_the_reason():
    held = item(4, kind=ListKind.OBLIGATION)
    self_talk = item(5, counterpart=15, kind=ListKind.OBLIGATION)  # 李明 → 孙明: with oneself
    attend_self = item(6, owner=15, counterpart=11, kind=ListKind.OBLIGATION)
    plan = plan_handover(LI, SUN, Holdings(owned=[held, self_talk], attending=[attend_self],
                                            already_held=frozenset({4})))
    assert plan.items == () and plan.attending == ()
    assert [(x.item.id, x.why) for x in plan.left] == [
        (4, Why.ALREADY_HELD), (5, Why.SELF_TALK), (6, Why.SELF_TALK)]


def test_a_unique_role_moves_only_to_a_successor_without_a_conflicting_one():
    discipline = Person(16, "钱纪检", 1, frozenset({Role.DISCIPLINE}))
    plan = plan_handover(CHEN, discipline, Holdings())
    assert plan.roles == () and plan.roles_kept == ((Role.SECRETARY, Why.ROLE_CONFLICT),)
    plan = plan_handover(CHEN, SUN, Holdings())
    assert plan.roles == (Role.SECRETARY,) and plan.roles_kept == ()
    member = Person(17, "吴委员", 1, frozenset({Role.MEMBER}))
    assert plan_handover(LI, member, Holdings()).roles == ()  # held already: nothing to move


def test_pending_decisions_follow_the_roles_or_stay_with_the_other_deciders():
    alone = decision("item:9", (13,))
    shared = decision("extension:3", (13, 18), kind=DecisionKind.EXTENSION)
    theirs = decision("item:8", (13,), subject=15)
    elsewhere = decision("item:7", (18,))
    to_sun = plan_handover(LIU, SUN, Holdings(decisions=[alone, shared, theirs, elsewhere]))
    assert [(d.decision.key, d.fate) for d in to_sun.decisions] == [
        ("item:9", DecisionFate.SUCCESSOR), ("extension:3", DecisionFate.SUCCESSOR),
        ("item:8", DecisionFate.OTHERS)]  # never one's own work: the next in line decides
    secretary = Person(19, "郑书记", 1, frozenset({Role.SECRETARY}))
    kept = plan_handover(LIU, secretary, Holdings(decisions=[alone, shared]))
    assert [d.fate for d in kept.decisions] == [DecisionFate.NOBODY, DecisionFate.OTHERS]


@pytest.mark.parametrize(("signed", "has_one", "fate"), [
    (False, False, LetterFate.MOVES), (True, False, LetterFate.STAYS_SIGNED),
    (False, True, LetterFate.STAYS_SUCCESSOR_HAS_ONE)])
def test_this_years_letter_moves_only_unsigned_and_to_a_successor_without_one(
        signed, has_one, fate):
    letter = LetterState(id=1, year=2026, signed=signed, successor_has_one=has_one)
    sign = decision("letter:1", (11,), kind=DecisionKind.SIGNATURE, subject=11)
    plan = plan_handover(LI, SUN, Holdings(letter=letter, decisions=[sign]))
    assert plan.letter_fate is fate
    assert plan.decisions[0].fate is (
        DecisionFate.SUCCESSOR if fate is LetterFate.MOVES else DecisionFate.NOBODY)


def test_a_leaver_with_nothing_to_move_has_an_empty_plan():
    plain = Person(20, "冯干事", 1, frozenset())
    assert plan_handover(plain, SUN, Holdings()).empty


def test_the_fingerprint_tells_a_changed_plan():
    one = plan_handover(LI, SUN, Holdings(owned=[item(1)]))
    assert one.fingerprint() == plan_handover(LI, SUN, Holdings(owned=[item(1)])).fingerprint()
    assert one.fingerprint() != plan_handover(
        LI, SUN, Holdings(owned=[item(1), item(2)])).fingerprint()


# -- the service: one transaction ----------------------------------------------------------

def services_of(bot):
    return bot.app.bot_data.services


async def people(bot) -> dict[str, Person]:
    async with services_of(bot).db.read() as tx:
        return {p.name: p for p in (await tx.persons.all()).values()}


@pytest.fixture
async def desk(bot, api, org, admin, clock):
    """李明 (班子成员, 分管 财务科) holds an item, a talk to hold, a talk to attend, a 延期
    request and a digest still queued; 孙明 is registered in 某局党委 (bound as user 15)."""
    sun = await org.person(15, "孙明", "/登记 孙明 班子成员 某局党委")
    code = await org.item("责任", "落实财务科廉政风险防控", "一岗双责", "李明", "财务科",
                          "2026-12-02")
    services = services_of(bot)
    named = await people(bot)
    li, chen, zhou = named["李明"], named["陈书记"], named["周支书"]
    now = clock.now()
    async with services.db.transaction() as tx:
        mine = await tx.items.by_code(code)
        talk = await tx.items.add(kind=ListKind.OBLIGATION, title="廉政谈话：周支书",
                                  duty=Duty.DUAL, owner_id=li.id, unit_id=li.unit_id,
                                  parent_id=None, source=None, due_date=date(2026, 12, 31),
                                  now=now, counterpart_id=zhou.id)
        attend = await tx.items.add(kind=ListKind.OBLIGATION, title="逐级约谈：李明",
                                    duty=Duty.FIRST, owner_id=chen.id, unit_id=chen.unit_id,
                                    parent_id=None, source=None, due_date=date(2026, 12, 31),
                                    now=now, counterpart_id=li.id)
        request = await tx.extensions.add(item_id=mine.id, requester_id=li.id,
                                          old_due=mine.due_date, new_due=date(2026, 12, 20),
                                          reason="等审计结果", prev_status=ItemStatus.OPEN,
                                          now=now)
        await tx.items.set_status(mine.id, ItemStatus.EXTENSION_REQUESTED, now)
        await tx.outbox.add(dedup_key="digest:p:test", target=Target.telegram(11),
                            person_id=li.id, kind="digest", day=now.date(),
                            payload={"name": "李明", "entries": []}, now=now)
        await tx.reminders.add_many([(f"p:{li.id}", mine.id, "T-3", mine.due_date, None)],
                                    now.date())
    return {"sun": sun, "code": code, "item": mine.id, "talk": talk.id, "attend": attend.id,
            "request": request.id, "li": li, "chen": chen}


async def test_the_handover_moves_everything_in_one_step_each_move_an_event(bot, desk):
    services = services_of(bot)
    dry = await services.handover.plan(CONSOLE, "李明", "孙明")
    assert not dry.applied and {i.id for i in dry.plan.items} == {desk["item"], desk["talk"]}
    done = await services.handover.apply(CONSOLE, "李明", "孙明")
    assert done.applied and done.successor_told and done.leaver_told
    li, sun_id = desk["li"], (await people(bot))["孙明"].id
    async with services.db.read() as tx:
        assert (await tx.items.get(desk["item"])).owner_id == sun_id
        assert (await tx.items.get(desk["talk"])).owner_id == sun_id
        attend = await tx.items.get(desk["attend"])
        assert attend.counterpart_id == sun_id and attend.title == "逐级约谈：孙明"
        assert (await tx.extensions.get(desk["request"])).requester_id == sun_id
        sun = await tx.persons.get(sun_id)
        assert Role.MEMBER in sun.roles and len(sun.oversees) == 1
        # the leaver's binding ends; their name stays on their history
        gone = await tx.persons.get(li.id)
        assert gone.telegram_user_id is None and gone.roles == frozenset()
        assert await tx.persons.by_telegram_id(11) is None
        assert li.id not in await tx.persons.all()
        assert (await tx.persons.directory())[li.id].name == "李明"
        events = await tx.events.for_subject("item", desk["item"])
        moved = [e for e in events if e.kind == "item.handed_over"]
        assert moved[0].data["leaver"] == "李明" and moved[0].data["successor"] == "孙明"
        assert moved[0].data["via"] == "交接"
        assert [e.kind for e in await tx.events.for_subject("item", desk["attend"])
                ][-1] == "item.handed_over"
        assert [e.kind for e in await tx.events.for_subject("person", li.id)
                ][-1] == "person.handed_over"
        # nothing queued for the leaver goes out; the successor and the leaver are told
        pending = await tx.outbox.by_status(OutboxStatus.PENDING)
        superseded = await tx.outbox.by_status(OutboxStatus.SUPERSEDED)
        assert "digest:p:test" in {m.dedup_key for m in superseded}
        kinds = {(m.kind, m.chat_id) for m in pending}
        assert ("handover_successor", 15) in kinds and ("handover_leaver", 11) in kinds
        assert not [m for m in pending if m.person_id == li.id and m.kind != "handover_leaver"]
        unsent = await tx.reminders.unsent()
        assert {r.recipient for r in unsent if r.item_id == desk["item"]} == {f"p:{sun_id}"}


async def test_a_failure_half_way_changes_nothing(bot, desk, monkeypatch):
    from storage.handover import HandoverRepo

    before = await snapshot(bot)

    async def broken(self, person_id, now):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(HandoverRepo, "end_binding", broken)
    with pytest.raises(RuntimeError):
        await services_of(bot).handover.apply(CONSOLE, "李明", "孙明")
    assert await snapshot(bot) == before
    async with services_of(bot).db.read() as tx:
        assert (await tx.items.get(desk["item"])).owner_id == desk["li"].id


async def test_bad_pairs_are_refused_and_change_nothing(bot, desk):
    services = services_of(bot)
    before = await snapshot(bot)
    for leaver, successor, problem in (("李明", "李明", "same_person"),
                                       ("李明", "周支书", "wrong_unit")):
        with pytest.raises(HandoverRefused) as refused:
            await services.handover.apply(CONSOLE, leaver, successor)
        assert refused.value.problem == problem
    with pytest.raises(UnknownPerson):
        await services.handover.apply(CONSOLE, "李明", "无名氏")
    with pytest.raises(NotAllowed):
        await services.handover.apply(Actor(telegram_user_id=10, person=desk["chen"]),
                                      "李明", "孙明")
    with pytest.raises(HandoverRefused) as changed:  # the plan shown is not the plan now
        await services.handover.apply(CONSOLE, "李明", "孙明", expected="11>15;i")
    assert changed.value.problem == "changed"
    assert await snapshot(bot) == before


async def test_someone_who_left_can_hand_over_nothing_again(bot, desk):
    services = services_of(bot)
    await services.handover.apply(CONSOLE, "李明", "孙明")
    with pytest.raises(UnknownPerson):
        await services.handover.plan(CONSOLE, "李明@某局党委", "孙明")
    with pytest.raises(UnknownPerson):
        await services.handover.plan(CONSOLE, "孙明", "李明")


# -- in chat: /交接 --------------------------------------------------------------------------

async def test_admin_hands_over_by_buttons_and_both_are_told(bot, api, admin, org, desk):
    await bot.send(admin, "/交接")
    ask = api.last(admin.id)
    assert "离任人员" in ask.plain
    await bot.press(admin, ask, "李明（某局党委）")
    ask = api.last(admin.id)
    assert "继任人员" in ask.plain and "周支书" not in [b for b, _ in ask.buttons]
    await bot.press(admin, ask, "孙明")
    preview = api.last(admin.id)
    assert "交接预览（尚未交接）" in preview.plain and desk["code"] in preview.plain
    assert "逐级约谈：李明" in preview.plain and "分管单位：财务科" in preview.plain
    async with services_of(bot).db.read() as tx:  # the dry run moved nothing
        assert (await tx.items.get(desk["item"])).owner_id == desk["li"].id
    confirm = next(data for label, data in preview.buttons if label == "确认交接")
    await bot.press(admin, preview, "确认交接")
    done = api.last(admin.id)
    assert "已交接" in done.plain and "已私聊告知孙明" in done.plain
    events = await snapshot(bot)
    await bot.press_data(admin, preview, confirm)  # a second tap on the same button
    assert "按钮已失效" in api.callback_answers[-1].text
    assert await snapshot(bot) == events
    await bot.tick()
    told = [m.plain for m in api.bot_messages(15)]
    notice = next(t for t in told if "李明的工作已交接给您" in t)
    assert desk["code"] in notice and "分管单位：财务科" in notice
    # the reminder planned for the leaver reaches the successor, in their digest
    assert any("今日提醒" in t and desk["code"] in t for t in told)
    assert not [m for m in api.bot_messages(11) if "今日提醒" in m.plain]
    assert "已交接给孙明" in api.last(11).plain
    await bot.send(org.users["李明"], "/我的清单")  # the leaver's account is free again
    assert "还没有绑定" in api.last(11).plain
    await bot.send(desk["sun"], "/我的清单")
    assert desk["code"] in api.last(15).plain


async def test_a_typed_pair_shows_the_dry_run_at_once(bot, api, admin, desk):
    await bot.send(admin, "/handover 李明 孙明")
    shown = api.last(admin.id)
    assert "交接预览" in shown.plain and tuple(
        b for b, _ in shown.buttons if b == "确认交接") == ("确认交接", )


async def test_only_admins_hand_over_and_only_in_private(bot, api, admin, org, desk):
    await bot.send(admin, "/help")
    assert "/交接" in api.last(admin.id).plain
    chen = org.users["陈书记"]
    await bot.send(chen, "/help")
    assert "/交接" not in api.last(chen.id).plain
    before = await snapshot(bot)
    await bot.send(chen, "/交接")
    assert "人员交接只能由管理员" in api.last(chen.id).plain
    await bot.send(chen, "/交接 李明 孙明")
    assert "人员交接只能由管理员" in api.last(chen.id).plain
    group = api.group(DISCIPLINE_GROUP, "局纪委工作群")
    await bot.send(admin, "/bindgroup 纪委", chat=group)
    before = await snapshot(bot)
    await bot.send(admin, "/handover", chat=group)
    assert "私聊" in api.last(group.id).plain
    assert await snapshot(bot) == before


async def test_a_button_from_someone_else_or_forged_changes_nothing(bot, api, admin, org, desk):
    await bot.send(admin, "/交接 李明 孙明")
    preview = api.last(admin.id)
    before = await snapshot(bot)
    chen = org.users["陈书记"]
    await bot.press(chen, preview, "确认交接")  # not his flow, not his right
    assert "按钮已失效" in api.callback_answers[-1].text
    await bot.press_data(admin, preview, "f:00000000:0")  # forged nonce
    assert "按钮已失效" in api.callback_answers[-1].text
    await bot.press_data(admin, preview, "f:" + preview.buttons[0][1].split(":")[1] + ":7")
    assert "按钮已失效" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    async with services_of(bot).db.read() as tx:
        assert (await tx.items.get(desk["item"])).owner_id == desk["li"].id


async def test_bad_names_in_chat_get_one_clear_line(bot, api, admin, desk):
    before = await snapshot(bot)
    await bot.send(admin, "/交接 李明 李明")
    assert "不能是同一个人" in api.last(admin.id).plain
    await bot.send(admin, "/交接 李明 周支书")
    text = api.last(admin.id).plain
    assert "须与离任人员同一单位" in text and "财务科党支部" in text
    await bot.send(admin, "/交接 李明 无名氏")
    assert "找不到人员“无名氏”" in api.last(admin.id).plain
    await bot.send(admin, "/交接 李明")
    assert "用法：/交接 离任人员 继任人员" in api.last(admin.id).plain
    # typed in the flow: the wrong successor is refused and the question asked again
    await bot.send(admin, "/交接")
    await bot.send(admin, "李明")
    await bot.send(admin, "周支书")
    again = api.last(admin.id).plain
    assert "须与离任人员同一单位" in again and "继任人员" in again
    assert await snapshot(bot) == before


# -- the console ---------------------------------------------------------------------------

def test_the_console_dry_run_apply_and_bad_names(tmp_path):
    env = clean_env(DUTYBOT_DB_PATH=str(tmp_path / "bot.db"))

    def dutybot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(DUTYBOT), *args], cwd=tmp_path, env=env, text=True,
                              input=stdin, capture_output=True, timeout=60)

    from tests.test_cases import _fill

    book = tmp_path / "people.xlsx"
    assert dutybot("template", str(book)).returncode == 0
    _fill(book)
    _add_people(book)
    assert dutybot("import", str(book)).returncode == 0, "import"
    several = dutybot("handover", "陈书记", "孙书记", "--dry-run")  # two 孙书记
    assert several.returncode == 1 and len(several.stderr.strip().splitlines()) == 1
    assert "有多位“孙书记”" in several.stderr and "孙书记@某局党委" in several.stderr
    dry = dutybot("handover", "陈书记", "孙书记@某局党委", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "交接预览（尚未交接）" in dry.stdout and "角色：党委书记" in dry.stdout
    assert "<b>" not in dry.stdout
    conflict = dutybot("handover", "陈书记", "刘纪委", "--dry-run")
    assert "不能移交的角色：党委书记 — 刘纪委担任的职务与之不能兼任" in conflict.stdout
    assert "没有需要移交的内容" not in conflict.stdout
    declined = dutybot("handover", "陈书记", "孙书记@某局党委", stdin="n\n")
    assert declined.returncode == 1 and "未交接" in declined.stderr
    assert "确认把陈书记" in declined.stdout
    for args, words in ((("无名氏", "孙书记@某局党委"), "找不到人员“无名氏”"),
                        (("陈书记", "陈书记"), "不能是同一个人"),
                        (("陈书记", "周支书"), "须与离任人员同一单位")):
        bad = dutybot("handover", *args, "--yes")
        assert bad.returncode == 1 and words in bad.stderr, bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
    done = dutybot("handover", "陈书记", "孙书记@某局党委", stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert "已交接" in done.stdout and "孙书记尚未绑定，绑定后发送 /待办" in done.stdout
    again = dutybot("handover", "陈书记", "孙书记@某局党委", "--yes")
    assert again.returncode == 1 and "找不到人员“陈书记”" in again.stderr


def _add_people(book) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(book)
    wb["人员"].append(("孙书记", "班子成员", "某局党委"))
    wb["人员"].append(("孙书记", "支部书记", "财务科党支部"))  # the same name elsewhere
    wb.save(book)


async def test_a_leaver_with_nothing_to_move_is_still_unbound(bot, api, admin, org):
    await org.person(16, "吴委员", "/登记 吴委员 班子成员 某局党委 分管:财务科")
    await bot.send(admin, "/交接 李明 吴委员")
    shown = api.last(admin.id)
    assert "李明名下没有需要移交的内容。确认后只解除其绑定。" in shown.plain
    await bot.press(admin, shown, "确认交接")
    assert "李明的绑定已解除" in api.last(admin.id).plain
    async with services_of(bot).db.read() as tx:
        assert await tx.persons.by_telegram_id(11) is None
        events = await tx.events.for_subject("person", (await people(bot))["吴委员"].id)
    assert events[-1].kind == "person.took_over"


def test_the_plan_escapes_what_people_typed_and_stays_within_telegrams_limit():
    from bot.domain.model import Unit, UnitKind
    from bot.services.handover import HandoverView, preview
    from messages.format import split_message, tg_len
    from messages.handover import plan_text

    many = [Item(n, f"Z{n:04d}", ListKind.RESPONSIBILITY, "<b>标题</b>" * 20, Duty.DUAL, 11, 1,
                 DUE) for n in range(1, 61)]
    plan = plan_handover(LI, SUN, Holdings(owned=many))
    view = HandoverView(plan=plan, units={1: Unit(1, "某局<党委>", UnitKind.COMMITTEE),
                                          2: Unit(2, "财务科", UnitKind.DEPARTMENT, 1)},
                        names={11: "李明", 15: "孙明"})
    text = plan_text(preview(view))
    assert "&lt;b&gt;标题&lt;/b&gt;" in text and "某局&lt;党委&gt;" in text
    assert "…另有 30 项" in text
    assert all(tg_len(part) <= 4096 for part in split_message(text))


async def test_the_ledger_names_the_handover_in_words(bot, desk):
    from messages.export import event_details, event_name

    services = services_of(bot)
    await services.handover.apply(CONSOLE, "李明", "孙明")
    async with services.db.read() as tx:
        event = [e for e in await tx.events.for_subject("item", desk["item"])][-1]
    assert event_name(event.kind) == "人员交接"
    assert event_details(event.kind, event.data, str) == "交接：责任人李明 → 孙明"


async def test_the_ledger_after_a_handover_imports_back_unchanged(bot, api, org, desk):
    """The leaver's closed items keep their name in the 台账; exported and imported again,
    nothing changes (the leaver is no longer among the 在册人员)."""
    from messages.export import WORDS

    services = services_of(bot)
    closed = await org.item("措施", "已办完的旧事项", "一岗双责", "李明", "财务科", "2026-11-30")
    async with services.db.transaction() as tx:
        await tx.items.set_status((await tx.items.by_code(closed)).id, ItemStatus.DONE,
                                  services.clock.now())
    await services.handover.apply(CONSOLE, "李明", "孙明")
    exported = await services.export.export_for_console(WORDS)
    before = await snapshot(bot)
    result = await services.imports.import_file(CONSOLE, exported.data, "台账.xlsx")
    assert result.plan.is_empty(), result.plan
    assert await snapshot(bot) == before
    # a new row naming the leaver gives them nothing: they are not among the people
    import io

    import openpyxl

    from bot.domain.workbook import ITEMS
    from bot.services.imports import ImportRejected

    book = openpyxl.load_workbook(io.BytesIO(exported.data))
    sheet = book[ITEMS]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == closed)
    sheet.append((None, row[1], "交给已离任的人", *row[3:]))
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ImportRejected) as rejected:
        await services.imports.import_file(CONSOLE, out.getvalue(), "台账.xlsx")
    assert [e.problem.value for e in rejected.value.errors] == ["unknown_person"]
    assert await snapshot(bot) == before


async def test_a_plan_that_changed_before_the_tap_moves_nothing(bot, api, admin, org, desk):
    await bot.send(admin, "/交接 李明 孙明")
    preview = api.last(admin.id)
    services = services_of(bot)
    async with services.db.transaction() as tx:  # meanwhile, more work for 李明
        await tx.items.add(kind=ListKind.MEASURE, title="确认前新派的事项", duty=Duty.DUAL,
                           owner_id=desk["li"].id, unit_id=desk["li"].unit_id, parent_id=None,
                           source=None, due_date=date(2026, 12, 10), now=services.clock.now())
    before = await snapshot(bot)
    await bot.press(admin, preview, "确认交接")
    assert "交接内容在您确认前有了变化" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    async with services.db.read() as tx:
        assert (await tx.items.get(desk["item"])).owner_id == desk["li"].id
        assert await tx.persons.by_telegram_id(11) is not None
    await bot.send(admin, "/交接 李明 孙明")  # asked again: the new item is in the plan
    assert "确认前新派的事项" in api.last(admin.id).plain


async def test_a_decision_waiting_on_the_leaver_waits_on_the_successor(bot, org, clock):
    """刘纪委, the only 纪委 member, has a 整改 to 验收; handed over to 吴纪委 (局纪委), the
    验收 is 吴纪委's to decide, and the event names both."""
    await org.person(17, "吴纪委", "/登记 吴纪委 纪委委员 局纪委")
    services = services_of(bot)
    named = await people(bot)
    zhou = named["周支书"]
    async with services.db.transaction() as tx:
        fix = await tx.items.add(kind=ListKind.RECTIFICATION, title="整改公务接待问题",
                                 duty=Duty.SUPERVISION, owner_id=zhou.id, unit_id=zhou.unit_id,
                                 parent_id=None, source="巡察", due_date=date(2026, 12, 20),
                                 now=clock.now(), status=ItemStatus.PENDING_VERIFICATION)
    view = await services.handover.plan(CONSOLE, "刘纪委", "吴纪委")
    moves = [(d.decision.key, d.fate) for d in view.plan.decisions]
    assert (f"item:{fix.id}", DecisionFate.SUCCESSOR) in moves
    # 吴纪委 is a 纪委委员 already; 纪委书记 moves to them
    assert view.plan.roles == (Role.DISCIPLINE_SECRETARY,)
    await services.handover.apply(CONSOLE, "刘纪委", "吴纪委")
    wu = (await people(bot))["吴纪委"]
    waiting, _ = await services.decisions.waiting_for(wu)
    assert [e["code"] for e in waiting] == [fix.code]
    async with services.db.read() as tx:
        event = (await tx.events.for_subject("item", fix.id))[-1]
    assert event.kind == "decision.handed_over" and event.data["successor"] == "吴纪委"


async def test_someone_who_left_is_not_counted_among_those_who_do_not_answer(bot, desk, clock):
    """李明 left a reminder unanswered before he left: after the handover he is not listed
    as silent (he cannot answer any more); the reminder stays his, in the 履责纪实."""
    services = services_of(bot)
    li = desk["li"]
    sent_on = date(2026, 11, 17)
    async with services.db.transaction() as tx:
        box = await tx.outbox.add(dedup_key="digest:old", target=Target.telegram(11),
                                  person_id=li.id, kind="digest", day=sent_on,
                                  payload={"name": "李明", "entries": []}, now=clock.now())
        await tx.reminders.add_many([(f"p:{li.id}", desk["item"], "T-7", date(2026, 12, 2),
                                      box)], sent_on)
        await tx.reminders.mark_sent(box, sent_on)
    assert li.id in {p.id for p, _ in await services.summary.non_responders()}
    await services.handover.apply(CONSOLE, "李明", "孙明")
    assert li.id not in {p.id for p, _ in await services.summary.non_responders()}
