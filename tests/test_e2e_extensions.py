"""End to end: the rest of the 延期 path (issue 4): the applicant withdraws a request, the
approvers' list of pending requests, a 整改 whose leader is the only 纪委 member, and a
整改方案 that may not outrun its 整改. Every refusal changes nothing."""

from __future__ import annotations

from datetime import date

from bot.domain.model import ItemStatus
from tests.conftest import ADMIN_ID, snapshot
from tests.test_e2e_fixes import create_fix
from tests.test_e2e_replies import first_digest, item_state


async def ask_extension(bot, api, who, message, label: str, new_due: str, reason: str):
    """Tap 申请延期 on `message`, answer the two questions; returns the confirmation."""
    await bot.press(who, message, label)
    await bot.send(who, new_due)
    await bot.send(who, reason)
    confirmation = api.last(who.id)
    assert "已提交延期申请" in confirmation.plain, confirmation.plain
    return confirmation


async def test_the_applicant_withdraws_a_request_and_the_approvers_buttons_say_so(
        bot, api, org, clock, world):
    zhou, chen = org.users["周支书"], org.users["陈书记"]
    digest = await first_digest(bot, api, clock, zhou)
    await bot.press(zhou, digest, "进行中")
    confirmation = await ask_extension(bot, api, zhou, digest, "申请延期", "2026-12-15",
                                       "凭证量大")
    assert "撤回申请" in [b for b, _ in confirmation.buttons]
    assert (await item_state(bot, world["a"]))[0].status is ItemStatus.EXTENSION_REQUESTED
    await bot.sender.drain()
    ask, admins_copy = api.last(chen.id), api.last(ADMIN_ID)
    assert "延期申请" in ask.plain and "延期申请" in admins_copy.plain
    # nobody else may withdraw it, not even an approver with forged data
    before = await snapshot(bot)
    request_data = next(d for b, d in confirmation.buttons if b == "撤回申请")
    for who in (chen, org.users["李明"]):
        await bot.press_data(who, confirmation, request_data)
        assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    for bad in ("ex:wd:abc", "ex:wd:99999", "ex:wd:1:2:3"):
        await bot.press_data(zhou, confirmation, bad)
        assert "失效" in api.callback_answers[-1].text
    assert await snapshot(bot) == before and confirmation.edits == 0
    # the applicant withdraws it: back to 进行中, the due date as it was
    await bot.press(zhou, confirmation, "撤回申请")
    assert api.callback_answers[-1].text == "已撤回延期申请"
    assert "已撤回延期申请" in confirmation.plain and "进行中" in confirmation.plain
    assert not confirmation.buttons and api.last(zhou.id) is confirmation
    item, events = await item_state(bot, world["a"])
    assert item.status is ItemStatus.IN_PROGRESS and item.due_date == date(2026, 11, 27)
    withdrawn = [e for e in events if e.kind == "item.extension_withdrawn"]
    assert len(withdrawn) == 1 and withdrawn[0].actor_person_id == item.owner_id
    move = [e for e in events if e.kind == "item.status"][-1]
    assert (move.data["from"], move.data["to"], move.data["action"]) == (
        "extension_requested", "in_progress", "withdraw_extension")
    # the approvers' buttons now answer that it was withdrawn, and change nothing
    after = await snapshot(bot)
    await bot.press(chen, ask, "批准")
    assert "已撤回" in api.callback_answers[-1].text
    assert "申请人已撤回" in ask.plain and not ask.buttons
    await bot.press(api.users[ADMIN_ID], admins_copy, "驳回")
    assert "已撤回" in api.callback_answers[-1].text
    await bot.press_data(zhou, confirmation, request_data)  # a double tap
    assert api.callback_answers[-1].text == "这项申请已经撤回了"
    assert await snapshot(bot) == after
    item, _ = await item_state(bot, world["a"])
    assert item.status is ItemStatus.IN_PROGRESS and item.due_date == date(2026, 11, 27)
    # and a new request may be made
    await ask_extension(bot, api, zhou, digest, "申请延期", "2026-12-18", "档案在外地")
    assert (await item_state(bot, world["a"]))[0].status is ItemStatus.EXTENSION_REQUESTED


