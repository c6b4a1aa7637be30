"""End to end: answering pushes in one tap (issue 4): the item buttons, notes by reply,
/汇报, and the 延期 approval path. Every refusal changes nothing."""

from __future__ import annotations

from datetime import date

from bot.domain.model import ItemStatus
from bot.fake_telegram.driver import driven_bot
from tests.conftest import ADMIN_ID, snapshot
from tests.travel import at


async def item_state(bot, code: str):
    async with bot.app.bot_data.services.db.read() as tx:
        item = await tx.items.by_code(code)
        events = await tx.events.for_subject("item", item.id)
    return item, events


async def first_digest(bot, api, clock, who):
    clock.set(at(date(2026, 11, 23)))
    await bot.tick()
    return api.last(who.id)


async def test_status_taps_edit_the_digest_in_place(bot, api, org, clock, world):
    zhou = org.users["周支书"]
    digest = await first_digest(bot, api, clock, zhou)
    code = world["a"]
    await bot.press(zhou, digest, "进行中")
    assert api.callback_answers[-1].text == f"{code} 已标记为“进行中”"
    assert digest.edits == 1 and api.last(zhou.id) is digest  # in place, no new message
    assert [label for label, _ in digest.buttons] == [f"✅ 收到 {code}", "🔵 进行中", "已完成",
                                                     "申请延期"]
    item, events = await item_state(bot, code)
    assert item.status is ItemStatus.IN_PROGRESS
    change = [e for e in events if e.kind == "item.status"][-1]
    assert change.data["from"] == "open" and change.data["to"] == "in_progress"
    assert change.actor_person_id == item.owner_id
    # the tap counted as 收到
    async with bot.app.bot_data.services.db.read() as tx:
        assert not [r for r in await tx.summary.silent(date(2026, 1, 1), date(2026, 12, 31))
                    if r.person_id == item.owner_id]
    await bot.press(zhou, digest, "🔵 进行中")  # shows the status, changes nothing
    assert "当前状态：进行中" in api.callback_answers[-1].text
    await bot.press(zhou, digest, "已完成")
    assert api.callback_answers[-1].text == f"{code} 已完成，辛苦了"
    assert digest.buttons == [(f"{code} · 已完成", f"it:st:{item.id}:d")]
    assert (await item_state(bot, code))[0].status is ItemStatus.DONE
    # a double tap, and a forged 进行中 on a closed item: polite, nothing changes
    before = await snapshot(bot)
    for act in ("done", "go", "ext"):
        await bot.press_data(zhou, digest, f"it:{act}:{item.id}:d")
        assert api.callback_answers[-1].text == "这个事项已经办结，无需再操作。"
    assert await snapshot(bot) == before
    # a closed item is no longer reminded
    count = len(api.bot_messages(zhou.id))
    clock.set(at(date(2026, 11, 24)))
    await bot.tick()
    assert len(api.bot_messages(zhou.id)) == count


async def test_nobody_else_may_press_your_buttons(bot, api, org, clock, world):
    zhou, li = org.users["周支书"], org.users["李明"]
    digest = await first_digest(bot, api, clock, zhou)
    item, _ = await item_state(bot, world["a"])
    other, _ = await item_state(bot, world["b"])
    before = await snapshot(bot)
    for data in (f"it:go:{item.id}:d", f"it:done:{item.id}:d", f"it:ext:{item.id}:d"):
        await bot.press_data(li, digest, data)  # 李明 分管 it, yet it is not his to answer
        assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    stranger = api.user(777, "陌生人")
    await bot.press_data(stranger, digest, f"it:done:{item.id}:d")
    assert "绑定" in api.callback_answers[-1].text
    await bot.press_data(zhou, digest, f"it:done:{other.id}:d")  # forged: 王芳's item
    assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    await bot.press_data(zhou, digest, f"it:st:{other.id}:d")  # outside 周支书's scope
    assert "失效" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    assert (await item_state(bot, world["a"]))[0].status is ItemStatus.OPEN


async def test_buttons_from_before_a_restart_still_work(settings, api, org, clock, world, bot):
    zhou = org.users["周支书"]
    digest = await first_digest(bot, api, clock, zhou)
    async with driven_bot(settings, api, clock) as again:
        await again.press(zhou, digest, "已完成")
    assert api.callback_answers[-1].text == f"{world['a']} 已完成，辛苦了"
    assert (await item_state(bot, world["a"]))[0].status is ItemStatus.DONE


