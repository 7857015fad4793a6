"""The `alstrack` command: a thin layer of Typer commands over the services."""

from __future__ import annotations

import typer

from alstrack.cli.score import score_command

app = typer.Typer(
    name="alstrack",
    help="Run and measure an MSC therapy program for ALS: registry, assessments, API and reports.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("score")(score_command)