async def test_a_decided_request_cannot_be_withdrawn(bot, api, org, world):
    wang, chen = org.users["王芳"], org.users["陈书记"]
    await bot.send(wang, "/我的清单")
    confirmation = await ask_extension(bot, api, wang, api.last(wang.id), "申请延期",
                                       "2026-12-20", "等待上级批复")
    await bot.sender.drain()
    await bot.press(chen, api.last(chen.id), "批准")
    before = await snapshot(bot)
    await bot.press(wang, confirmation, "撤回申请")
    assert api.callback_answers[-1].text == "这项申请已经批准，不能再撤回"
    assert "已批准（陈书记）" in confirmation.plain and not confirmation.buttons
    assert await snapshot(bot) == before
    item, _ = await item_state(bot, world["b"])
    assert item.status is ItemStatus.OPEN and item.due_date == date(2026, 12, 20)


async def request_id(bot, code: str) -> int:
    async with bot.app.bot_data.services.db.read() as tx:
        item = await tx.items.by_code(code)
        return (await tx.extensions.pending_for(item.id)).id


async def test_approvers_list_the_requests_they_may_decide(bot, api, org, clock, world):
    zhou, wang, li = org.users["周支书"], org.users["王芳"], org.users["李明"]
    chen, ji, admin = org.users["陈书记"], org.users["刘纪委"], api.users[ADMIN_ID]
    await bot.send(chen, "/延期审批")
    assert api.last(chen.id).plain == "👍 目前没有待您审批的延期申请。"
    digest = await first_digest(bot, api, clock, zhou)
    await ask_extension(bot, api, zhou, digest, "申请延期", "2026-12-15", "凭证量大")
    await bot.send(wang, "/我的清单")
    await ask_extension(bot, api, wang, api.last(wang.id), "申请延期", "2026-12-20", "等待批复")
    _, plan = await create_fix(bot, api, ji)
    await bot.sender.drain()
    await ask_extension(bot, api, li, api.last(li.id), "申请延期", "2026-12-10", "需征求意见")
    # the 书记 sees the two ordinary requests, the 纪委 the 整改's
    await bot.send(chen, "/延期审批")
    listing = api.last(chen.id)
    assert "待审批的延期申请（2项）" in listing.plain
    assert world["a"] in listing.plain and world["b"] in listing.plain and plan not in listing.plain
    assert "凭证量大" in listing.plain and "2026-11-27（周五） → 2026-12-15（周二）" in listing.plain
    assert [b for b, _ in listing.buttons] == [f"批准 {world['a']}", f"驳回 {world['a']}",
                                               f"批准 {world['b']}", f"驳回 {world['b']}"]
    assert all(len(d.encode()) <= 64 for _, d in listing.buttons)
    await bot.send(ji, "/extensions")
    assert "（1项）" in api.last(ji.id).plain and plan in api.last(ji.id).plain
    await bot.send(admin, "/extensions")
    admins_list = api.last(ADMIN_ID)
    assert "（2项）" in admins_list.plain
    # not an approver: refused, nothing changes
    before = await snapshot(bot)
    for who in (li, zhou):
        await bot.send(who, "/延期审批")
        assert "延期审批只能由党委书记、管理员或纪委操作" in api.last(who.id).plain
    wang_request = await request_id(bot, world["b"])
    await bot.press_data(li, listing, f"ex:ok:{wang_request}:p")  # forged, on 书记's list
    assert "不归您审批" in api.callback_answers[-1].text
    await bot.press_data(ji, listing, f"ex:ok:{wang_request}:p")  # 纪委: not an ordinary one
    assert "不归您审批" in api.callback_answers[-1].text
    for bad in (f"ex:ok:{wang_request}:zz", "ex:ok:0:p", "ex:maybe:1:p"):
        await bot.press_data(chen, listing, bad)
        assert "失效" in api.callback_answers[-1].text
    assert await snapshot(bot) == before and listing.edits == 0
    # a decision from the list: the toast, and the list redrawn with what still waits
    await bot.press(chen, listing, f"批准 {world['a']}")
    assert api.callback_answers[-1].text == "已批准，截止日期已顺延"
    assert listing.edits == 1 and "（1项）" in listing.plain and world["a"] not in listing.plain
    item, _ = await item_state(bot, world["a"])
    assert item.status is ItemStatus.OPEN and item.due_date == date(2026, 12, 15)
    # the office's list is older: the first decision won
    after = await snapshot(bot)
    await bot.press(admin, admins_list, f"驳回 {world['a']}")
    assert api.callback_answers[-1].text == "这项申请已经处理过了"
    assert "（1项）" in admins_list.plain and world["a"] not in admins_list.plain
    assert await snapshot(bot) == after
    await bot.press(chen, listing, f"驳回 {world['b']}")
    assert api.callback_answers[-1].text == "已驳回"
    assert listing.plain == "👍 目前没有待您审批的延期申请。" and not listing.buttons
    await bot.sender.drain()
    assert "已获批准" in api.last(zhou.id).plain and "未获批准" in api.last(wang.id).plain