async def test_list_buttons_redraw_the_page(bot, api, org, world):
    wang = org.users["王芳"]
    await bot.send(wang, "/我的清单")
    page = api.last(wang.id)
    await bot.press(wang, page, "进行中")
    assert page.edits == 1 and "进行中" in page.plain
    assert (await item_state(bot, world["b"]))[0].status is ItemStatus.IN_PROGRESS
    assert "🔵 进行中" in [label for label, _ in page.buttons]


async def test_a_reply_to_a_reminder_is_a_progress_note(bot, api, org, clock, world):
    zhou = org.users["周支书"]
    digest = await first_digest(bot, api, clock, zhou)
    await bot.send(zhou, "已核查六成凭证，本周内完成", reply_to=digest)
    assert api.last(zhou.id).plain == f"📝 已记入 {world['a']} 逐笔核查公务接待报销凭证 的履责纪实。"
    _, events = await item_state(bot, world["a"])
    notes = [e for e in events if e.kind == "item.note"]
    assert [n.data["text"] for n in notes] == ["已核查六成凭证，本周内完成"]
    before = await snapshot(bot)
    await bot.send(zhou, "长" * 501, reply_to=digest)
    assert "最多500字，您输入了501字" in api.last(zhou.id).plain
    await bot.send(org.users["王芳"], "我来看看", reply_to=digest)  # not in 王芳's scope
    assert "没找到您可以添加说明的事项" in api.last(org.users["王芳"].id).plain
    assert await snapshot(bot) == before


async def test_a_reply_to_a_digest_of_several_items_asks_which(bot, api, org, clock, world):
    await org.item("措施", "工程款支付审批留痕", "一岗双责", "王芳", "项目科", "2026-11-30")
    wang = org.users["王芳"]
    clock.set(at(date(2026, 11, 25)))
    await bot.tick()
    digest = api.last(wang.id)
    assert len(digest.buttons) == 8
    await bot.send(wang, "已与施工方核对", reply_to=digest)
    ask = api.last(wang.id)
    assert "哪一项" in ask.plain
    await bot.press(wang, ask, world["b"])
    assert f"📝 已记入 {world['b']}" in ask.plain
    _, events = await item_state(bot, world["b"])
    assert [e.data["text"] for e in events if e.kind == "item.note"] == ["已与施工方核对"]


async def test_report_in_three_steps(bot, api, org, world):
    wang = org.users["王芳"]
    await bot.send(wang, "/汇报")
    prompt = api.last(wang.id)
    await bot.press(wang, prompt, world["b"])
    await bot.press(wang, prompt, "已完成")
    await bot.send(wang, "台账已建立并报分管领导")
    done = api.last(wang.id).plain
    assert f"汇报完成：{world['b']}" in done and "已完成" in done and "进展说明已记录" in done
    item, events = await item_state(bot, world["b"])
    assert item.status is ItemStatus.DONE
    assert [e.data["text"] for e in events if e.kind == "item.note"] == ["台账已建立并报分管领导"]
    await bot.send(wang, "/report")
    assert "没有需要汇报的事项" in api.last(wang.id).plain
    await bot.send(org.users["周支书"], f"/汇报 {world['b']}")  # not his
    assert "或它不是您的" in api.last(org.users["周支书"].id).plain


async def test_an_extension_approved_moves_the_due_date_and_replans(bot, api, org, clock, world):
    zhou, chen, li = org.users["周支书"], org.users["陈书记"], org.users["李明"]
    digest = await first_digest(bot, api, clock, zhou)
    await bot.press(zhou, digest, "申请延期")
    prompt = api.last(zhou.id)
    assert "新截止日期" in prompt.plain and prompt is not digest
    before = await snapshot(bot)
    for bad, says in (("下个月吧", "看不懂日期"), ("2026-11-20", "要晚于 2026-11-27")):
        await bot.send(zhou, bad)
        assert says in api.last(zhou.id).plain
    await bot.send(zhou, "2026-12-15")
    await bot.send(zhou, "理" * 501)
    assert "最多500字" in api.last(zhou.id).plain
    assert await snapshot(bot) == before
    await bot.send(zhou, "凭证量大，需调阅档案")
    assert "已提交延期申请" in api.last(zhou.id).plain
    item, _ = await item_state(bot, world["a"])
    assert item.status is ItemStatus.EXTENSION_REQUESTED
    await bot.sender.drain()
    ask = api.last(chen.id)
    assert "延期申请" in ask.plain and "凭证量大" in ask.plain and "2026-12-15" in ask.plain
    admins_copy = api.last(ADMIN_ID)
    assert "延期申请" in admins_copy.plain
    # refusals: a 班子成员, the applicant himself, garbage
    before = await snapshot(bot)
    await bot.press(li, ask, "批准")
    assert "不归您审批" in api.callback_answers[-1].text
    await bot.press(zhou, ask, "批准")
    assert "不归您审批" in api.callback_answers[-1].text
    await bot.press_data(chen, ask, "ex:ok:abc")
    assert "失效" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    await bot.press(chen, ask, "批准")
    assert api.callback_answers[-1].text == "已批准，截止日期已顺延"
    assert "已批准（陈书记）" in ask.plain and not ask.buttons
    item, events = await item_state(bot, world["a"])
    assert item.status is ItemStatus.OPEN and item.due_date == date(2026, 12, 15)
    assert any(e.kind == "item.extension_decided" and e.data["approved"] for e in events)
    after = await snapshot(bot)
    await bot.press(api.users[ADMIN_ID], admins_copy, "驳回")  # too late
    assert api.callback_answers[-1].text == "这项申请已经处理过了"
    assert await snapshot(bot) == after
    await bot.sender.drain()
    assert "已获批准" in api.last(zhou.id).plain and "2026-12-15" in api.last(zhou.id).plain
    # the reminder plan starts again for the new date: T-7 is Tuesday 8 December
    count = len(api.bot_messages(zhou.id))
    for day in (30, 1, 2, 3, 4):
        clock.set(at(date(2026, 11, 30) if day == 30 else date(2026, 12, day)))
        await bot.tick()
    assert len(api.bot_messages(zhou.id)) == count  # not overdue any more
    clock.set(at(date(2026, 12, 8)))
    await bot.tick()
    assert world["a"] in api.last(zhou.id).plain and "还剩7天" in api.last(zhou.id).plain


