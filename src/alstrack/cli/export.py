"""`alstrack export`: a patient's record in an exchange format (FHIR R4)."""

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
