"""The one state machine every item goes through (SPEC §5, issue 4).

    open ─进行中→ in_progress ─已完成→ done                     (an ordinary item)
                              └已完成→ pending_verification ─销号→ verified   (a 整改)
                                                             └退回→ returned ─…→ (again)
    any active ─申请延期→ extension_requested ─批准/驳回/撤回→ the status it had before
    any active ─取消→ cancelled

Pure: it says which status an action leads to, or why it cannot be taken now.
Who may take it is permissions.py's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.model import Item, ItemStatus

S = ItemStatus


class Action(StrEnum):
    START = "start"  # 进行中
    COMPLETE = "complete"  # 已完成
    REQUEST_EXTENSION = "request_extension"  # 申请延期
    APPROVE_EXTENSION = "approve_extension"  # 批准 (the due date moves)
    REJECT_EXTENSION = "reject_extension"  # 驳回
    WITHDRAW_EXTENSION = "withdraw_extension"  # 撤回申请 (the applicant, before a decision)
    VERIFY = "verify"  # 销号
    RETURN = "return"  # 退回
    CANCEL = "cancel"  # 取消


class Refused(StrEnum):
    """Why an action cannot be taken on an item in its present status."""

    CLOSED = "closed"  # done, verified or cancelled: nothing more to do
    ALREADY = "already"  # it is in that status already (a double tap)
    AWAITING_VERIFICATION = "awaiting_verification"  # 待验收: the 纪委's move
    EXTENSION_PENDING = "extension_pending"  # a 延期 request waits for its approver
    NO_EXTENSION = "no_extension"  # no request to decide
    NOT_FOR_VERIFICATION = "not_for_verification"  # 销号/退回 on something not 待验收


class TransitionRefused(Exception):
    def __init__(self, reason: Refused) -> None:
        super().__init__(reason.value)
        self.reason = reason


CLOSED_STATUSES = frozenset({S.DONE, S.VERIFIED, S.CANCELLED})
# The statuses in which the owner is still working on it (what 进行中/已完成/延期 act on).
_WORKING = frozenset({S.OPEN, S.IN_PROGRESS, S.RETURNED})


# What ends a pending 延期 request, each back to the status the item had before it.
_ENDS_REQUEST = frozenset({Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION,
                           Action.WITHDRAW_EXTENSION})


@dataclass(frozen=True, slots=True)
class Transition:
    before: ItemStatus
    after: ItemStatus


def apply(item: Item, action: Action, previous: ItemStatus | None = None) -> Transition:
    """The status `action` moves `item` to. `previous` is the status it had before a
    延期 request, needed to approve, reject or withdraw one. Raises TransitionRefused."""
    status = item.status
    after = _next(item, status, action, previous)
    return Transition(before=status, after=after)


def _next(item: Item, status: ItemStatus, action: Action,
          previous: ItemStatus | None) -> ItemStatus:
    if action in _ENDS_REQUEST:
        if status is not S.EXTENSION_REQUESTED or previous not in _WORKING:
            raise TransitionRefused(Refused.NO_EXTENSION)
        return previous
    if action in (Action.VERIFY, Action.RETURN):
        if status is not S.PENDING_VERIFICATION:
            raise TransitionRefused(
                Refused.CLOSED if status in CLOSED_STATUSES else Refused.NOT_FOR_VERIFICATION)
        return S.VERIFIED if action is Action.VERIFY else S.RETURNED
    if status in CLOSED_STATUSES:
        raise TransitionRefused(Refused.CLOSED)
    if action is Action.CANCEL:
        return S.CANCELLED
    if status is S.PENDING_VERIFICATION:
        raise TransitionRefused(Refused.AWAITING_VERIFICATION)
    if status is S.EXTENSION_REQUESTED:
        raise TransitionRefused(Refused.EXTENSION_PENDING)
    if action is Action.START:
        if status is S.IN_PROGRESS:
            raise TransitionRefused(Refused.ALREADY)
        return S.IN_PROGRESS
    if action is Action.COMPLETE:
        return S.PENDING_VERIFICATION if item.needs_verification else S.DONE
    if action is Action.REQUEST_EXTENSION:
        return S.EXTENSION_REQUESTED
    raise ValueError(f"unknown action {action!r}")


def owner_actions(status: ItemStatus) -> tuple[Action, ...]:
    """The buttons worth showing the owner of an item in `status`."""
    if status not in _WORKING:
        return ()
    actions = [Action.START] if status is not S.IN_PROGRESS else []
    return (*actions, Action.COMPLETE, Action.REQUEST_EXTENSION)


def is_closed(status: ItemStatus) -> bool:
    return status in CLOSED_STATUSES
