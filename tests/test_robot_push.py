"""End to end: pushes to the office's group robots (企业微信, 钉钉, 飞书) through fake
messenger servers on 127.0.0.1 — the unit digests with @mentions, the 纪委's overdue
notices and weekly summary, 保密 mode, the robots' pace, broken robots."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date, timedelta

import httpx
import pytest

from bot.channels.robots import Delivered
from bot.domain.model import Actor
from bot.domain.target import Target
from bot.fake_robots import CannedAnswer, FakeRobots, FakeRobotServer
from bot.scheduling.robot_sender import RobotSender
from bot.scheduling.scheduler import Scheduler
from storage.codec import to_datetime
from tests.conftest import DISCIPLINE_GROUP
from tests.test_e2e_summary import drawn_here
from tests.travel import at
from tests.wakes import goes_at_once, ticking_once

OFFICE = Actor(telegram_user_id=None, bootstrap_admin=True)
DING_SECRET = "SECd1f2e3a4b5c6d7e8f9"


@pytest.fixture
def robots(clock) -> FakeRobots:
    return FakeRobots(lambda: clock.now().timestamp())


@pytest.fixture
def robot_server(robots):
    running = FakeRobotServer(robots).start()
    yield running
    running.stop()


@pytest.fixture
async def http():
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


@pytest.fixture
async def offices(bot, robots, robot_server, world):
    """The 纪委's WeCom group; 财务科党支部's DingTalk group and the 局党委's Feishu group, each
    its unit's primary channel; handles for the people in them."""
    services = bot.app.bot_data.services
    root = robot_server.root
    await services.channels.add(OFFICE, "企业微信", "纪委工作群",
                                root + robots.wecom.add_robot("jw"))
    await services.channels.add(OFFICE, "钉钉", "财务科支部群",
                                root + robots.dingtalk.add_robot("cw", DING_SECRET, ("督办",)),
                                secret=DING_SECRET, keyword="督办", whose="财务科党支部",
                                primary=True)
    await services.channels.add(OFFICE, "飞书", "党委班子群",
                                root + robots.feishu.add_robot("xm", None, ("提醒",)),
                                keyword="提醒", whose="某局党委", primary=True)
    async with services.db.transaction() as tx:
        people = {p.name: p for p in (await tx.persons.all()).values()}
        await tx.persons.set_contacts([(people["周支书"].id, "13800000014", None)])
        await tx.persons.set_handles(people["王芳"].id, None, "ou_wangfang12")
    return people


async def drain_robots(bot, clock, http, rounds: int = 200) -> int:
    """The robots' loop, the clock moved on by what it says to wait; how many went out."""
    sender = RobotSender(bot.app.bot_data.services.robots, clock, http)
    total = 0
    for _ in range(rounds):
        sent, wait = await sender.drain()
        total += sent
        if not sent:
            if await _robot_pending(bot) == 0:
                return total
            clock.advance(timedelta(seconds=max(wait, 0.05)))
    return total


async def _robot_pending(bot) -> int:
    db = bot.app.bot_data.services.db
    async with db.read() as tx:
        return len(await tx.outbox.next_per_target(bot.app.bot_data.services.clock.now()
                                                   + timedelta(hours=1), "robot"))


def contents(payloads: list[dict]) -> list[str]:
    """What a group saw, as text, whatever the message type."""
    out = []
    for p in payloads:
        if "markdown" in p:
            out.append(p["markdown"].get("text") or p["markdown"].get("content"))
        elif "text" in p and isinstance(p["text"], dict):
            out.append(p["text"]["content"])
        elif "content" in p:
            out.append(p["content"]["text"])
        else:
            out.append(json.dumps(p)[:40])
    return out


async def days(bot, clock, http, start: date, end: date) -> None:
    day = start
    while day <= end:
        clock.set(at(day))
        await bot.tick()
        await drain_robots(bot, clock, http)
        day += timedelta(days=1)


