"""Simulated office group robots (企业微信, 钉钉, 飞书) for tests and the bench: each checks
keys, signatures, timestamps, keywords, sizes and rate limits against an injected clock,
and answers with the messenger's own codes and texts."""

from bot.fake_robots.api import FakeRobots
from bot.fake_robots.common import Exchange, Reply, SlidingCount
from bot.fake_robots.dingtalk import FakeDingTalk
from bot.fake_robots.feishu import FakeFeishu
from bot.fake_robots.server import CannedAnswer, FakeRobotServer
from bot.fake_robots.wecom import FakeWeCom

__all__ = [
    "CannedAnswer", "Exchange", "FakeDingTalk", "FakeFeishu", "FakeRobotServer", "FakeRobots",
    "FakeWeCom", "Reply", "SlidingCount",
]
