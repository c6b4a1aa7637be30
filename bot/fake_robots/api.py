"""The three fake messengers behind one router, sharing one injected clock."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from bot.fake_robots import dingtalk, feishu, wecom
from bot.fake_robots.common import Clock, Reply
from bot.fake_robots.dingtalk import FakeDingTalk
from bot.fake_robots.feishu import FakeFeishu
from bot.fake_robots.wecom import FakeWeCom


class FakeRobots:
    def __init__(self, clock: Clock) -> None:
        self.wecom = FakeWeCom(clock)
        self.dingtalk = FakeDingTalk(clock)
        self.feishu = FakeFeishu(clock)

    def handle(self, target: str, body: bytes) -> Reply | None:
        """`target` is the request's path and query; None: no such endpoint (HTTP 404)."""
        url = urlsplit(target)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        if url.path == wecom.PATH:
            return self.wecom.handle(query, body)
        if url.path == dingtalk.PATH:
            return self.dingtalk.handle(query, body)
        if url.path.startswith(feishu.PATH_PREFIX):
            return self.feishu.handle(url.path.removeprefix(feishu.PATH_PREFIX), body)
        return None