async def test_a_discipline_group_member_cannot_decide_from_a_list_posted_there(
        bot, api, org, world):
    ji, li = org.users["刘纪委"], org.users["李明"]
    _, plan = await create_fix(bot, api, ji)
    await bot.sender.drain()
    await ask_extension(bot, api, li, api.last(li.id), "申请延期", "2026-12-10", "需征求意见")
    await bot.send(ji, "/extensions", chat=world["group"])
    listing = api.last(world["group"].id)
    before = await snapshot(bot)
    await bot.press(li, listing, f"批准 {plan}")  # his own request, in the group
    assert "不归您审批" in api.callback_answers[-1].text
    assert await snapshot(bot) == before and listing.edits == 0
    await bot.press(ji, listing, f"批准 {plan}")
    assert api.callback_answers[-1].text == "已批准，截止日期已顺延"
    assert (await item_state(bot, plan))[0].due_date == date(2026, 12, 10)


async def test_a_leader_who_is_the_only_discipline_member_is_checked_by_the_secretary(
        bot, api, org, world):
    ji, chen, li = org.users["刘纪委"], org.users["陈书记"], org.users["李明"]
    main, plan = await create_fix(bot, api, ji, leader="刘纪委")  # the 纪委's own 整改
    await bot.sender.drain()
    notice = api.last(ji.id)
    assert "整改通知" in notice.plain
    # his 延期 request reaches the 书记, who may decide it; nobody else may
    await ask_extension(bot, api, ji, notice, "申请延期", "2026-12-10", "需征求意见")
    await bot.sender.drain()
    ask = api.last(chen.id)
    assert "延期申请" in ask.plain and plan in ask.plain
    await bot.send(chen, "/延期审批")
    assert plan in api.last(chen.id).plain
    before = await snapshot(bot)
    for who in (ji, li):
        await bot.press(who, ask, "批准")
        assert "不归您审批" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    await bot.press(chen, ask, "批准")
    assert api.callback_answers[-1].text == "已批准，截止日期已顺延"
    assert (await item_state(bot, plan))[0].due_date == date(2026, 12, 10)
    # his plan reported done goes to the 书记 for 验收
    plan_item, _ = await item_state(bot, plan)
    await bot.press_data(ji, notice, f"it:done:{plan_item.id}:d")
    assert "已提交纪委验收" in api.callback_answers[-1].text
    await bot.sender.drain()
    check = api.last(chen.id)
    assert "整改待验收" in check.plain and plan in check.plain
    await bot.send(chen, "/整改 待验收")  # his /整改 offers it too; the leader's does not
    assert f"销号 {plan}" in [b for b, _ in api.last(chen.id).buttons]
    await bot.send(ji, "/整改 待验收")
    assert f"销号 {plan}" not in [b for b, _ in api.last(ji.id).buttons]
    before = await snapshot(bot)
    await bot.press_data(ji, notice, f"zg:ok:{plan_item.id}")  # not his own
    assert "只能由纪委操作" in api.callback_answers[-1].text
    await bot.press(li, check, "销号")
    assert "只能由纪委操作" in api.callback_answers[-1].text
    assert await snapshot(bot) == before
    await bot.press(chen, check, "退回")  # the 书记 sends it back with a reason
    await bot.send(chen, "方案缺少时间表")
    assert f"已退回 {plan}" in api.last(chen.id).plain
    await bot.sender.drain()
    await bot.press(ji, api.last(ji.id), "已完成")
    await bot.sender.drain()
    await bot.press(chen, api.last(chen.id), "销号")
    assert api.callback_answers[-1].text == f"{plan} 已销号"
    assert (await item_state(bot, plan))[0].status is ItemStatus.VERIFIED
    assert (await item_state(bot, main))[0].status is ItemStatus.OPEN


