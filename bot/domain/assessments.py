"""检查考核 (004, 002 §(10)): the yearly assessment of each 下级党组织, led by a 班子成员,
its result recorded by the 党委. The bot records results; it does not invent a score (the
figures it shows beside a result are figures, not a grade).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.model import Actor, Person, Role, Unit
from bot.domain.permissions import DISCIPLINE_ROLES, descendants

DEFAULT_GRADES = ("好", "较好", "一般", "差")
REMARKS_MAX = 500
YEAR_MIN, YEAR_MAX = 2000, 2100


@dataclass(frozen=True, slots=True)
class Assessment:
    id: int
    year: int
    unit_id: int
    led_by: int | None  # the 班子成员 who led it
    grade: str
    remarks: str


class AssessmentProblem(ValueError):
    """What cannot be recorded as given: `field` names what to fix, `detail` the word."""

    def __init__(self, field: str, detail: str = "") -> None:
        super().__init__(f"{field}: {detail}" if detail else field)
        self.field = field
        self.detail = detail


def parse_year(text: str) -> int:
    text = text.strip().removesuffix("年")
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise AssessmentProblem("year", text[:12])
    year = int(text)
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise AssessmentProblem("year", text)
    return year


def check_grade(grade: str, grades: tuple[str, ...]) -> None:
    if grade not in grades:
        raise AssessmentProblem("grade", grade)


def can_record_assessments(actor: Actor) -> bool:
    """Only the 党委 (its 书记, or the office acting for it) records 考核 results."""
    return bool(actor.roles & {Role.SECRETARY, Role.ADMIN})


def can_see_assessments(actor: Actor) -> bool:
    return bool(actor.roles & ({Role.SECRETARY, Role.ADMIN, Role.MEMBER} | DISCIPLINE_ROLES))


def can_see_assessment(actor: Actor, unit_id: int, units: Mapping[int, Unit]) -> bool:
    """The 党委 and the 纪委 see every unit's; a 班子成员, those of their 分管 units (and
    below) only; nobody else."""
    if actor.roles & ({Role.SECRETARY, Role.ADMIN} | DISCIPLINE_ROLES):
        return True
    person = actor.person
    if person is not None and Role.MEMBER in person.roles and person.oversees:
        return unit_id in descendants(person.oversees, units)
    return False


def leader_of(unit_id: int, people: Mapping[int, Person],
              units: Mapping[int, Unit]) -> Person | None:
    """The 班子成员 who 分管 the unit (or a level above it): who leads its 考核 unless
    another is named."""
    for person in sorted(people.values(), key=lambda p: p.id):
        if Role.MEMBER in person.roles and person.oversees and \
                unit_id in descendants(person.oversees, units):
            return person
    return None
