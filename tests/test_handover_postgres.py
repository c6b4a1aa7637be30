"""人员交接 end to end on PostgreSQL (issue 23 §2): some of tests/test_handover.py run again
with `DUTYBOT_DATABASE_URL` set (tests/postgres_cluster.py: skipped loudly without
PostgreSQL, failed in CI)."""

from __future__ import annotations

import pytest

from bot.config import Settings, load_settings
from tests.conftest import ADMIN_ID

# tests/test_handover.py's own tests, collected again here (F401: used by pytest)
from tests.test_handover import (  # noqa: F401
    desk,
    test_a_failure_half_way_changes_nothing,
    test_admin_hands_over_by_buttons_and_both_are_told,
    test_the_handover_moves_everything_in_one_step_each_move_an_event,
)


@pytest.fixture
def settings(tmp_path, monkeypatch, pg_migrated_url) -> Settings:
    monkeypatch.chdir(tmp_path)  # no stray .env
    return load_settings(DUTYBOT_DB_PATH=tmp_path / "unused.db",
                         DUTYBOT_DATABASE_URL=pg_migrated_url,
                         DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                         TELEGRAM_API_BASE_URL="https://api.telegram.org")
