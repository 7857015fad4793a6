"""`alstrack export`: a patient's record as FHIR R4, and the registry as de-identified research
exports (PRO-ACT tables, tidy CSV with a data dictionary)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alstrack.cli.common import console, database, err_console, user_errors
from alstrack.services import users

__all__ = ["export_app"]

export_app = typer.Typer(help="Export records in an exchange format.", no_args_is_help=True)


@export_app.command("fhir")
def fhir_command(
    patient_id: Annotated[
        int, typer.Option("--patient", metavar="ID", min=1, help="The patient's id.")
    ],
    username: Annotated[
        str,
        typer.Option(
            "--as",
            metavar="USERNAME",
            help="Who exports it: a user who may read the patient's records (audited).",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write here instead of stdout."),
    ] = None,
) -> None:
    """Export the patient's record as a FHIR R4 Bundle (application/fhir+json), as
    GET /fhir/Patient/{id}/$everything does: pseudonymous (study id only) unless the user may
    read identifiers; the pathway's records as far as the user may read them. Audited.

    Exit 1, with the reason, for a patient the user may not see or a role that may not read
    assessments.
    """
    from alstrack.services.fhir_export import patient_everything

    with user_errors():
        db = database()
        try:
            # On stderr: the Bundle itself may be going to stdout.
            with err_console.status(f"Exporting patient {patient_id} as FHIR"):
                doc = patient_everything(db, users.named_actor(db, username), patient_id)
        finally:
            db.dispose()
    if output is None:
        typer.echo(doc.content.decode("utf-8"))
        return
    try:
        output.write_bytes(doc.content)
    except OSError as exc:
        err_console.print(f"error: cannot write {output}: {exc.strerror or exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"Wrote the FHIR Bundle of patient {patient_id} to {output}.", highlight=False)


_AS_RESEARCHER = typer.Option(
    "--as",
    metavar="USERNAME",
    help="Who exports it: a user who may read assessments, e.g. a data analyst (audited).",
)
_RESEARCH_OUTPUT = typer.Option(
    "--output", "-o", metavar="DIR", help="The folder to create (it must not exist yet)."
)
_SITE = typer.Option("--site", metavar="CODE", help="Only this site's patients.")


@export_app.command("proact")
def proact_command(
    username: Annotated[str, _AS_RESEARCHER],
    output: Annotated[Path, _RESEARCH_OUTPUT],
    site: Annotated[str | None, _SITE] = None,
) -> None:
    """Export the registry as PRO-ACT tables (demographics, AlsHistory, alsfrs, Fvc, VitalSigns,
    DeathData, Riluzole, Treatment), readable by `alstrack import proact`. De-identified for
    every role: study ids, day offsets from the first dose (or, never dosed, the first
    assessment), no calendar dates. Only the patients of the user's sites. Audited.

    Exit 1, with the reason, for a role that may not read assessments, a site the user does not
    work at, or an output folder that exists; nothing is written then.
    """
    _research("proact", "PRO-ACT tables", username, output, site)


@export_app.command("csv")
def csv_command(
    username: Annotated[str, _AS_RESEARCHER],
    output: Annotated[Path, _RESEARCH_OUTPUT],
    site: Annotated[str | None, _SITE] = None,
) -> None:
    """Export the registry as tidy CSV: one file per kind of record, data_dictionary.csv and a
    README.txt. De-identified for every role: study ids, dates as days from onset and from the
    first dose. Only the patients of the user's sites. Audited.

    Exit 1, with the reason, for a role that may not read assessments, a site the user does not
    work at, or an output folder that exists; nothing is written then.
    """
    _research("csv", "tidy CSV", username, output, site)


def _research(fmt: str, what: str, username: str, output: Path, site: str | None) -> None:
    from rich.progress import Progress

    from alstrack.services import research_exports

    exporter = (
        research_exports.export_proact if fmt == "proact" else research_exports.export_tidy_csv
    )
    with user_errors():
        db = database()
        try:
            actor = users.named_actor(db, username)
            with Progress(console=err_console, transient=True) as bar:
                task = bar.add_task(f"Exporting {what}", total=None)

                def advance(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                try:
                    result = exporter(db, actor, output, site=site, progress=advance)
                except OSError as exc:
                    err_console.print(
                        f"error: cannot write {output}: {exc.strerror or exc}", highlight=False
                    )
                    raise typer.Exit(1) from None
        finally:
            db.dispose()
    left_out = f" (left out: {', '.join(result.left_out)})" if result.left_out else ""
    console.print(
        f"Wrote {what} of {result.subjects} patients, de-identified, to {result.folder}: "
        f"{len(result.files)} files and {research_exports.MANIFEST}{left_out}.",
        highlight=False,
        soft_wrap=True,
    )