async def test_a_units_people_get_their_reminders_in_its_group_with_their_mention(
        bot, api, clock, world, robots, offices, http, org):
    await days(bot, clock, http, date(2026, 11, 23), date(2026, 11, 27))
    ding = robots.dingtalk.received("cw")
    assert ding, "the 财务科 group got nothing"
    first = ding[0]
    assert first["msgtype"] == "markdown" and first["at"]["atMobiles"] == ["13800000014"]
    text = first["markdown"]["text"]
    assert "周支书 @13800000014" in text and world["a"] in text
    assert "逐笔核查公务接待报销凭证" in text and "督办" in text  # the keyword
    assert "请向党委办公室报告进展" not in text  # 周支书 is bound: told where to answer
    # the primary group wins: nothing of the same went to 周支书's private chat
    zhou = org.users["周支书"]
    assert not [m for m in api.bot_messages(zhou.id) if "今日提醒" in m.plain]
    feishu = contents(robots.feishu.received("xm"))
    assert feishu and '<at user_id="ou_wangfang12">王芳</at>' in feishu[0]
    assert world["b"] in feishu[0] and "提醒" in feishu[0]
    # nobody else was mentioned, and no robot refused anything
    for family, ident in ((robots.dingtalk, "cw"), (robots.feishu, "xm")):
        assert all(e.accepted for e in family.exchanges(ident))


async def test_a_tick_that_lands_while_the_robots_drain_is_not_slept_through(
        bot, clock, world, robots, offices, http, monkeypatch):
    """As the Telegram sender's loop (tests/test_e2e_edges.py): a tick that plans while the
    robots' loop is still draining wakes it at once, not after IDLE_SECONDS."""
    sender = RobotSender(bot.app.bot_data.services.robots, clock, http)
    scheduler = Scheduler(None, bot.app.bot_data.services, None, robots=sender)
    ticked = asyncio.Event()
    # 周支书's item a: into 财务科's DingTalk group
    monkeypatch.setattr(sender, "drain", ticking_once(
        sender.drain, scheduler, clock, at(date(2026, 11, 23)), ticked,
        sent=lambda result: result[0]))
    await goes_at_once(scheduler, monkeypatch, ticked,
                       lambda: bool(robots.dingtalk.received("cw")), "the robots'")


async def test_the_supervision_group_gets_escalations_and_the_weekly_summary(
        bot, api, clock, world, robots, offices, http, monkeypatch):
    drawn_here(monkeypatch)
    await days(bot, clock, http, date(2026, 11, 23), date(2026, 12, 7))
    seen = robots.wecom.received("jw")
    texts = contents([p for p in seen if p["msgtype"] != "image"])
    notices = [t for t in texts if "逾期事项通报" in t]
    assert notices and world["a"] in notices[0]  # 7 days late on 12-04
    weekly = [t for t in texts if "四责协同周报" in t and "上周" in t and "按期完成率" in t]
    assert len(weekly) == 3  # Monday 11-23, 11-30 and 12-07, once each
    assert re.search(r"另有 [1-9]\d* 人只在办公群机器人中收到提醒", weekly[-1])
    assert weekly[-1].rstrip().endswith("发送 /导出 取完整台账。")  # where the rest is
    assert len(weekly[-1].strip().splitlines()) <= 30
    # the Telegram 纪委 group got its own copy, as before
    assert any("四责协同周报" in m.plain for m in api.bot_messages(DISCIPLINE_GROUP))
    kinds = [p["msgtype"] for p in seen]
    assert "image" in kinds or any("按责任类型" in t for t in texts)
    assert all(e.accepted for e in robots.wecom.exchanges("jw"))


async def test_push_only_people_are_not_reported_silent(bot, api, clock, world, robots,
                                                        offices, http):
    await days(bot, clock, http, date(2026, 11, 23), date(2026, 12, 2))
    silent = await bot.app.bot_data.services.summary.non_responders()
    assert {p.name for p, _ in silent}.isdisjoint({"周支书", "王芳"})


async def test_confidential_groups_get_codes_statuses_and_dates_only(
        bot, api, clock, world, robots, offices, http, monkeypatch):
    bot.app.bot_data.services.robots.confidential = True
    drawn_here(monkeypatch)
    await days(bot, clock, http, date(2026, 11, 23), date(2026, 12, 7))
    everything = (contents(robots.dingtalk.received("cw"))
                  + contents(robots.feishu.received("xm"))
                  + contents([p for p in robots.wecom.received("jw") if p["msgtype"] != "image"]))
    assert everything
    joined = "\n".join(everything)
    assert world["a"] in joined and world["b"] in joined
    for secret in ("逐笔核查公务接待报销凭证", "建立在建工程廉政风险点台账", "刘纪委"):
        assert secret not in joined, secret
    assert "保密模式" in joined


