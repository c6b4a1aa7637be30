"""The 传导 chain: 问题 → 责任 → 措施, pressed down from the 书记 to the 分管部门."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.domain.model import PARENT_KIND, Item, ListKind


class ChainError(ValueError):
    """A parent that breaks the chain; `reason` is a key for messages/."""

    def __init__(self, reason: str, expected: ListKind | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expected = expected


def check_parent(kind: ListKind, parent: Item | None) -> None:
    """A 问题 has no parent; a 责任 hangs under a 问题, a 措施 under a 责任.

    A 责任 or 措施 may stand alone (not every measure comes from a listed problem),
    but when a parent is given it must be of the right list.
    """
    expected = PARENT_KIND[kind]
    if parent is None:
        return
    if expected is None:
        raise ChainError("problem_has_no_parent")
    if parent.kind is not expected:
        raise ChainError("wrong_parent_kind", expected)


def ancestors(item: Item, items: Mapping[int, Item]) -> list[Item]:
    """The item's parents, nearest first. Stops on a missing link or a cycle."""
    chain: list[Item] = []
    seen = {item.id}
    parent_id = item.parent_id
    while parent_id is not None and parent_id not in seen:
        parent = items.get(parent_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent_id)
        parent_id = parent.parent_id
    return chain


def chains(items: Iterable[Item], known: Mapping[int, Item]) -> list[tuple[Item, ...]]:
    """`ancestors` of each item, walking each distinct parent once: a page's or a 待办's
    items mostly hang under the same few parents."""
    walked: dict[int, tuple[tuple[Item, ...], set[int]]] = {}  # parent id: its chain, ids
    found: list[tuple[Item, ...]] = []
    for item in items:
        if item.parent_id is None:
            found.append(())
            continue
        chain, ids = walked.get(item.parent_id) or walked.setdefault(
            item.parent_id, _from(item.parent_id, known))
        # a chain that comes back to the item itself (bad data) stops before it
        found.append(chain if item.id not in ids else tuple(ancestors(item, known)))
    return found


def _from(parent_id: int, known: Mapping[int, Item]) -> tuple[tuple[Item, ...], set[int]]:
    parent = known.get(parent_id)
    chain = (parent, *ancestors(parent, known)) if parent is not None else ()
    return chain, {p.id for p in chain}


def would_cycle(item_id: int, new_parent_id: int, parents: Mapping[int, int | None]) -> bool:
    """True if hanging `item_id` under `new_parent_id` closes a loop."""
    seen: set[int] = set()
    current: int | None = new_parent_id
    while current is not None and current not in seen:
        if current == item_id:
            return True
        seen.add(current)
        current = parents.get(current)
    return False