async def test_an_extension_rejected_keeps_the_date(bot, api, org, clock, world):
    wang, chen = org.users["王芳"], org.users["陈书记"]
    await bot.send(wang, "/我的清单")
    await bot.press(wang, api.last(wang.id), "申请延期")
    await bot.send(wang, "2026-12-20")
    await bot.send(wang, "等待上级批复")
    await bot.sender.drain()
    await bot.press(chen, api.last(chen.id), "驳回")
    assert api.callback_answers[-1].text == "已驳回"
    item, _ = await item_state(bot, world["b"])
    assert item.status is ItemStatus.OPEN and item.due_date == date(2026, 12, 2)
    await bot.sender.drain()
    assert "未获批准" in api.last(wang.id).plain and "2026-12-02" in api.last(wang.id).plain
    # while a request waits, the item's buttons say so
    await bot.send(wang, "/我的清单")
    await bot.press(wang, api.last(wang.id), "申请延期")
    await bot.send(wang, "2026-12-20")
    await bot.send(wang, "再申请一次")
    await bot.send(wang, "/汇报")
    assert "没有需要汇报的事项" not in api.last(wang.id).plain


async def test_non_responders_after_two_workdays(bot, api, org, clock, world):
    services = bot.app.bot_data.services
    clock.set(at(date(2026, 11, 23)))
    await bot.tick()
    clock.set(at(date(2026, 11, 24)))
    await bot.tick()
    assert await services.summary.non_responders() == []
    clock.set(at(date(2026, 11, 25), 8))
    names = [p.name for p, _ in await services.summary.non_responders()]
    assert names == ["周支书"]
    await bot.press(org.users["周支书"], api.bot_messages(org.users["周支书"].id)[-1], "收到")
    assert await services.summary.non_responders() == []


async def test_a_refused_finish_ends_the_flow_and_a_second_request_is_refused(
        bot, api, org, clock, world):
    zhou = org.users["周支书"]
    digest = await first_digest(bot, api, clock, zhou)
    await bot.press(zhou, digest, "申请延期")
    assert "C0001" in api.last(zhou.id).plain  # the prompt names the item
    await bot.send(zhou, "2026-12-15")
    await bot.press(zhou, digest, "已完成")  # meanwhile, done after all
    before = await snapshot(bot)
    await bot.send(zhou, "凭证量大")
    assert api.last(zhou.id).plain == "这个事项已经办结，无需再操作。"
    await bot.send(zhou, "还有话说")  # the flow is over: no re-prompt
    assert "延期理由" not in api.last(zhou.id).plain
    assert await snapshot(bot) == before


async def test_a_leader_told_to_urge_gets_only_ack_and_status(bot, api, org, clock, world):
    li = org.users["李明"]
    clock.set(at(date(2026, 11, 30)))
    await bot.tick()
    digest = api.last(li.id)
    assert [b for b, _ in digest.buttons] == [f"收到 {world['a']}", "状态：未开始"]
    await bot.send(li, "请抓紧核查", reply_to=digest)  # a 督促 note answers his reminder
    names = [p.name for p, _ in await bot.app.bot_data.services.summary.non_responders()]
    assert "李明" not in names
