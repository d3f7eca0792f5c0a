"""`hokoku serve`: the bot's HTTP server (uvicorn) for every configured platform."""

from __future__ import annotations

import os

import typer

from bot.cli.common import error_text, fail, runtime, settings, words
from bot.cli.texts import H
from bot.settings import Settings
from handlers.errors import HokokuError

app = typer.Typer(help=H("cli.serve.app"))


def refuse_workers(current: Settings, *, workers: int, socket_mode: bool) -> None:
    """Several worker processes need PostgreSQL, one signing key and Slack over HTTP."""
    t = words()
    if current.database_url.startswith("sqlite"):
        fail(t("cli.serve.workers_sqlite", workers=workers))
    if current.secret_key is None:
        fail(t("cli.serve.workers_secret", workers=workers))
    if socket_mode or current.slack_app_token is not None:
        fail(t("cli.serve.workers_socket_mode", workers=workers))


@app.callback(invoke_without_command=True, help=H("cli.serve.serve"))
def serve(
    ctx: typer.Context,
    port: int = typer.Option(3000, help=H("cli.serve")),
    host: str = typer.Option("0.0.0.0", help=H("cli.serve2")),
    no_scheduler: bool = typer.Option(
        False,
        "--no-scheduler",
        help=H("cli.serve3"),
    ),
    socket_mode: bool = typer.Option(
        False,
        "--socket-mode",
        help=H("cli.serve4"),
    ),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help=H("cli.serve.workers")),
) -> None:
    """Run the bot's server: Slack /slack/events, LINE /line/callback, the web console /web/, /healthz and the scheduler."""
    # The server and the platform SDKs load here, not when any other command starts.
    import uvicorn
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.scheduler_service import SchedulerService
    from bot.server import BackgroundService, build_app, configure_platforms, socket_mode_wanted
    from bot.slack.app import SlackNotConfigured

    t = words()
    if workers > 1:  # before the runtime: a SQLite file is not even created
        refuse_workers(settings(), workers=workers, socket_mode=socket_mode)
    rt = runtime(ctx, serving=True)
    current = rt.settings
    use_socket = socket_mode_wanted(current, requested=socket_mode)
    if use_socket and current.slack_app_token is None:
        fail(t("cli.serve.app_token_missing"))
    try:
        platforms = configure_platforms(current, rt, socket_mode=use_socket)
    except SlackNotConfigured as exc:
        fail(t("cli.serve.slack_incomplete", error=str(exc)))
    except (BoltError, SlackApiError, OSError) as exc:
        fail(t("cli.serve.slack_unreachable", error=str(exc)))
    served = ", ".join([*platforms.names, "web"])
    base = (
        current.public_url or f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}"
    )
    notes = [t("cli.serve.web_console", url=f"{base}/web/")]
    if not platforms.names:  # the web console (and e-mail) alone: normal, but say so
        notes.insert(0, t("cli.serve.web_only"))
    if workers > 1:
        notes.insert(0, t("cli.serve.workers_started", workers=workers))
    typer.echo(f"hokoku serve: {served} on http://{host}:{port} ({' '.join(notes)})")
    services: list[BackgroundService] = []
    if not no_scheduler:
        try:
            services.append(SchedulerService(rt))  # in a worker process, when workers > 1
        except HokokuError as exc:
            fail(error_text(exc))
    if workers > 1:
        rt.close()  # checked; each worker opens its own engine and clients
        serve_workers(
            workers=workers,
            host=host,
            port=port,
            scheduler=not no_scheduler,
            log_level=current.log_level.lower(),
        )
        return
    uvicorn.run(
        build_app(current, rt, platforms=platforms, extra_services=services),
        host=host,
        port=port,
        log_config=None,  # uvicorn's lines go through hokoku's handler (HOKOKU_LOG_FORMAT)
        log_level=current.log_level.lower(),
    )


def serve_workers(*, workers: int, host: str, port: int, scheduler: bool, log_level: str) -> None:
    """uvicorn's supervisor: one socket, `workers` processes each running
    `bot.serve_workers.worker_app`; a worker that dies is replaced."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from bot.serve_workers import WORKER_ENV, WorkerOptions

    os.environ[WORKER_ENV] = WorkerOptions(scheduler=scheduler).to_env()  # for the children
    config = uvicorn.Config(
        "bot.serve_workers:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        log_level=log_level,
    )
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        fail(words()("cli.serve.workers_failed"))
