"""How long a sender must wait before its next message to one robot: sliding windows over
the times it sent (at most N in any T seconds), and the half hours Feishu asks us to avoid.

Pure: the send times come from the database (so a restart keeps them), `now` from the
clock. A token bucket would let a full bucket through at once and then some; a sliding
window never has more than N in any T, which is what the messengers count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

# Feishu asks senders to avoid the exact hour and half hour: each robot starts its pushes
# at its own moment within this many seconds after them.
SPREAD_SECONDS = 180


def window_wait(windows: Sequence[tuple[int, float]], sent: Sequence[datetime],
                now: datetime) -> float:
    """Seconds until one more message keeps every window (count, seconds) within its
    count; `sent` in ascending order."""
    wait = 0.0
    for count, seconds in windows:
        since = now - timedelta(seconds=seconds)
        inside = [t for t in sent if t > since]
        if len(inside) >= count:
            oldest_to_leave = inside[len(inside) - count]
            wait = max(wait, (oldest_to_leave - since).total_seconds())
    return wait


def spread_offset(robot_id: int) -> float:
    """This robot's own moment after the hour and the half hour, 20 s to 3 min."""
    return 20.0 + (robot_id * 47) % (SPREAD_SECONDS - 20)


def half_hour_wait(now: datetime, offset: float) -> float:
    """Seconds until `offset` after the latest :00 or :30, if that is still ahead."""
    into = (now.minute % 30) * 60 + now.second + now.microsecond / 1e6
    return max(0.0, offset - into)
