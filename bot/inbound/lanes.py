"""Which updates must be handled in order: those of one chat (a lane). Different lanes
are served at once."""

from __future__ import annotations

from typing import Any

# where each kind of update keeps its chat (the first found wins)
_CHAT_PATHS = (
    ("message", "chat"), ("edited_message", "chat"), ("channel_post", "chat"),
    ("edited_channel_post", "chat"), ("callback_query", "message", "chat"),
    ("my_chat_member", "chat"), ("chat_member", "chat"), ("chat_join_request", "chat"),
    ("message_reaction", "chat"), ("message_reaction_count", "chat"),
    ("business_message", "chat"), ("edited_business_message", "chat"),
    ("chat_boost", "chat"), ("removed_chat_boost", "chat"),
)


def lane_of(update: dict[str, Any]) -> str:
    """`c<chat id>` for an update in a chat; `u<user id>` for one from a user with no
    chat (an inline query, a poll answer); `-` for the rest, which share one lane."""
    for path in _CHAT_PATHS:
        node: Any = update
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get("id"), int):
            return f"c{node['id']}"
    for value in update.values():
        sender = value.get("from") if isinstance(value, dict) else None
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return f"u{sender['id']}"
    return "-"
