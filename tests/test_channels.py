"""The office's group robots as channels: migration 0006 and its repository, the service's
refusals (one line each, nothing saved), `dutybot channel …` end to end against the fake
robots over HTTP on 127.0.0.1, and /渠道 in chat. No full key or secret in any output."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.channels.robots import WebhookProblem, robot_kind, webhook_problem
from bot.clock import ManualClock
from bot.domain.model import Actor, Role, UnitKind
from bot.domain.target import Target
from bot.fake_robots import CannedAnswer, FakeRobots, FakeRobotServer
from bot.services.errors import ChannelRefused, NotAllowed, ServiceError, UnknownUnit
from bot.services.people import RegistrationDraft
from bot.services.registry import Services
from messages.channels import channel_refused
from messages.refusals import refusal
from storage.db import Database, migration_scripts
from tests.test_cli import closed_port, dutybot, lines

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
OFFICE = Actor(telegram_user_id=None, bootstrap_admin=True)

WECOM_KEY = "693a91f6-7c1d-4bc4-97a0-0ec2a1fa5aaa"
DING_TOKEN = "d1e2a3d4b5e6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2"
DING_SECRET = "SEC0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff"
FEISHU_HOOK = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
FEISHU_SECRET = "m9Qx2bV7tLpA0wZ4qR8s"
SECRETS = (WECOM_KEY, DING_TOKEN, DING_SECRET, FEISHU_HOOK, FEISHU_SECRET)

WECOM_URL = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"
DING_URL = f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}"
FEISHU_URL = f"https://open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_HOOK}"


def shows_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, text


# -- storage -------------------------------------------------------------------------------------


HIGHEST = migration_scripts()[-1][0]


def numbers_after(version: int) -> list[int]:
    """The migrations a database of `version` still lacks (numbers may skip: issue 22's
    parts were numbered ahead, e.g. 0013_talk_kinds)."""
    return [number for number, _name, _sql in migration_scripts() if number > version]


def build_to(path: Path, version: int) -> None:
    """The schema as an older release left it, with plain sqlite3."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for number, _name, sql in migration_scripts():
            if number <= version:
                conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")


def test_the_channels_migration_is_the_next_number() -> None:
    numbers = [number for number, _name, _sql in migration_scripts()]
    assert numbers == sorted(set(numbers)) and numbers[:8] == list(range(1, 9))
    assert [(n, name) for n, name, _sql in migration_scripts()][5:8] == [
        (6, "channels"), (7, "targets"), (8, "cases")]


@pytest.mark.parametrize("version", range(0, 6))
async def test_upgrading_from_each_older_version_adds_the_channels(tmp_path, version) -> None:
    path = tmp_path / "old.db"
    build_to(path, version)
    db = await Database.open(path)
    try:
        assert await db.migrate() == numbers_after(version)
        async with db.transaction() as tx:
            await tx.channels.add("纪委工作群", "wecom", WECOM_URL, None, None, None, False, NOW)
        async with db.read() as tx:
            assert [c.name for c in await tx.channels.all()] == ["纪委工作群"]
    finally:
        await db.close()


@pytest.fixture
async def db(tmp_path) -> Iterator[Database]:
    database = await Database.open(tmp_path / "bot.db")
    await database.migrate()
    yield database
    await database.close()


async def test_channels_round_trip(db) -> None:
    async with db.transaction() as tx:
        fin = await tx.units.add("财务科", UnitKind.DEPARTMENT, None, NOW)
        await tx.channels.add("财务科群", "dingtalk", DING_URL, DING_SECRET, "督办", fin.id, True,
                              NOW)
        await tx.channels.add("纪委工作群", "wecom", WECOM_URL, None, None, None, False, NOW)
    async with db.read() as tx:
        first, second = await tx.channels.all()
        assert (first.name, first.whose, second.name, second.whose) == (
            "纪委工作群", "supervision", "财务科群", "unit")
        got = await tx.channels.by_name("财务科群")
        assert (got.kind, got.webhook, got.secret, got.keyword, got.unit_id, got.primary) == (
            "dingtalk", DING_URL, DING_SECRET, "督办", fin.id, True)
        assert got.created_at == NOW and got.healthy
        assert (await tx.channels.by_webhook(WECOM_URL)).name == "纪委工作群"
        assert (await tx.channels.primary_of(fin.id)).name == "财务科群"
        shows_no_secret(repr(got))
    async with db.transaction() as tx:
        await tx.channels.mark_broken("纪委工作群", "wrong_key", NOW)
    async with db.transaction() as tx:
        await tx.channels.mark_broken("纪委工作群", "signature", NOW.replace(hour=10))
    async with db.read() as tx:
        broken = await tx.channels.by_name("纪委工作群")
        assert (broken.broken_since, broken.broken_reason) == (NOW, "signature")
    async with db.transaction() as tx:
        await tx.channels.clear_broken(broken.id)
        assert await tx.channels.remove("财务科群")
        assert not await tx.channels.remove("财务科群")
    async with db.read() as tx:
        assert [(c.name, c.healthy) for c in await tx.channels.all()] == [("纪委工作群", True)]


