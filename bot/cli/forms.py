"""`hokoku round forms` and `hokoku round collect`: the Excel 照会様式 out and back.

Thin: the forms are written and read by `handlers.reporting.inquiry`; this module reads
and writes the files, and says what happened in the office's language. The spreadsheet
libraries are imported when one of these commands runs, not when `hokoku round` starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import console, err_console, fail, print_json, runtime, words
from bot.cli.options import os_user
from bot.cli.sessions import reading, writing
from bot.cli.texts import H
from handlers.i18n import Translator, msg
from handlers.organization.directory import find_department
from handlers.reporting.rounds import ANSWER, round_caption

if TYPE_CHECKING:
    from handlers.reporting.inquiry.collect import FileOutcome

FORM_SUFFIXES = (".xlsx", ".xlsm", ".xls")
RoundOption = Annotated[str | None, typer.Option("--round", "-r", help=H("cli.round.round"))]
JsonOption = Annotated[bool, typer.Option("--json", help=H("cli.round.json"))]


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def forms_cmd(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help=H("cli.round.forms.output"), file_okay=False),
    ],
    round_ref: RoundOption = None,
    dept: Annotated[
        list[str] | None, typer.Option("--dept", help=H("cli.round.forms.dept"))
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """One 照会様式 XLSX per department of the round, written into a folder."""
    from handlers.reporting.inquiry.write import write_forms

    rt = runtime(ctx)
    t = words()
    with reading(rt, round_ref, purpose=ANSWER) as work:
        session, rnd = work.session, work.round
        wanted = (
            {find_department(session, organization_id=rt.organization_id, name=d).id for d in dept}
            if dept
            else None
        )
        forms = write_forms(
            session,
            round_id=rnd.id,
            department_ids=wanted,
            contact=rt.settings.office_contact,
            language=t.language,
        )
        caption, deadline = round_caption(rnd), rnd.deadline
    if not forms:
        fail(t("cli.round.forms.none", round=caption))
    try:
        output.mkdir(parents=True, exist_ok=True)
        for form in forms:  # beside the target, then renamed: never half a file
            target = output / form.filename
            partial = output / f".{form.filename}.partial"
            partial.write_bytes(form.data)
            os.replace(partial, target)
    except OSError as exc:
        fail(t("cli.round.forms.cannot_write", path=output, error=exc.strerror or exc))
    if as_json:
        print_json(
            {
                "round": rnd.id,
                "folder": str(output),
                "forms": [
                    {
                        "department": f.department,
                        "file": f.filename,
                        "slots": f.slots,
                        "pages": f.pages,
                    }
                    for f in forms
                ],
            }
        )
        return
    _say(
        t(
            "cli.round.forms.written",
            round=caption,
            count=len(forms),
            folder=output,
            deadline=deadline,
        )
    )
    for form in forms:
        _say(t("cli.round.forms.line", file=form.filename, slots=form.slots, pages=form.pages))
    if not rt.settings.office_contact:
        err_console.print(
            t("cli.round.forms.no_contact"), highlight=False, markup=False, soft_wrap=True
        )


def _form_paths(paths: list[Path], t: Translator) -> Iterator[Path]:
    """The files given, and the workbooks inside the folders given (not Excel's `~$` lock
    files)."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        found = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and p.suffix.lower() in FORM_SUFFIXES and not p.name.startswith("~$")
        )
        if not found:
            err_console.print(
                t("cli.round.collect.no_files", path=path), highlight=False, markup=False
            )
        yield from found


def _read(path: Path, limit: int) -> bytes:
    """The file's bytes, opened for reading only (one byte past `limit` is enough to refuse
    it as too large)."""
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def collect_cmd(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help=H("cli.round.collect.files"))],
    round_ref: RoundOption = None,
    dept: Annotated[str | None, typer.Option("--dept", help=H("cli.round.collect.dept"))] = None,
    as_json: JsonOption = False,
) -> None:
    """Read filled 照会様式 and store their answers (channel excel), each file all or nothing."""
    from handlers.reporting.inquiry.collect import FileOutcome, collect_forms
    from handlers.reporting.inquiry.read import MAX_FORM_BYTES

    rt = runtime(ctx)
    t = words()
    inputs: list[tuple[str, bytes]] = []
    unopened: list[FileOutcome] = []
    for path in _form_paths(files, t):
        try:
            inputs.append((path.name, _read(path, MAX_FORM_BYTES)))
        except OSError as exc:
            problem = msg("cli.round.collect.unreadable_file", error=exc.strerror or exc)
            unopened.append(FileOutcome(name=str(path), problems=(problem,)))
    with writing(rt, round_ref, purpose=ANSWER) as work:
        session, rnd = work.session, work.round
        department_id = (
            find_department(session, organization_id=rt.organization_id, name=dept).id
            if dept is not None
            else None
        )
        result = collect_forms(
            session,
            round_id=rnd.id,
            files=inputs,
            collector=f"cli:{os_user()}",
            department_id=department_id,
        )
        caption = round_caption(rnd)
    outcomes = [*unopened, *result.files]
    refused = [o for o in outcomes if o.refused]
    if as_json:
        print_json(
            {
                "round": rnd.id,
                "written": result.written,
                "files": [
                    {**o.to_json(), "problems": [t.render(p) for p in o.problems]} for o in outcomes
                ],
            }
        )
    else:
        for outcome in outcomes:
            _say(_line(t, outcome))
        _say(
            t(
                "cli.round.collect.summary",
                round=caption,
                files=len(outcomes),
                ok=len(outcomes) - len(refused),
                written=result.written,
                refused=len(refused),
            )
        )
    if refused:
        raise typer.Exit(1)


def _line(t: Translator, outcome: FileOutcome) -> str:
    from handlers.reporting.inquiry.collect import describe

    head, *cells = describe(outcome)
    return "\n".join([t.render(head), *(f"  {t.render(cell)}" for cell in cells)])
