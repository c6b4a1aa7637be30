"""/交接 in a private chat (admins): who leaves, who takes over, the dry run, one
"确认交接" button. The flow lives in the `conversations` table like every guided flow
(bot/services/flows.py); every answer re-checks the sender's rights, and the plan is made
afresh when confirmed — if what would move changed since it was shown, nothing moves."""

from __future__ import annotations

from typing import Any, ClassVar

from bot.domain import permissions
from bot.domain.model import Actor
from bot.services.errors import CannotNow, HandoverRefused
from bot.services.flows import FlowSpec, FlowState, Step, StepKind
from bot.services.handover import HandoverService, HandoverView, active_person, preview
from storage.db import Tx

CONFIRM = "yes"


def person_value(view: HandoverView, leaver: bool) -> tuple[str, str]:
    """(what the flow keeps, how it reads) for one of the two people of a plan."""
    person = view.plan.leaver if leaver else view.plan.successor
    unit = view.units[person.unit_id].name
    return f"{person.name}@{unit}", f"{person.name}（{unit}）"


def preset(view: HandoverView) -> tuple[dict[str, Any], dict[str, str]]:
    """`/交接 旧姓名 新姓名`: both people answered in advance (the flow asks only to
    confirm)."""
    leaver, leaver_label = person_value(view, True)
    successor, successor_label = person_value(view, False)
    return ({"leaver": leaver, "successor": successor},
            {"leaver": leaver_label, "successor": successor_label})


class HandoverFlow(FlowSpec):
    name = "handover"
    action = "handover"
    steps: ClassVar[tuple[Step, ...]] = (
        Step("leaver", StepKind.CHOICE),
        Step("successor", StepKind.CHOICE),
        Step("confirm", StepKind.CHOICE),
    )

    def __init__(self, handover: HandoverService) -> None:
        self.handover = handover

    def allowed(self, actor: Actor) -> bool:
        return permissions.is_admin(actor)

    async def options(self, tx: Tx, step: Step, state: FlowState) -> list[list[str]]:
        units = await tx.units.all()
        people = list((await tx.persons.all()).values())
        if step.key == "leaver":
            return [[f"{p.name}@{units[p.unit_id].name}", f"{p.name}（{units[p.unit_id].name}）"]
                    for p in people]
        if step.key == "successor":
            leaver = state.answers["leaver"]
            unit = leaver.rpartition("@")[2]
            return [[f"{p.name}@{unit}", p.name] for p in people
                    if units[p.unit_id].name == unit and f"{p.name}@{unit}" != leaver]
        if step.key == "confirm":
            view = await self.handover.plan_in(tx, state.answers["leaver"],
                                               state.answers["successor"])
            state.answers["preview"] = preview(view)
            state.answers["fingerprint"] = view.plan.fingerprint()
            return [[CONFIRM, "确认交接"]]
        return []

    async def parse_text(self, tx: Tx, step: Step, text: str,
                         state: FlowState) -> tuple[Any, str]:
        if step.key in ("leaver", "successor"):
            if step.key == "leaver":
                person = await active_person(tx, text)
                unit = (await tx.units.all())[person.unit_id].name
                return f"{person.name}@{unit}", f"{person.name}（{unit}）"
            # the successor: the plan's rules now (same person, unit), not at the end
            view = await self.handover.plan_in(tx, state.answers["leaver"], text)
            return person_value(view, False)
        return await super().parse_text(tx, step, text, state)

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        a = state.answers
        try:
            return await self.handover.apply_in(tx, actor, a["leaver"], a["successor"],
                                                expected=a.get("fingerprint"))
        except HandoverRefused as refused:
            if refused.problem == "changed":
                raise CannotNow("handover_changed", "") from None
            raise
