"""The notifier's health endpoint: ``GET /health`` on ``--health-port`` or ``NOTIFIER_HEALTH_PORT`` (on
127.0.0.1 unless ``NOTIFIER_HEALTH_HOST`` says otherwise).

The notifier takes no traffic, so nothing routes to it: this is for the process manager, Kubernetes'
probes and the tests. It answers 200 while passes end well, and 503 with the reason once the last pass
failed (the database is down, say) or no pass has ended for three intervals (a pass stuck somewhere).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from aiohttp import web

STALL_GRACE_SECONDS = 60.0  # beyond three intervals, before a pass that has not ended counts as stuck


@dataclass
class Health:
    every: float
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    passes: int = 0
    failure: str | None = None

    def passed(self) -> None:
        self.ended, self.failure = time.monotonic(), None
        self.passes += 1

    def failed(self, error: BaseException) -> None:
        self.ended = time.monotonic()
        first_line = (str(error).splitlines() or [""])[0]
        self.failure = f"the last pass failed: {type(error).__name__}: {first_line}"[:300]

    def report(self) -> tuple[int, dict[str, object]]:
        quiet = time.monotonic() - (self.ended or self.started)
        if self.failure is not None:
            return 503, {"status": "failing", "reason": self.failure, "passes": self.passes}
        if quiet > 3 * self.every + STALL_GRACE_SECONDS:
            return 503, {"status": "stalled", "reason": f"no pass has ended for {quiet:.0f} s", "passes": self.passes}
        status = "ok" if self.passes else "starting"
        return 200, {"status": status, "passes": self.passes, "quiet_seconds": round(quiet)}


async def start_health_server(health: Health, port: int | None) -> web.AppRunner | None:
    """Serve ``/health`` on ``port`` if there is one; the runner to clean up, or None."""
    if not port:
        return None

    async def answer(_request: web.Request) -> web.Response:
        status, body = health.report()
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_get("/health", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, os.environ.get("NOTIFIER_HEALTH_HOST", "127.0.0.1"), port).start()
    return runner
