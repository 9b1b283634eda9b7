"""Ctrl-C and SIGTERM as requests to stop after the current step, not mid-step."""
from __future__ import annotations

import signal
import threading


class StopRequests:
    """Within ``with``: SIGINT (Ctrl-C) and SIGTERM (schedulers, preemption) set ``signal`` to
    the signal received instead of stopping the process (main thread only; elsewhere the
    signals keep their handlers)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.signal = 0
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def _handle(self, signum, frame):
        self.signal = signum

    def __exit__(self, *exc):
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
