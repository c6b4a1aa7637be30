"""The README's examples work as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.rules import load_rules

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_rules_file_example_loads(tmp_path):
    example = re.search(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    path = tmp_path / "rules.toml"
    path.write_text(example.group(1), encoding="utf-8")
    rules = load_rules(path)
    assert rules.policy.lead_days == (5, 1, 0)
    assert "typical_cases_bimonthly" not in {r.key for r in rules.obligations}
    assert 2027 in rules.calendar
    assert rules.body.head == "纪工委书记"


@pytest.mark.parametrize("command", sorted(set(re.findall(
    r"dutybot (\w[\w-]*)", README.read_text(encoding="utf-8")))))
def test_every_dutybot_command_it_names_exists(command, capsys):
    assert main([command, "--help"]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith(f"用法：dutybot {command}")
