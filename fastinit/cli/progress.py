"""A small text progress bar for long-running work (no dependencies)."""

from __future__ import annotations

import sys
import time
from typing import IO


class Progress:
    """``with Progress(total, "bench") as bar: ... bar.advance(label)``.

    Draws on `stream` (stderr by default) with a carriage return when it is a terminal, and
    one line per step otherwise, so logs stay readable. ``enabled=False`` draws nothing.
    """

    def __init__(self, total: int, title: str, stream: IO[str] | None = None,
                 enabled: bool = True, width: int = 28) -> None:
        self.total = max(int(total), 1)
        self.title = title
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.width = width
        self.done = 0
        self.start = time.perf_counter()
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __enter__(self) -> "Progress":
        self._draw("")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled and self._tty:
            self.stream.write("\n")
            self.stream.flush()

    def advance(self, label: str = "") -> None:
        """One step done; `label` says which."""
        self.done = min(self.done + 1, self.total)
        self._draw(label)

    def note(self, label: str) -> None:
        """Say what is running now, without advancing."""
        self._draw(label)

    def _draw(self, label: str) -> None:
        if not self.enabled:
            return
        filled = self.width * self.done // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        line = f"{self.title} [{bar}] {self.done}/{self.total} {elapsed:6.1f}s {label}"
        if self._tty:
            self.stream.write("\r" + line[:120].ljust(120))
        elif label or self.done == 0:
            self.stream.write(line + "\n")
        self.stream.flush()
