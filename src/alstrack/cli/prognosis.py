"""`alstrack prognosis`: the ENCALS survival prediction from the data at diagnosis."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from alstrack.cli.common import console, err_console
from alstrack.domain.prognosis import EncalsInputs, predict
from alstrack.errors import InvalidInput

__all__ = ["prognosis_command"]

# The model's field names as the options a user typed.
_OPTIONS = {
    "age_at_onset_years": "--age-onset",
    "delta_fs": "--delta-fs",
    "diagnostic_delay_months": "--diagnostic-delay",
    "fvc_percent": "--fvc",
}


class Onset(StrEnum):
    bulbar = "bulbar"
    spinal = "spinal"


class Format(StrEnum):
    table = "table"
    json = "json"


def prognosis_command(
    age_onset: Annotated[
        float, typer.Option("--age-onset", metavar="Y", help="Age at symptom onset, years.")
    ],
    delta_fs: Annotated[
        float,
        typer.Option(
            "--delta-fs",
            metavar="X",
            help="ΔFS at diagnosis: (48 − ALSFRS-R) ÷ months from onset, points/month.",
        ),
    ],
    diagnostic_delay: Annotated[
        float,
        typer.Option(
            "--diagnostic-delay", metavar="M", help="Months from symptom onset to diagnosis."
        ),
    ],
    fvc: Annotated[
        float, typer.Option("--fvc", metavar="PCT", help="FVC at diagnosis, % predicted.")
    ],
    onset: Annotated[
        Onset,
        typer.Option(
            "--onset",
            help="Region of onset: bulbar, or spinal for limb, trunk, respiratory or generalised "
            "onset.",
        ),
    ],
    definite: Annotated[
        bool, typer.Option("--definite", help="Definite ALS (revised El Escorial).")
    ] = False,
    ftd: Annotated[bool, typer.Option("--ftd", help="Frontotemporal dementia.")] = False,
    c9orf72: Annotated[bool, typer.Option("--c9orf72", help="C9orf72 repeat expansion.")] = False,
    output_format: Annotated[
        Format, typer.Option("--format", help="table for people, json for programs.")
    ] = Format.table,
) -> None:
    """Predict event-free survival from symptom onset with the ENCALS model (Westeneng et al.,
    Lancet Neurol 2018): the expected course of untreated ALS for patients like this one.

    Events are death, tracheostomy and non-invasive ventilation over 23 h/day. The JSON holds
    `linear_predictor`, `median_months_from_onset`, `survival` at 12, 24, 36 and 60 months,
    `model` and `provenance`. A population model: it does not say what will happen to one
    person, and nothing about any treatment.
    """
    inputs = EncalsInputs(
        age_at_onset_years=age_onset,
        delta_fs=delta_fs,
        diagnostic_delay_months=diagnostic_delay,
        fvc_percent=fvc,
        bulbar_onset=onset is Onset.bulbar,
        definite_als=definite,
        ftd=ftd,
        c9orf72=c9orf72,
    )
    try:
        result = predict(inputs)
    except InvalidInput as error:
        for field in error.fields:
            err_console.print(
                f"[red]error:[/red] {_OPTIONS.get(field.field, field.field)} {field.message}",
                highlight=False,
            )
        raise typer.Exit(2) from None
    if output_format is Format.json:
        typer.echo(json.dumps(asdict(result)))
        return
    table = Table(title=f"Event-free survival from onset ({result.model})")
    table.add_column("months from onset", justify="right")
    table.add_column("probability event-free", justify="right")
    for months, probability in result.survival.items():
        table.add_row(months, f"{probability:.3f}")
    console.print(table)
    median = result.median_months_from_onset
    console.print(
        f"Linear predictor {result.linear_predictor:.3f}; median event-free survival "
        + (f"{median:.1f} months from onset." if median is not None else "beyond 50 years.")
    )
    console.print(f"Provenance: {result.provenance}", highlight=False)
