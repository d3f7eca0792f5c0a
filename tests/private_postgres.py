"""A private PostgreSQL cluster (initdb + pg_ctl on a free port) that a test may stop and start.

The shared server must never be stopped by a test; this one belongs to the test alone.
initdb refuses to run as root, so as root the cluster is run by the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from models.db import make_engine, make_session_factory, upgrade
from tests.conftest import Db


def _bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivateCluster:
    bindir: Path
    datadir: Path
    port: int
    as_postgres: bool
    running: bool = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-l",
            str(self.datadir / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        """Stop at once, as a crash or a restart does: open connections are cut."""
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        self.running = False


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    bindir = _bindir()
    if bindir is None or not (bindir / "initdb").exists():
        message = "initdb/pg_ctl not found (install the PostgreSQL server package)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    as_postgres = os.geteuid() == 0
    parent = Path(tempfile.mkdtemp(prefix="hokoku-pg-"))
    datadir = parent / "data"
    datadir.mkdir()
    if as_postgres:
        shutil.chown(parent, "postgres")
        shutil.chown(datadir, "postgres")
    cluster = PrivateCluster(bindir, datadir, _free_port(), as_postgres)
    cluster._run("initdb", "-D", str(datadir), "-A", "trust", "-U", "postgres", "--no-sync")
    cluster.start()
    try:
        yield cluster
    finally:
        if cluster.running:
            cluster.stop()
        shutil.rmtree(parent, ignore_errors=True)


@contextmanager
def private_db() -> Iterator[tuple[PrivateCluster, Db]]:
    """A migrated hokoku database on a private cluster."""
    with private_cluster() as cluster:
        engine = make_engine(cluster.url)
        upgrade(engine)
        try:
            yield cluster, Db(url=cluster.url, engine=engine, factory=make_session_factory(engine))
        finally:
            engine.dispose()
