"""What the installation holds at a glance: is it synthetic demo data?"""

from __future__ import annotations

from sqlalchemy import exists, select

from alstrack.store.db import Database
from alstrack.store.models import Patient


def holds_synthetic_data(db: Database) -> bool:
    """True while any patient is synthetic: every page then says so."""
    with db.read() as session:
        return bool(session.scalar(select(exists().where(Patient.synthetic.is_(True)))))
