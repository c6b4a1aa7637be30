"""Why a service refused: each kind has a clear Chinese text in messages/refusals.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.text import TextProblem, TextRefused


class ServiceError(Exception):
    """Something the user asked for that cannot be done; nothing was changed."""


@dataclass
class NotAllowed(ServiceError):
    action: str  # "register", "bind_group", "create_item", "manage_units", "view"


@dataclass
class NotBound(ServiceError):
    pass


@dataclass
class UnknownUnit(ServiceError):
    name: str
    known: list[str] = field(default_factory=list)


@dataclass
class DuplicateUnit(ServiceError):
    name: str


@dataclass
class UnknownPerson(ServiceError):
    name: str


@dataclass
class AmbiguousPerson(ServiceError):
    name: str
    units: list[str]


@dataclass
class DuplicatePerson(ServiceError):
    name: str
    unit: str


@dataclass
class UnknownRole(ServiceError):
    word: str


@dataclass
class UnknownTerm(ServiceError):
    """A word that is none of the offered choices."""

    word: str
    choices: list[str]


@dataclass
class BadName(ServiceError):
    what: str  # "person" or "unit"
    length: int


@dataclass
class BadCharacters(ServiceError):
    """A name or text holding something invisible (bot/domain/text.py), or nothing else."""

    what: str  # "person", "unit", "title", "source", "note", "reason"
    problem: str  # a TextProblem value: invisible, control, bidi, zero_width, line_break
    char: str  # the first such character


@dataclass
class TitleTooLong(ServiceError):
    length: int
    limit: int


@dataclass
class EmptyText(ServiceError):
    pass


@dataclass
class InvalidDate(ServiceError):
    text: str


@dataclass
class BadParent(ServiceError):
    reason: str  # "unknown", "problem_has_no_parent", "wrong_parent_kind"
    expected: str | None = None


@dataclass
class InviteInvalid(ServiceError):
    reason: str  # "unknown", "used", "expired", "revoked"


@dataclass
class AlreadyBound(ServiceError):
    name: str


@dataclass
class UsageError(ServiceError):
    command: str  # which command's usage to show


@dataclass
class StaleButton(ServiceError):
    pass


@dataclass
class NotYours(ServiceError):
    pass


@dataclass
class GroupOnly(ServiceError):
    pass


@dataclass
class WrongChat(ServiceError):
    """Not in this chat: e.g. the 纪委's summary asked for in a unit group."""

    what: str  # "weekly", "export"


@dataclass
class BadSetting(ServiceError):
    """A reminder setting that cannot be used; the reason is already Chinese."""

    reason: str


@dataclass
class FutureDate(ServiceError):
    text: str


@dataclass
class CannotNow(ServiceError):
    """The item's present status does not allow that (a stale button, a double tap)."""

    reason: str  # a transitions.Refused value
    status: str  # the item's status now


@dataclass
class TextTooLong(ServiceError):
    what: str  # "note", "reason"
    length: int
    limit: int


@dataclass
class BadNewDue(ServiceError):
    """A 延期 to a date no later than the present due date."""

    text: str
    due: str


@dataclass
class NothingToNote(ServiceError):
    """A reply to a message that names no item this person may write on."""


@dataclass
class BadPlanDue(ServiceError):
    """A 整改方案 due after the 整改 itself."""

    plan_due: str
    due: str


@dataclass
class UnknownItem(ServiceError):
    code: str


@dataclass
class OutOfScope(ServiceError):
    """An item that exists but is not among those this person may see."""

    code: str


@dataclass
class TooBigToSend(ServiceError):
    """A file over what Telegram lets a bot send."""

    size: int
    limit: int


@dataclass
class CaseRefused(ServiceError):
    """A 问责 case that cannot be recorded or found as asked; the field it is about."""

    field: str  # situation, handling, finding, code, closed
    detail: str = ""


@dataclass
class LetterRefused(ServiceError):
    """A 责任书 or 对账 step that cannot be taken as asked; the field it is about
    (bot/domain/letters.py LetterProblem, and letter, line for what was not found)."""

    field: str
    detail: str = ""


@dataclass
class DelegationRefused(ServiceError):
    """A 分解 that cannot be made as asked, or a parent closed over open children; the
    field it is about (bot/domain/delegation.py DelegationProblem), words in
    messages/delegation.py."""

    field: str  # parent, owner, due, kind, cycle, children, code
    detail: str = ""
    code: str = ""  # the item concerned (or the code typed)


@dataclass
class HandoverRefused(ServiceError):
    """A 人员交接 that cannot be made as asked (bot/domain/handover.py): the two are one
    person, of different units, or what would move changed since the plan was shown;
    words in messages/handover.py."""

    problem: str  # same_person, wrong_unit, changed
    leaver: str = ""
    successor: str = ""
    leaver_unit: str = ""
    successor_unit: str = ""


def text_refused(what: str, text: str, refused: TextRefused) -> ServiceError:
    """The refusal of a cleaned text (bot/domain/text.py) for this kind of field: the
    long-standing ones for empty and too long, BadCharacters for what cannot be seen."""
    problem, length = refused.problem, refused.length or len(text.strip())
    if what in ("person", "unit") and problem in (TextProblem.EMPTY, TextProblem.TOO_LONG,
                                                  TextProblem.LINE_BREAK):
        return BadName(what, length)
    if problem is TextProblem.EMPTY:
        return EmptyText()
    if problem is TextProblem.TOO_LONG:
        if what in ("note", "reason"):
            return TextTooLong(what, length, refused.limit)
        return TitleTooLong(length, refused.limit)
    return BadCharacters(what, problem.value, refused.char)


@dataclass
class ExportFailed(ServiceError):
    """The 台账 could not be written: its child process ran out of "memory" or "time",
    or "died"."""

    reason: str


@dataclass
class ChannelRefused(ServiceError):
    """An office group robot that cannot be added, found or tested as asked; the texts are
    in messages/channels.py. Never carries a webhook or a secret."""

    reason: str  # each has its text in messages/channels.py channel_refused
    word: str = ""  # what was typed: a kind, a name (never a webhook or a secret)
    kind: str = ""  # the robot kind concerned (wecom, dingtalk, feishu)
    other: str = ""  # the channel already holding that webhook or that unit's primary
    known: list[str] = field(default_factory=list)  # the channels there are


@dataclass
class InspectionRefused(ServiceError):
    """A 监督检查, a 考核 result or a case's follow-up that cannot be recorded or found as
    asked; `field` names what to fix (texts in messages/inspections.py)."""

    # kind, point, point_missing, finding, finding_id, linked, no_head (监督检查); year,
    # grade, led_by, scope (考核); follow_up, follow_up_done (a case's follow-ups)
    field: str
    detail: str = ""


@dataclass
class BoardRefused(ServiceError):
    """A 看板 login link that cannot be given (issue 24 §3); texts in messages/board.py."""

    reason: str  # no_rights (no board for this person), no_url (DUTYBOT_BOARD_URL unset)
    name: str = ""  # whom the link was asked for (the console names someone)
