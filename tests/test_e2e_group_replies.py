"""End to end in group chats (issue 4): the item buttons, notes by reply, 延期 and 销号 where
several people read the same message. Groups have privacy mode on: only ASCII commands and
replies to the bot reach it. Every refusal changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.model import ItemStatus
from tests.conftest import snapshot
from tests.test_e2e_fixes import create_fix
from tests.test_e2e_replies import item_state
from tests.travel import at

UNIT_GROUP = -2001


@pytest.fixture
async def unit_group(bot, api, admin, world):
    group = api.group(UNIT_GROUP, "项目科工作群")
    await bot.send(admin, "/bindgroup 单位 项目科", chat=group)
    assert "已登记" in api.last(group.id).plain
    return group


async def test_the_owner_answers_a_list_posted_in_the_unit_group(bot, api, org, world,
                                                                  unit_group):
    wang, code = org.users["王芳"], world["b"]
    item, _ = await item_state(bot, code)
    await bot.send(wang, "/mylist", chat=unit_group)
    page = api.last(unit_group.id)
    assert code in page.plain and f"收到 {code}" in [b for b, _ in page.buttons]
    await bot.press(wang, page, f"收到 {code}")
    assert api.callback_answers[-1].text == f"已确认收到 {code}"
    await bot.press(wang, page, "进行中")
    assert api.callback_answers[-1].text == f"{code} 已标记为“进行中”"
    assert page.edits == 1 and api.last(unit_group.id) is page  # in place, nothing new
    assert "🔵 进行中" in [b for b, _ in page.buttons]
    assert (await item_state(bot, code))[0].status is ItemStatus.IN_PROGRESS
    await bot.press(wang, page, "已完成")
    assert api.callback_answers[-1].text == f"{code} 已完成，辛苦了"
    assert page.edits == 2 and api.last(unit_group.id) is page
    item, events = await item_state(bot, code)
    assert item.status is ItemStatus.DONE
    moves = [(e.data["from"], e.data["to"]) for e in events if e.kind == "item.status"]
    assert moves == [("open", "in_progress"), ("in_progress", "done")]
    # a double tap, from the same (old) buttons: polite, nothing changes
    before = await snapshot(bot)
    for act in ("done", "go", "ext"):
        await bot.press_data(wang, page, f"it:{act}:{item.id}:l0")
        assert api.callback_answers[-1].text == "这个事项已经办结，无需再操作。"
    assert await snapshot(bot) == before and page.edits == 2


async def test_another_member_cannot_press_the_owners_buttons_in_the_group(
        bot, api, org, world, unit_group):
    wang, li, zhou = org.users["王芳"], org.users["李明"], org.users["周支书"]
    await bot.send(wang, "/mylist", chat=unit_group)
    page = api.last(unit_group.id)
    sent = len(api.bot_messages(unit_group.id))
    before = await snapshot(bot)
    for who in (li, zhou):
        for label in (f"收到 {world['b']}", "进行中", "已完成", "申请延期"):
            await bot.press(who, page, label)
            assert api.callback_answers[-1].text == "这个按钮不是给您的。", (who, label)
    stranger = api.user(777, "陌生人")
    await bot.press(stranger, page, "已完成")
    assert "绑定" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    assert page.edits == 0 and len(api.bot_messages(unit_group.id)) == sent  # no prompt either
    assert (await item_state(bot, world["b"]))[0].status is ItemStatus.OPEN


async def test_forged_presses_in_the_group_change_nothing(bot, api, org, world, unit_group):
    wang, zhou = org.users["王芳"], org.users["周支书"]
    other, _ = await item_state(bot, world["b"])  # 王芳's, in 项目科: outside 周支书's scope
    await bot.send(zhou, "/mylist", chat=unit_group)
    page = api.last(unit_group.id)
    before = await snapshot(bot)
    for data in (f"it:done:{other.id}:l0", f"it:go:{other.id}:d", f"it:ext:{other.id}:d"):
        await bot.press_data(zhou, page, data)
        assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    for data in (f"it:st:{other.id}:d", f"it:ack:{other.id}:d", "it:done:99999:d",
                 "it:done:1:x", "ex:ok:424242", f"zg:ok:{other.id}"):
        await bot.press_data(zhou, page, data)
        answer = api.callback_answers[-1].text
        assert "失效" in answer or "不是给您的" in answer or "只能由纪委" in answer, (data, answer)
    assert await snapshot(bot) == before and page.edits == 0
    # and the owner's own page, pressed by the owner with forged data for another's item
    await bot.send(wang, "/mylist", chat=unit_group)
    mine = api.last(unit_group.id)
    zhou_item, _ = await item_state(bot, world["a"])
    await bot.press_data(wang, mine, f"it:done:{zhou_item.id}:l0")
    assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    assert await snapshot(bot) == before


async def test_a_reply_in_the_group_is_a_note_of_whoever_writes_it(bot, api, org, world,
                                                                  unit_group):
    wang, zhou = org.users["王芳"], org.users["周支书"]
    await bot.send(wang, "/mylist", chat=unit_group)
    page = api.last(unit_group.id)
    await bot.send(wang, "台账初稿已完成", chat=unit_group, reply_to=page)
    assert api.last(unit_group.id).plain == (
        f"📝 已记入 {world['b']} 建立在建工程廉政风险点台账 的履责纪实。")
    _, events = await item_state(bot, world["b"])
    notes = [e for e in events if e.kind == "item.note"]
    assert [(n.data["text"], n.actor_person_id) for n in notes] == [
        ("台账初稿已完成", (await item_state(bot, world["b"]))[0].owner_id)]
    before = await snapshot(bot)
    # 项目科 is not in 周支书's scope
    await bot.send(zhou, "我也说一句", chat=unit_group, reply_to=page)
    assert "没找到您可以添加说明的事项" in api.last(unit_group.id).plain
    await bot.send(wang, "长" * 501, chat=unit_group, reply_to=page)
    assert "最多500字" in api.last(unit_group.id).plain
    assert await snapshot(bot) == before


async def test_an_extension_asked_in_the_group_is_answered_by_replies(bot, api, org, world,
                                                                     unit_group):
    wang, li, chen = org.users["王芳"], org.users["李明"], org.users["陈书记"]
    await bot.send(wang, "/mylist", chat=unit_group)
    await bot.press(wang, api.last(unit_group.id), "申请延期")
    prompt = api.last(unit_group.id)
    assert "新截止日期" in prompt.plain and "请回复（引用）本条消息" in prompt.plain
    before = await snapshot(bot)
    # not his flow: silence, nothing changes
    await bot.send(li, "2026-12-30", chat=unit_group, reply_to=prompt)
    assert api.last(unit_group.id) is prompt and await snapshot(bot) == before
    await bot.send(wang, "2026-12-20", chat=unit_group, reply_to=prompt)
    await bot.send(wang, "等待上级批复", chat=unit_group,
                   reply_to=api.last(unit_group.id))
    confirmation = api.last(unit_group.id)
    assert "已提交延期申请" in confirmation.plain
    assert (await item_state(bot, world["b"]))[0].status is ItemStatus.EXTENSION_REQUESTED
    await bot.sender.drain()
    assert "延期申请" in api.last(chen.id).plain  # the approver is asked in private
    # only the applicant may withdraw it, though the whole group sees the button
    before = await snapshot(bot)
    for who in (li, chen):
        await bot.press(who, confirmation, "撤回申请")
        assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    assert await snapshot(bot) == before and confirmation.edits == 0
    await bot.press(wang, confirmation, "撤回申请")
    assert api.callback_answers[-1].text == "已撤回延期申请"
    assert "已撤回延期申请" in confirmation.plain
    assert (await item_state(bot, world["b"]))[0].status is ItemStatus.OPEN


async def test_a_member_cannot_close_a_rectification_in_the_discipline_group(
        bot, api, org, world):
    ji, li, wang = org.users["刘纪委"], org.users["李明"], org.users["王芳"]
    group = world["group"]
    _, plan = await create_fix(bot, api, ji, leader="王芳")
    await bot.sender.drain()
    plan_item, _ = await item_state(bot, plan)
    await bot.press_data(wang, api.last(wang.id), f"it:done:{plan_item.id}:d")
    assert (await item_state(bot, plan))[0].status is ItemStatus.PENDING_VERIFICATION
    await bot.send(ji, "/fixes", chat=group)
    view = api.last(group.id)
    await bot.press(ji, view, "待验收")
    assert "待验收（1项）" in view.plain and f"销号 {plan}" in [b for b, _ in view.buttons]
    before = await snapshot(bot)
    edits = view.edits
    for who in (li, wang):  # a 班子成员, and the leader herself
        await bot.press(who, view, f"销号 {plan}")
        assert "只能由纪委操作" in api.callback_answers[-1].text
        await bot.press(who, view, f"退回 {plan}")
        assert "只能由纪委操作" in api.callback_answers[-1].text
        await bot.press(who, view, "全部")  # the 纪委 member's view, not theirs to change
        assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    assert await snapshot(bot) == before and view.edits == edits
    assert (await item_state(bot, plan))[0].status is ItemStatus.PENDING_VERIFICATION
    # the 纪委 member sends it back in the group: the reason comes as a reply to the prompt
    await bot.press(ji, view, f"退回 {plan}")
    prompt = api.last(group.id)
    assert "退回" in prompt.plain and plan in prompt.plain and "请回复（引用）" in prompt.plain
    await bot.send(li, "我觉得可以了", chat=group, reply_to=prompt)  # not his flow
    assert await snapshot(bot) == before
    await bot.send(ji, "方案缺少时间表", chat=group, reply_to=prompt)
    assert f"已退回 {plan}" in api.last(group.id).plain
    assert (await item_state(bot, plan))[0].status is ItemStatus.RETURNED
    await bot.sender.drain()
    await bot.press(wang, api.last(wang.id), "已完成")
    await bot.send(ji, "/fixes", chat=group)
    view = api.last(group.id)
    await bot.press(ji, view, "待验收")
    await bot.press(ji, view, f"销号 {plan}")
    assert api.callback_answers[-1].text == f"{plan} 已销号"
    assert (await item_state(bot, plan))[0].status is ItemStatus.VERIFIED
    after = await snapshot(bot)
    await bot.press_data(ji, view, f"zg:ok:{plan_item.id}")  # a double tap
    assert api.callback_answers[-1].text == "这个事项已经办结，无需再操作。"
    assert await snapshot(bot) == after


async def test_a_leader_reminded_of_an_item_still_cannot_ack_for_its_owner(
        bot, api, admin, org, clock, world):
    zhou, li = org.users["周支书"], org.users["李明"]
    group = api.group(-2002, "财务科工作群")
    await bot.send(admin, "/bindgroup 单位 财务科", chat=group)
    clock.set(at(date(2026, 11, 30)))
    await bot.tick()  # 李明 is told to 督促 周支书's overdue C0001
    assert world["a"] in api.last(li.id).plain
    await bot.send(zhou, "/mylist", chat=group)
    page = api.last(group.id)
    before = await snapshot(bot)
    await bot.press(li, page, f"收到 {world['a']}")
    assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    assert await snapshot(bot) == before and page.edits == 0
    await bot.press(li, api.last(li.id), f"收到 {world['a']}")  # his own 督促 row: his to ack
    assert api.callback_answers[-1].text == f"已确认收到 {world['a']}"
    await bot.press(zhou, page, f"收到 {world['a']}")
    assert api.callback_answers[-1].text == f"已确认收到 {world['a']}"


async def notes_on(bot, code: str) -> list[str]:
    _, events = await item_state(bot, code)
    return [e.data["text"] for e in events if e.kind == "item.note"]


async def test_in_a_group_only_replies_to_messages_with_item_buttons_are_notes(
        bot, api, org, clock, world, unit_group):
    wang, ji = org.users["王芳"], org.users["刘纪委"]
    await bot.send(wang, "/todo", chat=unit_group)
    todo = api.last(unit_group.id)
    assert world["b"] in todo.plain and not todo.buttons
    before = await snapshot(bot)
    await bot.send(wang, "这周就能完成", chat=unit_group, reply_to=todo)
    assert api.last(unit_group.id) is todo  # not a note: no answer in the group
    assert await snapshot(bot) == before
    # a message with item buttons (/mylist): a reply to it is a note
    await bot.send(wang, "/mylist", chat=unit_group)
    await bot.send(wang, "这周就能完成", chat=unit_group, reply_to=api.last(unit_group.id))
    assert "📝 已记入" in api.last(unit_group.id).plain
    assert await notes_on(bot, world["b"]) == ["这周就能完成"]
    # the 纪委 group's overdue digest names items but has no buttons
    clock.set(at(date(2026, 12, 4)))
    await bot.tick()
    digest = next(m for m in reversed(api.bot_messages(world["group"].id))
                  if "逾期事项通报" in m.plain)  # the weekly summary came too, this week's first tick
    assert world["a"] in digest.plain and not digest.buttons
    count = len(api.bot_messages(world["group"].id))
    before = await snapshot(bot)
    await bot.send(ji, "请财务科说明原因", chat=world["group"], reply_to=digest)
    assert len(api.bot_messages(world["group"].id)) == count
    assert await notes_on(bot, world["a"]) == []
    assert await snapshot(bot) == before


async def test_in_a_group_a_reply_to_the_fixes_page_is_a_note(bot, api, org, world):
    ji, wang = org.users["刘纪委"], org.users["王芳"]
    group = world["group"]
    _, plan = await create_fix(bot, api, ji, leader="王芳")
    await bot.sender.drain()
    plan_item, _ = await item_state(bot, plan)
    await bot.press_data(wang, api.last(wang.id), f"it:done:{plan_item.id}:d")
    await bot.send(ji, "/fixes", chat=group)
    view = api.last(group.id)
    await bot.press(ji, view, "待验收")
    await bot.send(ji, "方案已收到，正在审核", chat=group, reply_to=view)
    assert f"📝 已记入 {plan}" in api.last(group.id).plain
    assert await notes_on(bot, plan) == ["方案已收到，正在审核"]


async def test_in_private_a_reply_naming_a_code_is_still_a_note(bot, api, org, world):
    wang = org.users["王芳"]
    await bot.send(wang, "/todo")
    todo = api.last(wang.id)
    assert not todo.buttons
    await bot.send(wang, "这周就能完成", reply_to=todo)
    assert "📝 已记入" in api.last(wang.id).plain
    assert await notes_on(bot, world["b"]) == ["这周就能完成"]


async def test_private_prompts_do_not_ask_for_a_reply(bot, api, org, world):
    wang = org.users["王芳"]
    await bot.send(wang, "/我的清单")
    await bot.press(wang, api.last(wang.id), "申请延期")
    assert "新截止日期" in api.last(wang.id).plain
    assert "回复（引用）" not in api.last(wang.id).plain


async def test_a_reply_to_a_list_of_several_items_asks_which_one(bot, api, org, world,
                                                               unit_group):
    """Issue 24: a reply to /待办 (or a digest) naming several items asks which item the
    note is for, one button per item; the choice records it as a one-item reply would."""
    wang = org.users["王芳"]
    second = await org.item("责任", "项目科廉政谈话记录", "一岗双责", "王芳", "项目科",
                            "2026-11-25")
    await bot.send(wang, "/todo", chat=unit_group)
    todo = api.last(unit_group.id)
    assert world["b"] in todo.plain and second in todo.plain and not todo.buttons
    await bot.send(wang, "本周完成", chat=unit_group, reply_to=todo)
    ask = api.last(unit_group.id)
    assert "请选择您的说明是关于<b>哪一项</b>的" in ask.text
    labels = [label for label, _ in ask.buttons]
    b_label = f"{world['b']} 建立在建工程廉政风险点台账"
    assert sorted(labels) == sorted([f"{second} 项目科廉政谈话记录", b_label, "取消"])
    assert await notes_on(bot, world["b"]) == []
    await bot.press(org.users["周支书"], ask, b_label)  # another member: not theirs to choose
    assert await notes_on(bot, world["b"]) == []
    await bot.press(wang, ask, b_label)
    assert f"📝 已记入 {world['b']}" in api.last(unit_group.id).plain
    # someone with nothing there to note on, under the same list: no answer in the group
    seen = len(api.bot_messages(unit_group.id))
    before = await snapshot(bot)
    await bot.send(org.users["周支书"], "哈哈", chat=unit_group, reply_to=todo)
    assert len(api.bot_messages(unit_group.id)) == seen
    assert await snapshot(bot) == before
    assert await notes_on(bot, world["b"]) == ["本周完成"]
    assert await notes_on(bot, second) == []


async def test_in_private_a_reply_to_a_digest_of_several_items_asks_which_one(
        bot, api, org, clock, world):
    zhou = org.users["周支书"]
    third = await org.item("措施", "报销凭证抽查", "一岗双责", "周支书", "财务科党支部",
                           "2026-11-24")
    clock.set(at(date(2026, 11, 25)))
    await bot.tick()
    digest = api.last(zhou.id)
    assert "今日提醒" in digest.plain and third in digest.plain and world["a"] in digest.plain
    await bot.send(zhou, "已联系财务", reply_to=digest)
    ask = api.last(zhou.id)
    assert "哪一项" in ask.plain and len(ask.buttons) == 3  # two items and 取消
    await bot.press(zhou, ask, ask.buttons[0][0])
    assert "📝 已记入" in api.last(zhou.id).plain
