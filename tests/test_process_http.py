"""End to end over real HTTP: `dutybot run` as its own process against the fake Bot API.

One bot process serves the whole module (starting one costs about a second); the
restart test runs its own two. Every assertion is on what users see in their chats,
on the toasts their taps get, and on the database staying untouched when it should.

`settle()` (tests/botprocess.py) returns once everything sent so far is handled and
answered: that is how the "and nothing else" checks know they are not merely early.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.fake_telegram import FakeTelegram, User, invite_code
from bot.fake_telegram.server import FakeTelegramServer
from messages import commands
from storage.inbox import inbox_path
from tests.botprocess import (
    ADMIN_ID,
    ALREADY_BOUND_LI,
    BIND_GROUP_REFUSED,
    INVITE_USED,
    NO_ITEMS,
    NOT_BOUND_TOAST,
    NOT_YOURS,
    STALE_BUTTON,
    UNREGISTERED_GROUP,
    BotProcess,
    assert_clean_exit,
    bot_message_counts,
    db_snapshot,
    edit_counts,
)
from tests.workbooks import filled

_CJK = re.compile(r"[\u4e00-\u9fff]")


# -- one bot process for the module -----------------------------------------------------------


class World:
    def __init__(self, api: FakeTelegram, bot: BotProcess) -> None:
        self.api = api
        self.bot = bot
        self.admin = api.user(ADMIN_ID, "办公室郑晓")
        self.li = api.user(11, "李明")  # registered and bound, not an admin
        self.stranger = api.user(12, "王五")  # never registered
        self.replies: dict[str, str] = {}
        self.li_code = ""

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        return db_snapshot(self.bot.db_path)

    def set_up(self) -> World:
        """The private-chat story every other test starts from (asserted in test_a_*)."""
        bot, admin = self.bot, self.admin
        self.replies["newunit"] = bot.reply_to(admin, "/newunit 某局党委")
        self.replies["新建单位"] = bot.reply_to(admin, "/新建单位 财务科 某局党委 部门")
        self.replies["登记"] = bot.reply_to(admin, "/登记 李明 班子成员 某局党委 分管:财务科")
        self.li_code = invite_code(self.replies["登记"])
        self.replies["start"] = bot.reply_to(self.li, f"/start {self.li_code}")
        return self


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    workdir = tmp_path_factory.mktemp("bot")
    bot = BotProcess(api, server, workdir / "dutybot.db", workdir)
    try:
        bot.start()
        yield World(api, bot).set_up()
        # (e) after everything the module put it through: a clean stop, no token printed
        rc, output = bot.stop()
        assert_clean_exit(rc, output, api.token)
    finally:
        bot.kill_if_running()
        server.stop()


# (a) private chat ----------------------------------------------------------------------------


def test_a_admin_creates_units_registers_and_the_person_binds(world: World) -> None:
    r = world.replies
    assert r["newunit"].startswith("✅ 已新建单位“某局党委”") and "党委" in r["newunit"]
    created = r["新建单位"]
    assert created.startswith("✅ 已新建单位“财务科”")
    assert "部门" in created and "上级单位：某局党委" in created
    registered = r["登记"]
    assert registered.startswith("✅ 已登记\n姓名：李明\n单位：某局党委\n角色：班子成员\n分管：财务科")
    assert f"https://t.me/dutybot_demo_bot?start={world.li_code}" in registered
    welcome = r["start"]
    assert welcome.startswith("✅ 绑定成功！欢迎您，李明。")
    assert "单位：某局党委" in welcome and "身份：班子成员" in welcome
    assert "分管：财务科" in welcome and "/我的清单（/mylist）" in welcome
    stored = world.snapshot()
    assert [row[1] for row in stored["units"]] == ["某局党委", "财务科"]
    assert [row[1] for row in stored["persons"]] == ["李明"]
    assert [(row[0], row[5]) for row in stored["invites"]] == [(world.li_code, world.li.id)]


def test_a_my_list_answers_in_chinese_and_ascii(world: World) -> None:
    bot, li = world.bot, world.li
    chinese = bot.say(li, "/我的清单")
    ascii_ = bot.say(li, "/mylist")
    assert len(chinese) == len(ascii_) == 1
    assert NO_ITEMS in chinese[0].plain
    assert chinese[0].plain == ascii_[0].plain
    # an admin from the config who is not a registered person is told why there is no list
    assert bot.reply_to(world.admin, "/mylist").startswith("您是配置中的管理员，但还没有登记为人员")


def test_a_command_menu_is_ascii_with_chinese_descriptions(world: World) -> None:
    api = world.api
    assert any(method.lower() == "setmycommands" for method, _ in list(api.calls))
    assert api.commands == [{"command": c.ascii, "description": c.words}
                            for c in commands.ALL]
    for entry in api.commands:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", entry["command"]), entry
        assert _CJK.search(entry["description"]), entry


# (b) a group chat ----------------------------------------------------------------------------


def test_b_group_binding_by_the_admin_only(world: World) -> None:
    api, bot, admin, li, stranger = world.api, world.bot, world.admin, world.li, world.stranger
    group = api.group(-100123, "纪委工作群")
    before = world.snapshot()
    elsewhere = bot_message_counts(api)

    # a command in the unregistered group: the one-line hint, and nothing else anywhere
    assert bot.say(stranger, "/mylist", chat=group)[0].plain == UNREGISTERED_GROUP
    assert bot.say(li, "/help", chat=group)[0].plain == UNREGISTERED_GROUP
    bot.settle()
    assert [m.plain for m in api.bot_messages(group.id)] == [UNREGISTERED_GROUP] * 2
    assert "本群尚未登记" in UNREGISTERED_GROUP and "\n" not in UNREGISTERED_GROUP  # one line
    assert bot_message_counts(api) == {**elsewhere, group.id: 2}
    assert world.snapshot() == before

    # a member who is not an admin may not bind it
    refused = bot.reply_to(li, "/bindgroup", chat=group)
    assert refused == BIND_GROUP_REFUSED and "只能由管理员" in refused
    assert world.snapshot() == before

    # the admin's bare /bindgroup asks with buttons
    prompt = bot.say(admin, "/bindgroup", chat=group)[0]
    assert "登记本群" in prompt.plain and "请选择本群的类型" in prompt.plain
    labels = [label for label, _ in prompt.buttons]
    assert labels[:2] == ["纪委群", "单位群"] and "取消" in labels
    asked = world.snapshot()

    # other members tapping the admin's button: a refusal toast, nothing changes
    count = len(api.bot_messages(group.id))
    for member in (li, stranger):
        answer = bot.tap_label(member, prompt, "纪委群")
        assert answer.text in (STALE_BUTTON, NOT_YOURS) and "按钮" in answer.text, answer
    bot.settle()
    assert prompt.edits == 0 and len(api.bot_messages(group.id)) == count
    assert world.snapshot() == asked

    # the admin taps it: the same message becomes the confirmation, no new message
    answer = bot.tap_label(admin, prompt, "纪委群")
    assert answer.text is None  # the spinner is just stopped
    bot.wait_for(lambda: prompt.edits >= 1, "the prompt to be edited", [group.id])
    bot.settle()
    assert prompt.edits == 1
    assert prompt.plain.startswith("✅ 本群“纪委工作群”已登记为纪委群") and prompt.buttons == []
    assert len(api.bot_messages(group.id)) == count and api.last(group.id) is prompt
    groups = world.snapshot()["groups"]
    assert [(row[0], row[1], row[2]) for row in groups] == [(-100123, "discipline", "纪委工作群")]

    # now the group is served
    assert bot.reply_to(li, "/help", chat=group).startswith("四责协同助手 · 李明（班子成员）")
    assert bot.reply_to(stranger, "/mylist", chat=group).startswith("您还没有绑定身份")


# (c) a used invite code ----------------------------------------------------------------------


def test_c_a_used_invite_code_is_refused(world: World) -> None:
    api, bot = world.api, world.bot
    other = api.user(50, "别人")
    before = world.snapshot()
    used = bot.reply_to(other, f"/start {world.li_code}")
    assert used == INVITE_USED and "已经使用过" in used
    # and its owner is told they are bound already, not bound twice
    assert bot.reply_to(world.li, f"/start {world.li_code}") == ALREADY_BOUND_LI
    assert world.snapshot() == before
    # still bound: a bare /start welcomes them back
    assert bot.reply_to(world.li, "/start").startswith("李明，您好！您已绑定为班子成员。")
    assert bot.reply_to(other, "/mylist").startswith("您还没有绑定身份")


# (d) forged callbacks ------------------------------------------------------------------------


def test_d_forged_callbacks_get_a_toast_and_change_nothing(world: World) -> None:
    api, bot, admin, li, stranger = world.api, world.bot, world.admin, world.li, world.stranger
    li_list = bot.say(li, "/mylist")[0]
    stranger_msg = bot.say(stranger, "/mylist")[0]
    flow_prompt = bot.say(admin, "/register")[0]  # a real flow with a real nonce
    real_nonce = flow_prompt.buttons[-1][1].split(":")[1] if flow_prompt.buttons else "00000000"
    before = world.snapshot()
    counts = bot_message_counts(api)
    edits = edit_counts(api)

    forged = [
        (li, li_list, "f:deadbeef:0", {STALE_BUTTON}),
        (li, li_list, "lp:999:0", {NOT_YOURS}),
        (li, li_list, "lp:abc", {STALE_BUTTON}),
        (li, li_list, "zzz", {STALE_BUTTON}),
        (stranger, stranger_msg, "lp:999:0", {NOT_BOUND_TOAST}),
        (stranger, stranger_msg, "f:deadbeef:0", {STALE_BUTTON}),
        (admin, flow_prompt, "f:deadbeef:0", {STALE_BUTTON}),  # wrong nonce, live flow
        (admin, flow_prompt, f"f:{real_nonce}:99", {STALE_BUTTON}),  # no such option
    ]
    answered = len(api.callback_answers)
    for user, message, data, expected in forged:
        answer = bot.tap(user, message, data)
        assert answer.text in expected and answer.text, (data, answer)
    bot.settle()
    # every tap answered exactly once, nothing sent, nothing edited, nothing stored
    ids = [a.callback_query_id for a in api.callback_answers[answered:]]
    assert len(ids) == len(set(ids)) == len(forged)
    assert bot_message_counts(api) == counts
    assert edit_counts(api) == edits
    assert world.snapshot() == before
    # the admin's real flow is still there, and can be cancelled
    assert bot.reply_to(admin, "/取消") == "已取消登记人员，没有保存任何内容。"


# (g) an Excel upload: getFile, then the file fetched from <root>/file/bot<token>/… ------------


def upload(world: World, user: User, content: bytes, name: str) -> str:
    """`user` sends a file in private chat; the one reply, as they read it."""
    api, bot = world.api, world.bot
    before = len(api.bot_messages(user.id))
    assert api.send_document(user, content, name) is not None
    bot.wait_for(lambda: len(api.bot_messages(user.id)) > before, f"a reply to {name}", [user.id])
    return api.bot_messages(user.id)[before].plain


def test_g_an_admin_uploads_a_workbook_and_the_new_person_binds(world: World) -> None:
    api, bot, admin, li = world.api, world.bot, world.admin, world.li
    data = filled(units=[("某局党委", None, None), ("审计科", "某局党委", "部门")],
                  people=[("赵强", "支部书记", "审计科", None, None, None)],
                  items=[(None, "问题", "审计发现问题整改", "主体责任", "赵强", None, None, "审计",
                          "2027-03-31", None)])
    before = world.snapshot()
    assert upload(world, li, data, "台账.xlsx").startswith("只有管理员")
    assert upload(world, admin, b"%PDF-1.7", "台账.pdf").startswith("⛔ 只能导入 Excel 工作簿")
    assert api.downloads == [] and world.snapshot() == before

    reply = upload(world, admin, data, "台账.xlsx")
    assert api.downloads == ["documents/file_3.xlsx"]
    assert reply.startswith("✅ 导入完成（台账.xlsx）")
    assert "单位：新建 1 · 更新 0 · 未变 1" in reply and "清单事项：新建 1" in reply
    after = world.snapshot()
    assert [row[1] for row in after["units"]] == ["某局党委", "财务科", "审计科"]
    assert [row[1] for row in after["items"]] == ["W0001"]
    zhao = api.user(31, "赵强")
    assert bot.reply_to(zhao, f"/start {invite_code(reply)}").startswith("✅ 绑定成功！欢迎您，赵强。")


# (e) + (f) stop and restart on the same database ---------------------------------------------


def test_ef_sigterm_is_clean_and_a_restart_keeps_everything(tmp_path: Path) -> None:
    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    db_path = tmp_path / "dutybot.db"
    admin = api.user(ADMIN_ID, "办公室郑晓")
    zhang = api.user(21, "张三")
    first = BotProcess(api, server, db_path, tmp_path / "first")
    second = BotProcess(api, server, db_path, tmp_path / "second")
    try:
        bot = first.start()
        bot.reply_to(admin, "/newunit 某局党委")
        code = invite_code(bot.reply_to(admin, "/登记 张三 支部书记 某局党委"))
        assert bot.reply_to(zhang, f"/start {code}").startswith("✅ 绑定成功！欢迎您，张三。")
        list_before = bot.reply_to(zhang, "/mylist")
        assert NO_ITEMS in list_before
        # a guided flow half-way through when the process stops
        assert "请输入要登记人员的姓名" in bot.reply_to(admin, "/register")
        roles_prompt = bot.say(admin, "赵强")[0]
        assert "请选择角色" in roles_prompt.plain
        rc, output = first.stop()
        assert_clean_exit(rc, output, api.token)
        stored = db_snapshot(db_path)

        counts = bot_message_counts(api)
        bot = second.start()
        bot.settle()  # nothing the first process handled is answered again
        assert bot_message_counts(api) == counts
        assert bot.reply_to(zhang, "/start") == "张三，您好！您已绑定为下级党组织书记。\n发送 /帮助 查看您可以做的事。"
        assert bot.reply_to(zhang, "/mylist") == list_before
        assert bot.reply_to(zhang, "/我的清单") == list_before
        assert bot.reply_to(api.user(22, "别人"), f"/start {code}") == INVITE_USED
        assert db_snapshot(db_path) == stored
        # the flow survived the restart: its buttons still work and edit the same message
        assert bot.tap_label(admin, roles_prompt, "班子成员").text is None
        bot.wait_for(lambda: "已选：班子成员" in roles_prompt.plain, "the pick to show",
                     [admin.id])
        assert bot.reply_to(admin, "/cancel") == "已取消登记人员，没有保存任何内容。"
        rc, output = second.stop()
        assert_clean_exit(rc, output, api.token)
    finally:
        for process in (first, second):
            process.kill_if_running()
        server.stop()


def test_the_bot_exits_on_sigterm_even_when_its_inbox_will_not_open(tmp_path: Path) -> None:
    """An inbox that fails to open (here a file that is not a database; at start-up it was
    "database is locked", when the poller, the dispatcher and the tick opened it at once):
    the poller keeps trying, and SIGTERM still ends the process. Each failed opening used to
    leave its connection's thread running, and the process hung after 'Application.stop()
    complete'."""
    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    db = tmp_path / "dutybot.db"
    inbox_path(db).write_bytes(b"not a database, " * 512)
    bot = BotProcess(api, server, db, tmp_path)
    try:
        bot.start()
        bot.wait_for(lambda: "getUpdates failed" in bot.output(), "the poller to fail")
        rc, output = bot.stop()
        assert rc == 0, output[-3000:]
    finally:
        bot.kill_if_running()
        server.stop()
