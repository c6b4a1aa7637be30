"""End to end: a 整改 from creation to 销号 (issue 4): plan → done → 待验收 → 退回 → done →
销号, with every refusal changing nothing."""

from __future__ import annotations

import re

from bot.domain.model import ItemStatus
from tests.conftest import snapshot
from tests.test_e2e_replies import item_state


async def create_fix(bot, api, who, leader="李明") -> tuple[str, str]:
    await bot.send(who, "/整改 新建")
    for answer in ("财务科公务接待超标准问题整改", leader, "巡察", "2026-12-04", "2026-12-31"):
        await bot.send(who, answer)
    await bot.press(who, api.last(who.id), "确认创建")
    text = api.last(who.id).plain
    assert "已新建整改" in text, text
    main, plan = re.findall(r"G\d{4}", text)[:2]
    return main, plan


async def test_the_whole_rectification_path(bot, api, org, clock):
    ji, li = org.users["刘纪委"], org.users["李明"]
    main, plan = await create_fix(bot, api, ji)
    item, _ = await item_state(bot, main)
    assert item.owner_id and item.source == "巡察" and item.duty.value == "dual"
    plan_item, _ = await item_state(bot, plan)
    assert plan_item.parent_id == item.id and plan_item.title.startswith("整改方案：")
    await bot.sender.drain()
    notice = api.last(li.id)
    assert "整改通知" in notice.plain and "刘纪委" in notice.plain and plan in notice.plain
    assert len(notice.buttons) == 8  # a row for the plan, a row for the completion
    # the 整改 is reported done only after its plan is signed off
    before = await snapshot(bot)
    await bot.press_data(li, notice, f"it:done:{item.id}:d")
    assert "请先提交整改方案" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    await bot.press_data(li, notice, f"it:done:{plan_item.id}:d")
    await bot.sender.drain()
    await bot.press(ji, api.last(ji.id), "销号")
    assert (await item_state(bot, plan))[0].status is ItemStatus.VERIFIED
    # 已完成 goes to 待验收, never straight to closed
    await bot.press_data(li, notice, f"it:done:{item.id}:d")
    assert api.callback_answers[-1].text == f"{main} 已提交纪委验收，验收通过后销号"
    assert (await item_state(bot, main))[0].status is ItemStatus.PENDING_VERIFICATION
    await bot.sender.drain()
    check = api.last(ji.id)
    assert "整改待验收" in check.plain and [b for b, _ in check.buttons] == ["销号", "退回"]
    # a 班子成员 may not 销号, not even his own
    before = await snapshot(bot)
    await bot.press(li, check, "销号")
    assert "只能由纪委操作" in api.callback_answers[-1].text
    await bot.press_data(li, notice, f"it:done:{item.id}:d")  # a double tap
    assert "已提交纪委验收" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    # 退回 with a reason reopens it and tells the leader
    await bot.press(ji, check, "退回")
    await bot.send(ji, "原" * 501)
    assert "最多500字" in api.last(ji.id).plain
    await bot.send(ji, "超标准接待费用尚未清退")
    assert f"已退回 {main}" in api.last(ji.id).plain
    item, events = await item_state(bot, main)
    assert item.status is ItemStatus.RETURNED
    returned = [e for e in events if e.kind == "item.status" and e.data["to"] == "returned"]
    assert returned[0].data["reason"] == "超标准接待费用尚未清退"
    await bot.sender.drain()
    back = api.last(li.id)
    assert "整改被退回" in back.plain and "超标准接待费用尚未清退" in back.plain
    # done again, then 销号
    await bot.press(li, back, "已完成")
    await bot.sender.drain()
    check = api.last(ji.id)
    await bot.press(ji, check, "销号")
    assert api.callback_answers[-1].text == f"{main} 已销号"
    assert check.buttons == [(f"{main} · 已销号", f"it:st:{item.id}:d")]
    assert (await item_state(bot, main))[0].status is ItemStatus.VERIFIED
    await bot.sender.drain()
    assert "已通过验收并销号" in api.last(li.id).plain
    after = await snapshot(bot)
    await bot.press_data(ji, check, f"zg:ok:{item.id}")
    assert api.callback_answers[-1].text == "这个事项已经办结，无需再操作。"
    await bot.press_data(ji, check, "zg:ok:x")
    assert "失效" in api.callback_answers[-1].text
    assert await snapshot(bot) == after


async def test_fixes_lists_own_or_all_by_state(bot, api, org):
    ji, li, wang = org.users["刘纪委"], org.users["李明"], org.users["王芳"]
    main, plan = await create_fix(bot, api, ji)
    await create_fix(bot, api, ji, leader="王芳")
    await bot.send(li, "/整改")
    own = api.last(li.id).plain
    assert "我的整改" in own and main in own and plan in own and "G0003" not in own
    await bot.send(ji, "/fixes")
    everything = api.last(ji.id)
    assert "全部整改" in everything.plain and "（4项）" in everything.plain
    await bot.sender.drain()
    plan_item, _ = await item_state(bot, plan)
    await bot.press_data(li, api.last(li.id), f"it:done:{plan_item.id}:d")
    await bot.press(li, everything, "待验收")  # not his view to change
    assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    await bot.press(ji, everything, "待验收")
    assert "待验收（1项）" in everything.plain and plan in everything.plain
    assert ("销号 " + plan) in [b for b, _ in everything.buttons]
    await bot.send(wang, "/整改 待验收")
    assert "我的整改" in api.last(wang.id).plain


async def test_only_the_discipline_sets_rectifications(bot, api, org, admin):
    li, chen = org.users["李明"], org.users["陈书记"]
    before = await snapshot(bot)
    await bot.send(li, "/整改 新建")
    assert "新建整改只能由纪委操作" in api.last(li.id).plain
    await bot.send(chen, "/新建")
    prompt = api.last(chen.id)
    assert "整改" not in [b for b, _ in prompt.buttons]
    await bot.send(org.users["刘纪委"], "/新建")
    assert "整改" in [b for b, _ in api.last(org.users["刘纪委"].id).buttons]
    await bot.send(org.users["刘纪委"], "/取消")
    await bot.send(chen, "整改")
    assert "不在可选范围内" in api.last(chen.id).plain
    await bot.send(chen, "/取消")
    assert await snapshot(bot) == before


async def test_a_plan_due_after_the_completion_is_refused(bot, api, org):
    ji = org.users["刘纪委"]
    await bot.send(ji, "/整改 新建")
    for answer in ("审计发现问题整改", "李明", "审计", "2026-12-31"):
        await bot.send(ji, answer)
    await bot.send(ji, "2026-12-10")
    assert "不能晚于整改完成期限" in api.last(ji.id).plain
