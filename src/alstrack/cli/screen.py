"""`alstrack screen`: evaluate one patient's data elements against the screening rule set.

Reads a JSON file, touches no database, and prints the verdict with every criterion.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from alstrack.domain.eligibility import (
    Criterion,
    RuleSet,
    Screening,
    builtin_ruleset,
    read_observations,
    screen,
)
from alstrack.errors import AlstrackError, InvalidInput

__all__ = ["ScreenFormat", "screen_command", "screening_json"]


class ScreenFormat(StrEnum):
    json = "json"
    text = "text"


def screen_command(
    source: Annotated[
        Path, typer.Argument(metavar="INPUT", help="JSON file of data elements by name.")
    ],
    profile: Annotated[
        str | None, typer.Option(help="Threshold profile (default: the rule set's default).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="Screen as of YYYY-MM-DD (default: today)."),
    ] = None,
    output_format: Annotated[
        ScreenFormat, typer.Option("--format", help="Output format.")
    ] = ScreenFormat.json,
) -> None:
    """Screen a patient for eligibility with the built-in DRAFT rule set (not clinically
    validated).

    Each value in INPUT is plain or {"value": v, "date": "YYYY-MM-DD"}; a rule may limit how
    old a value may be, and an older one counts as missing. The verdict (eligible,
    needs_review, not_eligible or incomplete) comes from the inclusion (INC-) and exclusion
    (EXC-) criteria; lumbar-puncture checks (LP-) are reported but do not change it. A date
    alone means 00:00 UTC of that day; without --as-of the screening is as of now (UTC).
    Exit 0 whenever the patient was evaluated, 1 when the input or options are wrong.
    """
    try:
        ruleset = builtin_ruleset()
        result = _screen_file(ruleset, source, profile, _reference_time(as_of))
    except AlstrackError as error:
        typer.echo(f"alstrack screen: {error}", err=True)
        raise typer.Exit(1) from error
    if output_format is ScreenFormat.json:
        typer.echo(json.dumps(screening_json(result), indent=2, ensure_ascii=False))
    else:
        typer.echo(_text(ruleset, result))


def _screen_file(ruleset: RuleSet, source: Path, profile: str | None, at: datetime) -> Screening:
    if profile is not None and profile not in ruleset.profiles:
        raise InvalidInput.for_field(
            "--profile", f"unknown profile {profile!r}; allowed: {', '.join(ruleset.profiles)}"
        )
    try:
        raw: Any = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput.for_field(
            "INPUT", f"{source} is not a readable JSON file: {exc}"
        ) from exc
    if not isinstance(raw, dict):
        raise InvalidInput.for_field("INPUT", "must be a JSON object of data elements by name")
    return screen(ruleset, read_observations(ruleset, raw), as_of=at, profile=profile)


def _reference_time(as_of: str | None) -> datetime:
    if as_of is None:
        return datetime.now(UTC)
    try:
        day = date.fromisoformat(as_of) if len(as_of) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput.for_field("--as-of", f"must be a date YYYY-MM-DD, not {as_of!r}")
    return datetime.combine(day, time(), UTC)


def screening_json(result: Screening) -> dict[str, Any]:
    """The screening as {"verdict", "criteria": [{"id", "result", "value", ...}]}."""
    return {
        "verdict": result.verdict.value,
        "criteria": [_criterion_json(c) for c in result.criteria],
    }


def _criterion_json(criterion: Criterion) -> dict[str, Any]:
    return {
        "id": criterion.id,
        "result": criterion.result.value,
        "value": criterion.value,
        "threshold": criterion.threshold,
        "effect": criterion.effect,
        "source": list(criterion.sources),
        "certainty": criterion.certainty,
        "reason": criterion.reason,
    }


def _text(ruleset: RuleSet, result: Screening) -> str:
    lines = [
        f"Rule set {result.ruleset_id} {result.ruleset_version} — DRAFT, not clinically validated",
        f"Profile {result.profile}, as of {result.as_of.isoformat()}",
        f"Verdict: {result.verdict.value}",
        "",
    ]
    for c in result.criteria:
        lines.append(f"{c.id:<18} {c.result.value:<8} {c.effect:<15} {c.reason}")
        lines.append(
            f"{'':<18} value={json.dumps(c.value, ensure_ascii=False)} "
            f"threshold={json.dumps(c.threshold, ensure_ascii=False)} "
            f"source={', '.join(c.sources) or 'none'} ({c.certainty})"
        )
    lines.append("")
    lines.append("LP- criteria are procedure checks: they do not change the verdict.")
    return "\n".join(lines)
