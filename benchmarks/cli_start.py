"""CLI start-up benchmark: how long a person waits for `hokoku --help` and `hokoku status --json`.

    .venv/bin/python benchmarks/cli_start.py [--runs 15]

Sets up a SQLite database in a temporary directory (the Nishitokyo sample plan, 111 items,
and an open round), then times whole processes, as a person at a terminal waits for them:
`python -c "import sqlalchemy, typer"` (the floor: the two libraries every command needs),
`hokoku --help`, `hokoku status --json` and `hokoku round --help`. Prints the median and the
fastest of the runs, the ratio to the floor and the load average beside them (the machine is
shared: figures are noisy). Not a test: nothing here asserts speed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

BIN = Path(sys.executable).parent
HOKOKU = str(BIN / "hokoku")


def _run(args: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        env = {**os.environ, "HOKOKU_DATABASE_URL": f"sqlite:///{cwd / 'hokoku.db'}"}
        sample = (
            subprocess.run(
                [HOKOKU, "samples", "nishitokyo"], env=env, cwd=cwd, check=True, capture_output=True
            )
            .stdout.decode()
            .strip()
        )
        for setup in (
            [HOKOKU, "plan", "import", sample, "--name", "西東京市第4次"],
            [HOKOKU, "round", "open", "--plan", "西東京市第4次", "--deadline", "+4w"],
        ):
            subprocess.run(setup, env=env, cwd=cwd, check=True, capture_output=True)
        cases = {
            'python -c "import sqlalchemy, typer"': [
                sys.executable,
                "-c",
                "import sqlalchemy, typer",
            ],
            "hokoku --help": [HOKOKU, "--help"],
            "hokoku status --json": [HOKOKU, "status", "--json"],
            "hokoku round --help": [HOKOKU, "round", "--help"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        load_before = os.getloadavg()
        for _ in range(runs):  # interleaved, so a busy moment hits every case alike
            for name, args in cases.items():
                times[name].append(_run(args, env, cwd))
        load_after = os.getloadavg()
    floor = statistics.median(next(iter(times.values())))
    table = Table(title=f"Start-up, {runs} runs each (seconds)", title_justify="left")
    for column in ("command", "median", "fastest", "× floor (median)"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for name, values in times.items():
        median = statistics.median(values)
        table.add_row(name, f"{median:.3f}", f"{min(values):.3f}", f"{median / floor:.2f}")
    console.print(table)
    console.print(
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after"
    )


if __name__ == "__main__":
    main()
