"""`alstrack din`: check and assign ISBT 128 Donation Identification Numbers."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from alstrack.cli.common import console, database, user_errors
from alstrack.domain.isbt128 import check_character, flag, parse_din
from alstrack.services import dins, users

__all__ = ["din_app"]

din_app = typer.Typer(
    help="Check and assign ISBT 128 Donation Identification Numbers (DINs).", no_args_is_help=True
)


@din_app.command("check")
def din_check(
    text: Annotated[
        list[str],
        typer.Argument(
            metavar="DIN",
            help='13 characters ("G1234 17 654321"), 14 with the check character, or '
            "=-bar-code data with flags.",
        ),
    ],
) -> None:
    """Check a DIN and print {"din", "check_character", "flag"} as JSON.

    Spaces are ignored. Exit 0 if the DIN is valid, 1 with the reason if it is not, or if an
    appended check character or check flags do not match it.
    """
    with user_errors():
        din = parse_din(" ".join(text))
    result = {"din": str(din), "check_character": check_character(din), "flag": flag(din)}
    typer.echo(json.dumps(result))


@din_app.command("new")
def din_new(
    year: Annotated[
        int | None,
        typer.Option(
            metavar="YYYY", min=1000, max=9999, help="Year of assignment (default: this year)."
        ),
    ] = None,
) -> None:
    """Assign the next DIN of ALSTRACK_FACILITY_ID (acts as the alstrack system account; audited).

    Prints the DIN, its eye-readable form and the check character that is printed boxed
    beside it on the label.
    """
    with user_errors():
        db = database()
        out = dins.assign_din(db, users.system_actor(db), year=year)
    console.print(
        f"Assigned DIN {out.din}: print {out.eye_readable} with check character "
        f"{out.check_character} (flag {out.flag}).",
        highlight=False,
        soft_wrap=True,
    )
