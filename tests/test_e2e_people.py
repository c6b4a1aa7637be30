"""End to end through the real Application: units, registration, invites, binding, help."""

from __future__ import annotations

from datetime import timedelta

from bot.fake_telegram import invite_code
from tests.conftest import snapshot


async def test_admin_registers_by_one_line_and_person_binds(bot, api, admin, org):
    li = org.users["李明"]
    welcome = api.last(li.id).plain
    assert "绑定成功" in welcome and "李明" in welcome
    assert "班子成员" in welcome and "分管：财务科" in welcome
    assert "/我的清单（/mylist）" in welcome


async def test_guided_registration_ends_in_the_same_confirmation(bot, api, admin, org):
    await bot.send(admin, "/register")
    assert "请输入要登记人员的姓名" in api.last(admin.id).plain
    await bot.send(admin, "赵强")
    await bot.press(admin, api.last(admin.id), "班子成员")
    prompt = api.last(admin.id)
    assert "已选：班子成员" in prompt.plain
    await bot.press(admin, prompt, "完成")
    await bot.press(admin, api.last(admin.id), "某局党委")
    await bot.press(admin, api.last(admin.id), "项目科")
    await bot.press(admin, api.last(admin.id), "完成")
    guided = api.last(admin.id).plain
    await bot.send(admin, "/登记 钱七 班子成员 某局党委 分管:项目科")
    one_line = api.last(admin.id).plain
    for text in (guided, one_line):
        assert text.startswith("✅ 已登记")
        assert "分管：项目科" in text and "https://t.me/dutybot_demo_bot?start=" in text
    # the guided flow edited its own message in place rather than sending one per tap
    assert api.last(admin.id).edits == 0
    assert [m for m in api.bot_messages(admin.id) if "赵强" in m.plain][-1].edits >= 4


async def test_unbound_user_gets_a_hint_and_no_data(bot, api, org):
    await org.item("问题", "公务接待超标准", "主体责任", "陈书记", "某局党委", "2026-12-05")
    stranger = api.user(99, "路人")
    for command in ("/我的清单", "/mylist", "/待办", "/todo"):
        await bot.send(stranger, command)
        text = api.last(stranger.id).plain
        assert "还没有绑定身份" in text and "公务接待" not in text
    await bot.send(stranger, "随便说点什么")
    assert "/帮助" in api.last(stranger.id).plain


async def test_non_admin_cannot_register_and_nothing_changes(bot, api, org):
    li = org.users["李明"]
    before = await snapshot(bot)
    await bot.send(li, "/登记 钱七 班子成员 某局党委")
    assert "只能由管理员" in api.last(li.id).plain
    await bot.send(li, "/register")
    assert "只能由管理员" in api.last(li.id).plain
    assert await snapshot(bot) == before


async def test_used_expired_and_revoked_codes_are_refused(bot, api, admin, clock, org):
    li = org.users["李明"]
    # used: the code 李明 already used, tried by someone else
    used_code = invite_code(next(m.plain for m in api.bot_messages(admin.id) if "李明" in m.plain))
    other = api.user(50, "别人")
    before = await snapshot(bot)
    await bot.send(other, f"/start {used_code}")
    assert "已经使用过" in api.last(other.id).plain
    await bot.send(li, f"/start {used_code}")
    assert "已经绑定为“李明”" in api.last(li.id).plain
    # revoked: /邀请 issues a fresh link and the old one stops working
    await org.person(60, "钱七", "/登记 钱七 班子成员 某局党委", bind=False)
    old = invite_code(api.last(admin.id).plain)
    await bot.send(admin, "/邀请 钱七")
    new = invite_code(api.last(admin.id).plain)
    assert new != old and "旧链接作废" in api.last(admin.id).plain
    qian = org.users["钱七"]
    mid = await snapshot(bot)
    await bot.send(qian, f"/start {old}")
    assert "已被撤销" in api.last(qian.id).plain
    # expired: seven days later the fresh one has lapsed too
    clock.advance(timedelta(days=7, minutes=1))
    await bot.send(qian, f"/start {new}")
    assert "已过期" in api.last(qian.id).plain
    await bot.send(qian, "/start 这不是邀请码")
    assert "邀请码无效" in api.last(qian.id).plain
    assert (await snapshot(bot))[:3] == mid[:3] and before[:3] != mid[:3]
    await bot.send(qian, "/mylist")
    assert "还没有绑定身份" in api.last(qian.id).plain