async def test_the_schema_refuses_what_the_service_refuses(db) -> None:
    async with db.transaction() as tx:
        fin = await tx.units.add("财务科", UnitKind.DEPARTMENT, None, NOW)
        await tx.channels.add("甲", "wecom", WECOM_URL, None, None, fin.id, True, NOW)
    for args in (("甲", "wecom", "https://x/1", None, None, None, False, NOW),  # name twice
                 ("乙", "wecom", WECOM_URL, None, None, None, False, NOW),  # webhook twice
                 ("丙", "wecom", "https://x/2", None, None, None, True, NOW),  # primary of 纪委
                 ("丁", "wecom", "https://x/3", None, None, fin.id, True, NOW)):  # 2nd primary
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as tx:
                await tx.channels.add(*args)
    async with db.read() as tx:
        assert [c.name for c in await tx.channels.all()] == ["甲"]


# -- webhooks, as each messenger shapes them ----------------------------------------------------


@pytest.mark.parametrize(("kind", "url", "problem"), [
    ("wecom", WECOM_URL, None),
    ("dingtalk", DING_URL, None),
    ("feishu", FEISHU_URL, None),
    ("feishu", f"https://open.larksuite.com/open-apis/bot/v2/hook/{FEISHU_HOOK}", None),
    ("wecom", "http://127.0.0.1:8080/anything?key=1", None),
    ("dingtalk", "http://localhost/robot/send", None),
    ("wecom", f"http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}",
     WebhookProblem.NOT_HTTPS),
    ("wecom", f"ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}",
     WebhookProblem.MALFORMED),
    ("wecom", DING_URL, WebhookProblem.WRONG_HOST),
    ("dingtalk", FEISHU_URL, WebhookProblem.WRONG_HOST),
    ("feishu", "https://open.feishu.cn.evil.example/open-apis/bot/v2/hook/x",
     WebhookProblem.WRONG_HOST),
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", WebhookProblem.WRONG_SHAPE),
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=", WebhookProblem.WRONG_SHAPE),
    ("dingtalk", "https://oapi.dingtalk.com/robot/send?key=abc", WebhookProblem.WRONG_SHAPE),
    ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/", WebhookProblem.WRONG_SHAPE),
    ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/a/b", WebhookProblem.WRONG_SHAPE),
    ("wecom", "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", WebhookProblem.MALFORMED),
    ("wecom", f"https://u:p@qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}",
     WebhookProblem.MALFORMED),
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a b",
     WebhookProblem.MALFORMED),
    ("wecom", "https://qyapi.weixin.qq.com:99999/x", WebhookProblem.MALFORMED),
    ("wecom", "https://ｑyapi.weixin.qq.com/x", WebhookProblem.MALFORMED),
])
def test_each_messenger_s_webhook_shape(kind, url, problem) -> None:
    assert webhook_problem(robot_kind(kind), url) == problem


# -- the service's refusals ------------------------------------------------------------------------


@pytest.fixture
async def services(tmp_path) -> Iterator[Services]:
    from bot.config import load_settings

    settings = load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db")
    opened = await Services.open(settings, ManualClock(NOW))
    await opened.people.create_unit(OFFICE, "财务科", UnitKind.DEPARTMENT, None)
    await opened.channels.add(OFFICE, "企业微信", "纪委工作群", WECOM_URL)
    await opened.channels.add(OFFICE, "钉钉", "财务科群", DING_URL, secret=DING_SECRET,
                              whose="财务科", primary=True)
    yield opened
    await opened.close()


