"""`alstrack product`: a product's label and chain-of-custody report, as HTML or PDF."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Protocol

import typer

from alstrack.cli.common import console, database, err_console, user_errors
from alstrack.domain.isbt128 import format_din, parse_din
from alstrack.services import product_documents, users
from alstrack.services.context import Actor
from alstrack.services.product_documents import Document, Format
from alstrack.store.db import Database

__all__ = ["product_app"]

product_app = typer.Typer(
    help="Print a cell product's label or chain-of-custody report (HTML or PDF).",
    no_args_is_help=True,
)


class DocumentFormat(StrEnum):
    html = "html"
    pdf = "pdf"


DinArgument = Annotated[
    str,
    typer.Argument(
        metavar="DIN",
        help='The product\'s DIN: 13 characters ("G1234 26 000001" quoted), or 14 with the '
        "check character.",
    ),
]
AsOption = Annotated[
    str,
    typer.Option(
        "--as",
        metavar="USERNAME",
        help="Who prints it: a user with products.read who may see the product.",
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


@product_app.command("label")
def product_label(
    din: DinArgument,
    username: AsOption,
    fmt: FormatOption = DocumentFormat.html,
    output: OutputOption = None,
) -> None:
    """Write the product's label: bar code, eye-readable DIN with its boxed check character,
    product, expiry (UTC), donor or patient study id, and FOR AUTOLOGOUS USE ONLY where it
    applies.

    Exit 1, with the reason, for an unknown or mistyped DIN or a product the user may not see.
    """
    content, eye_readable = _render(product_documents.product_label, din, username, fmt, output)
    _write(content, output, f"label of {eye_readable}")


@product_app.command("report")
def product_report(
    din: DinArgument,
    username: AsOption,
    fmt: FormatOption = DocumentFormat.html,
    output: OutputOption = None,
) -> None:
    """Write the product's chain-of-custody report: its identity, donor or patient study id,
    every custody event in order (who, when in UTC, where, condition, temperature, signature),
    the QC judgements, deviations and the collection-to-release turnaround.

    Exit 1, with the reason, for an unknown or mistyped DIN or a product the user may not see.
    """
    content, eye_readable = _render(product_documents.custody_report, din, username, fmt, output)
    _write(content, output, f"chain-of-custody report of {eye_readable}")


class _Renders(Protocol):
    def __call__(self, db: Database, actor: Actor, din: str, *, fmt: Format) -> Document: ...


def _render(
    render: _Renders, din: str, username: str, fmt: DocumentFormat, output: Path | None
) -> tuple[bytes, str]:
    """The document's bytes and the eye-readable DIN; exit 1 with the reason if refused."""
    if fmt == DocumentFormat.pdf and output is None and sys.stdout.isatty():
        err_console.print("error: a PDF is not shown on a terminal: give --output FILE.")
        raise typer.Exit(1)
    with user_errors():
        code = parse_din(din)  # a mistyped DIN says why, rather than "no product"
        db = database()
        try:
            document = render(db, users.named_actor(db, username), din, fmt=fmt.value)
        finally:
            db.dispose()
    return document.content, format_din(code)


def _write(content: bytes, output: Path | None, what: str) -> None:
    if output is None:
        typer.echo(content, nl=False)
        return
    try:
        output.write_bytes(content)
    except OSError as exc:
        err_console.print(f"error: cannot write {output}: {exc.strerror or exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(
        f"Wrote the {what} to {output}.",
        highlight=False,
        soft_wrap=True,
    )
