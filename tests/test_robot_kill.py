"""Pushes to office group robots under kill -9: `dutybot run` killed (SIGKILL) at a few
robot requests while three robots (two 企业微信, one 钉钉 with 加签 and a keyword) are
sent to at the edge of their rate windows, restarted each time; then counted from what
the fake robots took. The full sweep is bench/robot_kill_sweep.py."""

from __future__ import annotations

from pathlib import Path

from tests.robot_kill_sweep import sweep


def test_killed_while_pushing_to_robots_nothing_is_lost_or_rejected(tmp_path: Path) -> None:
    tally = sweep(tmp_path, kills=6, per_robot=10, seed=7, deadline=50)
    assert tally.kills >= 4, tally.line()  # the rest may fall after everything went
    assert not tally.crashes and not tally.unfinished, tally
    assert not tally.lost, tally
    assert not tally.rejected, tally  # never one too many inside a window
    assert not tally.over_allowed, tally  # a part again only for a kill while in flight
