"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic import command

from alstrack.store.migrate import alembic_config, current_revision, head_revision


def test_a_migrated_database_is_at_the_newest_revision_and_matches_the_models(db) -> None:
    assert current_revision(db) == head_revision(db)
    command.check(alembic_config(db))  # raises if the models and the schema differ
