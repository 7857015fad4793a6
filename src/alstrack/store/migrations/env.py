"""Alembic environment: runs migrations on the engine alstrack hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from alstrack.store.models import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
