"""End to end: one item's card (`/我的清单 C0003`, issue 4 point 2): what it shows, the
owner's buttons redrawing it in place, notes by replying to it (in private and in a group,
buttons or not), and every refusal changing nothing."""

from __future__ import annotations

import pytest

from bot.domain.model import ItemStatus
from tests.conftest import snapshot
from tests.test_e2e_group_replies import notes_on
from tests.test_e2e_replies import item_state

HINT = "回复（引用）本消息写一句话，即可为此事项添加进展说明。"
UNIT_GROUP = -2003


@pytest.fixture
async def chain(org):
    """A 问题 → 责任 → 措施 chain; the measure is 周支书's, in 财务科党支部."""
    problem = await org.item("问题", "三重一大集体决策程序执行不严格", "第一责任", "陈书记", "某局党委",
                             "2027-03-31")
    resp = await org.item("责任", "牵头规范三重一大议事规则", "一岗双责", "李明", "财务科",
                          "2027/1/15", parent=problem)
    measure = await org.item("措施", "修订党委会议事规则", "一岗双责", "周支书", "财务科党支部",
                             "12月10日", parent=resp)
    return problem, resp, measure


async def open_card(bot, api, who, code: str, chat=None):
    command = "/mylist" if chat is not None else "/我的清单"  # privacy mode: ASCII in groups
    await bot.send(who, f"{command} {code}", chat=chat)
    return api.last(chat.id if chat is not None else who.id)


async def test_the_card_shows_the_item_its_chain_and_its_last_notes(bot, api, org, chain):
    problem, resp, measure = chain
    zhou = org.users["周支书"]
    item, _ = await item_state(bot, measure)
    card = await open_card(bot, api, zhou, measure)
    lines = card.plain.splitlines()
    assert lines[:5] == [f"⚪ 措施清单 {measure}", "修订党委会议事规则",
                         "责任人：周支书（财务科党支部）· 一岗双责", "状态：未开始",
                         "截止：2026-12-10（周四），还剩17天"]
    assert f"↳ 上级责任：{resp} 牵头规范三重一大议事规则" in lines
    assert f"↳ 上级问题：{problem} 三重一大集体决策程序执行不严格" in lines
    assert "还没有进展说明。" in lines and lines[-1] == HINT
    assert card.buttons == [(f"收到 {measure}", f"it:ack:{item.id}:c"),
                            ("进行中", f"it:go:{item.id}:c"), ("已完成", f"it:done:{item.id}:c"),
                            ("申请延期", f"it:ext:{item.id}:c")]
    # the card names its parents, yet a reply to it is a note on this item alone
    for n, text in enumerate(("规则初稿已完成", "已征求班子意见", "<b>已报党委</b>", "待会议审定")):
        await bot.send(zhou, text, reply_to=card)
        assert api.last(zhou.id).plain == f"📝 已记入 {measure} 修订党委会议事规则 的履责纪实。", n
    assert await notes_on(bot, measure) == ["规则初稿已完成", "已征求班子意见", "<b>已报党委</b>",
                                             "待会议审定"]
    assert await notes_on(bot, resp) == [] and await notes_on(bot, problem) == []
    # the next card shows the last three, oldest first, with who wrote them (lower case works)
    again = await open_card(bot, api, zhou, measure.lower())
    assert "最近进展（共4条，显示最近3条）" in again.plain
    shown = [line for line in again.plain.splitlines() if line.startswith("• ")]
    assert shown == ["• 11-23 09:00 周支书：已征求班子意见", "• 11-23 09:00 周支书：<b>已报党委</b>",
                     "• 11-23 09:00 周支书：待会议审定"]
    assert "&lt;b&gt;已报党委&lt;/b&gt;" in again.text  # the note is escaped, not markup
    await bot.send(org.users["李明"], f"/mylist {measure}")  # the ASCII alias, his 分管 unit
    assert "最近进展（共4条" in api.last(org.users["李明"].id).plain


