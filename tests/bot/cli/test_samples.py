"""`hokoku samples`: the shipped sample tables, their path, and copying one out."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.samples import CATALOGUE


def test_lists_every_sample_with_its_folder(samples_dir: Path) -> None:
    result = CliRunner().invoke(app, ["samples"])
    assert result.exit_code == 0, result.output
    assert f"同梱の見本（{samples_dir}）" in result.stdout
    for name, sample in CATALOGUE.items():
        assert name in result.stdout and sample.file in result.stdout
        assert (samples_dir / sample.file).is_file()


def test_a_name_prints_the_path_and_copy_writes_the_file(tmp_path: Path, samples_dir: Path) -> None:
    runner = CliRunner()
    path = runner.invoke(app, ["samples", "nishitokyo"]).stdout.strip()
    assert Path(path) == samples_dir / "nishitokyo_plan.csv"
    copied = runner.invoke(app, ["samples", "kiyose_plan.csv", "--copy", str(tmp_path)])
    assert copied.exit_code == 0, copied.output
    target = tmp_path / "kiyose_plan.csv"
    assert copied.stdout.strip() == str(target)
    assert target.read_bytes() == (samples_dir / "kiyose_plan.csv").read_bytes()
    again = runner.invoke(app, ["samples", "kiyose", "--copy", str(target)])
    assert again.exit_code == 1 and "すでにあります" in again.stderr


def test_an_unknown_sample_is_one_line() -> None:
    result = CliRunner().invoke(app, ["samples", "tokyo"])
    assert result.exit_code == 1
    assert "nishitokyo / kiyose / tsurugashima" in result.stderr
