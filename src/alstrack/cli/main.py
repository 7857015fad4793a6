"""The `alstrack` command: a thin layer of Typer commands over the services."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress

from alstrack.cli.admin import db_app, token_app, user_app
from alstrack.cli.audit import audit_app
from alstrack.cli.backup import backup_command, restore_command
from alstrack.cli.common import console, database, err_console, user_errors
from alstrack.cli.din import din_app
from alstrack.cli.export import export_app
from alstrack.cli.imports import import_app
from alstrack.cli.products import product_app
from alstrack.cli.prognosis import prognosis_command
from alstrack.cli.report import report_app
from alstrack.cli.rules import rules_app
from alstrack.cli.score import score_command
from alstrack.cli.screen import screen_command
from alstrack.config import Settings
from alstrack.services import demo, users
from alstrack.services.context import today

app = typer.Typer(
    name="alstrack",
    help="Run and measure an MSC therapy program for ALS: registry, assessments, API and reports.",
    no_args_is_help=True,
    add_completion=False,
    # Markdown mode joins a docstring's wrapped lines into paragraphs, as a reader expects.
    rich_markup_mode="markdown",
)
app.command("score")(score_command)
app.command("screen")(screen_command)
app.command("prognosis")(prognosis_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(rules_app, name="rules")
app.add_typer(din_app, name="din")
app.add_typer(product_app, name="product")
app.add_typer(report_app, name="report")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(audit_app, name="audit")


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (ALSTRACK_WORKERS); default one per CPU core, at most 4",
        ),
    ] = None,
) -> None:
    """Serve the REST API (docs at /docs) on http://127.0.0.1:8000 by default."""
    import uvicorn

    from alstrack.api.app import create_app

    settings = Settings()
    db = database()
    processes = workers or settings.effective_workers
    url = f"http://{host or settings.host}:{port or settings.port}"
    console.print(
        f"alstrack serving on {url} — API docs at {url}/docs "
        f"({processes} process{'es' if processes > 1 else ''})"
    )
    bind_host, bind_port = host or settings.host, port or settings.port
    if processes == 1:
        uvicorn.run(
            create_app(settings, db),
            host=bind_host,
            port=bind_port,
            log_level="info",
            server_header=False,  # no "server: uvicorn": the software is nobody's business
        )
        return
    db.dispose()
    # Each worker process builds its own app, and its own database pool, from the same settings.
    uvicorn.run(
        "alstrack.api.app:create_served_app",
        factory=True,
        workers=processes,
        host=bind_host,
        port=bind_port,
        log_level="info",
        server_header=False,
    )


@app.command("demo")
def demo_command(
    patients: Annotated[
        int, typer.Option(min=1, max=100_000, help="How many synthetic patients")
    ] = 60,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same clinic")] = 1,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if patients exist")
    ] = False,
) -> None:
    """Load a synthetic demo clinic (two sites, staff, patients with natural history).

    Every record is marked synthetic. The patients are untreated natural history, simulated
    from published figures: nothing in them is real, and nothing in them shows a treatment effect.
    """
    db = database()
    if not demo.is_empty(db):
        if if_empty:
            console.print("Patients exist already: no demo data loaded.")
            return
        err_console.print("The database has patients already: the demo loads into an empty one.")
        raise typer.Exit(1)
    with user_errors(), Progress(console=console) as bar:
        task = bar.add_task("Synthetic patients", total=patients)
        result = demo.load_demo(
            db,
            users.system_actor(db),
            patients=patients,
            seed=seed,
            today=today(),
            progress=lambda n: bar.advance(task, n),
        )
    path = Settings().data_dir / "demo-tokens.txt"
    demo.write_tokens(path, result.tokens)
    passwords = Settings().data_dir / "demo-passwords.txt"
    demo.write_passwords(passwords, result.passwords)
    keys = Settings().data_dir / "demo-mfa-keys.txt"
    demo.write_mfa_keys(keys, result.mfa_keys)
    console.print(
        f"Loaded {result.patients} SYNTHETIC patients with {result.assessments} assessments.\n"
        f"API tokens of the demo staff are in {path} (use one in /docs → Authorize); their "
        f"passwords, for POST /auth/login, in {passwords}; the keys of the authenticator apps "
        f"of those who log in with a one-time code too, in {keys}."
    )