REFUSALS = {
    "unknown kind": (("微信", "甲群", WECOM_URL), {}, "不认识渠道类型“微信”"),
    "empty name": (("wecom", "  ", f"{WECOM_URL}x"), {}, "渠道名称不能为空"),
    "name with a line break": (("wecom", "甲\n乙", f"{WECOM_URL}x"), {}, "不能换行"),
    "name twice": (("飞书", "纪委工作群", FEISHU_URL), {"secret": FEISHU_SECRET},
                   "已经有名为“纪委工作群”的渠道"),
    "robot twice": (("企业微信", "另一个群", WECOM_URL), {}, "已经登记为渠道“纪委工作群”"),
    "not https": (("钉钉", "甲群", DING_URL.replace("https", "http")), {"keyword": "督办"},
                  "必须以 https:// 开头"),
    "not a URL": (("钉钉", "甲群", "oapi.dingtalk.com"), {"keyword": "督办"}, "格式不对"),
    "another messenger's host": (("飞书", "甲群", DING_URL), {"keyword": "督办"},
                                 "这不是飞书机器人的地址"),
    "no key in it": (("企业微信", "甲群", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"),
                     {}, "缺少密钥部分"),
    "wecom has no secret": (("wecom", "甲群", f"{WECOM_URL}x"), {"secret": "abcdef"},
                            "企业微信群机器人没有加签和自定义关键词设置"),
    "secret with a space": (("dingtalk", "甲群", f"{DING_URL}x"), {"secret": "SEC a"},
                            "加签密钥不对"),
    "keyword with a line break": (("feishu", "甲群", FEISHU_URL), {"keyword": "督\n办"},
                                  "自定义关键词不能换行"),
    "primary for 纪委": (("飞书", "甲群", FEISHU_URL), {"keyword": "督办", "primary": True},
                       "--primary 只用于单位的群"),
    "second primary": (("飞书", "甲群", FEISHU_URL), {"keyword": "督办", "whose": "财务科",
                                                     "primary": True},
                       "“财务科”已有主渠道“财务科群”"),
    "unknown unit": (("飞书", "甲群", FEISHU_URL), {"keyword": "督办", "whose": "不存在科"},
                     "找不到单位“不存在科”"),
}


def one_line(error: ServiceError) -> str:
    import html

    text = channel_refused(error) if isinstance(error, ChannelRefused) else \
        html.unescape(refusal(error))
    assert "\n" not in text, text
    return text


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_a_refused_channel_is_one_line_and_nothing_is_saved(services, case) -> None:
    args, options, says = REFUSALS[case]
    before = await services.channels.list(OFFICE)
    with pytest.raises((ChannelRefused, UnknownUnit)) as refused:
        await services.channels.add(OFFICE, *args, **options)
    text = one_line(refused.value)
    assert says in text, text
    shows_no_secret(text, repr(refused.value))
    assert await services.channels.list(OFFICE) == before


async def test_unknown_names_and_non_admins_are_refused(services) -> None:
    for call in (services.channels.remove(OFFICE, "无此群"),
                 services.channels.test(OFFICE, "无此群", "测试")):
        with pytest.raises(ChannelRefused) as refused:
            await call
        assert one_line(refused.value) == "没有名为“无此群”的渠道。现有渠道：纪委工作群、财务科群。"
    person = await services.people.register(
        OFFICE, RegistrationDraft("李明", frozenset({Role.MEMBER}), "财务科"))
    member = Actor(telegram_user_id=5, person=person.person)
    for call in (services.channels.list(member), services.channels.remove(member, "纪委工作群"),
                 services.channels.add(member, "wecom", "甲群", f"{WECOM_URL}x")):
        with pytest.raises(NotAllowed):
            await call
    assert len(await services.channels.list(OFFICE)) == 2


async def test_supervision_is_the_default_and_has_its_names(services) -> None:
    for index, word in enumerate(("纪委", "supervision", "纪工委")):
        added = await services.channels.add(OFFICE, "飞书", f"群{index}",
                                            f"{FEISHU_URL}{index}", keyword="督办", whose=word)
        assert added.entry.unit_name is None and added.entry.channel.unit_id is None
        assert not added.needs_ip_allowlist
    bare = await services.channels.add(OFFICE, "dingtalk", "IP群", f"{DING_URL}0")
    assert bare.needs_ip_allowlist  # saved all the same
    wecom = await services.channels.add(OFFICE, "wecom", "企微群", f"{WECOM_URL}0")
    assert not wecom.needs_ip_allowlist  # its key is its whole security


# -- `dutybot channel …` end to end ----------------------------------------------------------------


@pytest.fixture(scope="module")
def robots() -> FakeRobots:
    return FakeRobots(time.time)  # the CLI signs with the real clock


@pytest.fixture(scope="module")
def server(robots) -> Iterator[FakeRobotServer]:
    running = FakeRobotServer(robots).start()
    yield running
    running.stop()


def channel(tmp_path: Path, *args: str):
    result = dutybot(tmp_path, "channel", *args, DUTYBOT_DB_PATH=str(tmp_path / "bot.db"))
    shows_no_secret(result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def add(tmp_path: Path, *args: str) -> None:
    result = channel(tmp_path, "add", *args)
    assert result.returncode == 0, result.stderr
    assert len(lines(result.stdout)) == 1 and "已登记渠道" in result.stdout


def test_add_list_and_remove_on_the_console(tmp_path) -> None:
    empty = channel(tmp_path, "list")
    assert empty.returncode == 0 and "还没有登记任何办公群机器人" in empty.stdout
    add(tmp_path, "企业微信", "纪委工作群", "--webhook", WECOM_URL)
    ding = channel(tmp_path, "add", "钉钉", "钉钉群", "--webhook", DING_URL)
    assert ding.returncode == 0 and len(lines(ding.stderr)) == 1
    assert "限定了 IP 地址" in ding.stderr  # saved, with the one line about IP addresses
    add(tmp_path, "feishu", "飞书群", "--webhook", FEISHU_URL, "--secret", FEISHU_SECRET,
        "--keyword", "督办", "--for", "纪委", "--confidential")
    twice = channel(tmp_path, "add", "wecom", "纪委工作群", "--webhook", f"{WECOM_URL}0")
    assert twice.returncode == 1 and len(lines(twice.stderr)) == 1
    assert "已经有名为“纪委工作群”的渠道" in twice.stderr
    listed = channel(tmp_path, "list")
    rows = [row.split("\t") for row in lines(listed.stdout)]
    assert rows[0][0] == "类型" and len(rows) == 4
    assert rows[1][:4] == ["企业微信", "纪委工作群", "纪委", "—"]
    assert rows[1][4] == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693…aaa"
    assert rows[3][5:] == ["m9Q…R8s", "督办", "正常", "是"]  # 保密 mode, as asked
    assert rows[1][8] == "—"  # DUTYBOT_CONFIDENTIAL is off
    gone = channel(tmp_path, "remove", "钉钉群")
    assert gone.returncode == 0 and "已删除渠道“钉钉群”" in gone.stdout
    unknown = channel(tmp_path, "remove", "钉钉群")
    assert unknown.returncode == 1 and lines(unknown.stderr) == [
        "dutybot: channel remove: 没有名为“钉钉群”的渠道。现有渠道：纪委工作群、飞书群。"]
    with closing(sqlite3.connect(tmp_path / "bot.db")) as conn:
        assert conn.execute("SELECT COUNT(*) FROM channels WHERE name = '钉钉群'").fetchone() == (0,)


def test_a_test_line_reaches_each_messenger(tmp_path, robots, server) -> None:
    key, token, hook = "wecom-ok-0123456789", "ding-ok-0123456789abcdef", "feishu-ok-0123456789"
    add(tmp_path, "企业微信", "企微群", "--webhook",
        server.root + robots.wecom.add_robot(key))
    add(tmp_path, "钉钉", "钉钉群", "--webhook",
        server.root + robots.dingtalk.add_robot(token, DING_SECRET, ("督办",)),
        "--secret", DING_SECRET, "--keyword", "督办")
    add(tmp_path, "飞书", "飞书群", "--webhook",
        server.root + robots.feishu.add_robot(hook, FEISHU_SECRET, ("督办",)),
        "--secret", FEISHU_SECRET, "--keyword", "督办")
    for name in ("企微群", "钉钉群", "飞书群"):
        result = channel(tmp_path, "test", name)
        assert result.returncode == 0, result.stderr
        assert lines(result.stdout) == [f"✓ {'企业微信' if name == '企微群' else name[:2]}"
                                        f"已收下测试消息：请到群“{name}”里确认能看到它。"]
    wecom, = robots.wecom.received(key)
    assert "渠道测试" in wecom["text"]["content"] and "企微群" in wecom["text"]["content"]
    ding, = robots.dingtalk.received(token)
    assert ding["text"]["content"].startswith("【督办】")
    feishu, = robots.feishu.received(hook)
    assert "督办" in feishu["content"]["text"]


def fill_wecom(robots: FakeRobots, key: str) -> None:
    body = json.dumps({"msgtype": "text", "text": {"content": "x"}}).encode()
    for _ in range(20):
        assert robots.handle(f"/cgi-bin/webhook/send?key={key}", body).body["errcode"] == 0


# what the robot is, how the channel is added, and what the explanation must say
FAILURES = {
    "wecom key removed": ("企业微信", lambda r: r.wecom.add_robot("wecom-real-0123456789")
                          .replace("real", "gone"), (), "机器人不存在或 Webhook 地址无效"),
    "dingtalk wrong secret": ("钉钉", lambda r: r.dingtalk.add_robot(
        "ding-sign-0123456789abc", DING_SECRET), ("--secret", "SECwrong0123456789"),
        "签名校验未通过"),
    "dingtalk keyword missing": ("钉钉", lambda r: r.dingtalk.add_robot(
        "ding-kw-0123456789abcd", None, ("督办",)), ("--keyword", "别的词"), "没有机器人设置的自定义关键词"),
    "dingtalk token unknown": ("钉钉", lambda r: "/robot/send?access_token=ding-unknown-0123456789",
                               ("--keyword", "督办"), "机器人不存在或 Webhook 地址无效"),
    "feishu wrong secret": ("飞书", lambda r: r.feishu.add_robot(
        "feishu-sign-0123456789", FEISHU_SECRET), ("--secret", "wrongwrongwrong1"), "签名校验未通过"),
    "feishu keyword missing": ("飞书", lambda r: r.feishu.add_robot(
        "feishu-kw-0123456789ab", None, ("督办",)), ("--keyword", "别的词"), "没有机器人设置的自定义关键词"),
    "feishu hook removed": ("飞书", lambda r: "/open-apis/bot/v2/hook/feishu-gone-0123456789",
                            ("--keyword", "督办"), "机器人不存在或 Webhook 地址无效"),
    "wecom rate-limited": ("企业微信", lambda r: (r.wecom.add_robot("wecom-busy-0123456789"),
                                               fill_wecom(r, "wecom-busy-0123456789"))[0], (),
                           "发送太频繁，被企业微信限流（每个机器人每分钟最多 20 条）"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_each_refusal_is_explained_in_one_line(tmp_path, robots, server, case) -> None:
    kind, robot, options, says = FAILURES[case]
    add(tmp_path, kind, "群", "--webhook", server.root + robot(robots), *options)
    result = channel(tmp_path, "test", "群")
    assert result.returncode == 1 and result.stdout == ""
    assert len(lines(result.stderr)) == 1 and says in result.stderr, result.stderr
    assert result.stderr.startswith("dutybot: channel test: ✗ ")


def test_a_clock_over_an_hour_off_is_explained_as_the_signature(tmp_path, robots, server) -> None:
    path = robots.dingtalk.add_robot("ding-clock-0123456789", DING_SECRET)
    add(tmp_path, "dingtalk", "群", "--webhook", server.root + path, "--secret", DING_SECRET)
    robots.dingtalk.clock = lambda: time.time() + 2 * 3600  # DingTalk's clock, 2 h ahead
    try:
        result = channel(tmp_path, "test", "群")
    finally:
        robots.dingtalk.clock = time.time
    assert result.returncode == 1 and "本机时钟与标准时间相差超过一小时" in result.stderr
    assert "invalid timestamp" in result.stderr
    listed = channel(tmp_path, "list")  # and the channel is marked broken
    assert "故障" in listed.stdout and "签名校验未通过" in listed.stdout


@pytest.mark.parametrize(("kind", "answer", "says"), [
    ("钉钉", {"errcode": 310000, "errmsg": "ip 1.2.3.4 not in whitelist"},
     "本机的出口 IP 地址不在机器人的 IP 白名单里"),
    ("飞书", {"code": 19022, "msg": "Ip Not Allowed"}, "本机的出口 IP 地址不在机器人的 IP 白名单里"),
    ("钉钉", {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
     "超出后会被限流 10 分钟"),
    ("飞书", {"code": 11232, "msg": "frequency limited"}, "每分钟最多 100 条"),
])
def test_answers_the_fakes_only_give_when_told(tmp_path, robots, server, kind, answer,
                                               says) -> None:
    path = "/robot/send?access_token=ding-canned-01234567" if kind == "钉钉" \
        else "/open-apis/bot/v2/hook/feishu-canned-01234567"
    add(tmp_path, kind, "群", "--webhook", server.root + path, "--keyword", "督办")
    server.canned = CannedAnswer(200, json.dumps(answer).encode(), "application/json")
    try:
        result = channel(tmp_path, "test", "群")
    finally:
        server.canned = None
    assert result.returncode == 1 and len(lines(result.stderr)) == 1, result.stderr
    assert says in result.stderr, result.stderr


def test_no_answer_and_a_proxy_s_page_are_told_apart(tmp_path, server) -> None:
    add(tmp_path, "wecom", "无人群", "--webhook",
        f"http://127.0.0.1:{closed_port()}/cgi-bin/webhook/send?key={WECOM_KEY}")
    nobody = channel(tmp_path, "test", "无人群")
    assert nobody.returncode == 1 and "没有收到企业微信的答复" in nobody.stderr
    add(tmp_path, "wecom", "代理群", "--webhook",
        f"{server.root}/cgi-bin/webhook/send?key=proxy-0123456789")
    server.canned = CannedAnswer(502, b"<html><body>502 Bad Gateway</body></html>")
    try:
        proxy = channel(tmp_path, "test", "代理群")
    finally:
        server.canned = None
    assert proxy.returncode == 1 and "没有正常答复（HTTP 502" in proxy.stderr
    assert len(lines(nobody.stderr)) == len(lines(proxy.stderr)) == 1


# -- /渠道 in chat ----------------------------------------------------------------------------------


async def test_admins_see_the_channels_in_private_chat_keys_masked(bot, api, admin, org) -> None:
    services = bot.app.bot_data.services
    await bot.send(admin, "/渠道")
    assert "还没有登记任何办公群机器人" in api.last(admin.id).plain
    await services.channels.add(OFFICE, "企业微信", "纪委工作群", WECOM_URL)
    await services.channels.add(OFFICE, "飞书", "财务科群", FEISHU_URL, secret=FEISHU_SECRET,
                                keyword="督办", whose="财务科", primary=True)
    async with services.db.transaction() as tx:
        await tx.channels.mark_broken("纪委工作群", "wrong_key", NOW)
    for command in ("/渠道", "/channels"):
        await bot.send(admin, command)
        text = api.last(admin.id).plain
        assert "纪委工作群 · 企业微信 · 纪委群" in text
        assert "财务科群 · 飞书 · 财务科的单位群（主渠道）" in text
        assert "key=693…aaa" in text and "加签 m9Q…R8s" in text and "关键词“督办”" in text
        assert "故障" in text and "机器人不存在或 Webhook 地址无效" in text
        shows_no_secret(text, api.last(admin.id).text)


async def test_others_are_refused_and_groups_get_no_list(bot, api, admin, org) -> None:
    await bot.app.bot_data.services.channels.add(OFFICE, "企业微信", "纪委工作群", WECOM_URL)
    li = org.users["李明"]
    for command in ("/渠道", "/channels"):
        await bot.send(li, command)
        assert api.last(li.id).plain == "⛔ 办公群机器人（渠道）只能由管理员（党委办公室）查看和管理。"
    group = api.group(-1001, "局纪委工作群")
    await bot.send(admin, "/bindgroup 纪委", chat=group)
    await bot.send(admin, "/channels", chat=group)
    text = api.last(group.id).plain
    assert "只在与我的私聊中提供" in text and "纪委工作群 ·" not in text


async def test_the_menu_and_the_admin_s_help_name_it(bot, api, admin, org) -> None:
    assert "channels" in [c["command"] for c in api.commands]
    await bot.send(admin, "/help")
    assert "/渠道（/channels）" in api.last(admin.id).plain
    await bot.send(org.users["李明"], "/help")
    assert "/渠道" not in api.last(org.users["李明"].id).plain


async def test_the_targets_migration_keeps_waiting_messages_on_their_telegram_chats(
        tmp_path) -> None:
    """Version 7: an outbox row's chat id becomes a Telegram target; nothing is lost."""
    path = tmp_path / "old.db"
    build_to(path, 6)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("INSERT INTO outbox (dedup_key, chat_id, person_id, kind, day, payload, "
                     "next_attempt_at, created_at) VALUES ('d', -1001, NULL, 'group_digest', "
                     "'2026-12-04', '{\"entries\": []}', ?, ?)", (NOW.isoformat(),) * 2)
    db = await Database.open(path)
    try:
        assert await db.migrate() == numbers_after(6)
        async with db.read() as tx:
            waiting = await tx.outbox.next_ready(NOW)
        assert waiting is not None and waiting.target == Target.telegram(-1001)
        assert waiting.chat_id == -1001 and waiting.payload == {"entries": []}
    finally:
        await db.close()
