"""End to end in group chats: unregistered groups stay quiet, admins bind them."""

from __future__ import annotations

from tests.conftest import snapshot


async def test_unregistered_group_gets_one_line_hint_and_nothing_else(bot, api, org):
    group = api.group(-100, "某个工作群")
    li = org.users["李明"]
    before = await snapshot(bot)
    await bot.send(li, "/mylist", chat=group)
    await bot.send(li, "/help", chat=group)
    texts = [m.plain for m in api.bot_messages(group.id)]
    assert texts == ["本群尚未登记，机器人在这里不提供服务。管理员可发送 /bindgroup 登记本群。"] * 2
    # plain chatter is never answered (and with privacy mode it does not even arrive)
    await bot.send(li, "大家好", chat=group)
    assert len(api.bot_messages(group.id)) == 2
    assert await snapshot(bot) == before


async def test_admin_binds_discipline_group_with_buttons(bot, api, admin, org):
    group = api.group(-200, "局纪委工作群")
    li, liu = org.users["李明"], org.users["刘纪委"]
    await bot.send(li, "/bindgroup", chat=group)
    assert "只能由管理员" in api.last(group.id).plain
    await bot.send(admin, "/bindgroup", chat=group)
    prompt = api.last(group.id)
    assert [label for label, _ in prompt.buttons][:2] == ["纪委群", "单位群"]
    before = await snapshot(bot)
    await bot.press(li, prompt, "纪委群")  # another member taps the admin's button
    assert "失效" in api.callback_answers[-1].text
    assert await snapshot(bot) == before and prompt.edits == 0
    await bot.press(admin, prompt, "纪委群")
    assert prompt.edits == 1 and "已登记为纪委群" in prompt.plain and not prompt.buttons
    assert api.last(group.id) is prompt
    await bot.send(liu, "/todo", chat=group)
    assert "待办" in api.last(group.id).plain


async def test_admin_binds_unit_group_in_one_line(bot, api, admin, org):
    group = api.group(-300, "财务科群")
    await bot.send(admin, "/bindgroup 单位 不存在科", chat=group)
    assert "找不到单位“不存在科”" in api.last(group.id).plain
    await bot.send(admin, "/bindgroup 单位 财务科", chat=group)
    assert "已登记为“财务科”的单位群" in api.last(group.id).plain
    await bot.send(admin, "/bindgroup 随便", chat=group)
    assert "用法：/绑定群" in api.last(group.id).plain


async def test_bindgroup_in_private_chat_explains(bot, api, admin):
    await bot.send(admin, "/绑定群")
    assert "要在群里使用" in api.last(admin.id).plain


async def test_privacy_mode_hides_chinese_commands_in_groups(bot, api, admin, org):
    group = api.group(-400, "纪委群", privacy=True)
    await bot.send(admin, "/bindgroup 纪委", chat=group)
    li = org.users["李明"]
    count = len(api.bot_messages(group.id))
    assert await bot.send(li, "/我的清单", chat=group) is None  # Telegram never delivers it
    assert len(api.bot_messages(group.id)) == count
    open_group = api.group(-500, "不开隐私模式的群", privacy=False)
    await bot.send(admin, "/bindgroup 纪委", chat=open_group)
    await bot.send(li, "/我的清单", chat=open_group)
    assert "我的清单" in api.last(open_group.id).plain
