"""Template previews, run off the web process: in a pool of worker processes, bounded per staff member.

A preview renders a marketer's source with every sample (``templates.preview``). Even within its one-second
budget that is CPU work in Python; in the web process it would hold the event loop's GIL and the thread pool
that serves the APIs. So previews run in ``PREVIEW_WORKERS`` spawned processes; each staff member may have
one preview running at a time (another gets 429) and at most ``MAX_WAITING`` wait in all (then 503). A
worker that dies is replaced on the next preview.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import os
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from aiohttp import web

from templates import preview as template_preview

log = logging.getLogger(__name__)

PREVIEW_WORKERS = int(os.environ.get("PREVIEW_WORKERS", "1"))
MAX_WAITING = 4 * PREVIEW_WORKERS  # previews running or queued, for everyone
ANSWER_WITHIN = 10.0  # seconds: a worker is slower than this only if the machine is drowning


class PreviewRefused(Exception):
    """Not run now: ``status`` (429 yours is still running, 503 too many waiting) and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _warm() -> None:
    """Load the catalogue and compile the environment once per worker, not on its first preview."""
    template_preview.preview("tracking_number_problem", "web", "es", "{{ number }}")


_pool: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    """The process's preview workers, started on the first preview and shared by every app in the process."""
    global _pool
    if _pool is None:
        context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        _pool = ProcessPoolExecutor(PREVIEW_WORKERS, mp_context=context, initializer=_warm)
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool


def _discard(broken: ProcessPoolExecutor) -> None:
    global _pool
    if _pool is broken:
        _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


class Previews:
    """Whose previews are running, and the limits on them."""

    def __init__(self, max_waiting: int = MAX_WAITING) -> None:
        self.max_waiting = max_waiting
        self._running: Counter[int] = Counter()

    async def run(
        self,
        staff_id: int,
        message: str,
        channel: str,
        locale: str,
        source: str,
        sample: int = 0,
        variables: Mapping[str, Any] | None = None,
        extra_problems: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The preview (see ``templates.preview.preview``); raises PreviewRefused."""
        if self._running[staff_id]:
            raise PreviewRefused(429, "your previous preview is still running; this one was not started")
        if sum(self._running.values()) >= self.max_waiting:
            raise PreviewRefused(503, "previews are busy right now; try again in a moment")
        self._running[staff_id] += 1
        pool = None
        try:
            arguments = (message, channel, locale, source, sample, variables, extra_problems)
            pool = _executor()
            future = asyncio.get_running_loop().run_in_executor(pool, template_preview.preview, *arguments)
            return await asyncio.wait_for(future, ANSWER_WITHIN)
        except BrokenProcessPool:
            log.error("a preview worker stopped; new ones start with the next preview")
            if pool is not None:
                _discard(pool)
            raise PreviewRefused(503, "the preview stopped before it finished; try again") from None
        except TimeoutError:
            raise PreviewRefused(503, "the preview took too long; try again in a moment") from None
        finally:
            self._running[staff_id] -= 1
            if not self._running[staff_id]:
                del self._running[staff_id]


PREVIEWS = web.AppKey("console_previews", Previews)