async def test_owner_taps_on_the_card_redraw_it_in_place(bot, api, org, world):
    zhou, code = org.users["周支书"], world["a"]
    item, _ = await item_state(bot, code)
    card = await open_card(bot, api, zhou, code)
    await bot.press(zhou, card, "进行中")
    assert api.callback_answers[-1].text == f"{code} 已标记为“进行中”"
    assert card.edits == 1 and api.last(zhou.id) is card  # in place, nothing new
    assert "状态：进行中" in card.plain and card.plain.splitlines()[-1] == HINT
    assert [b for b, _ in card.buttons] == [f"✅ 收到 {code}", "🔵 进行中", "已完成", "申请延期"]
    await bot.press(zhou, card, f"✅ 收到 {code}")  # already said by 进行中: nothing to redraw
    assert api.callback_answers[-1].text.endswith(code) and card.edits == 1
    await bot.press(zhou, card, "申请延期")  # a guided step: a new prompt, the card stays
    prompt = api.last(zhou.id)
    assert prompt is not card and "新截止日期" in prompt.plain
    await bot.send(zhou, "/cancel")
    await bot.send(zhou, "核查完毕", reply_to=card)
    await bot.send(org.users["李明"], "请同步报财务科", reply_to=await open_card(
        bot, api, org.users["李明"], code))
    await bot.press(zhou, card, "🔵 进行中")  # where it stands: the card read afresh
    assert "当前状态：进行中" in api.callback_answers[-1].text
    assert card.edits == 2
    assert "周支书：核查完毕" in card.plain and "李明：请同步报财务科" in card.plain
    assert f"✅ 收到 {code}" in [b for b, _ in card.buttons]  # still shows it was confirmed
    await bot.press(zhou, card, "已完成")
    assert api.callback_answers[-1].text == f"{code} 已完成，辛苦了"
    assert "状态：已完成" in card.plain and "周支书：核查完毕" in card.plain and card.edits == 3
    assert card.buttons == [(f"{code} · 已完成", f"it:st:{item.id}:c")]
    edits = card.edits
    # a double tap and forged presses on the closed item: polite, nothing changes
    before = await snapshot(bot)
    for act in ("done", "go", "ext"):
        await bot.press_data(zhou, card, f"it:{act}:{item.id}:c")
        assert api.callback_answers[-1].text == "这个事项已经办结，无需再操作。"
    await bot.press(zhou, card, f"{code} · 已完成")
    assert "当前状态：已完成" in api.callback_answers[-1].text
    assert await snapshot(bot) == before and card.edits == edits
    assert (await item_state(bot, code))[0].status is ItemStatus.DONE


async def test_a_leader_in_scope_sees_the_card_without_buttons_and_may_note_it(
        bot, api, org, world):
    li, chen, zhou, code = org.users["李明"], org.users["陈书记"], org.users["周支书"], world["a"]
    card = await open_card(bot, api, li, code)  # 李明 分管 财务科, above 财务科党支部
    assert "责任人：周支书（财务科党支部）" in card.plain and card.plain.splitlines()[-1] == HINT
    assert card.buttons == []
    await bot.send(li, "请本周内完成核查", reply_to=card)  # a 督促
    assert api.last(li.id).plain == f"📝 已记入 {code} 逐笔核查公务接待报销凭证 的履责纪实。"
    _, events = await item_state(bot, code)
    assert [(e.data["text"], e.actor_person_id) for e in events if e.kind == "item.note"] == [
        ("请本周内完成核查", (await bot.app.bot_data.services.people.actor_for(li.id)).person_id)]
    card = await open_card(bot, api, chen, code)  # the 书记 sees all
    assert card.buttons == [] and "李明：请本周内完成核查" in card.plain
    mine = await open_card(bot, api, zhou, code)  # the owner reads the 督促 on his card
    assert "李明：请本周内完成核查" in mine.plain and len(mine.buttons) == 4
    # a forged press on the leader's button-less card changes nothing
    item, _ = await item_state(bot, code)
    before = await snapshot(bot)
    for data in (f"it:done:{item.id}:c", f"it:go:{item.id}:c", f"it:ext:{item.id}:c"):
        await bot.press_data(li, card, data)
        assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    assert await snapshot(bot) == before and card.edits == 0


