"""Office group robots (企业微信, 钉钉, 飞书): payloads, signatures, limits, outcomes."""

from bot.channels.robots.kinds import ROBOT_KINDS, robot_kind
from bot.channels.robots.masking import mask_secret, mask_webhook
from bot.channels.robots.model import (
    Capabilities,
    Handle,
    Limits,
    PayloadTooLarge,
    RateWindow,
    RobotConfig,
    RobotKind,
    WebhookShape,
)
from bot.channels.robots.outcome import (
    Broken,
    BrokenReason,
    Delivered,
    Outcome,
    RateLimited,
    Refused,
    RetryLater,
)
from bot.channels.robots.transport import post
from bot.channels.robots.webhooks import WebhookProblem, is_loopback, webhook_problem

__all__ = [
    "ROBOT_KINDS", "Broken", "BrokenReason", "Capabilities", "Delivered", "Handle", "Limits",
    "Outcome", "PayloadTooLarge", "RateLimited", "RateWindow", "Refused", "RetryLater",
    "RobotConfig", "RobotKind", "WebhookProblem", "WebhookShape", "is_loopback", "mask_secret",
    "mask_webhook", "post", "robot_kind", "webhook_problem",
]
