"""Export benchmark: the 達成状況一覧 of answered rounds of 1,000 / 10,000 / 50,000 rows.

    .venv/bin/python benchmarks/export.py [--rows 1000,10000,50000] [--database-url URL]

Builds a synthetic plan per size (benchmarks/synthetic.py), then times the real code:
`build_table` (the queries) and `write_xlsx` (layout, page breaks, save) and `write_csv`;
then what `hokoku export -o FILE.xlsx` adds: the committee's sheets' queries
(`build_committee_sheets`) and the whole document written with them (まとめ with its charts).
Prints seconds and seconds per 1,000 rows: the layout is linear when the last column stays
flat. Not a test: nothing here asserts speed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table
from synthetic import build_round

from handlers.export.document import build_committee_sheets, export_evaluations
from handlers.export.table import build_table
from handlers.export.table_csv import write_csv
from handlers.export.table_xlsx import write_xlsx
from models.db import make_engine, make_session_factory, transaction, upgrade

console = Console()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,10000,50000", help="comma-separated sizes")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    sizes = [int(n) for n in args.rows.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        results = Table(title=f"XLSX export ({engine.dialect.name})")
        for column in (
            "rows",
            "query s",
            "xlsx s",
            "xlsx s / 1k rows",
            "csv s",
            "pages",
            "sheets query s",
            "document s",
        ):
            results.add_column(column, justify="right")
        stamp = time.strftime("%H%M%S")
        for size in sizes:
            with transaction(factory) as session:
                built = build_round(session, slots=size, name=f"bench-{stamp}-{size}")
            with factory() as session:
                start = time.perf_counter()
                table = build_table(session, round_id=built.round_id)
                queried = time.perf_counter()
                evaluations = export_evaluations(session, round_id=built.round_id)
                committee = build_committee_sheets(
                    session, round_id=built.round_id, today=date.today(), evaluations=evaluations
                )
                sheets_queried = time.perf_counter() - queried
            out = Path(tmp) / f"{size}.xlsx"
            start_xlsx = time.perf_counter()
            layout = write_xlsx(table, out)
            xlsx = time.perf_counter() - start_xlsx
            start_csv = time.perf_counter()
            write_csv(table, Path(tmp) / f"{size}.csv")
            csv_seconds = time.perf_counter() - start_csv
            start_document = time.perf_counter()
            write_xlsx(table, Path(tmp) / f"{size}-document.xlsx", committee=committee)
            document = time.perf_counter() - start_document
            results.add_row(
                f"{len(table.rows):,}",
                f"{queried - start:.2f}",
                f"{xlsx:.2f}",
                f"{xlsx / len(table.rows) * 1000:.3f}",
                f"{csv_seconds:.2f}",
                f"{len(layout.pages):,}",
                f"{sheets_queried:.2f}",
                f"{document:.2f}",
            )
            console.print(f"{size:,} rows done", highlight=False)
        console.print(results)
        engine.dispose()


if __name__ == "__main__":
    main()