async def test_codes_unknown_or_outside_ones_scope_are_refused(bot, api, org, world):
    wang, code = org.users["王芳"], world["a"]  # 周支书's item; 王芳 分管 项目科 only
    item, _ = await item_state(bot, code)
    before = await snapshot(bot)
    await bot.send(wang, f"/我的清单 {code}")
    answer = api.last(wang.id)
    assert "不在您的查看范围内" in answer.plain and "逐笔核查" not in answer.plain
    assert answer.buttons == []
    for typed in ("C9999", "<b>x</b>", "Z" * 60):
        await bot.send(wang, f"/mylist {typed}")
        answer = api.last(wang.id)
        assert answer.plain.startswith(f"找不到编号为“{typed[:20]}”的事项"), typed
        assert answer.buttons == []
    assert "&lt;b&gt;" in api.bot_messages(wang.id)[-2].text
    stranger = api.user(777, "陌生人")
    await bot.send(stranger, f"/mylist {code}")
    assert "绑定" in api.last(stranger.id).plain
    # her own card, with forged data: another's item, a surface that is not one
    mine = await open_card(bot, api, wang, world["b"])
    for data in (f"it:st:{item.id}:c", f"it:go:{item.id}:cc", "it:go:0:c", "it:go:1:c:x"):
        await bot.press_data(wang, mine, data)
        assert "失效" in api.callback_answers[-1].text, data
    await bot.press_data(wang, mine, f"it:done:{item.id}:c")
    assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    assert await snapshot(bot) == before and mine.edits == 0
    assert (await item_state(bot, code))[0].status is ItemStatus.OPEN


async def test_cards_in_a_group(bot, api, admin, org, world):
    wang, chen, zhou, li = (org.users[n] for n in ("王芳", "陈书记", "周支书", "李明"))
    code = world["b"]  # 王芳's, in 项目科
    group = api.group(UNIT_GROUP, "项目科工作群")
    await bot.send(admin, "/bindgroup 单位 项目科", chat=group)
    # the owner's card in the group: her buttons, hers alone; her taps redraw it
    card = await open_card(bot, api, wang, code, chat=group)
    assert len(card.buttons) == 4 and card.plain.splitlines()[-1] == HINT
    before = await snapshot(bot)
    for who in (li, zhou, chen):
        for label in (f"收到 {code}", "进行中", "已完成", "申请延期"):
            await bot.press(who, card, label)
            assert api.callback_answers[-1].text == "这个按钮不是给您的。", (who, label)
    assert await snapshot(bot) == before and card.edits == 0
    await bot.press(wang, card, "进行中")
    assert card.edits == 1 and api.last(group.id) is card and "状态：进行中" in card.plain
    # the 书记 shows it in the group: no buttons, yet it says a reply is a note, and it is
    await bot.send(chen, f"/mylist {code}", chat=group)
    shown = api.last(group.id)
    assert shown.buttons == [] and shown.plain.splitlines()[-1] == HINT
    await bot.send(chen, "请月底前报送台账", chat=group, reply_to=shown)
    assert api.last(group.id).plain == f"📝 已记入 {code} 建立在建工程廉政风险点台账 的履责纪实。"
    await bot.send(wang, "已在汇总", chat=group, reply_to=shown)
    assert "📝 已记入" in api.last(group.id).plain
    assert await notes_on(bot, code) == ["请月底前报送台账", "已在汇总"]
    # someone who cannot see the item: told so, nothing written
    before = await snapshot(bot)
    await bot.send(zhou, "我也说一句", chat=group, reply_to=shown)
    assert "没找到您可以添加说明的事项" in api.last(group.id).plain
    await bot.send(zhou, f"/mylist {code}", chat=group)
    assert "不在您的查看范围内" in api.last(group.id).plain
    assert await snapshot(bot) == before
    # the owner's next card shows both notes
    await bot.send(wang, f"/mylist {code}", chat=group)
    latest = api.last(group.id).plain
    assert "陈书记：请月底前报送台账" in latest and "王芳：已在汇总" in latest



async def test_help_mentions_the_card(bot, api, org):
    await bot.send(org.users["周支书"], "/帮助")
    assert "/我的清单 编号" in api.last(org.users["周支书"].id).plain
