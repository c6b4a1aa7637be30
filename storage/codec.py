"""How domain values are stored: dates and times as ISO text, data as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any


def to_text(value: datetime | date) -> str:
    return value.isoformat()


def to_datetime(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


to_date: Callable[[str], date] = date.fromisoformat  # itself: a page reads dozens of dates


# Made once: json.dumps with options builds an encoder on every call (a plan writes tens of
# thousands of events and digests in one go).
_SORTED = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)
_IN_ORDER = json.JSONEncoder(ensure_ascii=False, sort_keys=False, default=str)


def to_json(data: dict[str, Any], *, keep_order: bool = False) -> str:
    return (_IN_ORDER if keep_order else _SORTED).encode(data)


def from_json(text: str) -> dict[str, Any]:
    return json.loads(text)
