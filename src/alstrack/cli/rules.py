"""`alstrack rules`: check, install and list the screening rule sets of the program."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from alstrack.cli.common import console, database, err_console, user_errors
from alstrack.domain.eligibility import RuleSet
from alstrack.errors import InvalidInput, NotFound
from alstrack.services import rulesets, users
from alstrack.services.context import Actor
from alstrack.store.db import Database

rules_app = typer.Typer(help="Check, install and list screening rule sets.", no_args_is_help=True)

DRAFT = "DRAFT — not clinically validated"
RuleFile = Annotated[Path, typer.Argument(metavar="FILE", help="A rule set YAML file.")]


@contextmanager
def _rule_file_errors() -> Iterator[None]:
    """Print each problem of a refused rule file on a line of its own (file: rule: reason)."""
    with user_errors():
        try:
            yield
        except InvalidInput as exc:
            for problem in exc.fields:
                err_console.print(
                    f"[red]error:[/red] {escape(f'{problem.field}: {problem.message}')}",
                    highlight=False,
                    soft_wrap=True,
                )
            if not exc.fields:
                raise
            raise typer.Exit(1) from None


@rules_app.command("check")
def rules_check(path: RuleFile) -> None:
    """Check a rule file as installing it would, without a database. Exit 1 if it is broken.

    Every problem found is printed, one a line: the file, the rule id and the reason.
    """
    with _rule_file_errors():
        ruleset = rulesets.check_file(path)
    meta = ruleset.ruleset
    console.print(
        f"OK: {meta.id} {meta.version}, {len(ruleset.rules)} rules, "
        f"profiles: {', '.join(ruleset.profiles)}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(_validation(ruleset), highlight=False, soft_wrap=True)


def _validation(ruleset: RuleSet) -> str:
    declared = ruleset.ruleset.validation
    if declared is None:
        return f"{DRAFT} (no ruleset.validation declared in the file)"
    return f"Declared validated by {declared.by} on {declared.date.isoformat()}"


@rules_app.command("install")
def rules_install(
    path: RuleFile,
    username: Annotated[
        str,
        typer.Option(
            "--as", metavar="USERNAME", help="Who installs it: an admin's username (audited)"
        ),
    ],
) -> None:
    """Check a rule file and store it as the newest version of its rule set: the one screenings use.

    A broken file is refused and nothing is stored: screenings keep the version they used.
    """
    with _rule_file_errors():
        db = database()
        version = rulesets.install_ruleset(db, users.named_actor(db, username), path)
    console.print(
        f"Installed {version.ruleset_id} {version.version} as version {version.id}, "
        f"profiles: {', '.join(version.profiles)}.",
        highlight=False,
        soft_wrap=True,
    )
    if not version.active:
        console.print(
            f"Not in use: screenings use the rule set ALSTRACK_RULESET names; set it to "
            f"{version.ruleset_id} to use this one.",
            highlight=False,
            soft_wrap=True,
        )
    if version.validation is None:
        console.print(DRAFT)
    else:
        console.print(
            f"Declared validated by {version.validation.by} on "
            f"{version.validation.date.isoformat()}",
            highlight=False,
            soft_wrap=True,
        )


@rules_app.command("list")
def rules_list() -> None:
    """List the stored rule set versions, newest first, marking the one screenings use."""
    with user_errors():
        db = database()
        system = users.system_actor(db)
        versions = rulesets.list_versions(db, system)
        unstored = None if any(v.active for v in versions) else _unstored_note(db, system)
    # Nothing is cut short: the version keeps its width and the other columns wrap around it.
    table = Table()
    longest = max((len(v.version) for v in versions), default=0)
    for header in ("#", "rule set", "version", "profiles", "accepted (UTC)", "origin", "status"):
        if header == "version":
            table.add_column(header, no_wrap=True, min_width=longest)
        else:
            table.add_column(header, overflow="fold")
    for v in versions:
        status = ["active" if v.active else "", "validated" if v.validated else "DRAFT"]
        table.add_row(
            str(v.id),
            v.ruleset_id,
            v.version,
            "\n".join(v.profiles),
            v.accepted_at.strftime("%Y-%m-%d %H:%M"),
            v.origin,
            "\n".join(s for s in status if s),
        )
    console.print(table)
    if not all(v.validated for v in versions):
        console.print(DRAFT)
    if unstored:
        console.print(unstored, highlight=False, soft_wrap=True)


def _unstored_note(db: Database, actor: Actor) -> str:
    """What screenings use when no stored version is active."""
    try:
        active = rulesets.describe_active(db, actor)
    except NotFound as exc:
        return str(exc)
    return (
        f"In use: the shipped rule set {active.id} {active.version} ({DRAFT}), not stored yet: "
        "the first screening stores it."
    )
