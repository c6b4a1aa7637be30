"""The configured supervising body's words, for texts (how to use them: bot/domain/bodies.py).

Read at call time, never at import time: `f"提请{body()}督办"`, or a constant template with
{纪委} {纪委书记} {纪委委员} {纪委群} filled by `say(template)` when it is shown.
"""

from __future__ import annotations

from bot.domain import bodies


def body() -> str:
    """纪委 / 纪工委 / 派驻纪检监察组 / 纪检组."""
    return bodies.current().body


def head() -> str:
    """纪委书记 / 纪工委书记 / 纪检监察组组长 / 纪检组组长."""
    return bodies.current().head


def member() -> str:
    """纪委委员 / 纪工委委员 / 纪检监察组成员 / 纪检组成员."""
    return bodies.current().member


def group() -> str:
    """纪委群 / 纪工委群 / …"""
    return bodies.current().group


def say(template: str) -> str:
    """One of our own templates with the body's placeholders filled. Never pass user text
    here: fill the template first, then put the escaped user text in."""
    return template.format_map(bodies.current().fields())
