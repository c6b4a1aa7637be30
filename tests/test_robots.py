"""Office group robots: payloads, signatures and answers, and the fakes' refusals through
the real post() over HTTP on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote_plus, urlsplit

import httpx
import pytest

from bot.channels.robots import (
    Broken,
    BrokenReason,
    Delivered,
    PayloadTooLarge,
    RateLimited,
    Refused,
    RetryLater,
    RobotConfig,
    dingtalk,
    feishu,
    mask_secret,
    mask_webhook,
    post,
    robot_kind,
    wecom,
)
from bot.fake_robots import CannedAnswer, FakeRobots, FakeRobotServer

START = datetime(2026, 3, 2, 9, 7, 30, tzinfo=UTC)
DING_SECRET = "SEC0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff"
FEISHU_SECRET = "m9Qx2bV7tLpA0wZ4"


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.t = start.timestamp()

    def __call__(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def robots(clock: FakeClock) -> FakeRobots:
    return FakeRobots(clock)


@pytest.fixture
def server(robots: FakeRobots) -> Iterator[FakeRobotServer]:
    running = FakeRobotServer(robots).start()
    yield running
    running.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as http:  # no proxy for 127.0.0.1
        yield http


# ---------------------------------------------------------------- payload builders

def test_wecom_text_mentions_by_mobile_and_userid() -> None:
    payload = wecom.text_payload("请今日报告进展", mobiles=["13800001111", "13800001111"],
                                 userids=["zhangsan"])
    assert payload == {"msgtype": "text", "text": {
        "content": "请今日报告进展", "mentioned_mobile_list": ["13800001111"],
        "mentioned_list": ["zhangsan"]}}


def test_wecom_markdown_mentions_by_userid_in_the_content() -> None:
    payload = wecom.markdown_payload("**A-001** 逾期", userids=["zhangsan", "lisi"])
    assert payload["markdown"]["content"] == "**A-001** 逾期\n<@zhangsan><@lisi>"


def test_wecom_markdown_refuses_a_userid_that_is_markup() -> None:
    with pytest.raises(ValueError):
        wecom.markdown_payload("x", userids=["a><@all"])


def test_wecom_text_limit_is_2048_bytes_not_characters() -> None:
    fits = "责" * 682 + "ab"  # 682 × 3 + 2 = 2048 bytes
    assert wecom.text_payload(fits)["text"]["content"] == fits
    with pytest.raises(PayloadTooLarge) as refused:
        wecom.text_payload(fits + "c")
    assert (refused.value.size, refused.value.limit) == (2049, 2048)


def test_wecom_markdown_limit_counts_the_mentions() -> None:
    body = "x" * (4096 - len("\n<@u1>"))
    assert wecom.markdown_payload(body, userids=["u1"])
    with pytest.raises(PayloadTooLarge):
        wecom.markdown_payload(body + "x", userids=["u1"])


def test_wecom_image_is_base64_with_md5_of_the_raw_bytes() -> None:
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    payload = wecom.image_payload(image)["image"]
    assert base64.b64decode(payload["base64"]) == image
    assert payload["md5"] == hashlib.md5(image).hexdigest()
    with pytest.raises(PayloadTooLarge):
        wecom.image_payload(b"\0" * (2 * 1024 * 1024 + 1))


def test_dingtalk_text_carries_the_keyword_and_at_mobiles() -> None:
    payload = dingtalk.text_payload("A-001 已逾期", mobiles=["13900002222"], keyword="督办")
    assert payload["text"]["content"] == "【督办】A-001 已逾期"
    assert payload["at"] == {"atMobiles": ["13900002222"], "isAtAll": False}
    again = dingtalk.text_payload("督办提醒：A-001", keyword="督办")
    assert again["text"]["content"] == "督办提醒：A-001"  # already there: not added twice


def test_dingtalk_markdown_shows_each_mention_in_the_text_once() -> None:
    payload = dingtalk.markdown_payload("日报", "### 日报\n@13900002222 请确认",
                                        mobiles=["13900002222", "13700003333"], keyword="督办")
    text = payload["markdown"]["text"]
    assert text.count("@13900002222") == 1 and text.endswith("@13700003333")
    assert "督办" in text and "督办" in payload["markdown"]["title"]
    assert payload["at"]["atMobiles"] == ["13900002222", "13700003333"]


def test_dingtalk_limit_includes_the_keyword() -> None:
    with pytest.raises(PayloadTooLarge):
        dingtalk.text_payload("x" * 19_999, keyword="督办")
    assert dingtalk.text_payload("x" * 20_000)


def test_feishu_mentions_by_open_id_only() -> None:
    payload = feishu.text_payload("A-001 已逾期", open_ids=["ou_7d8a6e6df7621556ce0d21922b676706"],
                                  keyword="督办")
    assert payload == {"msg_type": "text", "content": {"text": (
        '【督办】A-001 已逾期\n<at user_id="ou_7d8a6e6df7621556ce0d21922b676706"></at>')}}
    with pytest.raises(ValueError):
        feishu.text_payload("x", open_ids=['ou_1"></at><at user_id="all'])


def test_feishu_body_limit_is_20_kb_with_room_for_the_signature() -> None:
    with pytest.raises(PayloadTooLarge):
        feishu.text_payload("x" * 20 * 1024)
    assert feishu.text_payload("x" * 19 * 1024)


def test_capabilities_declare_how_each_messenger_mentions_and_what_it_takes() -> None:
    assert robot_kind("企业微信").capabilities.image_upload
    assert not robot_kind("钉钉").capabilities.image_upload
    assert not robot_kind("飞书").capabilities.image_upload
    assert robot_kind("wecom").capabilities.markdown_mention == "wecom_userid"
    assert robot_kind("DingTalk").capabilities.markdown_mention == "mobile"
    assert robot_kind("feishu").capabilities.text_mention == "feishu_open_id"
    assert [(w.count, w.seconds) for w in robot_kind("feishu").limits.windows] == [
        (100, 60.0), (5, 1.0)]
    assert robot_kind("dingtalk").limits.silenced_seconds == 600
    with pytest.raises(KeyError):
        robot_kind("telegram")


# ---------------------------------------------------------------- signatures

def test_dingtalk_sign_is_hmac_of_timestamp_and_secret_keyed_by_secret_in_the_url() -> None:
    ms = int(START.timestamp() * 1000)
    digest = hmac.new(DING_SECRET.encode(), f"{ms}\n{DING_SECRET}".encode(),
                      hashlib.sha256).digest()
    expected = quote_plus(base64.b64encode(digest))  # DingTalk's own recipe
    url = dingtalk.signed_url("https://oapi.dingtalk.com/robot/send?access_token=T0K",
                              DING_SECRET, START)
    query = urlsplit(url).query
    assert query == f"access_token=T0K&timestamp={ms}&sign={expected}"


def test_feishu_sign_is_keyed_by_timestamp_and_secret_over_nothing_in_the_body() -> None:
    seconds = int(START.timestamp())
    digest = hmac.new(f"{seconds}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    assert feishu.sign(FEISHU_SECRET, seconds) == expected
    robot = RobotConfig("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x",
                        FEISHU_SECRET)
    body = json.loads(feishu.prepare(robot, feishu.text_payload("hi"), START).body)
    assert body["timestamp"] == str(seconds) and body["sign"] == expected
    # not DingTalk's recipe: key and message are the other way round
    assert expected != base64.b64encode(hmac.new(
        FEISHU_SECRET.encode(), f"{seconds}\n{FEISHU_SECRET}".encode(),
        hashlib.sha256).digest()).decode()


def test_signing_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError):
        dingtalk.timestamp_ms(datetime(2026, 3, 2, 9, 0))
    with pytest.raises(ValueError):
        feishu.timestamp_s(datetime(2026, 3, 2, 9, 0))


# ---------------------------------------------------------------- classification

def _j(**fields: object) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize(("kind", "status", "body", "expected"), [
    ("wecom", 200, _j(errcode=0, errmsg="ok"), Delivered()),
    ("wecom", 200, _j(errcode=45009, errmsg="api freq out of limit"),
     RateLimited(45009, "api freq out of limit")),
    ("wecom", 200, _j(errcode=93000, errmsg="invalid webhook url"),
     Broken(BrokenReason.WRONG_KEY, 93000, "invalid webhook url")),
    ("wecom", 200, _j(errcode=40058, errmsg="text.content exceed max length 2048"),
     Refused(40058, "text.content exceed max length 2048")),
    ("wecom", 200, _j(errcode=-1, errmsg="system busy"),
     RetryLater("HTTP 200, code -1: system busy", 200)),
    ("dingtalk", 200, _j(errcode=-1, errmsg="system busy"),
     RetryLater("HTTP 200, code -1: system busy", 200)),
    ("dingtalk", 200, _j(errcode=130101, errmsg="send too fast, exceed 20 times per minute"),
     RateLimited(130101, "send too fast, exceed 20 times per minute")),
    ("dingtalk", 200, _j(errcode=310000, errmsg="sign not match"),
     Broken(BrokenReason.SIGNATURE, 310000, "sign not match")),
    ("dingtalk", 200, _j(errcode=310000, errmsg="invalid timestamp"),
     Broken(BrokenReason.SIGNATURE, 310000, "invalid timestamp")),
    ("dingtalk", 200, _j(errcode=310000, errmsg="keywords not in content"),
     Broken(BrokenReason.KEYWORD, 310000, "keywords not in content")),
    ("dingtalk", 200, _j(errcode=310000, errmsg="ip 1.2.3.4 not in whitelist"),
     Broken(BrokenReason.IP_NOT_ALLOWED, 310000, "ip 1.2.3.4 not in whitelist")),
    ("dingtalk", 200, _j(errcode=300001, errmsg="token is not exist"),
     Broken(BrokenReason.WRONG_KEY, 300001, "token is not exist")),
    ("feishu", 200, _j(code=0, msg="success", StatusCode=0), Delivered()),
    ("feishu", 200, _j(StatusCode=0, StatusMessage="success"), Delivered()),
    ("feishu", 200, _j(code=11232, msg="frequency limited psm"),
     RateLimited(11232, "frequency limited psm")),
    ("feishu", 200, _j(code=19001, msg="param invalid: incoming webhook access token invalid"),
     Broken(BrokenReason.WRONG_KEY, 19001,
            "param invalid: incoming webhook access token invalid")),
    ("feishu", 200, _j(code=19021, msg="sign match fail"),
     Broken(BrokenReason.SIGNATURE, 19021, "sign match fail")),
    ("feishu", 200, _j(code=19022, msg="Ip Not Allowed"),
     Broken(BrokenReason.IP_NOT_ALLOWED, 19022, "Ip Not Allowed")),
    ("feishu", 200, _j(code=19024, msg="Key Words Not Found"),
     Broken(BrokenReason.KEYWORD, 19024, "Key Words Not Found")),
    ("feishu", 400, _j(code=9499, msg="Bad Request"), Refused(9499, "Bad Request")),
])
def test_answers_are_classified_by_the_messengers_codes(kind: str, status: int, body: bytes,
                                                        expected: object) -> None:
    assert robot_kind(kind).classify(status, body) == expected


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
@pytest.mark.parametrize(("status", "body"), [
    (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    (200, b"<!DOCTYPE html><title>Portal login</title>"),  # a captive portal
    (200, b"\x00\xff garbage"),
    (200, b""),
    (200, b"[1, 2]"),
    (200, b'{"errcode": "0"}'),  # a code that is not a number
    (503, b'{"errcode": 0, "code": 0}'),
    (503, b'{"errcode": 12345, "code": 12345}'),  # an unknown code from a failing server
])
def test_html_and_garbage_answers_are_retried(kind: str, status: int, body: bytes) -> None:
    assert isinstance(robot_kind(kind).classify(status, body), RetryLater)


def test_a_429_without_a_code_is_rate_limited() -> None:
    assert isinstance(robot_kind("wecom").classify(429, b"Too Many Requests"), RateLimited)


# ---------------------------------------------------------------- masking

def test_keys_and_secrets_are_never_shown_in_full() -> None:
    key = "693a91f6-7b2c-4bc4-97a0-0ec2d1fa5aaa"
    shown = mask_webhook(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key}")
    assert key not in shown and shown.startswith("https://qyapi.weixin.qq.com/cgi-bin/")
    hook = "5e3d587e-d78e-4a07-bd07-265f269f86fd"
    assert hook not in mask_webhook(f"https://open.feishu.cn/open-apis/bot/v2/hook/{hook}")
    assert mask_secret("SECshort") == "***"
    robot = RobotConfig("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abcdef"
                        "0123456789", DING_SECRET, keyword="督办")
    assert DING_SECRET not in repr(robot) and "abcdef0123456789" not in repr(robot)


# ---------------------------------------------------------------- over HTTP: WeCom

async def test_wecom_delivers_and_the_group_sees_it(robots: FakeRobots, server: FakeRobotServer,
                                                    client: httpx.AsyncClient,
                                                    clock: FakeClock) -> None:
    robot = RobotConfig("wecom", server.root + robots.wecom.add_robot("k-1"))
    for payload in (wecom.text_payload("hi", mobiles=["13800001111"]),
                    wecom.markdown_payload("**hi**", userids=["u1"]),
                    wecom.image_payload(b"\x89PNG fake")):
        assert await post(client, robot, payload, clock.now()) == Delivered()
    assert [p["msgtype"] for p in robots.wecom.received("k-1")] == ["text", "markdown", "image"]


async def test_wecom_refuses_a_wrong_key(robots: FakeRobots, server: FakeRobotServer,
                                         client: httpx.AsyncClient, clock: FakeClock) -> None:
    robots.wecom.add_robot("right")
    robot = RobotConfig("wecom", server.root + "/cgi-bin/webhook/send?key=wrong")
    outcome = await post(client, robot, wecom.text_payload("hi"), clock.now())
    assert isinstance(outcome, Broken) and outcome.reason == BrokenReason.WRONG_KEY


async def test_wecom_refuses_an_overlong_text(robots: FakeRobots, server: FakeRobotServer,
                                              client: httpx.AsyncClient,
                                              clock: FakeClock) -> None:
    robot = RobotConfig("wecom", server.root + robots.wecom.add_robot("k"))
    too_long = {"msgtype": "text", "text": {"content": "x" * 2049}}  # past the builder
    outcome = await post(client, robot, too_long, clock.now())
    assert outcome == Refused(40058, "text.content exceed max length 2048")


async def test_wecom_rate_is_a_sliding_minute(robots: FakeRobots, server: FakeRobotServer,
                                              client: httpx.AsyncClient,
                                              clock: FakeClock) -> None:
    robot = RobotConfig("wecom", server.root + robots.wecom.add_robot("k"))
    text = wecom.text_payload("hi")
    for _ in range(10):
        assert await post(client, robot, text, clock.now()) == Delivered()
    clock.advance(30)
    for _ in range(10):
        assert await post(client, robot, text, clock.now()) == Delivered()
    clock.advance(29.9)  # 20 in the last 59.9 s: full, although a new minute began
    assert isinstance(await post(client, robot, text, clock.now()), RateLimited)
    clock.advance(0.1)  # the first ten are 60 s old: room for ten
    for _ in range(10):
        assert await post(client, robot, text, clock.now()) == Delivered()
    assert isinstance(await post(client, robot, text, clock.now()), RateLimited)
    assert len(robots.wecom.received("k")) == 30


# ---------------------------------------------------------------- over HTTP: DingTalk

def _ding(server: FakeRobotServer, robots: FakeRobots, secret: str | None = DING_SECRET,
          keyword: str | None = "督办") -> RobotConfig:
    path = robots.dingtalk.add_robot("t0k3n", secret=DING_SECRET,
                                     keywords=("督办",) if keyword else ())
    return RobotConfig("dingtalk", server.root + path, secret, keyword)


async def test_dingtalk_takes_a_signed_message_with_its_keyword(
        robots: FakeRobots, server: FakeRobotServer, client: httpx.AsyncClient,
        clock: FakeClock) -> None:
    robot = _ding(server, robots)
    payload = dingtalk.markdown_payload("日报", "### 日报", mobiles=["13900002222"],
                                        keyword=robot.keyword)
    assert await post(client, robot, payload, clock.now()) == Delivered()
    assert robots.dingtalk.received("t0k3n") == [payload]


@pytest.mark.parametrize(("robot_secret", "skew", "keyword", "reason", "message"), [
    ("SECwrong-secret-000000", 0, "督办", BrokenReason.SIGNATURE, "sign not match"),
    (DING_SECRET, -3601, "督办", BrokenReason.SIGNATURE, "invalid timestamp"),
    (DING_SECRET, 3601, "督办", BrokenReason.SIGNATURE, "invalid timestamp"),
    (DING_SECRET, 0, None, BrokenReason.KEYWORD, "keywords not in content"),
])
async def test_dingtalk_security_refusals(
        robots: FakeRobots, server: FakeRobotServer, client: httpx.AsyncClient,
        clock: FakeClock, robot_secret: str, skew: float, keyword: str | None,
        reason: BrokenReason, message: str) -> None:
    robot = _ding(server, robots)
    robot = RobotConfig("dingtalk", robot.webhook, robot_secret, keyword)
    payload = dingtalk.text_payload("A-001 已逾期", keyword=keyword)
    outcome = await post(client, robot, payload, clock.now() + timedelta(seconds=skew))
    assert outcome == Broken(reason, 310000, message)
    assert robots.dingtalk.received("t0k3n") == []


async def test_dingtalk_accepts_a_clock_up_to_an_hour_off(
        robots: FakeRobots, server: FakeRobotServer, client: httpx.AsyncClient,
        clock: FakeClock) -> None:
    robot = _ding(server, robots)
    payload = dingtalk.text_payload("x", keyword="督办")
    assert await post(client, robot, payload, clock.now() - timedelta(seconds=3599)) == \
        Delivered()


async def test_dingtalk_refuses_an_unknown_token_and_an_overlong_message(
        robots: FakeRobots, server: FakeRobotServer, client: httpx.AsyncClient,
        clock: FakeClock) -> None:
    robot = _ding(server, robots)
    stranger = RobotConfig("dingtalk", server.root + "/robot/send?access_token=nope",
                           DING_SECRET, "督办")
    outcome = await post(client, stranger, dingtalk.text_payload("x", keyword="督办"),
                         clock.now())
    assert isinstance(outcome, Broken) and outcome.reason == BrokenReason.WRONG_KEY
    too_long = {"msgtype": "text", "text": {"content": "督办" + "x" * 20_000}}
    assert isinstance(await post(client, robot, too_long, clock.now()), Refused)


async def test_dingtalk_silences_a_robot_for_ten_minutes_after_21_in_a_minute(
        robots: FakeRobots, server: FakeRobotServer, client: httpx.AsyncClient,
        clock: FakeClock) -> None:
    robot = _ding(server, robots)
    text = dingtalk.text_payload("x", keyword="督办")
    for _ in range(20):
        assert await post(client, robot, text, clock.now()) == Delivered()
        clock.advance(1)
    assert await post(client, robot, text, clock.now()) == RateLimited(
        130101, "send too fast, exceed 20 times per minute")
    clock.advance(120)  # the minute is long over, the penalty is not
    assert isinstance(await post(client, robot, text, clock.now()), RateLimited)
    clock.advance(600 - 120)
    assert await post(client, robot, text, clock.now()) == Delivered()
    assert len(robots.dingtalk.received("t0k3n")) == 21


# ---------------------------------------------------------------- over HTTP: Feishu

def _feishu(server: FakeRobotServer, robots: FakeRobots, secret: str | None = FEISHU_SECRET,
            keyword: str | None = "督办") -> RobotConfig:
    path = robots.feishu.add_robot("hook-3f9c2a", secret=FEISHU_SECRET, keywords=("督办",))
    return RobotConfig("feishu", server.root + path, secret, keyword)


async def test_feishu_takes_a_signed_message_with_its_keyword(
        robots: FakeRobots, server: FakeRobotServer, client: httpx.AsyncClient,
        clock: FakeClock) -> None:
    robot = _feishu(server, robots)
    payload = feishu.text_payload("A-001", open_ids=["ou_abc123"], keyword="督办")
    assert await post(client, robot, payload, clock.now()) == Delivered()
    (got,) = robots.feishu.received("hook-3f9c2a")
    assert got["content"] == payload["content"]


@pytest.mark.parametrize(("secret", "skew", "keyword", "expected"), [
    ("wrong", 0, "督办", Broken(BrokenReason.SIGNATURE, 19021, "sign match fail or timestamp "
                               "is not within one hour from current time")),
    (FEISHU_SECRET, 2 * 3600, "督办", Broken(BrokenReason.SIGNATURE, 19021, "sign match fail "
                                             "or timestamp is not within one hour from "
                                             "current time")),
    (None, 0, "督办", Broken(BrokenReason.SIGNATURE, 19021, "sign match fail or timestamp is "
                             "not within one hour from current time")),
    (FEISHU_SECRET, 0, None, Broken(BrokenReason.KEYWORD, 19024, "Key Words Not Found")),
])
async def test_feishu_security_refusals(
        robots: FakeRobots, server: FakeRobotServer, client: httpx.AsyncClient,
        clock: FakeClock, secret: str | None, skew: float, keyword: str | None,
        expected: Broken) -> None:
    robot = _feishu(server, robots, secret, keyword)
    outcome = await post(client, robot, feishu.text_payload("A-001", keyword=keyword),
                         clock.now() + timedelta(seconds=skew))
    assert outcome == expected


async def test_feishu_refuses_a_wrong_hook_and_an_oversized_body(
        robots: FakeRobots, server: FakeRobotServer, client: httpx.AsyncClient,
        clock: FakeClock) -> None:
    robot = _feishu(server, robots)
    stranger = RobotConfig("feishu", server.root + "/open-apis/bot/v2/hook/nope", None)
    outcome = await post(client, stranger, feishu.text_payload("x"), clock.now())
    assert isinstance(outcome, Broken) and outcome.reason == BrokenReason.WRONG_KEY
    too_big = {"msg_type": "text", "content": {"text": "督办" + "x" * 20 * 1024}}
    assert await post(client, robot, too_big, clock.now()) == Refused(9499, "Bad Request")


async def test_feishu_allows_five_a_second_and_a_hundred_a_minute(
        robots: FakeRobots, server: FakeRobotServer, client: httpx.AsyncClient,
        clock: FakeClock) -> None:
    robot = _feishu(server, robots)
    text = feishu.text_payload("x", keyword="督办")
    for _ in range(5):
        assert await post(client, robot, text, clock.now()) == Delivered()
    assert isinstance(await post(client, robot, text, clock.now()), RateLimited)
    clock.advance(1.0)
    for _ in range(95):  # five a second, 19 more seconds: 100 in 20 s
        assert await post(client, robot, text, clock.now()) == Delivered()
        clock.advance(0.2)
    outcome = await post(client, robot, text, clock.now())
    assert isinstance(outcome, RateLimited) and outcome.code == 11232
    clock.advance(60 - 20)  # the first five are a minute old
    assert await post(client, robot, text, clock.now()) == Delivered()


# ---------------------------------------------------------------- over HTTP: no proper answer

@pytest.mark.parametrize("canned", [
    CannedAnswer(502, b"<html><body>502 Bad Gateway</body></html>"),
    CannedAnswer(200, b"<html>captive portal</html>"),
    CannedAnswer(200, b"\x00\x01 not json", "application/json"),
])
async def test_html_and_garbage_from_the_network_are_retried(
        robots: FakeRobots, server: FakeRobotServer, client: httpx.AsyncClient,
        clock: FakeClock, canned: CannedAnswer) -> None:
    robot = RobotConfig("wecom", server.root + robots.wecom.add_robot("k"))
    server.canned = canned
    outcome = await post(client, robot, wecom.text_payload("hi"), clock.now())
    assert isinstance(outcome, RetryLater) and outcome.status == canned.status


async def test_an_unknown_path_is_retried_not_broken(
        server: FakeRobotServer, client: httpx.AsyncClient, clock: FakeClock) -> None:
    robot = RobotConfig("dingtalk", server.root + "/no/such/robot?access_token=x")
    outcome = await post(client, robot, dingtalk.text_payload("x"), clock.now())
    assert isinstance(outcome, RetryLater) and outcome.status == 404


async def test_a_robot_that_does_not_answer_in_time_is_retried(
        robots: FakeRobots, server: FakeRobotServer, client: httpx.AsyncClient,
        clock: FakeClock) -> None:
    robot = RobotConfig("feishu", server.root + robots.feishu.add_robot("slow"))
    server.delay = 0.5
    outcome = await post(client, robot, feishu.text_payload("x"), clock.now(), timeout=0.1)
    assert outcome == RetryLater("timeout")


async def test_a_refused_connection_is_retried_without_showing_the_key(
        client: httpx.AsyncClient, clock: FakeClock) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    robot = RobotConfig("wecom", f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=SECRETKEY1")
    outcome = await post(client, robot, wecom.text_payload("x"), clock.now(), timeout=2)
    assert isinstance(outcome, RetryLater) and outcome.status is None
    assert "SECRETKEY1" not in outcome.detail
