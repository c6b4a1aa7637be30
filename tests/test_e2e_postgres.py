"""End to end on PostgreSQL (issue 23 §2): the real Application and the fake Bot API, the
services opened on a throwaway PostgreSQL database instead of the SQLite file. People are
registered and bound, an item is made through the guided /新建 flow, the clock travels and
reminders are planned and sent, taps, reports, 延期, talks, 问责, 监督检查, 责任传导, a workbook import
and the weekly summary — some of the SQLite suite's own tests, run again here with
`DUTYBOT_DATABASE_URL` set (tests/postgres_cluster.py: skipped loudly without PostgreSQL,
failed in CI)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import Settings, load_settings
from tests.conftest import ADMIN_ID, snapshot

# the SQLite suite's own tests, collected again here, on PostgreSQL (F401: used by pytest)
from tests.test_cases import (  # noqa: F401
    recorded,
    test_recording_a_misconduct_case_opens_both_reviews,
)
from tests.test_decisions import test_a_rectification_waiting_for_its_acceptance  # noqa: F401
from tests.test_delegation import (  # noqa: F401
    handed,
    test_a_parent_is_not_done_while_a_child_is_open_unless_overridden,
    test_handing_down_makes_ordinary_items_of_the_owners_one_level_below,
)
from tests.test_e2e_import import (  # noqa: F401
    test_a_changed_row_is_updated_and_said_so,
    test_an_uploaded_workbook_is_imported_and_its_people_can_bind,
    test_bad_rows_are_listed_by_sheet_row_and_column_and_nothing_changes,
)
from tests.test_e2e_reminders import (  # noqa: F401
    test_a_fortnight_of_reminders,
    test_after_downtime_the_plan_catches_up_once,
    test_nothing_on_weekends_or_twice_a_day,
)
from tests.test_e2e_replies import (  # noqa: F401
    test_an_extension_approved_moves_the_due_date_and_replans,
    test_report_in_three_steps,
    test_status_taps_edit_the_digest_in_place,
)
from tests.test_e2e_summary import (  # noqa: F401
    test_finishing_on_time_raises_the_rate,
    test_weekly_on_demand_counts_each_number,
)
from tests.test_e2e_talks import test_recording_a_required_talk_closes_it  # noqa: F401
from tests.test_inspections import (  # noqa: F401
    test_the_discipline_body_records_an_inspection_and_turns_a_finding_into_a_fix,
)
from tests.travel import at


@pytest.fixture
def settings(tmp_path, monkeypatch, pg_migrated_url) -> Settings:
    monkeypatch.chdir(tmp_path)  # no stray .env
    return load_settings(DUTYBOT_DB_PATH=tmp_path / "unused.db", DUTYBOT_DATABASE_URL=pg_migrated_url,
                         DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                         TELEGRAM_API_BASE_URL="https://api.telegram.org")


async def test_the_bot_runs_on_postgresql_and_never_touches_the_sqlite_file(
        bot, api, org, clock, world, settings):
    assert bot.app.bot_data.services.db.engine == "postgresql"
    units, people, items, events = await snapshot(bot)
    assert (units, people, items) == (5, 5, 2) and events > 0
    # the owner's reminder of the item made above goes out at 09:00
    clock.set(at(date(2026, 11, 23)))
    await bot.tick()
    digest = api.last(org.users["周支书"].id)
    assert "今日提醒" in digest.plain and world["a"] in digest.plain
    assert not settings.db_path.exists()

