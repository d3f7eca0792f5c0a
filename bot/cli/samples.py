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

from bot.cli.common import console, fail
from bot.cli.texts import H
from bot.samples import CATALOGUE, Sample


def _find(name: str) -> Sample:
    key = name.removesuffix(".csv")
    for short, sample in CATALOGUE.items():
        if key in (short, sample.file.removesuffix(".csv")):
            return sample
    fail(f"見本「{name}」はありません。{' / '.join(CATALOGUE)} から選んでください。")


def samples_cmd(
    name: Annotated[str | None, typer.Argument(help=H("cli.samples.samples.name"))] = None,
    copy: Annotated[Path | None, typer.Option("--copy", help=H("cli.samples.samples.copy"))] = None,
) -> None:
    """The sample plan tables shipped with hokoku. With NAME: print that file's path (for `hokoku plan import "$(hokoku samples nishitokyo)"`); with --copy: copy it out."""
    if name is None:
        if copy is not None:
            fail("--copy には見本の名前が必要です（例: hokoku samples nishitokyo --copy .）。")
        lines = [f"同梱の見本（{files('bot.samples')}）:"]
        lines += [
            f"  {short:<13}{sample.file:<34}{sample.plan_name} — {sample.about}"
            for short, sample in CATALOGUE.items()
        ]
        lines.append('取り込み: hokoku plan import "$(hokoku samples nishitokyo)" --name 西東京市')
        console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)
        return
    sample = _find(name)
    with as_file(files("bot.samples") / sample.file) as source:
        if copy is None:
            typer.echo(str(source))
            return
        target = copy / sample.file if copy.is_dir() else copy
        if target.exists():
            fail(f"{target} はすでにあります。別の場所を指定してください。")
        shutil.copyfile(source, target)
    typer.echo(str(target))
