"""Progress bars for the console's long work (import, export, copy-db, backup): drawn by
rich on a terminal only, and nothing at all when the output goes to a file, a pipe or a
test. The work below the console reports through a plain `progress(done, total)` callback
and never imports rich."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Progress = Callable[[int, int], None]


def wants_bar(stream: TextIO | None = None) -> bool:
    """A bar only where a person watches: the error stream is a terminal (the results on
    stdout stay clean for a pipe either way)."""
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or no real file behind it
        return False


@contextmanager
def progress_bar(label: str, stream: TextIO | None = None) -> Iterator[Progress | None]:
    """`with progress_bar("导入") as progress:` — a callback for the work, or None (no
    terminal: the work skips its reports). The bar is cleared when the work ends."""
    if not wants_bar(stream):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import (
        Progress as Bar,
    )

    console = Console(file=sys.stderr if stream is None else stream)
    with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
             TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, 1))

        yield report
