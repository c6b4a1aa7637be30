"""bot.domain.chain: the 传导 chain 问题 → 责任 → 措施."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.chain import ChainError, ancestors, chains, check_parent, would_cycle
from bot.domain.model import Duty, Item, ListKind

P, R, M = ListKind.PROBLEM, ListKind.RESPONSIBILITY, ListKind.MEASURE


def item(item_id: int, kind: ListKind, parent_id: int | None = None) -> Item:
    return Item(id=item_id, code=f"X{item_id:04d}", kind=kind, title=f"事项{item_id}",
                duty=Duty.PRINCIPAL, owner_id=1, unit_id=1, due_date=date(2026, 12, 1),
                parent_id=parent_id)


@pytest.mark.parametrize("kind", [P, R, M])
def test_every_list_may_have_no_parent(kind):
    check_parent(kind, None)  # no exception


@pytest.mark.parametrize("parent_kind", [P, R, M])
def test_problem_never_has_a_parent(parent_kind):
    with pytest.raises(ChainError) as info:
        check_parent(P, item(1, parent_kind))
    assert info.value.reason == "problem_has_no_parent"
    assert info.value.expected is None


def test_responsibility_hangs_under_a_problem():
    check_parent(R, item(1, P))


@pytest.mark.parametrize("parent_kind", [R, M])
def test_responsibility_under_anything_else_is_refused(parent_kind):
    with pytest.raises(ChainError) as info:
        check_parent(R, item(1, parent_kind))
    assert info.value.reason == "wrong_parent_kind"
    assert info.value.expected is P


def test_measure_hangs_under_a_responsibility():
    check_parent(M, item(1, R))


@pytest.mark.parametrize("parent_kind", [P, M])
def test_measure_under_anything_else_is_refused(parent_kind):
    with pytest.raises(ChainError) as info:
        check_parent(M, item(1, parent_kind))
    assert info.value.reason == "wrong_parent_kind"
    assert info.value.expected is R


def test_chain_error_is_a_value_error_with_the_reason_as_message():
    err = ChainError("wrong_parent_kind", R)
    assert isinstance(err, ValueError)
    assert str(err) == "wrong_parent_kind"


def test_ancestors_nearest_first():
    items = {1: item(1, P), 2: item(2, R, parent_id=1), 3: item(3, M, parent_id=2)}
    assert [a.id for a in ancestors(items[3], items)] == [2, 1]
    assert [a.id for a in ancestors(items[2], items)] == [1]


def test_ancestors_of_a_root_is_empty():
    items = {1: item(1, P)}
    assert ancestors(items[1], items) == []


def test_ancestors_stops_at_a_missing_link():
    items = {2: item(2, R, parent_id=1), 3: item(3, M, parent_id=2)}
    assert [a.id for a in ancestors(items[3], items)] == [2]


def test_ancestors_stops_on_a_cycle():
    items = {1: item(1, R, parent_id=3), 2: item(2, R, parent_id=1), 3: item(3, R, parent_id=2)}
    assert [a.id for a in ancestors(items[3], items)] == [2, 1]


def test_ancestors_stops_on_a_self_loop():
    items = {1: item(1, R, parent_id=1)}
    assert ancestors(items[1], items) == []


# any parent links among ids 1–8, a few pointing nowhere (9, 10), cycles and self-loops too
_LINKS = st.dictionaries(st.integers(1, 8), st.one_of(st.none(), st.integers(1, 10)),
                         max_size=8)


@given(_LINKS, st.lists(st.integers(1, 8), max_size=12))
def test_chains_are_each_items_ancestors(links, order):
    """Walking each parent once gives every item what `ancestors` gives it, on any graph
    (shared parents, missing links, cycles through the item itself or above it)."""
    items = {i: item(i, R, parent_id=p) for i, p in links.items()}
    page = [items[i] for i in order if i in items]
    assert chains(page, items) == [tuple(ancestors(i, items)) for i in page]


def test_chains_through_the_item_itself_stop_before_it():
    items = {1: item(1, R, parent_id=2), 2: item(2, R, parent_id=1), 3: item(3, M, parent_id=2)}
    # 3 walks 2 first, which comes back to 1; 1's own chain must stop before 1
    assert [[a.id for a in c] for c in chains([items[3], items[1]], items)] == [[2, 1], [2]]


def test_would_cycle_when_hanging_under_itself():
    assert would_cycle(1, 1, {1: None})


def test_would_cycle_when_hanging_under_a_descendant():
    parents = {1: None, 2: 1, 3: 2}
    assert would_cycle(1, 3, parents)
    assert would_cycle(2, 3, parents)


def test_would_not_cycle_under_an_unrelated_or_ancestor_item():
    parents = {1: None, 2: 1, 3: 2, 4: None}
    assert not would_cycle(3, 1, parents)
    assert not would_cycle(4, 3, parents)
    assert not would_cycle(1, 4, parents)


def test_would_cycle_terminates_on_an_existing_cycle_elsewhere():
    parents = {1: 2, 2: 1, 5: None}
    assert not would_cycle(5, 1, parents)


def test_would_cycle_with_unknown_parent_is_false():
    assert not would_cycle(1, 42, {1: None})
