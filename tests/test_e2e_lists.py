"""End to end: /新建 along the 传导 chain, /我的清单 in scope and paged, /待办."""

from __future__ import annotations

from bot.fake_telegram.driver import driven_bot
from tests.conftest import snapshot


async def test_chain_problem_responsibility_measure_visible_in_lists(bot, api, admin, org):
    problem = await org.item("问题", "三重一大集体决策程序执行不严格", "第一责任", "陈书记", "某局党委", "2027-03-31")
    resp = await org.item("责任", "牵头规范三重一大议事规则", "一岗双责", "李明", "财务科", "2027/1/15",
                          parent=problem)
    await org.item("措施", "修订党委会议事规则", "一岗双责", "周支书", "财务科党支部", "12月10日",
                   parent=resp)
    zhou = org.users["周支书"]
    await bot.send(zhou, "/我的清单")
    text = api.last(zhou.id).plain
    assert "【措施清单】" in text and "修订党委会议事规则" in text
    assert f"上级责任：{resp} 牵头规范三重一大议事规则" in text
    assert f"上级问题：{problem} 三重一大集体决策程序执行不严格" in text
    assert "2026-12-10" in text
    # 李明 分管 财务科, so he sees the measure in 财务科党支部 (a unit below it) too
    li = org.users["李明"]
    await bot.send(li, "/mylist")
    text = api.last(li.id).plain
    assert "修订党委会议事规则" in text and "责任人 周支书" in text
    assert "三重一大集体决策程序执行不严格" in text  # as parent of his own item


async def test_scope_member_sees_only_their_units_secretary_and_discipline_see_all(bot, api, org):
    await org.item("问题", "财务科的问题", "一岗双责", "周支书", "财务科", "2026-12-31")
    await org.item("问题", "项目科的问题", "一岗双责", "王芳", "项目科", "2026-12-31")
    li, wang, chen, liu, zhou = (org.users[n] for n in ("李明", "王芳", "陈书记", "刘纪委", "周支书"))
    await bot.send(li, "/mylist")
    assert "财务科的问题" in api.last(li.id).plain
    assert "项目科的问题" not in api.last(li.id).plain
    await bot.send(wang, "/mylist")
    assert "项目科的问题" in api.last(wang.id).plain
    assert "财务科的问题" not in api.last(wang.id).plain
    await bot.send(zhou, "/mylist")
    assert "财务科的问题" in api.last(zhou.id).plain  # his own
    assert "项目科的问题" not in api.last(zhou.id).plain
    for who in (chen, liu):
        await bot.send(who, "/mylist")
        text = api.last(who.id).plain
        assert "全部清单" in text and "财务科的问题" in text and "项目科的问题" in text


async def test_list_is_paged_with_buttons_that_only_the_owner_may_press(bot, api, org):
    services = bot.app.bot_data.services
    actor = await services.people.actor_for(org.admin.id)
    from datetime import date

    from bot.domain.model import Duty, ListKind
    from bot.services.items import ItemDraft

    for n in range(19):
        await services.items.create(actor, ItemDraft(
            kind=ListKind.MEASURE, title=f"措施第{n:02d}项", duty=Duty.DUAL, owner="王芳",
            unit="项目科", due_date=date(2026, 12, 1 + n)))
    wang = org.users["王芳"]
    await bot.send(wang, "/我的清单")
    first = api.last(wang.id)
    assert "共19项，第1/3页" in first.plain and "措施第00项" in first.plain
    labels = [label for label, _ in first.buttons]
    assert labels[-1] == "下一页 ›" and labels.count("已完成") == 8  # a row for each own item
    assert labels[:4] == [f"收到 {first.plain.split()[3]}", "进行中", "已完成", "申请延期"]
    await bot.press(wang, first, "下一页")
    assert first.edits == 1 and "第2/3页" in first.plain and "措施第08项" in first.plain
    assert api.last(wang.id) is first  # edited in place, no new message
    # someone else pressing it is refused and nothing moves
    li = org.users["李明"]
    await bot.press(li, first, "下一页")
    assert api.callback_answers[-1].text == "这个按钮不是给您的。"
    assert "第2/3页" in first.plain
    # forged page numbers and garbage are handled
    await bot.press_data(wang, first, "lp:0:99")
    assert "不是给您的" in api.callback_answers[-1].text
    await bot.press_data(wang, first, "lp:x:y")
    assert "失效" in api.callback_answers[-1].text
    await bot.press_data(wang, first, "zz:1")
    assert "失效" in api.callback_answers[-1].text


