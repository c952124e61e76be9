"""The command line's progress bars: tqdm, on stderr (stdout stays for results and JSON)."""

from __future__ import annotations

import os
import sys
from typing import Any

from tqdm import tqdm

__all__ = ["Bar", "progress_bar"]

# Off a terminal (a pipe, a log file, CI) the bar is still drawn, so logs show the work
# advancing, but in ASCII and at most this often (plus the start and the end), so a long run
# adds a few dozen updates to the log, not thousands.
_LOG_INTERVAL_S = 10.0


class Bar(tqdm):
    """tqdm, plus :meth:`note`: say what is running now without advancing."""

    _live = False  # on a terminal: notes are drawn at once
    monitor_interval = 0  # no tqdm monitor thread: it would wake during timed fills

    def note(self, label: str) -> None:
        """Show `label` next to the bar (at once on a terminal; off one, with the next update
        drawn, so logs are not flooded)."""
        self.set_postfix_str(label, refresh=self._live)


def progress_bar(total: int, desc: str, *, enabled: bool = True, **kwargs: Any) -> Bar:
    """A tqdm bar of `total` units on stderr; ``enabled=False``: a bar that draws nothing.
    Other keyword arguments go to tqdm (``unit="B", unit_scale=True`` for bytes)."""
    stream = sys.stderr
    tty = bool(getattr(stream, "isatty", lambda: False)())
    sized = False  # a terminal that reports its size: the bar follows its width
    if tty:  # one that reports 0 x 0 (a bare pty, e.g. under `script`): 80 x 24, as tqdm
        try:  # would otherwise hide the bar
            sized = min(os.get_terminal_size(stream.fileno())) > 0
        except (AttributeError, OSError, ValueError):
            pass
    bar = Bar(
        total=total,
        desc=desc,
        file=stream,
        disable=not enabled,
        leave=True,
        dynamic_ncols=sized,
        ncols=80 if tty and not sized else None,
        nrows=24 if tty and not sized else None,
        ascii=None if tty else True,
        mininterval=0.1 if tty else _LOG_INTERVAL_S,
        **kwargs,
    )
    bar._live = tty
    return bar
