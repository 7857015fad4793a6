"""Commands for the database, users and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from pydantic import SecretStr
from rich.table import Table

from alstrack.cli.common import console, database, user_errors
from alstrack.domain.attestation import attestation_text
from alstrack.domain.permissions import ROLES
from alstrack.services import attestations, auth, mfa, users
from alstrack.services.attestations import AttestationIn
from alstrack.services.users import UserIn
from alstrack.store.migrate import current_revision, head_revision, upgrade

db_app = typer.Typer(help="Create or upgrade the database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database, or bring its schema to the newest version (Alembic migrations)."""
    db = database(migrated=False)
    upgrade(db)
    console.print(f"Database schema at revision {current_revision(db)} ({db.dialect}).")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database and the newest one alstrack knows."""
    db = database(migrated=False)
    console.print(f"current: {current_revision(db) or 'none'}  newest: {head_revision(db)}")


@user_app.command("create")
def user_create(
    username: str,
    name: Annotated[str, typer.Option("--name", help="The person's printed name")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}")],
    site: Annotated[
        list[str] | None, typer.Option("--site", help="Site code; repeat for more")
    ] = None,
) -> None:
    """Create a user (acts as the alstrack system account; audited)."""
    with user_errors():
        db = database()
        data = UserIn.model_validate(
            {"username": username, "display_name": name, "role": role, "site_codes": site or []}
        )
        user = users.create_user(db, users.system_actor(db), data)
        console.print(f"Created {user.username} ({user.role}).")


@user_app.command("reset-password")
def user_reset_password(
    username: str,
    reason: Annotated[str, typer.Option(help="Why the password is reset (audited)")],
) -> None:
    """Reset a user's password (acts as the alstrack system account; audited).

    Prints a one-time password, once: it lets the user log in only to choose a new password,
    so nobody else ever knows it. Unlocks a locked account and ends its sessions.
    """
    with user_errors():
        db = database()
        temporary = auth.reset_password(db, users.system_actor(db), username, reason)
        console.print(temporary, highlight=False, soft_wrap=True)


@user_app.command("reset-mfa")
def user_reset_mfa(
    username: str,
    reason: Annotated[str, typer.Option(help="Why the second factor is reset (audited)")],
) -> None:
    """Remove a user's authenticator app (a lost phone; acts as the alstrack system account;
    audited). Their next login may only set up a new one (POST /auth/mfa)."""
    with user_errors():
        db = database()
        mfa.reset(db, users.system_actor(db), username, reason)
        console.print(f"The second factor of {username} is reset: they set up a new app at login.")


@user_app.command("attest")
def user_attest(
    username: str,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            help="The user's own password: the attestation is signed with it (asked if not given)",
        ),
    ],
) -> None:
    """Certify, as USERNAME, that their electronic signatures are legally binding (21 CFR
    11.100(c)): prints the text, then signs it 'certified' with the user's password. Needed once
    before a user's first signature (as POST /auth/attestation)."""
    with user_errors():
        db = database()
        actor = users.named_actor(db, username)
        text = attestation_text()
        console.print(f"[bold]Attestation {text.version}[/bold] ({text.source})")
        console.print(text.text, highlight=False, soft_wrap=True)
        done = attestations.attest(db, actor, AttestationIn(password=SecretStr(password)))
        console.print(
            f"Certified by {done.username} at {done.attested_at.isoformat(timespec='seconds')} "
            f"(version {done.text_version}, SHA-256 {done.text_sha256[:12]}…)."
        )


class Scope(StrEnum):
    full = "full"
    read = "read"


@token_app.command("create")
def token_create(
    username: str,
    label: Annotated[str, typer.Option(help="What the token is for")] = "cli",
    scope: Annotated[
        Scope, typer.Option(help="full: what the user's role allows; read: only reading")
    ] = Scope.full,
    expires_in_days: Annotated[
        int | None,
        typer.Option(min=1, max=3650, metavar="DAYS", help="Stops working after DAYS days"),
    ] = None,
) -> None:
    """Issue an API token for a user. It is shown once; only its hash is kept."""
    with user_errors():
        db = database()
        token = users.issue_token(
            db,
            users.system_actor(db),
            username,
            label,
            scope=scope.value,
            expires_in_days=expires_in_days,
        )
        console.print(token, highlight=False, soft_wrap=True)


@token_app.command("list")
def token_list(username: str) -> None:
    """List a user's API tokens (never the tokens themselves)."""
    with user_errors():
        db = database()
        rows = users.list_tokens(db, users.system_actor(db), username)
    table = Table("id", "label", "scope", "created (UTC)", "expires (UTC)", "revoked (UTC)")
    for t in rows:
        table.add_row(
            str(t.id),
            t.label,
            t.scope,
            _minute(t.created_at),
            _minute(t.expires_at),
            _minute(t.revoked_at),
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID", min=1, help="The token's id")],
    reason: Annotated[str, typer.Option(help="Why it is revoked (audited)")],
) -> None:
    """Revoke an API token for good (acts as the alstrack system account; audited)."""
    with user_errors():
        db = database()
        token = users.revoke_token(db, users.system_actor(db), token_id, reason)
        console.print(f"Revoked token {token.id} ({token.label}) of {token.username}.")


def _minute(at: datetime | None) -> str:
    return at.isoformat(sep=" ", timespec="minutes") if at is not None else "—"
