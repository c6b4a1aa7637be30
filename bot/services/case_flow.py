"""登记问责案件 in chat (the 纪委, private chat only): whom it concerns, the 追责情形,
whether it is a 违纪违法 case (一案双查), the 处理 if decided, what was found."""

from __future__ import annotations

from typing import Any, ClassVar

from bot.domain.cases import can_record_cases
from bot.domain.display import clip
from bot.domain.model import Actor
from bot.services.cases import CaseDraft, CaseService
from bot.services.errors import UnknownTerm
from bot.services.flows import FlowSpec, FlowState, Step, StepKind
from bot.services.people import resolve_person
from storage.db import Tx

YES, NO = "1", "0"
SITUATION_LABEL = 24  # characters of a 情形's words on its button


class CaseRecordFlow(FlowSpec):
    name = "case_record"
    action = "record_case"
    steps: ClassVar[tuple[Step, ...]] = (
        Step("concerned", StepKind.CHOICE),
        Step("situation", StepKind.CHOICE),
        Step("misconduct", StepKind.CHOICE),
        Step("handling", StepKind.CHOICE, optional=True),
        Step("finding", StepKind.TEXT),
    )

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    def allowed(self, actor: Actor) -> bool:
        return can_record_cases(actor)

    async def options(self, tx: Tx, step: Step, state: FlowState) -> list[list[str]]:
        rules = self.cases.rules
        if step.key == "concerned":
            units = await tx.units.all()
            return [[f"{p.name}@{units[p.unit_id].name}", f"{p.name}（{units[p.unit_id].name}）"]
                    for p in (await tx.persons.all()).values()]
        if step.key == "situation":
            return [[s.code, f"{s.code}. {_short(s.text)}"] for s in rules.situations.values()]
        if step.key == "misconduct":
            return [[YES, "是，违纪违法（一案双查）"], [NO, "否"]]
        if step.key == "handling":
            return [[h, h] for h in rules.handlings]
        return []

    async def parse_text(self, tx: Tx, step: Step, text: str,
                         state: FlowState) -> tuple[Any, str]:
        if step.key == "concerned":
            person = await resolve_person(tx, text)
            unit = (await tx.units.all())[person.unit_id]
            return f"{person.name}@{unit.name}", f"{person.name}（{unit.name}）"
        if step.key == "situation":
            word = text.strip().rstrip(".．、")
            for value, label in state.options:
                if word in (value, label):
                    return value, label
            raise UnknownTerm(word, [v for v, _ in state.options])
        if step.key == "finding":
            return text, clip(text.strip(), 30)
        return await super().parse_text(tx, step, text, state)

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        a = state.answers
        return await self.cases.record_in(tx, actor, CaseDraft(
            person=a["concerned"], situation=a["situation"], finding=a["finding"],
            handling=a.get("handling"), misconduct=a["misconduct"] == YES))


def _short(text: str) -> str:
    return clip(text, SITUATION_LABEL)
