"""The system's chromium, for the pictures `dutybot demo` takes of the web pages (the
sandbox, the 看板) and for the browser tests: where it is, and how it is started on a
machine with no network of its own."""

from __future__ import annotations

import os
import shutil

# what a closed network needs: no background calls home, no QUIC, no first-run pages
CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)


def chromium_path() -> str | None:
    """The system chromium, or where DUTYBOT_CHROMIUM says."""
    named = os.environ.get("DUTYBOT_CHROMIUM")
    if named:
        return named if os.path.exists(named) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")
