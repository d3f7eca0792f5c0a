"""`hokoku serve --workers N`: N processes take requests on one socket (PostgreSQL only).

uvicorn's supervisor binds the socket once, spawns N worker processes that each call
`worker_app` (an app factory, so each builds its own engine, pool and platform clients
after it starts), restarts a worker that dies, and stops them all on SIGTERM/SIGINT. The
kernel hands each new connection to one worker.

Every worker starts a scheduler unless `--no-scheduler`; only one of them ticks, the holder
of the leader lock (scheduler.leader), which also elects one among several machines
(replicas) on one PostgreSQL. What a worker needs to know besides the settings travels in
one environment variable, set by the parent for its children.

Workers need one signing key for the web console (HOKOKU_SECRET_KEY): the parent refuses
to start without it (bot.cli.serve), since each worker would otherwise make its own and
refuse the others' cookies.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from starlette.applications import Starlette

WORKER_ENV = "HOKOKU_SERVE_WORKER"


@dataclass(frozen=True)
class WorkerOptions:
    """What `hokoku serve` tells its workers beyond the settings (which they load themselves)."""

    scheduler: bool = True

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, value: str | None) -> WorkerOptions:
        return cls(**json.loads(value)) if value else cls()


def worker_app() -> Starlette:
    """The app of one worker process (uvicorn calls it, `factory=True`, in each worker)."""
    from bot.logs import configure_logging
    from bot.runtime import open_runtime
    from bot.scheduler_service import SchedulerService
    from bot.server import BackgroundService, build_app, configure_platforms
    from bot.settings import load_settings

    options = WorkerOptions.from_env(os.environ.get(WORKER_ENV))
    settings = load_settings()
    configure_logging(settings)
    # The parent brought the schema up to date and checked the settings before it spawned us.
    runtime = open_runtime(settings, migrate=False, serving=True)
    platforms = configure_platforms(settings, runtime)
    services: list[BackgroundService] = [SchedulerService(runtime)] if options.scheduler else []
    return build_app(settings, runtime, platforms=platforms, extra_services=services)
