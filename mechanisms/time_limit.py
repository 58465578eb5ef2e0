"""A wall-clock limit on single calls, enforced with ``SIGALRM`` (POSIX, main thread only).

::

    with TimeLimit(5.0) as limit:
        result = limit.call(function, *args)   # raises TimeLimitExceeded after 5 s

Entering installs a ``SIGALRM`` handler; each :meth:`TimeLimit.call` arms a one-shot
``ITIMER_REAL`` timer and disarms it on return; leaving restores the previous handler.
The handler raises :class:`TimeLimitExceeded`, a ``BaseException``, so a callee's
``except Exception`` cannot swallow it; a callee that catches even that is still
reported, because the expiry is recorded before the exception is raised.

The limit is off (calls run unlimited) where a signal timer cannot be used safely:
outside the main thread, on a platform without ``setitimer``, or while another timer
(e.g. ``pytest-timeout``'s) is already armed, which this would otherwise replace.
Python code and interruptible waits (``time.sleep``, lock waits) are stopped; a long
call inside C code that never returns to the interpreter is stopped only when it does.
"""

from __future__ import annotations

import math
import signal
import threading


class TimeLimitExceeded(BaseException):
    """A call ran past its limit (a ``BaseException``, like ``KeyboardInterrupt``)."""


class TimeLimit:
    """Limit each :meth:`call` made inside the ``with`` block to ``seconds`` (``None``: no limit).

    ``enforced`` tells, inside the block, whether the limit is actually applied.
    """

    def __init__(self, seconds: float | None):
        if seconds is not None and not 0 < seconds < math.inf:
            raise ValueError(
                f"timeout: must be a finite number of seconds > 0 or None, got {seconds!r}"
            )
        self.seconds = seconds
        self.enforced = False
        self._previous = None
        self._expired = False

    def __enter__(self) -> TimeLimit:
        self.enforced = (
            self.seconds is not None
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0
        )
        if self.enforced:
            self._previous = signal.signal(signal.SIGALRM, self._expire)
        return self

    def __exit__(self, *exc_info) -> None:
        if self.enforced:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self.enforced = False

    def call(self, function, *args):
        """``function(*args)``, raising :class:`TimeLimitExceeded` once the limit has passed."""
        if not self.enforced:
            return function(*args)
        self._expired = False
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        try:
            result = function(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if self._expired:
            raise TimeLimitExceeded(f"call did not return within {self.seconds:g} s")
        return result

    def _expire(self, signum, frame) -> None:
        self._expired = True
        raise TimeLimitExceeded(f"call did not return within {self.seconds:g} s")