async def test_with_another_discipline_member_the_secretary_does_not_check(bot, api, org,
                                                                           world):
    ji, chen = org.users["刘纪委"], org.users["陈书记"]
    wu = await org.person(15, "吴纪检", "/登记 吴纪检 纪委委员 局纪委")
    _, plan = await create_fix(bot, api, ji, leader="刘纪委")
    await bot.sender.drain()
    await ask_extension(bot, api, ji, api.last(ji.id), "申请延期", "2026-12-10", "需征求意见")
    await bot.sender.drain()
    ask = api.last(wu.id)
    assert "延期申请" in ask.plain and plan in ask.plain
    assert plan not in api.last(chen.id).plain
    await bot.press(chen, ask, "批准")
    assert "不归您审批" in api.callback_answers[-1].text
    await bot.press(wu, ask, "批准")
    assert api.callback_answers[-1].text == "已批准，截止日期已顺延"


async def test_a_plan_extension_may_not_end_after_the_completion(bot, api, org, world):
    ji, li = org.users["刘纪委"], org.users["李明"]
    main, plan = await create_fix(bot, api, ji)  # plan by 2026-12-04, done by 2026-12-31
    await bot.sender.drain()
    notice = api.last(li.id)
    await bot.press(li, notice, "申请延期")  # the first row: the plan
    assert plan in api.last(li.id).plain
    before = await snapshot(bot)
    await bot.send(li, "2027-01-10")
    refused = api.last(li.id).plain
    assert "整改方案的期限（2027-01-10）不能晚于整改完成期限（2026-12-31）" in refused
    assert await snapshot(bot) == before
    assert (await item_state(bot, plan))[0].status is ItemStatus.OPEN
    await bot.send(li, "2026-12-31")  # the same day is allowed
    await bot.send(li, "需征求意见")
    assert "已提交延期申请" in api.last(li.id).plain
    await bot.sender.drain()
    await bot.press(ji, api.last(ji.id), "批准")
    assert (await item_state(bot, plan))[0].due_date == date(2026, 12, 31)
    # the completion itself may move later, and then so may its plan
    main_item, _ = await item_state(bot, main)
    await bot.press_data(li, notice, f"it:ext:{main_item.id}:d")
    await bot.send(li, "2027-01-31")
    await bot.send(li, "涉及资金清退")
    assert "已提交延期申请" in api.last(li.id).plain
    await bot.sender.drain()
    await bot.press(ji, api.last(ji.id), "批准")
    assert (await item_state(bot, main))[0].due_date == date(2027, 1, 31)
    plan_item, _ = await item_state(bot, plan)
    await bot.press_data(li, notice, f"it:ext:{plan_item.id}:d")
    await bot.send(li, "2027-01-10")
    await bot.send(li, "配合资金清退进度")
    assert "已提交延期申请" in api.last(li.id).plain


async def test_help_tells_approvers_of_the_list_and_everyone_of_withdrawing(bot, api, org):
    chen, ji, zhou = org.users["陈书记"], org.users["刘纪委"], org.users["周支书"]
    for who in (chen, ji):
        await bot.send(who, "/help")
        assert "/延期审批（/extensions）" in api.last(who.id).plain
    await bot.send(zhou, "/帮助")
    text = api.last(zhou.id).plain
    assert "延期审批" not in text and "撤回申请" in text and "/汇报（/report）" in text
    assert "extensions" in [c["command"] for c in api.commands]


async def test_a_plan_extension_is_not_approved_past_a_completion_moved_earlier(bot, api,
                                                                              org, world):
    ji, li = org.users["刘纪委"], org.users["李明"]
    main, plan = await create_fix(bot, api, ji)
    await bot.sender.drain()
    await ask_extension(bot, api, li, api.last(li.id), "申请延期", "2026-12-20", "需征求意见")
    await bot.sender.drain()
    ask = api.last(ji.id)
    services = bot.app.bot_data.services
    async with services.db.transaction() as tx:  # meanwhile, say an import moved it earlier
        main_item = await tx.items.by_code(main)
        await tx.items.set_due(main_item.id, date(2026, 12, 15), services.clock.now())
    before = await snapshot(bot)
    await bot.press(ji, ask, "批准")
    assert "晚于整改完成期限" in api.callback_answers[-1].text
    assert await snapshot(bot) == before and ask.buttons
    assert (await item_state(bot, plan))[0].due_date == date(2026, 12, 4)
    await bot.press(ji, ask, "驳回")
    assert api.callback_answers[-1].text == "已驳回"
