"""End to end: the rest of the 延期 path (issue 4): the applicant withdraws a request, the
approvers' list of pending requests, a 整改 whose leader is the only 纪委 member, and a
整改方案 that may not outrun its 整改. Every refusal changes nothing."""

from __future__ import annotations

from datetime import date

from bot.domain.model import ItemStatus
from tests.conftest import ADMIN_ID, snapshot
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
