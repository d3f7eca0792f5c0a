"""A PostgreSQL database of its own, created on a server and dropped afterwards.

Each test run, benchmark or copy target gets a fresh database, so parallel runs on one
server never collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import make_url, text

from models.db import make_engine


@contextmanager
def scratch_database(server_url: str, *, prefix: str = "hokoku_test") -> Iterator[str]:
    """Yield the URL of a new empty database on `server_url`'s server; drop it afterwards."""
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
