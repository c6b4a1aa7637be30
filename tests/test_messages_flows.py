"""Every step of every guided flow has its question: a missing text fails here, not at run time."""

from __future__ import annotations

from bot.services.flows import FlowSpec
from messages.flows import question_keys


def test_every_flow_step_has_a_question():
    specs = FlowSpec.__subclasses__()
    assert {s.name for s in specs} >= {"register", "new_item", "bind_group"}
    wanted = {(spec.name, step.key) for spec in specs for step in spec.steps}
    assert wanted <= question_keys(), wanted - question_keys()
