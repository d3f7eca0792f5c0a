"""`hokoku samples`: the sample plan tables shipped with hokoku, and where they are.

So that a newcomer can try `plan import` without a table of their own:
`hokoku plan import "$(hokoku samples nishitokyo)"`.
"""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import console, fail, words
from bot.cli.texts import H
from bot.samples import CATALOGUE, Sample


def _find(name: str) -> Sample:
    key = name.removesuffix(".csv")
    for short, sample in CATALOGUE.items():
        if key in (short, sample.file.removesuffix(".csv")):
            return sample
    fail(words()("cli.samples.unknown", name=name, names=" / ".join(CATALOGUE)))


def samples_cmd(
    name: Annotated[str | None, typer.Argument(help=H("cli.samples.samples.name"))] = None,
    copy: Annotated[Path | None, typer.Option("--copy", help=H("cli.samples.samples.copy"))] = None,
) -> None:
    """The sample plan tables shipped with hokoku. With NAME: print that file's path (for `hokoku plan import "$(hokoku samples nishitokyo)"`); with --copy: copy it out."""
    t = words()
    if name is None:
        if copy is not None:
            fail(t("cli.samples.copy_needs_name"))
        lines = [t("cli.samples.shipped", folder=str(files("bot.samples")))]
        lines += [
            f"  {short:<13}{sample.file:<34}{sample.plan_name} — {sample.about}"
            for short, sample in CATALOGUE.items()
        ]
        lines.append(t("cli.samples.how"))
        console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)
        return
    sample = _find(name)
    with as_file(files("bot.samples") / sample.file) as source:
        if copy is None:
            typer.echo(str(source))
            return
        target = copy / sample.file if copy.is_dir() else copy
        if target.exists():
            fail(t("cli.samples.exists", path=str(target)))
        shutil.copyfile(source, target)
    typer.echo(str(target))
