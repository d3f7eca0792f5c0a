"""Running as a service: the container entrypoint, the systemd unit, compose, Dockerfile, Caddy.

There is no Docker engine here: the entrypoint runs for real (against SQLite and with a fake
`hokoku`), the unit goes through `systemd-analyze verify`, the Caddyfile through
`caddy validate` when those tools exist, and compose.yaml / the Dockerfile are parsed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from models.db import current_revision, head_revision, make_engine

REPO = Path(__file__).resolve().parents[1]
ENTRYPOINT = REPO / "deploy" / "entrypoint.sh"
VENV_BIN = Path(sys.executable).parent


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOKOKU_", "SLACK_", "LINE_"))}
    env.update(extra)
    return env


def test_entrypoint_upgrades_the_schema_then_runs_serve(tmp_path: Path) -> None:
    """Real hokoku, SQLite, Socket Mode asked for without its token: the schema is created,
    then `serve` refuses with its one-line message (so `serve` really ran, after the
    upgrade; with nothing configured it would serve the web console and not return)."""
    db_file = tmp_path / "hokoku.db"
    done = subprocess.run(
        [str(ENTRYPOINT), "--port", "0", "--socket-mode"],
        cwd=tmp_path,
        env=clean_env(
            PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
            HOKOKU_DATABASE_URL=f"sqlite:///{db_file}",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "schema: (empty) → " in done.stdout
    assert "SLACK_APP_TOKEN" in done.stderr
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()


def fake_hokoku(tmp_path: Path, *, upgrade_exit: int) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "hokoku"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{tmp_path / "calls"}"\n'
        f'if [ "$1" = db ]; then exit {upgrade_exit}; fi\n'
        "exit 0\n"
    )
    script.chmod(0o755)
    return bin_dir


@pytest.mark.parametrize(
    ("upgrade_exit", "calls"),
    [(0, ["db upgrade", "serve --socket-mode --no-scheduler"]), (3, ["db upgrade"])],
)
def test_entrypoint_passes_arguments_and_stops_when_the_upgrade_fails(
    tmp_path: Path, upgrade_exit: int, calls: list[str]
) -> None:
    bin_dir = fake_hokoku(tmp_path, upgrade_exit=upgrade_exit)
    done = subprocess.run(
        [str(ENTRYPOINT), "--socket-mode", "--no-scheduler"],
        env=clean_env(PATH=f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == upgrade_exit
    assert (tmp_path / "calls").read_text().splitlines() == calls


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    # The unit names the install path /opt/hokoku; verify it against this checkout's venv.
    text = (REPO / "deploy" / "hokoku.service").read_text()
    assert "ExecStartPre=/opt/hokoku/.venv/bin/hokoku db upgrade" in text
    assert "ExecStart=/opt/hokoku/.venv/bin/hokoku serve --host 127.0.0.1" in text
    unit = tmp_path / "hokoku.service"
    unit.write_text(text.replace("/opt/hokoku/.venv/bin", str(VENV_BIN)))
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Unknown" not in done.stderr and "ignoring" not in done.stderr, done.stderr
    for key in ("User=hokoku", "Restart=on-failure", "WantedBy=multi-user.target"):
        assert key in text


def test_compose_runs_hokoku_on_postgres_with_secrets_from_env() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    db, app = compose["services"]["db"], compose["services"]["hokoku"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert app["build"] == "."
    assert app["env_file"] == ".env"
    assert app["environment"]["HOKOKU_DATABASE_URL"].startswith("postgresql+psycopg://hokoku:")
    assert "@db:5432/hokoku" in app["environment"]["HOKOKU_DATABASE_URL"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["ports"] == ["127.0.0.1:3000:3000"]  # only the reverse proxy reaches it
    assert "pgdata" in compose["volumes"]


def dockerfile_instructions() -> dict[str, list[str]]:
    """Instruction → its arguments, in order (continuation lines joined)."""
    joined = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    found: dict[str, list[str]] = {}
    for line in joined.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.setdefault(keyword.upper(), []).append(" ".join(rest.split()))
    return found


def test_dockerfile_is_slim_non_root_with_healthcheck_and_entrypoint() -> None:
    found = dockerfile_instructions()
    assert found["FROM"] == ["python:3.12-slim"]
    assert found["USER"] == ["hokoku"]
    assert any("useradd --system" in run for run in found["RUN"])
    (health,) = found["HEALTHCHECK"]
    assert "/healthz" in health and "127.0.0.1:3000" in health
    assert json.loads(found["ENTRYPOINT"][0]) == ["hokoku-entrypoint"]
    assert any(
        c.startswith("deploy/entrypoint.sh /usr/local/bin/hokoku-entrypoint") for c in found["COPY"]
    )
    assert found["EXPOSE"] == ["3000"]
    # Every package directory of pyproject's wheel is copied in, and no secret file is.
    for package in ("bot", "handlers", "models", "scheduler"):
        assert f"{package} ./{package}" in found["COPY"]
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".env", "*.db", ".venv/"} <= set(ignored)


def test_caddyfile_validates_and_proxies_only_hokoku_paths(tmp_path: Path) -> None:
    text = (REPO / "deploy" / "Caddyfile").read_text()
    assert "@hokoku path /line/callback /slack/events /healthz /charts/* /web /web/*" in text
    assert "reverse_proxy 127.0.0.1:3000" in text
    caddy_validates(REPO / "deploy" / "Caddyfile", tmp_path)


def test_replicas_compose_runs_replicas_one_scheduler_and_one_proxy() -> None:
    """deploy/compose.replicas.yaml: the schema is upgraded once before anything starts; N
    replicas of `serve --workers` without a scheduler, unpublished; one `hokoku scheduler`;
    Caddy in front; one signing key for all, required."""
    compose = yaml.safe_load((REPO / "deploy" / "compose.replicas.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "migrate", "hokoku", "scheduler", "proxy"}
    db = services["db"]
    assert db["image"].startswith("postgres:") and "pg_isready" in " ".join(
        db["healthcheck"]["test"]
    )
    for name in ("migrate", "hokoku", "scheduler"):
        service = services[name]
        assert service["build"] == ".." and service["image"] == "hokoku:local"
        assert service["env_file"] == "../.env"
        assert service["entrypoint"] == ["hokoku"]
        env = service["environment"]
        assert "@db:5432/hokoku" in env["HOKOKU_DATABASE_URL"]
        assert env["HOKOKU_SECRET_KEY"].startswith("${HOKOKU_SECRET_KEY:?")
    migrate, replicas, scheduler = services["migrate"], services["hokoku"], services["scheduler"]
    assert migrate["command"] == ["db", "upgrade"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    command = replicas["command"]
    assert command[0] == "serve" and "--no-scheduler" in command
    assert command[command.index("--workers") + 1] == "${HOKOKU_WORKERS:-2}"
    assert command[command.index("--port") + 1] == "3000"
    assert replicas["deploy"]["replicas"] == "${HOKOKU_REPLICAS:-2}"
    assert "ports" not in replicas  # only the proxy reaches them
    assert scheduler["command"] == ["scheduler"] and "deploy" not in scheduler
    for service in (replicas, scheduler):
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert proxy["ports"] == ["80:80", "443:443"]
    assert "./Caddyfile.replicas:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert proxy["depends_on"]["hokoku"]["condition"] == "service_healthy"
    assert {"pgdata", "caddy_data"} <= set(compose["volumes"])
    # Every command the file runs is one hokoku has.
    from bot.cli import COMMANDS

    assert {migrate["command"][0], command[0], scheduler["command"][0]} <= set(COMMANDS)


def test_replicas_caddyfile_spreads_requests_over_every_replica(tmp_path: Path) -> None:
    text = (REPO / "deploy" / "Caddyfile.replicas").read_text()
    assert "@hokoku path /line/callback /slack/events /healthz /charts/* /web /web/*" in text
    for line in ("dynamic a {", "name hokoku", "port 3000", "lb_policy round_robin"):
        assert line in text
    caddy_validates(
        REPO / "deploy" / "Caddyfile.replicas", tmp_path, HOKOKU_HOST="hokoku.example.jp"
    )


def caddy_validates(caddyfile: Path, home: Path, **env: str) -> None:
    """`caddy validate` accepts the file (skipped where caddy is not installed; CI has it)."""
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed on this machine (apt-get install caddy)")
    done = subprocess.run(
        [caddy, "validate", "--adapter", "caddyfile", "--config", str(caddyfile)],
        env={
            **os.environ,
            "HOME": str(home),
            "XDG_DATA_HOME": str(home),
            "XDG_CONFIG_HOME": str(home),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and "Valid configuration" in done.stdout + done.stderr, done.stderr
