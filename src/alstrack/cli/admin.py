"""Commands for the database, users and API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from alstrack.cli.common import console, database, user_errors
from alstrack.domain.permissions import ROLES
from alstrack.services import users
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


@token_app.command("create")
def token_create(
    username: str,
    label: Annotated[str, typer.Option(help="What the token is for")] = "cli",
) -> None:
    """Issue an API token for a user. It is shown once; only its hash is kept."""
    with user_errors():
        db = database()
        token = users.issue_token(db, users.system_actor(db), username, label)
        console.print(token, highlight=False, soft_wrap=True)
