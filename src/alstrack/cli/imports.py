"""`alstrack import`: bring data sets into alstrack."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress

from alstrack.cli.common import console, database, user_errors
from alstrack.services import external_cohorts, users

__all__ = ["import_app"]

import_app = typer.Typer(help="Import data sets.", no_args_is_help=True)
_SHOWN = 20  # refused rows printed; all of them go to --refused


@import_app.command("proact")
def import_proact(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A folder of PRO-ACT CSV tables.")],
    name: Annotated[str, typer.Option("--name", help="The external cohort's name (unique).")],
    username: Annotated[
        str,
        typer.Option("--as", metavar="USERNAME", help="Who imports it (a data analyst; audited)."),
    ],
    refused_file: Annotated[
        Path | None,
        typer.Option("--refused", metavar="FILE", help="Write every refused row here as CSV."),
    ] = None,
) -> None:
    """Import a PRO-ACT data set as an external natural-history cohort, kept apart from the
    clinic's patients.

    Reads the ALSFRS table (alsfrs.csv, PROACT_ALSFRS.csv or F_PROACT_ALSFRS.csv) and, when
    present, AlsHistory, DeathData, Fvc and demographics. Every row that cannot be taken is
    reported with its file, line and reason; the rest is imported in one transaction. A folder
    that cannot be read stores nothing (exit 1).
    """
    with user_errors():
        db = database()
        actor = users.named_actor(db, username)
        total = external_cohorts.count_rows(folder)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("Reading PRO-ACT tables", total=total)
            report = external_cohorts.import_proact(
                db, actor, folder, name, progress=lambda n: bar.advance(task, n)
            )
    console.print(
        f"Imported external cohort {report.name} ({report.cohort_id}) from "
        f"{', '.join(report.files)}: {report.subjects} subjects, "
        f"{report.imported['alsfrs']} ALSFRS-R visits, {report.imported['fvc']} FVC visits; "
        f"{len(report.refused)} rows refused.",
        highlight=False,
        soft_wrap=True,
    )
    for row in report.refused[:_SHOWN]:
        console.print(
            escape(f"refused {row.file}:{row.line} ({row.subject or 'no subject'}): {row.reason}"),
            highlight=False,
            soft_wrap=True,
        )
    if len(report.refused) > _SHOWN:
        console.print(
            f"… and {len(report.refused) - _SHOWN} more"
            + (f" (all in {refused_file})" if refused_file else "; --refused FILE lists all"),
            highlight=False,
        )
    if refused_file is not None:
        with refused_file.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "line", "subject", "reason"])
            for row in report.refused:
                writer.writerow([row.file, row.line, row.subject or "", row.reason])
