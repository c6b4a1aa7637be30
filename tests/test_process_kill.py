"""SPEC §9 under kill -9: `dutybot run` killed (SIGKILL) at a few points of a stream of
commands and taps over the fake Bot API on 127.0.0.1, restarted each time; then counted.
The full sweep (many more kill points) is bench/kill_sweep.py."""

from __future__ import annotations

from pathlib import Path

from tests.kill_sweep import sweep


def test_killed_at_any_point_nothing_is_lost_or_applied_twice(tmp_path: Path) -> None:
    tally = sweep(tmp_path, kills=6, users=3, units=6, seed=20)
    assert tally.kills >= 4, tally.line()  # the rest may fall after the stream ended
    assert not tally.changes_lost and not tally.changes_duplicated, tally
    assert not tally.answers_lost and not tally.answers_over_allowed, tally
