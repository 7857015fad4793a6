"""`alstrack screen`: evaluate one patient's data elements against a screening rule set.

Reads a JSON file (and, with --rules, a program's own rule file), touches no database, and
prints the verdict with every criterion.
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
from alstrack.services.rulesets import check_file

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
    rules: Annotated[
        Path | None,
        typer.Option(
            "--rules",
            metavar="FILE",
            help="A program's own rule file, checked as `alstrack rules check` does "
            "(default: the shipped DRAFT rule set).",
        ),
    ] = None,
) -> None:
    """Screen a patient for eligibility against a rule set, without a database.

    The rule set is the shipped one (a DRAFT, not clinically validated) or, with --rules, a
    program's own file. Each value in INPUT is plain or {"value": v, "date": "YYYY-MM-DD"}; a
    rule may limit how old a value may be, and an older one counts as missing. The verdict
    (eligible, needs_review, not_eligible or incomplete) comes from the inclusion (INC-) and
    exclusion (EXC-) criteria; lumbar-puncture checks (LP-) are reported but do not change it.
    A date alone means 00:00 UTC of that day; without --as-of the screening is as of now (UTC).
    JSON output: {"ruleset", "version", "profile", "as_of", "verdict", "criteria": [{"id",
    "result", "value", "threshold", "effect", "source", "certainty", "reason"}]}.
    Exit 0 whenever the patient was evaluated, 1 when the input, the rule file or an option
    is wrong.
    """
    try:
        ruleset = builtin_ruleset() if rules is None else check_file(rules)
        result = _screen_file(ruleset, source, profile, _reference_time(as_of))
    except AlstrackError as error:
        typer.echo(f"alstrack screen: {error}", err=True)
        raise typer.Exit(1) from error
    if output_format is ScreenFormat.json:
        typer.echo(json.dumps(screening_json(result), indent=2, ensure_ascii=False))
    else:
        typer.echo(_text(ruleset, result, own_file=rules is not None))


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
    """The screening as {"ruleset", "version", "profile", "as_of", "verdict", "criteria":
    [{"id", "result", "value", ...}]}."""
    return {
        "ruleset": result.ruleset_id,
        "version": result.ruleset_version,
        "profile": result.profile,
        "as_of": result.as_of.isoformat(),
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


def _text(ruleset: RuleSet, result: Screening, *, own_file: bool) -> str:
    declared = ruleset.ruleset.validation if own_file else None
    status = (
        "DRAFT, not clinically validated"
        if declared is None
        else f"declared validated by {declared.by} on {declared.date.isoformat()}"
    )
    lines = [
        f"Rule set {result.ruleset_id} {result.ruleset_version} — {status}",
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
