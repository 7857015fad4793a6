"""`alstrack report`: the clinical reports (a patient's progress, safety, cohort outcomes) as
HTML or PDF.

Each command names what to report on and calls one service; `_deliver` does the rest (the
acting user, the format, where to write), so a further report is one more small command. The
services are imported by the commands that use them: they load statsmodels, which every other
command can skip.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from alstrack.cli.common import console, database, err_console, user_errors
from alstrack.services import users
from alstrack.services.context import Actor
from alstrack.services.documents import Document, Format
from alstrack.store.db import Database

__all__ = ["report_app"]

report_app = typer.Typer(
    help="Write a clinical report (a patient's progress, safety, cohort outcomes) as HTML or PDF.",
    no_args_is_help=True,
)


class DocumentFormat(StrEnum):
    html = "html"
    pdf = "pdf"


AsOption = Annotated[
    str,
    typer.Option(
        "--as",
        metavar="USERNAME",
        help="Who writes it: a user who may read what the report shows.",
    ),
]
FormatOption = Annotated[
    DocumentFormat, typer.Option("--format", help="html to show in a browser, pdf to print.")
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write here instead of stdout (a PDF is not written to a terminal).",
    ),
]


@report_app.command("patient")
def patient_command(
    patient_id: Annotated[int, typer.Argument(metavar="ID", min=1, help="The patient's id.")],
    username: AsOption,
    fmt: FormatOption = DocumentFormat.html,
    output: OutputOption = None,
) -> None:
    """Write the patient's progress report: ALSFRS-R, FVC % predicted and weight over time
    beside the course expected without treatment, with the doses marked; slopes before and
    after the first dose; observed minus expected at 3, 6 and 12 months with its reading;
    King's and MiToS stages; the ENCALS prognosis or what it lacks; the caveat.

    Exit 1, with the reason, for a patient the user may not see or a role that may not read
    assessments.
    """

    from alstrack.services.patient_documents import patient_report

    def render(db: Database, actor: Actor, fmt: Format) -> Document:
        return patient_report(db, actor, patient_id, fmt=fmt)

    _deliver(render, username, fmt, output, f"progress report of patient {patient_id}")


SiteOption = Annotated[
    str | None, typer.Option(metavar="CODE", help="One site only (default: every site seen).")
]


@report_app.command("safety")
def safety_command(
    username: AsOption,
    on: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="Data cut-off: events with onset up to this day (default today).",
        ),
    ] = None,
    site: SiteOption = None,
    fmt: FormatOption = DocumentFormat.html,
    output: OutputOption = None,
) -> None:
    """Write the safety report: adverse events of the treated patients by route and cell
    source with exact 95% intervals, every serious event listed, events before treatment apart.

    Exit 1, with the reason, for an unknown site code or a role without safety.read.
    """
    from alstrack.services.safety_documents import safety_report_document

    cut_off = on.date() if on is not None else None

    def render(db: Database, actor: Actor, fmt: Format) -> Document:
        return safety_report_document(db, actor, on=cut_off, site_code=site, fmt=fmt)

    _deliver(render, username, fmt, output, "safety report")


@report_app.command("cohort")
def cohort_command(
    username: AsOption,
    on: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="Data cut-off: doses, ALSFRS-R totals and events up to this day (default today).",
        ),
    ] = None,
    site: SiteOption = None,
    responder_threshold: Annotated[
        float | None,
        typer.Option(
            metavar="POINTS",
            help="Slope change in points/month a responder needs (default 1.25, the NurOwn "
            "phase 3 definition, the one with a published untreated figure).",
        ),
    ] = None,
    bootstrap_resamples: Annotated[
        int | None,
        typer.Option(
            min=100, max=5000, metavar="N", help="Cluster bootstrap resamples (default 1000)."
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, max=2**32 - 1, help="Seed of the bootstrap resamples (default 6)."),
    ] = None,
    external_cohort: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Also set the treated patients beside matched controls of this imported "
            "external cohort (alstrack import proact).",
        ),
    ] = None,
    fmt: FormatOption = DocumentFormat.html,
    output: OutputOption = None,
) -> None:
    """Write the cohort outcomes report: the treated patients' ALSFRS-R totals with the
    change of slope after the first dose (piecewise mixed model, three 95% intervals, the
    reading generated from them) or why it cannot be estimated; exploratory groups; responders
    beside untreated figures; event-free survival beside the ENCALS expectation; matched
    external controls if named; the safety counts with every serious event; the caveats.

    Exit 1, with the reason, for an unknown site code or external cohort, or a role that may
    not read assessments, products and adverse events.
    """
    from alstrack.services.cohort_documents import cohort_report

    cut_off = on.date() if on is not None else None
    # Only what was given: the service's defaults are the cohort analysis's own.
    bootstrap = {
        name: value
        for name, value in (("bootstrap_resamples", bootstrap_resamples), ("seed", seed))
        if value is not None
    }

    def render(db: Database, actor: Actor, fmt: Format) -> Document:
        return cohort_report(
            db, actor, on=cut_off, site_code=site, responder_threshold=responder_threshold,
            external_cohort=external_cohort, fmt=fmt, **bootstrap,
        )  # fmt: skip

    _deliver(render, username, fmt, output, "cohort outcomes report")


def _deliver(
    render: Callable[[Database, Actor, Format], Document],
    username: str,
    fmt: DocumentFormat,
    output: Path | None,
    what: str,
) -> None:
    """Render as the named user and write to ``output`` or stdout; exit 1 with the reason if
    refused (as `alstrack product report` does)."""
    if fmt == DocumentFormat.pdf and output is None and sys.stdout.isatty():
        err_console.print("error: a PDF is not shown on a terminal: give --output FILE.")
        raise typer.Exit(1)
    with user_errors():
        db = database()
        try:
            content = render(db, users.named_actor(db, username), fmt.value).content
        finally:
            db.dispose()
    if output is None:
        typer.echo(content, nl=False)
        return
    try:
        output.write_bytes(content)
    except OSError as exc:
        err_console.print(f"error: cannot write {output}: {exc.strerror or exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"Wrote the {what} to {output}.", highlight=False, soft_wrap=True)
