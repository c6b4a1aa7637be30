"""A simulated Telegram for tests and the demo: the API, an in-process transport, an HTTP server."""

from bot.fake_telegram.api import (
    ApiError,
    Chat,
    FakeTelegram,
    Sent,
    Upload,
    User,
    invite_code,
    plain_text,
)
from bot.fake_telegram.request import FakeRequest

__all__ = [
    "ApiError", "Chat", "FakeRequest", "FakeTelegram", "Sent", "Upload", "User", "invite_code",
    "plain_text",
]