async def test_a_robot_is_paced_by_its_sliding_window_across_a_restart(
        bot, clock, robots, robot_server, http):
    """45 messages for one WeCom robot: never more than 20 in any 60 s, not one refused,
    even when the sender is made anew halfway (its memory gone: the send times are in the
    database)."""
    services = bot.app.bot_data.services
    added = await services.channels.add(OFFICE, "企业微信", "纪委工作群",
                                        robot_server.root + robots.wecom.add_robot("jw"))
    channel_id = added.entry.channel.id
    now = clock.now()
    async with services.db.transaction() as tx:
        for n in range(45):
            await tx.outbox.add(dedup_key=f"notice:{n}", target=Target.robot(channel_id),
                                person_id=None, kind="robot_broken_notice", day=now.date(),
                                payload={"name": f"群{n}", "reason": "keyword"}, now=now)
    assert await drain_robots(bot, clock, http, rounds=40) > 0
    assert await drain_robots(bot, clock, http) > 0  # a new sender: memory gone
    exchanges = robots.wecom.exchanges("jw")
    assert len(exchanges) == 45 and all(e.accepted for e in exchanges)
    times = [e.at for e in exchanges]
    for i, t in enumerate(times):
        assert sum(1 for u in times[i:] if u < t + 60) <= 20
    assert times[-1] - times[0] >= 120  # 45 at 20 a minute


async def test_a_broken_robot_is_marked_once_and_holds_up_no_other(
        bot, api, clock, world, robots, robot_server, offices, http, admin, org):
    robots.dingtalk.add_robot("cw", "another-secret", ("督办",))  # the secret was changed
    await days(bot, clock, http, date(2026, 11, 23), date(2026, 11, 27))
    services = bot.app.bot_data.services
    async with services.db.read() as tx:
        broken = {c.name: c for c in await tx.channels.all()}
    assert broken["财务科支部群"].broken_reason == "signature"
    assert broken["党委班子群"].healthy and robots.feishu.received("xm")
    notices = [m for m in api.bot_messages(admin.id) if "群机器人故障" in m.plain]
    assert len(notices) == 1 and "财务科支部群" in notices[0].plain
    assert DING_SECRET not in notices[0].plain
    wecom = contents(robots.wecom.received("jw"))
    assert any("群机器人故障" in t for t in wecom)  # the 纪委's group is told too
    # only one attempt reached DingTalk: a broken robot is not hammered
    assert len(robots.dingtalk.exchanges("cw")) == 1
    # while it is broken, its people get their reminders in private instead
    zhou = org.users["周支书"]
    assert [m for m in api.bot_messages(zhou.id) if "今日提醒" in m.plain]
    # mended and tested: the next workday's reminders go to the group again
    robots.dingtalk.add_robot("cw", DING_SECRET, ("督办",))
    await services.channels.test(OFFICE, "财务科支部群", "测试 督办")
    await days(bot, clock, http, date(2026, 11, 30), date(2026, 11, 30))
    assert any("今日提醒" in t for t in contents(robots.dingtalk.received("cw")))


async def test_people_a_robot_cannot_mention_are_named_and_the_admins_told_once(
        bot, api, clock, world, robots, offices, http, admin):
    """陈书记 and 李明 have no 飞书ID: the 局党委's Feishu group names them when they are
    asked to 督促 the overdue item; the admin hears of each once, however many days."""
    await days(bot, clock, http, date(2026, 11, 23), date(2026, 12, 3))
    feishu = "\n".join(contents(robots.feishu.received("xm")))
    assert "李明：" in feishu and '<at user_id="ou_wangfang12">' in feishu
    notices = [m.plain for m in api.bot_messages(admin.id) if "无法@到本人" in m.plain]
    named = sorted(n.split("只能写出 ")[1].split(" ")[0] for n in notices)
    assert named == ["李明", "陈书记"], notices
    assert all("飞书ID" in n for n in notices)


