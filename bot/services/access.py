"""Who may read the 纪委's views (周报, 逾期, 台账), and where."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.model import Actor, Group, GroupKind
from bot.services.errors import NotAllowed, NotBound, WrongChat


def check_reader(actor: Actor, group: Group | None, what: str,
                 allowed: Callable[[Actor], bool]) -> None:
    """Bound first, then the chat (private, `group` None, or a 纪委群: never a unit group,
    which must not see the organisation's data), then the role. Raises the refusal."""
    if actor.person is None and not actor.roles:
        raise NotBound()
    if group is not None and group.kind is not GroupKind.DISCIPLINE:
        raise WrongChat(what)
    if not allowed(actor):
        raise NotAllowed(what)