async def test_unknown_unit_and_role_are_named_and_nothing_changes(bot, api, admin, org):
    before = await snapshot(bot)
    await bot.send(admin, "/登记 钱七 班子成员 不存在科")
    text = api.last(admin.id).plain
    assert "找不到单位“不存在科”" in text and "财务科" in text
    await bot.send(admin, "/登记 钱七 大领导 某局党委")
    assert "不认识角色“大领导”" in api.last(admin.id).plain
    await bot.send(admin, "/登记 钱七")
    assert "用法：/登记 姓名 角色 所在单位" in api.last(admin.id).plain
    await bot.send(admin, "/登记 李明 班子成员 某局党委")
    assert "已经登记过“李明”" in api.last(admin.id).plain
    await bot.send(admin, "/邀请 查无此人")
    assert "找不到人员“查无此人”" in api.last(admin.id).plain
    assert await snapshot(bot) == before


async def test_units_are_created_listed_and_long_lists_split(bot, api, admin):
    await bot.send(admin, "/新建单位 某局党委")
    await bot.send(admin, "/新建单位 某局党委")
    assert "已经存在" in api.last(admin.id).plain
    await bot.send(admin, "/新建单位 科室甲 不存在的上级")
    assert "找不到单位“不存在的上级”" in api.last(admin.id).plain
    services = bot.app.bot_data.services
    actor = await services.people.actor_for(admin.id)
    for n in range(250):
        await services.people.create_unit(actor, f"第{n:03d}个很长很长名字的基层党支部委员会", None, "某局党委")
    count = len(api.bot_messages(admin.id))
    await bot.send(admin, "/单位")
    parts = api.bot_messages(admin.id)[count:]
    assert len(parts) >= 2
    assert all(len(p.text) <= 4096 for p in parts)
    joined = "\n".join(p.plain for p in parts)
    assert "第000个" in joined and "第249个" in joined


async def test_help_depends_on_who_asks(bot, api, admin, org):
    await bot.send(org.users["李明"], "/帮助")
    member = api.last(org.users["李明"].id).plain
    assert "/我的清单" in member and "/登记" not in member and "隐私模式" in member
    await bot.send(admin, "/help")
    assert "/登记（/register）" in api.last(admin.id).plain
    await bot.send(org.users["刘纪委"], "/help")
    assert "/新建（/new）" in api.last(org.users["刘纪委"].id).plain


async def test_command_menu_is_ascii_with_chinese_descriptions(bot, api):
    names = [c["command"] for c in api.commands]
    assert {"mylist", "todo", "register", "bindgroup", "new", "help"} <= set(names)
    assert all(n.isascii() for n in names)
    assert any("清单" in c["description"] for c in api.commands)


async def test_unknown_commands_and_other_bots(bot, api, admin, org):
    await bot.send(admin, "/foo")
    assert "没有 /foo 这个命令" in api.last(admin.id).plain
    await bot.send(admin, "/统计")
    assert "没有 /统计 这个命令" in api.last(admin.id).plain
    count = len(api.bot_messages(admin.id))
    await bot.send(admin, "/mylist@some_other_bot")
    await bot.send(admin, "/我的清单@some_other_bot")
    assert len(api.bot_messages(admin.id)) == count
    await bot.send(org.users["李明"], "/我的清单@dutybot_demo_bot")
    assert "我的清单" in api.last(org.users["李明"].id).plain


async def test_replayed_update_changes_nothing_twice(bot, api, admin, org):
    update = api.send_text(admin, "/登记 钱七 班子成员 某局党委")
    await bot.feed(update)
    once = await snapshot(bot)
    replies = len(api.bot_messages(admin.id))
    await bot.feed(update)  # Telegram hands it out again after a crash
    assert await snapshot(bot) == once
    assert len(api.bot_messages(admin.id)) == replies
