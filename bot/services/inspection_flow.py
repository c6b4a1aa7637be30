"""登记监督检查 in chat (the 纪委), guided: the unit, the kind, the date, then what was found
on each of the four points (a button for 无问题, or a finding typed)."""

from __future__ import annotations

from typing import Any, ClassVar

from bot.domain.display import clip
from bot.domain.inspections import (
    FINDING_MAX,
    KIND_WORDS,
    NO_PROBLEM,
    POINT_WORDS,
    can_record_inspections,
)
from bot.domain.model import Actor
from bot.domain.text import TextRefused, clean_note
from bot.services.errors import text_refused
from bot.services.flows import FlowSpec, FlowState, Step, StepKind
from bot.services.inspections import InspectionDraft, InspectionService, past_date
from bot.services.people import resolve_unit
from storage.db import Tx

POINT_STEPS = {point: f"point_{point.value}" for point in POINT_WORDS}


class InspectionRecordFlow(FlowSpec):
    name = "inspection_record"
    action = "record_inspection"
    steps: ClassVar[tuple[Step, ...]] = (
        Step("unit", StepKind.CHOICE),
        Step("kind", StepKind.CHOICE),
        Step("inspected_on", StepKind.TEXT),
        *(Step(key, StepKind.CHOICE) for key in POINT_STEPS.values()),
    )

    def __init__(self, inspections: InspectionService) -> None:
        self.inspections = inspections

    def allowed(self, actor: Actor) -> bool:
        return can_record_inspections(actor)

    async def options(self, tx: Tx, step: Step, state: FlowState) -> list[list[str]]:
        if step.key == "unit":
            return [[u.name, u.name] for u in (await tx.units.all()).values()]
        if step.key == "kind":
            return [[word, word] for word in KIND_WORDS.values()]
        if step.key in POINT_STEPS.values():
            return [[NO_PROBLEM, NO_PROBLEM]]
        return []

    async def parse_text(self, tx: Tx, step: Step, text: str,
                         state: FlowState) -> tuple[Any, str]:
        if step.key == "unit":
            unit = await resolve_unit(tx, text)
            return unit.name, unit.name
        if step.key == "inspected_on":
            day = past_date(text, self.inspections.today())
            return day.isoformat(), day.isoformat()
        if step.key in POINT_STEPS.values():
            if text.strip() == NO_PROBLEM:
                return NO_PROBLEM, NO_PROBLEM
            try:
                finding = clean_note(text, FINDING_MAX)
            except TextRefused as refused:
                raise text_refused("note", text, refused) from None
            return finding, clip(finding, 30)
        return await super().parse_text(tx, step, text, state)

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        a = state.answers
        answers = {point.value: a[key] for point, key in POINT_STEPS.items()}
        return await self.inspections.record_in(tx, actor, InspectionDraft(
            held_on=a["inspected_on"], unit=a["unit"], kind=a["kind"], answers=answers))

