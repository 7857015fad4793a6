"""`alstrack audit`: check that the audit trail's hash chain is intact; export a patient's trail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alstrack.cli.common import console, database, err_console, user_errors
from alstrack.services import audit_trail, users
from alstrack.services.audit_trail import AuditFilter

__all__ = ["audit_app"]

audit_app = typer.Typer(
    help="Check the audit trail's hash chain; export a patient's audit trail as CSV.",
    no_args_is_help=True,
)


@audit_app.command("verify")
def verify_command(
    head: Annotated[
        str | None,
        typer.Option(
            metavar="HASH",
            help="A head hash printed by an earlier run: exit 1 unless the chain still holds it "
            "(catches entries removed from the end).",
        ),
    ] = None,
) -> None:
    """Recompute the audit trail's hash chain from the first entry to the last.

    Exit 0 when it holds, printing how many entries were verified and the head (the last
    entry's id and hash: keep it elsewhere and pass it to a later run with --head). Exit 1
    naming the first entry altered, removed or inserted, or the append-only trigger that is
    missing or disabled.
    """
    db = database()
    try:
        report = audit_trail.verify(db, anchor=head)
    finally:
        db.dispose()
    if report.broken is not None:
        err_console.print(
            f"error: the audit trail's chain is broken: {report.broken.message} "
            f"({report.verified} entries verified before it).",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    if report.anchor_found is False:
        err_console.print(
            f"error: the head given ({head}) is not in the audit trail's chain: entries were "
            f"removed from its end, or the chain was rewritten ({report.verified} entries "
            "verified).",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    if report.unprotected:
        err_console.print(
            f"error: the chain holds ({report.verified} entries verified, head: "
            f"{report.head_id} {report.head_hash}), but the audit trail is no longer "
            f"append-only: {'; '.join(report.unprotected)}. Until migration 0012's triggers "
            "are back (docs/audit.md), a change to an entry would not be refused.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print(
        f"Verified {report.verified} audit entries: the chain is intact.\n"
        f"head: {report.head_id} {report.head_hash}",
        highlight=False,
        soft_wrap=True,
    )


@audit_app.command("export")
def export_command(
    patient: Annotated[int, typer.Option("--patient", metavar="ID", min=1, help="The patient.")],
    username: Annotated[
        str,
        typer.Option(
            "--as", metavar="USERNAME", help="Who exports: a user who may read the audit trail."
        ),
    ],
    user: Annotated[
        str | None, typer.Option("--user", metavar="USERNAME", help="Only entries by this user.")
    ] = None,
    action: Annotated[
        str | None, typer.Option(help="Only this action (create, update, void, view, export…).")
    ] = None,
    entity: Annotated[
        str | None, typer.Option(help="Only this kind of record (patient, consent…).")
    ] = None,
    first: Annotated[
        str | None, typer.Option("--from", metavar="YYYY-MM-DD", help="From this UTC day.")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", metavar="YYYY-MM-DD", help="To this UTC day (included).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write here instead of stdout."),
    ] = None,
) -> None:
    """Export a patient's audit trail as CSV: one row an entry, with its hashes.

    The export is itself audited. Exit 1, with the reason, for a patient the user may not see,
    a role that may not read the audit trail, or a bad filter.
    """
    with user_errors():
        filters = AuditFilter.model_validate(
            {"user": user, "action": action, "entity": entity, "from": first, "to": last}
        )
        db = database()
        try:
            export = audit_trail.export_csv(db, users.named_actor(db, username), patient, filters)
        finally:
            db.dispose()
    if output is None:
        typer.echo(export.content, nl=False)
        return
    try:
        output.write_text(export.content, encoding="utf-8", newline="")
    except OSError as exc:
        err_console.print(f"error: cannot write {output}: {exc.strerror or exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(
        f"Wrote {export.entries} audit entries of patient {patient} to {output}.",
        highlight=False,
        soft_wrap=True,
    )
