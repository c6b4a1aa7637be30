"""bot/offload.py where it is hard: a parent killed -9, a child gone while idle, and a
result that cannot travel back (each was a bug found in review). The jobs are this module's (or tests/test_offload.py's)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.offload import MiB, Offloader, WorkerDied
from tests.test_offload import alive, pid

ROOT = Path(__file__).resolve().parent.parent


def spin(mark: str) -> None:
    """A job that never ends by itself (a parse stuck in a loop)."""
    with open(mark, "w", encoding="ascii") as out:
        out.write(str(os.getpid()))
    while True:
        pass


def unpicklable() -> object:
    return lambda: None


@pytest.fixture
def offload():
    offloader = Offloader(workers=1, memory=64 * MiB, seconds=20, preload=())
    try:
        yield offloader
    finally:
        offloader.close()


def test_a_busy_child_does_not_outlive_a_parent_killed_9(tmp_path):
    """The bot killed -9 while a child runs a job: nothing waits for that job any more,
    and its time limit was the parent's to enforce, so the child must go too."""
    mark = tmp_path / "child.pid"
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(f"""
        import asyncio, sys
        sys.path.insert(0, {str(ROOT)!r})
        from bot.offload import Offloader
        from tests.test_offload_failures import spin

        async def main():
            await Offloader(workers=1, preload=(), seconds=600).run(spin, {str(mark)!r})

        if __name__ == "__main__":
            asyncio.run(main())
    """))
    parent = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path)
    child = None
    try:
        deadline = time.monotonic() + 60
        while not (mark.exists() and mark.read_text()):
            assert time.monotonic() < deadline and parent.poll() is None
            time.sleep(0.05)
        child = int(mark.read_text())
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        time.sleep(2)
        assert not alive(child), f"child {child} still running after its parent was killed -9"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if child is not None and alive(child):
            os.kill(child, signal.SIGKILL)


async def test_a_child_that_died_while_idle_does_not_fail_the_next_job(offload):
    """A child killed while idle (the OOM killer, an operator) is found dead only when the
    next job is sent to it: that job, which did nothing wrong, must not fail for it (an
    import would be refused as a corrupt file)."""
    first = await offload.run(pid)
    os.kill(first, signal.SIGKILL)
    time.sleep(0.2)
    second = await offload.run(pid)  # raises WorkerDied today
    assert second != first


async def test_a_result_that_cannot_be_pickled_comes_back_as_an_error_not_a_dead_child(offload):
    """The job ran; only its result could not travel. Today the child dies of the pickling
    error and the caller is told WorkerDied (exit code 1): the error's type and text are lost."""
    first = await offload.run(pid)
    try:
        await offload.run(unpicklable)
    except WorkerDied as exc:
        pytest.fail(f"the pickling error was lost: {exc!r}")
    except Exception as exc:  # what pickle said, with its text
        assert "pickle" in f"{type(exc).__name__} {exc}".lower()
    assert await offload.run(pid) == first  # and the child stays
