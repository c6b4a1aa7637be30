"""How domain values are stored: dates and times as ISO text, data as JSON."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any


def to_text(value: datetime | date) -> str:
    return value.isoformat()


def to_datetime(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def to_date(text: str) -> date:
    return date.fromisoformat(text)


def to_json(data: dict[str, Any], *, keep_order: bool = False) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=not keep_order, default=str)


def from_json(text: str) -> dict[str, Any]:
    return json.loads(text)
