"""The round trips to the database's threads a command a person waits on makes (issue 25):
a few for a screen, the same however many items are on it — not one per item.

Counted as bench/handlers.py counts them (storage/roundtrips.py), beside the floor every
update pays through the same Application type and update path: PTB's echo handler."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.app import build_application, running
from bot.config import load_settings
from bot.domain.model import Actor, Duty, ItemStatus, ListKind
from bot.fake_telegram import invite_code
from bot.fake_telegram.driver import BotDriver
from bot.fake_telegram.request import FakeRequest
from bot.services.errors import NotYours
from bot.services.items import ItemDraft
from messages import commands
from storage.roundtrips import counting

OFFICE = Actor(telegram_user_id=None, bootstrap_admin=True)
BEYOND_THE_FLOOR = 5  # issue 25: at most this many more than the echo floor


async def items_for(bot, owner: str, unit: str, count: int, parent: str | None = None) -> None:
    service = bot.app.bot_data.services.items
    for n in range(count):
        await service.create(OFFICE, ItemDraft(
            ListKind.MEASURE, f"逐笔核查第{n + 1}批报销凭证", Duty.DUAL, owner, unit,
            date(2026, 11, 16) + timedelta(days=n % 25), parent_code=parent if n % 2 else None))


async def trips(bot, api, user, text: str) -> int:
    update = api.send_text(user, text)
    with counting() as counter:
        await bot.feed(update)
    return counter.count


@pytest.fixture
async def echo_floor(tmp_path, api, clock):
    """The same kind of Application, transport and update path, with only an echo."""
    settings = load_settings(DUTYBOT_DB_PATH=tmp_path / "echo.db",
                             TELEGRAM_API_BASE_URL="https://api.telegram.org")
    app = build_application(settings, api.token, clock=clock, request=FakeRequest(api),
                            rate_limited=False)
    for group, handlers in list(app.handlers.items()):
        for handler in list(handlers):
            app.remove_handler(handler, group)

    async def echo(update, context):
        await update.message.reply_text(update.message.text)

    async def tap(update, context):
        await update.callback_query.answer()

    app.add_handler(MessageHandler(filters.ALL, echo))
    app.add_handler(CallbackQueryHandler(tap))
    async with running(app):
        yield BotDriver(app, api)


async def test_my_list_and_todo_make_as_many_round_trips_for_5_items_as_for_50(
        bot, api, org, echo_floor):
    zhou = org.users["周支书"]
    parent = await org.item("责任", "督促财务科整改报销审核", "一岗双责", "李明", "财务科",
                            "2026-12-20")
    await items_for(bot, "周支书", "财务科党支部", 5, parent)
    floor = await trips(echo_floor, api, zhou, "hello")
    few = {cmd: await trips(bot, api, zhou, cmd) for cmd in ("/我的清单", "/待办")}
    assert "逐笔核查第1批报销凭证" in api.last(zhou.id).plain  # /待办 shows them

    await items_for(bot, "周支书", "财务科党支部", 45, parent)
    many = {cmd: await trips(bot, api, zhou, cmd) for cmd in ("/我的清单", "/待办")}
    await bot.send(zhou, "/我的清单")
    assert "下一页" in str(api.last(zhou.id).buttons)  # 50 items: a page of several

    assert few == many, (few, many)
    for cmd, count in many.items():
        assert count <= floor + BEYOND_THE_FLOOR, (cmd, count, floor)


async def test_a_tap_on_done_makes_a_few_round_trips(bot, api, org, echo_floor):
    """已完成 on a /我的清单 row: the change, the page redrawn, the answers queued and
    delivered — each in one round trip, however many items the page shows."""
    zhou = org.users["周支书"]
    await items_for(bot, "周支书", "财务科党支部", 20)
    floor = await trips(echo_floor, api, zhou, "hello")
    await bot.send(zhou, "/我的清单")
    page = api.last(zhou.id)
    update = api.press_button(zhou, page, "已完成")
    item_id = int(update["callback_query"]["data"].split(":")[2])
    with counting() as counter:
        await bot.feed(update)
    async with bot.app.bot_data.services.db.read() as tx:
        assert (await tx.items.get(item_id)).status is ItemStatus.DONE
    # the guard (1), the check (1), the change (1), the page (1), the answers' delivery
    # (1: the toast is recorded with the edit after it) beyond the floor
    assert counter.count <= floor + BEYOND_THE_FLOOR, (counter.count, floor)


async def test_a_read_at_once_refuses_to_await_anything_but_the_database(services):
    async def strays(tx):
        await tx.units.all()
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="other than the database"):
        await services.db.read_at_once(strays)
    assert await services.db.read_at_once(lambda tx: tx.units.all()) == {}


async def test_a_write_at_once_that_fails_leaves_nothing(services):
    """A refusal raised inside undoes what the write did before it, as `transaction`."""
    now = services.clock.now()

    async def refused(tx):
        await tx.events.record(OFFICE, now, "unit.created", "unit", 1, name="x")
        raise NotYours()

    before = await services.db.read_at_once(lambda tx: tx.events.count())
    with pytest.raises(NotYours):
        await services.db.transaction_at_once(refused)
    assert await services.db.read_at_once(lambda tx: tx.events.count()) == before
    async with services.db.transaction() as tx:  # and the write lock is free again
        await tx.events.record(OFFICE, now, "unit.created", "unit", 1, name="y")
    assert await services.db.read_at_once(lambda tx: tx.events.count()) == before + 1


async def test_report_and_the_weekly_summary_make_a_few_round_trips_whatever_the_count(
        bot, api, org, echo_floor):
    """/汇报 (the check that there is something to report, then its first question with
    the items to pick, in one write) and /周报 (the whole picture in one read)."""
    zhou, liu = org.users["周支书"], org.users["刘纪委"]
    await items_for(bot, "周支书", "财务科党支部", 5)
    floor = await trips(echo_floor, api, zhou, "hello")
    few = {"/汇报": await trips(bot, api, zhou, "/汇报"),
           "/周报": await trips(bot, api, liu, "/周报")}
    assert api.last(zhou.id).buttons  # the items to pick
    await items_for(bot, "周支书", "财务科党支部", 25)
    many = {"/汇报": await trips(bot, api, zhou, "/汇报"),
            "/周报": await trips(bot, api, liu, "/周报")}
    assert "逐笔核查第1批报销凭证" in str(api.last(zhou.id).buttons)  # the items to pick
    assert "周报" in "".join(m.plain for m in api.history(liu.id)[-3:])
    assert few == many, (few, many)
    for cmd, count in many.items():
        assert count <= floor + BEYOND_THE_FLOOR, (cmd, count, floor)


#: who sends a command in the test below: someone it is meant for
SENDER = {"anyone": "周支书", "bound": "周支书", "creator": None, "admin": None,
          "secretary": "陈书记", "leader": "陈书记", "approver": "陈书记",
          "confirmer": "陈书记", "discipline": "刘纪委"}


@pytest.mark.parametrize("command", commands.ALL, ids=lambda c: c.ascii)
async def test_every_chat_command_makes_at_most_a_few_round_trips_beyond_the_floor(
        bot, api, org, echo_floor, command):
    """Each command of the menu, sent in private by someone it is meant for, with a few
    items about: answered, in at most BEYOND_THE_FLOOR round trips more than an echo (its
    reads each in one round trip, not one per statement)."""
    await items_for(bot, "周支书", "财务科党支部", 5)
    name = SENDER[command.audience]
    user = org.users[name] if name else org.admin
    floor = await trips(echo_floor, api, user, "hello")
    before = len(api.history(user.id))
    count = await trips(bot, api, user, f"/{command.chinese or command.ascii}")
    answers = [a for a in api.history(user.id)[before:] if a.from_bot]
    assert answers and all(a.plain.strip() or a.photo or a.file for a in answers), command
    assert not any("出错" in a.plain for a in answers), answers[0].plain
    assert count <= floor + BEYOND_THE_FLOOR, (command.ascii, count, floor)


async def test_each_step_of_a_guided_flow_makes_a_few_round_trips(bot, api, org, echo_floor):
    """/汇报's steps: the item picked, the status picked, the note typed (which does the
    work: the status changed, the note written, the reminders answered), each answer read
    and written in one round trip."""
    zhou = org.users["周支书"]
    await items_for(bot, "周支书", "财务科党支部", 5)
    floor = await trips(echo_floor, api, zhou, "hello")
    await bot.send(zhou, "/汇报")
    counts = []
    for label in ("逐笔核查第1批报销凭证", "已完成"):
        update = api.press_button(zhou, api.last(zhou.id), label)
        with counting() as counter:
            await bot.feed(update)
        counts.append(counter.count)
    counts.append(await trips(bot, api, zhou, "第一批凭证已全部核查"))
    assert "汇报完成" in api.last(zhou.id).plain
    async with bot.app.bot_data.services.db.read() as tx:
        done = [i for i in await tx.items.of_kind(ListKind.MEASURE, owner_id=None)
                if i.status is ItemStatus.DONE]
    assert len(done) == 1
    assert all(count <= floor + BEYOND_THE_FLOOR for count in counts), (counts, floor)


async def test_setting_up_people_and_units_makes_a_few_round_trips(bot, api, org, echo_floor):
    """The first hour's commands with their words: a unit, a person registered, their
    invite opened (/start), a new invite — each written in one round trip."""
    admin = org.admin
    floor = await trips(echo_floor, api, admin, "hello")
    counts = {"/新建单位": await trips(bot, api, admin, "/新建单位 综合科 某局党委 部门"),
              "/登记": await trips(bot, api, admin, "/登记 张三 班子成员 综合科")}
    code = invite_code(api.last(admin.id).plain)
    zhang = api.user(77, "张三")
    counts["/start"] = await trips(bot, api, zhang, f"/start {code}")
    assert "绑定成功" in api.last(zhang.id).plain
    counts["/邀请"] = await trips(bot, api, admin, "/邀请 王芳")
    assert "新的邀请链接" in api.last(admin.id).plain
    assert all(count <= floor + BEYOND_THE_FLOOR for count in counts.values()), (counts, floor)
