"""The item state machine: every action from every status, allowed or refused."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.model import Duty, Item, ItemStatus, ListKind
from bot.domain.transitions import (
    Action,
    Refused,
    TransitionRefused,
    apply,
    owner_actions,
)

S = ItemStatus
A = Action
ENDS_REQUEST = (A.APPROVE_EXTENSION, A.REJECT_EXTENSION, A.WITHDRAW_EXTENSION)


def item(status: ItemStatus, kind: ListKind = ListKind.MEASURE) -> Item:
    return Item(id=1, code="C0001", kind=kind, title="t", duty=Duty.DUAL, owner_id=1,
                unit_id=1, due_date=date(2026, 12, 1), status=status)


# (status, action) -> status after, or the refusal, for an ordinary item
ORDINARY = {
    (S.OPEN, A.START): S.IN_PROGRESS,
    (S.OPEN, A.COMPLETE): S.DONE,
    (S.OPEN, A.REQUEST_EXTENSION): S.EXTENSION_REQUESTED,
    (S.OPEN, A.CANCEL): S.CANCELLED,
    (S.IN_PROGRESS, A.START): Refused.ALREADY,
    (S.IN_PROGRESS, A.COMPLETE): S.DONE,
    (S.IN_PROGRESS, A.REQUEST_EXTENSION): S.EXTENSION_REQUESTED,
    (S.IN_PROGRESS, A.CANCEL): S.CANCELLED,
    (S.RETURNED, A.START): S.IN_PROGRESS,
    (S.RETURNED, A.COMPLETE): S.DONE,
    (S.RETURNED, A.REQUEST_EXTENSION): S.EXTENSION_REQUESTED,
    (S.RETURNED, A.CANCEL): S.CANCELLED,
    (S.EXTENSION_REQUESTED, A.START): Refused.EXTENSION_PENDING,
    (S.EXTENSION_REQUESTED, A.COMPLETE): Refused.EXTENSION_PENDING,
    (S.EXTENSION_REQUESTED, A.REQUEST_EXTENSION): Refused.EXTENSION_PENDING,
    (S.EXTENSION_REQUESTED, A.CANCEL): S.CANCELLED,
    (S.PENDING_VERIFICATION, A.START): Refused.AWAITING_VERIFICATION,
    (S.PENDING_VERIFICATION, A.COMPLETE): Refused.AWAITING_VERIFICATION,
    (S.PENDING_VERIFICATION, A.REQUEST_EXTENSION): Refused.AWAITING_VERIFICATION,
    (S.PENDING_VERIFICATION, A.VERIFY): S.VERIFIED,
    (S.PENDING_VERIFICATION, A.RETURN): S.RETURNED,
    (S.PENDING_VERIFICATION, A.CANCEL): S.CANCELLED,
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", [a for a in A if a not in ENDS_REQUEST])
def test_every_status_and_action(status, action):
    expected = ORDINARY.get((status, action))
    if expected is None:  # not in the table: closed, or 销号/退回 of something not 待验收
        if status in (S.DONE, S.VERIFIED, S.CANCELLED):
            expected = Refused.CLOSED
        elif action in (A.VERIFY, A.RETURN):
            expected = Refused.NOT_FOR_VERIFICATION
        else:
            expected = ORDINARY[(status, action)]
    if isinstance(expected, Refused):
        with pytest.raises(TransitionRefused) as refused:
            apply(item(status), action)
        assert refused.value.reason is expected
    else:
        moved = apply(item(status), action)
        assert (moved.before, moved.after) == (status, expected)


def test_rectification_goes_to_pending_verification_never_straight_to_closed():
    for status in (S.OPEN, S.IN_PROGRESS, S.RETURNED):
        assert apply(item(status, ListKind.RECTIFICATION), A.COMPLETE).after is \
            S.PENDING_VERIFICATION
    assert apply(item(S.PENDING_VERIFICATION, ListKind.RECTIFICATION), A.VERIFY).after is \
        S.VERIFIED
    assert apply(item(S.PENDING_VERIFICATION, ListKind.RECTIFICATION), A.RETURN).after is \
        S.RETURNED


@pytest.mark.parametrize("previous", [S.OPEN, S.IN_PROGRESS, S.RETURNED])
@pytest.mark.parametrize("action", ENDS_REQUEST)
def test_a_decided_or_withdrawn_extension_returns_to_the_status_before(previous, action):
    moved = apply(item(S.EXTENSION_REQUESTED), action, previous)
    assert moved.after is previous


@pytest.mark.parametrize("status", [s for s in S if s is not S.EXTENSION_REQUESTED])
@pytest.mark.parametrize("action", ENDS_REQUEST)
def test_no_extension_to_decide_or_withdraw(status, action):
    with pytest.raises(TransitionRefused) as refused:
        apply(item(status), action, S.OPEN)
    assert refused.value.reason is Refused.NO_EXTENSION


def test_a_request_without_a_sane_previous_status_is_refused():
    with pytest.raises(TransitionRefused):
        apply(item(S.EXTENSION_REQUESTED), A.APPROVE_EXTENSION, S.DONE)
    with pytest.raises(TransitionRefused):
        apply(item(S.EXTENSION_REQUESTED), A.APPROVE_EXTENSION, None)
    with pytest.raises(TransitionRefused):
        apply(item(S.EXTENSION_REQUESTED), A.WITHDRAW_EXTENSION, S.PENDING_VERIFICATION)


def test_owner_buttons_follow_the_status():
    assert owner_actions(S.OPEN) == (A.START, A.COMPLETE, A.REQUEST_EXTENSION)
    assert owner_actions(S.IN_PROGRESS) == (A.COMPLETE, A.REQUEST_EXTENSION)
    assert owner_actions(S.RETURNED) == (A.START, A.COMPLETE, A.REQUEST_EXTENSION)
    for status in (S.DONE, S.VERIFIED, S.CANCELLED, S.PENDING_VERIFICATION,
                   S.EXTENSION_REQUESTED):
        assert owner_actions(status) == ()