async def test_todo_shows_overdue_and_next_14_days_only(bot, api, org):
    await org.item("措施", "上周就该完成的措施", "一岗双责", "王芳", "项目科", "2026-11-20")
    await org.item("措施", "下周到期的措施", "一岗双责", "王芳", "项目科", "2026-11-30")
    await org.item("措施", "明年的措施", "一岗双责", "王芳", "项目科", "2027-06-30")
    await org.item("措施", "别人的措施", "一岗双责", "李明", "项目科", "2026-11-25")
    wang = org.users["王芳"]
    await bot.send(wang, "/待办")
    text = api.last(wang.id).plain
    assert "已逾期 1 项" in text and "逾期3天" in text and "上周就该完成的措施" in text
    assert "即将到期 1 项" in text and "下周到期的措施" in text and "还剩7天" in text
    assert "明年的措施" not in text and "别人的措施" not in text
    assert text.index("上周就该完成") < text.index("下周到期")


async def test_new_item_refusals_keep_the_flow_and_change_nothing(bot, api, admin, org):
    before = await snapshot(bot)
    li = org.users["李明"]
    await bot.send(li, "/新建")
    assert "只能由管理员、纪委或党委书记" in api.last(li.id).plain
    await bot.send(admin, "/new")
    await bot.send(admin, "问题")
    await bot.send(admin, "长" * 201)
    assert "最多200字，您输入了201字" in api.last(admin.id).plain
    await bot.send(admin, "<b>标题</b> & 其他")
    await bot.send(admin, "五责")
    assert "“五责”不在可选范围内" in api.last(admin.id).plain
    await bot.send(admin, "主体责任")
    await bot.send(admin, "查无此人")
    assert "找不到人员“查无此人”" in api.last(admin.id).plain
    await bot.send(admin, "陈书记")
    await bot.send(admin, "不存在的科")
    assert "找不到单位“不存在的科”" in api.last(admin.id).plain
    await bot.send(admin, "某局党委")
    await bot.send(admin, "跳过")
    for bad in ("下下周五", "2026-02-30", "13月1日"):
        await bot.send(admin, bad)
        assert f"看不懂日期“{bad}”" in api.last(admin.id).plain
        assert "2027-01-31" in api.last(admin.id).plain
    assert await snapshot(bot) == before
    await bot.send(admin, "12-05")
    await bot.press(admin, api.last(admin.id), "确认创建")
    created = api.last(admin.id)
    assert "<b>标题</b> & 其他" in created.plain  # shown literally, never as markup
    assert "&lt;b&gt;" in created.text
    assert (await snapshot(bot))[2] == before[2] + 1


async def test_parent_must_follow_the_chain(bot, api, admin, org):
    problem = await org.item("问题", "一个问题", "主体责任", "陈书记", "某局党委", "2027-01-01")
    resp = await org.item("责任", "一个责任", "一岗双责", "李明", "财务科", "2027-01-01", parent=problem)
    await bot.send(admin, "/new")
    for answer in ("措施", "一个措施", "一岗双责", "李明", "财务科"):
        await bot.send(admin, answer)
    prompt = api.last(admin.id)
    assert resp in " ".join(label for label, _ in prompt.buttons)
    await bot.send(admin, problem)  # a 问题 cannot be a 措施's parent
    assert "上级事项必须是责任清单中的事项" in api.last(admin.id).plain
    await bot.send(admin, "Z9999")
    assert "找不到这个上级事项编号" in api.last(admin.id).plain
    await bot.press(admin, api.last(admin.id), resp)
    assert "请选择问题来源" in api.last(admin.id).plain


async def test_cancel_and_stale_flow_buttons(bot, api, admin, org):
    before = await snapshot(bot)
    await bot.send(admin, "/new")
    prompt = api.last(admin.id)
    await bot.send(admin, "/取消")
    assert "已取消新建清单事项" in api.last(admin.id).plain
    await bot.press(admin, prompt, "问题")  # a button from the abandoned flow
    assert "失效" in api.callback_answers[-1].text
    await bot.press_data(admin, prompt, "f:deadbeef:0")
    assert "失效" in api.callback_answers[-1].text
    await bot.send(admin, "/cancel")
    assert "当前没有正在填写的内容" in api.last(admin.id).plain
    assert await snapshot(bot) == before


async def test_a_flow_half_way_survives_a_restart(settings, api, clock, admin, bot, org):
    await bot.send(admin, "/new")
    await bot.send(admin, "问题")
    await bot.send(admin, "重启前开始填写的问题")
    prompt = api.last(admin.id)
    await bot.app.bot_data.services.close()  # the process dies here
    async with driven_bot(settings, api, clock) as again:
        await again.press(admin, prompt, "主体责任")
        for answer in ("陈书记", "某局党委", "跳过", "2026-12-31"):
            await again.send(admin, answer)
        await again.press(admin, api.last(admin.id), "确认创建")
        assert "已新建问题清单事项" in api.last(admin.id).plain
        chen = org.users["陈书记"]
        await again.send(chen, "/我的清单")
        assert "重启前开始填写的问题" in api.last(chen.id).plain
        await again.app.bot_data.services.close()