@pytest.mark.parametrize("canned", [
    CannedAnswer(502, b"<html><body>502 Bad Gateway</body></html>"),
    CannedAnswer(200, b"\x00\x01 not json", "application/json"),
    CannedAnswer(200, b""),
])
async def test_garbage_answers_are_retried_with_back_off_and_nothing_is_lost(
        bot, clock, robots, robot_server, http, canned):
    """A proxy's HTML, garbage or nothing: the sender neither crashes nor gives up on the
    message; it waits longer each time, and sends it once the messenger answers again."""
    services = bot.app.bot_data.services
    added = await services.channels.add(OFFICE, "企业微信", "纪委工作群",
                                        robot_server.root + robots.wecom.add_robot("jw"))
    now = clock.now()
    async with services.db.transaction() as tx:
        await tx.outbox.add(dedup_key="n", target=Target.robot(added.entry.channel.id),
                            person_id=None, kind="robot_broken_notice", day=now.date(),
                            payload={"name": "某群", "reason": "keyword"}, now=now)
    robot_server.canned = canned
    sender = RobotSender(services.robots, clock, http)
    waits = []
    for _ in range(3):
        assert await sender.drain() == (0, pytest.approx(5.0))
        async with services.db.read() as tx:
            (row,) = await tx.outbox.by_ids([1]) or [None]
        assert row is not None and row.attempts == len(waits) + 1
        async with services.db.read() as tx:
            ready_at = await _ready_at(tx, row.id)
        waits.append((ready_at - clock.now()).total_seconds())
        clock.set(ready_at)
    assert waits[0] < waits[1] < waits[2]  # back-off
    robot_server.canned = None
    assert await drain_robots(bot, clock, http) == 1
    assert len(robots.wecom.received("jw")) == 1


async def _ready_at(tx, message_id: int):
    """When the outbox will try the message again (read as the sender's query would)."""
    async with tx.outbox._conn.execute(
            "SELECT next_attempt_at FROM outbox WHERE id = ?", (message_id,)) as cur:
        (at,) = await cur.fetchone()
    return to_datetime(at)


async def test_a_part_counts_in_its_robots_window_before_it_goes(
        bot, clock, robots, robot_server, http, monkeypatch):
    """The 20th part of a minute is taken by WeCom, and the run dies before it records
    that (here: recording it fails). The next sender, its memory gone, still finds 20 in
    the window and waits for the minute to pass: the 21st is not refused."""
    services = bot.app.bot_data.services
    added = await services.channels.add(OFFICE, "企业微信", "纪委工作群",
                                        robot_server.root + robots.wecom.add_robot("jw"))
    target = Target.robot(added.entry.channel.id)

    async def queue(first: int, count: int) -> None:
        now = clock.now()
        async with services.db.transaction() as tx:
            for n in range(first, first + count):
                await tx.outbox.add(dedup_key=f"notice:{n}", target=target, person_id=None,
                                    kind="robot_broken_notice", day=now.date(),
                                    payload={"name": f"群{n}", "reason": "keyword"}, now=now)

    recorded = services.delivery.delivered
    calls = 0

    async def dies_on_the_20th(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 20:
            raise RuntimeError("killed before the part was recorded")
        return await recorded(*args, **kwargs)

    await queue(0, 20)
    monkeypatch.setattr(services.delivery, "delivered", dies_on_the_20th)
    await drain_robots(bot, clock, http)
    monkeypatch.setattr(services.delivery, "delivered", recorded)
    assert len(robots.wecom.received("jw")) == 20
    await queue(20, 1)
    await drain_robots(bot, clock, http)  # a new sender
    exchanges = robots.wecom.exchanges("jw")
    assert [e.code for e in exchanges] == [0] * 21
    assert exchanges[-1].at - exchanges[0].at >= 60


async def test_a_test_line_counts_in_its_robots_window(bot, clock, robots, robot_server, http):
    """`dutybot channel test` sent one a moment ago: 20 more in the same minute would be
    one too many, so the 20th waits for the minute to pass."""
    services = bot.app.bot_data.services
    added = await services.channels.add(OFFICE, "企业微信", "纪委工作群",
                                        robot_server.root + robots.wecom.add_robot("jw"))
    tested = await services.channels.test(OFFICE, "纪委工作群", "测试")
    assert isinstance(tested.outcome, Delivered)
    now = clock.now()
    async with services.db.transaction() as tx:
        for n in range(20):
            await tx.outbox.add(dedup_key=f"notice:{n}",
                                target=Target.robot(added.entry.channel.id), person_id=None,
                                kind="robot_broken_notice", day=now.date(),
                                payload={"name": f"群{n}", "reason": "keyword"}, now=now)
    await drain_robots(bot, clock, http)
    exchanges = robots.wecom.exchanges("jw")
    assert [e.code for e in exchanges] == [0] * 21
    assert exchanges[-1].at - exchanges[0].at >= 60
