"""End to end: /约谈 (issue 4): the talks the rules require, recording one as held, and
an ad-hoc 约谈 set by the 纪委."""

from __future__ import annotations

from datetime import date

from bot.domain.model import ItemStatus
from tests.conftest import snapshot
from tests.test_e2e_replies import item_state
from tests.travel import at


async def test_recording_a_required_talk_closes_it(bot, api, org, clock):
    chen = org.users["陈书记"]
    clock.set(at(date(2026, 12, 1)))
    await bot.tick()  # the rules' talks become items
    await bot.send(chen, "/约谈")
    talks = api.last(chen.id)
    assert "应开展" in talks.plain and "2026年廉政谈话：李明" in talks.plain
    assert "对象：李明" in talks.plain and "今年已开展 0 次" in talks.plain
    label = next(b for b, _ in talks.buttons if b.startswith("登记谈话"))
    code = label.split()[-1]
    item, _ = await item_state(bot, code)
    await bot.press(chen, talks, label)
    prompt = api.last(chen.id)
    assert "哪天" in prompt.plain
    before = await snapshot(bot)
    await bot.send(chen, "2026-12-25")
    assert "还没到" in api.last(chen.id).plain
    await bot.send(chen, "某天")
    assert "看不懂日期" in api.last(chen.id).plain
    assert await snapshot(bot) == before
    await bot.send(chen, "11月30日")
    prompt = api.last(chen.id)
    assert prompt.buttons[0][0] == "廉政谈话"  # the kind the rule asks first
    await bot.press(chen, prompt, "廉政谈话")
    await bot.send(chen, "就分管领域廉政风险提醒谈话，李明表态落实")
    done = api.last(chen.id).plain
    assert f"已登记：2026-11-30（周一） 与 李明 的廉政谈话，{code} 已完成" in done
    assert (await item_state(bot, code))[0].status is ItemStatus.DONE
    async with bot.app.bot_data.services.db.read() as tx:
        held = await tx.talks.held(date(2026, 1, 1), date(2026, 12, 31))
    assert [(t.kind, t.held_on, t.counterpart_id) for t in held] == [
        ("廉政谈话", date(2026, 11, 30), item.counterpart_id)]
    await bot.send(chen, "/talks")
    assert "今年已开展 1 次" in api.last(chen.id).plain
    # someone else may not record it; recording twice is refused
    after = await snapshot(bot)
    await bot.press_data(org.users["李明"], talks, f"it:done:{item.id}:d")
    assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    await bot.press(chen, talks, label)
    assert api.callback_answers[-1].text == "这个事项已经办结，无需再操作。"
    assert await snapshot(bot) == after


async def test_the_discipline_sets_an_ad_hoc_talk(bot, api, org, clock):
    ji, li = org.users["刘纪委"], org.users["李明"]
    await bot.send(ji, "/约谈")
    await bot.press(ji, api.last(ji.id), "安排约谈")
    prompt = api.last(ji.id)
    assert "约谈对象" in prompt.plain
    await bot.send(ji, "周支书")
    await bot.press(ji, api.last(ji.id), "提醒谈话")
    await bot.send(ji, "2026-12-10")
    made = api.last(ji.id).plain
    assert "已安排" in made and "提醒谈话：周支书" in made
    await bot.send(ji, "/约谈")
    assert "提醒谈话：周支书" in api.last(ji.id).plain
    # it is reminded like any item: T-7 is Thursday 3 December
    clock.set(at(date(2026, 12, 3)))
    await bot.tick()
    assert "提醒谈话：周支书" in api.last(ji.id).plain
    # a 班子成员 may not set one
    await bot.send(li, "/约谈")
    assert "安排约谈" not in [b for b, _ in api.last(li.id).buttons]
    before = await snapshot(bot)
    await bot.press_data(li, api.last(li.id), "tk:new")
    assert "只能由纪委或党委书记操作" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
