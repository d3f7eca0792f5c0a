"""`hokoku serve`: the bot's HTTP server (uvicorn) for every configured platform."""

from __future__ import annotations

import typer

from bot.cli.common import error_text, fail, runtime, words
from bot.cli.texts import H
from handlers.errors import HokokuError

app = typer.Typer(help=H("cli.serve.app"))


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
) -> None:
    """Run the bot's server: Slack /slack/events, LINE /line/callback, the web console /web/, /healthz and the scheduler."""
    # The server and the platform SDKs load here, not when any other command starts.
    import uvicorn
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.scheduler_service import SchedulerService
    from bot.server import BackgroundService, build_app, configure_platforms, socket_mode_wanted
    from bot.slack.app import SlackNotConfigured

    rt = runtime(ctx, serving=True)
    settings = rt.settings
    use_socket = socket_mode_wanted(settings, requested=socket_mode)
    t = words()
    if use_socket and settings.slack_app_token is None:
        fail(t("cli.serve.app_token_missing"))
    try:
        platforms = configure_platforms(settings, rt, socket_mode=use_socket)
    except SlackNotConfigured as exc:
        fail(t("cli.serve.slack_incomplete", error=str(exc)))
    except (BoltError, SlackApiError, OSError) as exc:
        fail(t("cli.serve.slack_unreachable", error=str(exc)))
    served = ", ".join([*platforms.names, "web"])
    base = (
        settings.public_url or f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}"
    )
    notes = [t("cli.serve.web_console", url=f"{base}/web/")]
    if not platforms.names:  # the web console (and e-mail) alone: normal, but say so
        notes.insert(0, t("cli.serve.web_only"))
    typer.echo(f"hokoku serve: {served} on http://{host}:{port} ({' '.join(notes)})")
    services: list[BackgroundService] = []
    if not no_scheduler:
        try:
            services.append(SchedulerService(rt))
        except HokokuError as exc:
            fail(error_text(exc))
    uvicorn.run(
        build_app(settings, rt, platforms=platforms, extra_services=services),
        host=host,
        port=port,
        log_config=None,  # uvicorn's lines go through hokoku's handler (HOKOKU_LOG_FORMAT)
        log_level=settings.log_level.lower(),
    )
