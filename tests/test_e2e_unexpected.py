"""Updates the bot did not expect are ignored quietly (issue 20, item 5).

Edits, messages sent on behalf of a chat, channel posts, stickers and other media, service
messages and every other kind of update go through the real Application: each chat sees
nothing or one hint, nothing reaches a service without a person, no error is logged and
nothing stored changes. An error that does happen never posts into a group.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from datetime import date
from typing import Any

import pytest

from bot.fake_telegram.api import MEDIA, OTHER_UPDATES, SERVICE
from bot.services.errors import StaleButton
from messages.common import internal_error, unregistered_group
from messages.refusals import refusal
from messages.unexpected import anonymous_hint, edited_hint, not_text_hint
from tests.travel import at

UNIT_GROUP = -2001
UNREGISTERED = -2002
CHANNEL = -1002003
# what users and the office keep: everything but the bookkeeping of handled updates
TABLES = ("units", "persons", "person_roles", "person_oversight", "invites", "groups", "items",
          "events", "conversations", "reminders", "extension_requests", "talks",
          "policy_overrides")


def stored(bot) -> dict[str, list[tuple[Any, ...]]]:
    path = bot.app.bot_data.settings.db_path
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}


class Watch:
    """What the bot did in answer to some updates: each chat's new messages, the toasts,
    the errors logged, and whether anything stored changed."""

    def __init__(self, bot, api, caplog) -> None:
        self.bot, self.api, self.caplog = bot, api, caplog

    def __enter__(self) -> Watch:
        self.rows = stored(self.bot)
        self.sent = {chat: len(self.api.bot_messages(chat)) for chat in self.api.chats}
        self.toasts = len(self.api.callback_answers)
        self.caplog.clear()
        return self

    def __exit__(self, *exc: object) -> None:
        self.new = {chat: [m.plain for m in self.api.bot_messages(chat)[self.sent.get(chat, 0):]]
                    for chat in self.api.chats}
        self.new = {chat: texts for chat, texts in self.new.items() if texts}
        self.new_toasts = [a.text for a in self.api.callback_answers[self.toasts:]]
        self.errors = [r for r in self.caplog.records if r.levelno >= logging.ERROR]
        self.unchanged = stored(self.bot) == self.rows


@pytest.fixture
def watch(bot, api, caplog):
    caplog.set_level(logging.WARNING)
    return lambda: Watch(bot, api, caplog)


@pytest.fixture
async def chats(bot, api, admin, org):
    """A registered unit group and an unregistered one, both without privacy mode (so they
    deliver everything a bot in them can get), and a channel."""
    group = api.group(UNIT_GROUP, "财务科工作群", privacy=False)
    await bot.send(admin, "/bindgroup 单位 财务科", chat=group)
    assert "已登记为“财务科”的单位群" in api.last(group.id).plain
    return {"group": group, "unregistered": api.group(UNREGISTERED, "闲聊群", privacy=False),
            "channel": api.channel(CHANNEL, "某局发布")}


def assert_quiet(seen: Watch, expected: dict[int, list[str]] | None = None) -> None:
    assert seen.new == (expected or {}), seen.new
    assert seen.errors == [], [r.getMessage() for r in seen.errors]
    assert seen.unchanged


# -- edits ---------------------------------------------------------------------------------


async def test_an_edited_register_command_registers_nobody_twice(bot, api, admin, org, watch):
    await bot.send(admin, "/登记 王五 班子成员 某局党委")
    command = api.messages[admin.id][-2]
    assert command.text.startswith("/登记") and "已登记" in api.last(admin.id).plain
    for text in ("/登记 王五 班子成员 某局党委", "/登记 赵六 班子成员 某局党委",
                 "/register 赵六 班子成员 某局党委"):
        with watch() as seen:
            await bot.feed(api.edit_text(command, text))
        assert_quiet(seen, {admin.id: [edited_hint()]})
    persons = [row[1] for row in stored(bot)["persons"]]
    assert persons.count("王五") == 1 and "赵六" not in persons


async def test_an_edited_answer_does_not_move_a_flow(bot, api, admin, org, watch):
    await bot.send(admin, "/新建")
    await bot.send(admin, "措施")
    answer = api.messages[admin.id][-2]
    prompt = api.last(admin.id).plain
    with watch() as seen:
        await bot.feed(api.edit_text(answer, "问题"))
    assert_quiet(seen, {admin.id: [edited_hint()]})
    await bot.send(admin, "/取消")
    assert "已取消" in api.last(admin.id).plain and prompt


async def test_edits_in_groups_get_no_answer(bot, api, admin, org, chats, watch):
    li = org.users["李明"]
    for chat in (chats["group"], chats["unregistered"]):
        await bot.send(li, "/mylist", chat=chat)
        sent = api.messages[chat.id][-2]
        with watch() as seen:
            await bot.feed(api.edit_text(sent, "/todo"))
            await bot.feed(api.edit_text(sent, "/登记 赵六 班子成员 某局党委"))
            await bot.feed(api.edit_text(sent, "大家好"))
        assert_quiet(seen)


# -- on behalf of a chat -------------------------------------------------------------------


async def test_an_anonymous_admin_is_told_once_and_nothing_runs(bot, api, admin, org, chats,
                                                                watch):
    group, unregistered = chats["group"], chats["unregistered"]
    for chat in (group, unregistered):
        with watch() as seen:
            for text in ("/登记 赵六 班子成员 某局党委", "/mylist", "/bindgroup 纪委"):
                await bot.feed(api.send_anonymously(chat, text))
        assert_quiet(seen, {chat.id: [anonymous_hint()] * 3})
        with watch() as seen:  # chatter, and commands for another bot: nothing
            await bot.feed(api.send_anonymously(chat, "收到，今天下班前报送"))
            await bot.feed(api.send_anonymously(chat, "/help@some_other_bot"))
        assert_quiet(seen)
    assert "匿名" in anonymous_hint() and "\n" not in anonymous_hint()


async def test_a_member_posting_as_a_channel_is_told_once(bot, api, org, chats, watch):
    with watch() as seen:
        await bot.feed(api.send_anonymously(chats["group"], "/todo", sender_chat=chats["channel"]))
    assert_quiet(seen, {UNIT_GROUP: [anonymous_hint()]})


async def test_a_linked_channels_forwards_and_channel_posts_are_ignored(bot, api, org, chats,
                                                                        watch):
    channel = chats["channel"]
    with watch() as seen:
        for chat in (chats["group"], chats["unregistered"]):
            await bot.feed(api.automatic_forward(channel, chat, "/登记 赵六 班子成员 某局党委"))
            await bot.feed(api.automatic_forward(channel, chat, "关于开展廉政风险排查的通知"))
        for text in ("/help", "/登记 赵六 班子成员 某局党委", "/bindgroup 纪委", "通知"):
            await bot.feed(api.channel_post(channel, text))
            await bot.feed(api.channel_post(channel, text, edited=True))
    assert_quiet(seen)


async def test_messages_without_a_sender_run_nothing(bot, api, admin, org, chats, watch):
    """Telegram once sent anonymous admins' messages with no `from` at all: a command in a
    group gets the same hint, anything else nothing."""
    with watch() as seen:
        for chat in (None, chats["group"], chats["unregistered"]):
            for text in ("/登记 赵六 班子成员 某局党委", "/help", "你好"):
                update = api.send_text(admin, text, chat)
                del update["message"]["from"]
                await bot.feed(update)
    assert_quiet(seen, {UNIT_GROUP: [anonymous_hint()] * 2, UNREGISTERED: [anonymous_hint()] * 2})


# -- media and service messages ------------------------------------------------------------


@pytest.mark.parametrize("kind", list(MEDIA))
async def test_media_in_private_gets_one_hint_and_in_groups_nothing(bot, api, admin, org, chats,
                                                                   watch, kind):
    li = org.users["李明"]
    stranger = api.user(4040, "路人")
    with watch() as seen:
        await bot.feed(api.send_media(li, kind))
        await bot.feed(api.send_media(stranger, kind, caption="/登记 赵六 班子成员 某局党委"))
        await bot.feed(api.send_media(li, kind, chat=chats["group"]))
        await bot.feed(api.send_media(li, kind, chat=chats["unregistered"]))
    assert_quiet(seen, {li.id: [not_text_hint()], stranger.id: [not_text_hint()]})


@pytest.mark.parametrize("kind", SERVICE)
async def test_service_messages_are_ignored(bot, api, admin, org, chats, watch, kind):
    li = org.users["李明"]
    with watch() as seen:
        for chat in (chats["group"], chats["unregistered"]):
            await bot.feed(api.service_message(li, chat, kind))
            await bot.feed(api.service_message(admin, chat, kind))
    assert_quiet(seen)


# -- other kinds of update -----------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in OTHER_UPDATES if k != "callback_query"])
async def test_other_kinds_of_update_are_ignored(bot, api, admin, org, chats, watch, kind):
    li = org.users["李明"]
    await bot.send(li, "/mylist")
    message = api.last(li.id)
    with watch() as seen:
        await bot.feed(api.other_update(kind, li, message=message))
        await bot.feed(api.other_update(kind, admin, chats["group"]))
        await bot.feed(api.other_update(kind, li, chats["unregistered"]))
        await bot.feed(api.other_update(kind, li, chats["channel"]))
    assert_quiet(seen)
    assert seen.new_toasts == []


async def test_a_tap_on_an_inline_message_gets_the_stale_toast(bot, api, org, watch):
    li = org.users["李明"]
    with watch() as seen:
        await bot.feed(api.other_update("callback_query", li))
    assert_quiet(seen)
    assert seen.new_toasts == [refusal(StaleButton())]


async def test_a_tap_without_data_gets_the_stale_toast(bot, api, org, watch):
    li = org.users["李明"]
    await bot.send(li, "/mylist")
    update = api.press(li, api.last(li.id), "x")
    del update["callback_query"]["data"]
    update["callback_query"]["game_short_name"] = "game"
    with watch() as seen:
        await bot.feed(update)
    assert_quiet(seen)
    assert seen.new_toasts == [refusal(StaleButton())]


async def test_a_tap_on_an_old_message_still_acts(bot, api, org, clock, world, watch):
    """Telegram sends a button's message without its content (date 0) once it is old:
    the tap acts and is answered, and the message is left as it is."""
    zhou = org.users["周支书"]
    clock.set(at(date(2026, 11, 23)))
    await bot.tick()
    digest = api.last(zhou.id)
    update = api.press_button(zhou, digest, "进行中")
    message = update["callback_query"]["message"]
    update["callback_query"]["message"] = {"chat": message["chat"], "date": 0,
                                           "message_id": message["message_id"]}
    with watch() as seen:
        await bot.feed(update)
    assert seen.new == {} and seen.errors == [] and not seen.unchanged
    assert seen.new_toasts == [f"{world['a']} 已标记为“进行中”"] and digest.edits == 0


# -- an error that does happen -------------------------------------------------------------


@pytest.fixture
def broken_todo(bot, monkeypatch):
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(bot.app.bot_data.services.items, "todo", broken)


async def test_an_error_is_never_posted_into_a_group(bot, api, org, chats, caplog, broken_todo):
    li = org.users["李明"]
    before = len(api.bot_messages(UNIT_GROUP))
    await bot.send(li, "/todo", chat=chats["group"])
    assert len(api.bot_messages(UNIT_GROUP)) == before
    assert any("error while handling an update" in r.getMessage() for r in caplog.records)
    await bot.send(li, "/todo")  # in private chat the line is the answer
    assert api.last(li.id).plain == internal_error()


async def test_an_unregistered_groups_hint_is_unchanged(bot, api, org, chats, watch):
    li = org.users["李明"]
    with watch() as seen:
        await bot.send(li, "/mylist", chat=chats["unregistered"])
    assert_quiet(seen, {UNREGISTERED: [unregistered_group()]})
