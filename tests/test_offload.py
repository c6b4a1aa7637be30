"""Heavy work in a child process (bot/offload.py): a job over its memory cap or its time is
stopped and said so, a child that dies is replaced, and nothing of it breaks later jobs.

The jobs are this module's functions: the child imports them by name. The offloaders here
preload nothing, so that their children start in a fraction of a second."""

from __future__ import annotations

import asyncio
import os
import pickle
import time

import pytest

from bot.offload import MiB, Offloader, OutOfMemory, OutOfTime, WorkerDied, shared


def pid() -> int:
    return os.getpid()


def niceness() -> int:
    return os.nice(0)


def hog(size: int) -> int:
    block = bytearray(size)
    return len(block)


def nap(seconds: float, mark: str | None = None) -> int:
    if mark is not None:
        with open(mark, "w", encoding="ascii") as out:
            out.write(str(os.getpid()))
    time.sleep(seconds)
    return os.getpid()


def die(code: int) -> None:
    os._exit(code)


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def refuse(reason: str) -> None:
    raise Refused(reason)


def alive(process_id: int) -> bool:
    try:
        os.kill(process_id, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        with open(f"/proc/{process_id}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@pytest.fixture
def offload():
    offloader = Offloader(workers=2, memory=64 * MiB, seconds=20, preload=())
    try:
        yield offloader
    finally:
        offloader.close()


async def test_a_job_runs_in_a_lower_priority_child_that_is_reused(offload):
    first = await offload.run(pid)
    assert first != os.getpid()
    assert await offload.run(pid) == first  # started once, reused
    assert await offload.run(niceness) == min(os.nice(0) + 10, 19)


async def test_a_job_over_its_memory_cap_is_refused_and_the_next_job_works(offload):
    child = await offload.run(pid)
    assert await offload.run(hog, 16 * MiB) == 16 * MiB  # within the cap
    with pytest.raises(OutOfMemory) as refused:
        await offload.run(hog, 512 * MiB)
    assert refused.value.limit == 64 * MiB and "64 MiB" in str(refused.value)
    # the child that ran out of memory is gone; the next job gets a fresh one
    assert not alive(child)
    assert await offload.run(hog, 16 * MiB) == 16 * MiB
    assert await offload.run(pid) != child
    # the cap is per job: one may be given more
    assert await offload.run(hog, 100 * MiB, memory=200 * MiB) == 100 * MiB


async def test_a_job_past_its_time_limit_is_killed_and_the_next_job_works(offload, tmp_path):
    mark = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(OutOfTime) as late:
        await offload.run(nap, 30, str(mark), seconds=0.5)
    assert time.monotonic() - started < 10
    assert late.value.seconds == 0.5
    assert not alive(int(mark.read_text()))
    assert await offload.run(nap, 0, None) != int(mark.read_text())


async def test_a_child_that_dies_is_replaced(offload):
    child = await offload.run(pid)
    with pytest.raises(WorkerDied) as died:
        await offload.run(die, 3)
    assert died.value.exitcode == 3
    assert not alive(child)
    assert await offload.run(hog, MiB) == MiB


async def test_what_the_job_raises_comes_back_as_itself_and_the_child_stays(offload):
    child = await offload.run(pid)
    with pytest.raises(Refused) as refused:
        await offload.run(refuse, "损坏")
    assert refused.value.reason == "损坏"
    assert "in refuse" in "\n".join(refused.value.__notes__)  # the child's traceback
    assert await offload.run(pid) == child


async def test_a_function_that_cannot_go_to_a_child_fails_at_once(offload):
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        await offload.run(lambda: 1)
    assert await offload.run(hog, 1) == 1


async def test_a_cancelled_job_stops_its_child(offload, tmp_path):
    mark = tmp_path / "pid"
    task = asyncio.create_task(offload.run(nap, 30, str(mark)))
    for _ in range(200):
        if mark.exists() and mark.read_text():
            break
        await asyncio.sleep(0.05)
    child = int(mark.read_text())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if not alive(child):
            break
        await asyncio.sleep(0.05)
    assert not alive(child)
    assert await offload.run(hog, 1) == 1


async def test_jobs_beyond_the_children_wait_their_turn(offload):
    pids = await asyncio.gather(*(offload.run(nap, 0.2) for _ in range(5)))
    assert len(set(pids)) <= 2  # two children at most, each reused


async def test_closing_stops_the_children():
    offloader = Offloader(workers=1, preload=())
    child = await offloader.run(pid)
    offloader.close()
    assert not alive(child)
    with pytest.raises(RuntimeError):
        await offloader.run(pid)


def test_the_process_shares_one_offloader():
    assert shared() is shared()
