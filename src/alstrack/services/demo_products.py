"""The demo clinic's cell products, made through the ordinary services (audited like real data).

For each allogeneic plan: a cord-tissue donor tested and determined eligible, a lot made,
tested, released by a QA user who entered no result, allocated, shipped, thawed, checked at the
bedside by a nurse and the physician, and given, which schedules the follow-up. An autologous
plan keeps its open collection order: its cells would take weeks to make. Products need the
program's ISBT 128 facility number; without ALSTRACK_FACILITY_ID the demo makes none. Every
value is synthetic.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import SecretStr

from alstrack.config import get_settings
from alstrack.domain.isbt128 import check_character, flag
from alstrack.domain.plans import cell_sources
from alstrack.domain.products.bedside import Entry
from alstrack.services import administrations, bedside, donors, product_results, products
from alstrack.services.context import Actor, now, today
from alstrack.services.plans import PlanOut
from alstrack.services.product_steps import StepIn, take_step
from alstrack.store.db import Database

__all__ = ["load_products"]

# Synthetic QC results of a UC-MSC lot inside every limit of its specification.
_LOT_RESULTS: dict[str, Any] = {
    "cd73_pct": 98.4,
    "cd90_pct": 99.0,
    "cd105_pct": 96.8,
    "cd45_pct": 0.5,
    "cd34_pct": 0.4,
    "cd14_or_cd11b_pct": 0.6,
    "cd79a_or_cd19_pct": 0.3,
    "hla_dr_pct": 0.7,
    "viability_pct": 93.0,
    "post_thaw_viability_pct": 86.0,
    "sterility_culture": "no_growth_final",
    "gram_stain": "no_organisms_seen",
    "mycoplasma": "negative",
    "endotoxin_eu_per_ml": 0.1,
    "karyotype": "normal",
    "passage_number": 4,
}
_DOSE_ML = 10.0


def load_products(
    db: Database, staff: dict[str, Actor], signing: dict[str, SecretStr], approved: list[PlanOut]
) -> int:
    """Make the demo's products for its approved plans; how many were made."""
    if get_settings().facility_id is None:
        return 0
    made = 0
    for number, plan in enumerate(approved, start=1):
        source = cell_sources().get(plan.versions[-1].cell_source.id, field="cell_source")
        if not source.requires_collection:
            made += _allogeneic(db, staff, signing, plan, donor_code=f"UCD-{number:04}")
    return made


def _step(db: Database, actor: Actor, din: str, name: str, **fields: Any) -> int:
    version = products.get_product(db, actor, din).product.version
    return take_step(db, actor, din, StepIn(step=name, version=version, **fields)).product_version


def _allogeneic(
    db: Database,
    staff: dict[str, Actor],
    signing: dict[str, SecretStr],
    plan: PlanOut,
    donor_code: str,
) -> int:
    ben, quinn, quentin = staff["ben"], staff["quinn"], staff["quentin"]
    nina, chen = staff["nina"], staff["chen"]
    donor = donors.register_donor(
        db, ben, donors.DonorIn(code=donor_code, recovered_on=today() - timedelta(days=60))
    )
    for test in donors.REQUIRED_TESTS:
        data = donors.DonorTestIn(test=test, result="nonreactive", specimen_days_from_recovery=0)
        donor = donors.record_donor_test(db, ben, donor.id, data)
    determination = donors.DeterminationIn(version=donor.version, password=signing["quinn"])
    donors.determine_eligibility(db, quinn, donor.id, determination)
    lot = products.register_lot(
        db,
        ben,
        products.LotIn(
            donor_id=donor.id,
            cell_source=plan.versions[-1].cell_source.id,
            vials=20,
            viable_cells_per_vial=5e7,
            expires_at=now() + timedelta(days=365),
            storage_location="Demo LN2 tank 1, rack A",
        ),
    )
    din = lot.din
    _step(db, ben, din, "manufacture")
    _step(db, ben, din, "start_qc")
    for test, value in _LOT_RESULTS.items():
        product_results.enter_result(db, ben, din, product_results.ResultIn(test=test, value=value))
    _step(db, quentin, din, "release", password=signing["quentin"])
    _step(db, ben, din, "place_in_inventory", to_location="Demo LN2 tank 1", temperature_c=-180)
    _step(db, ben, din, "allocate", patient_id=plan.patient_id)
    _step(db, ben, din, "ship_to_clinic", condition="dry shipper", temperature_c=-170)
    _step(db, nina, din, "receive_at_clinic", to_location="Demo North pharmacy", temperature_c=-165)
    _step(db, nina, din, "thaw", temperature_c=37)
    study = products.get_product(db, nina, din).product.patient_study_id or ""
    entries: tuple[tuple[Actor, Entry], ...] = ((nina, "scanned"), (chen, "typed"))
    for person, entry in entries:
        text = f"={din}{flag(din)}" if entry == "scanned" else din + check_character(din)
        checked = bedside.check_at_bedside(
            db,
            person,
            bedside.BedsideCheckIn(
                patient=study,
                patient_entry=entry,
                din=text,
                din_entry=entry,
                dose_volume_ml=_DOSE_ML,
            ),
        )
    version = plan.versions[-1]
    administrations.administer(
        db,
        nina,
        din,
        administrations.AdministrationIn(
            version=checked.product_version,
            route=version.route,
            cells_administered=version.dose_cells or 0,
            volume_ml=_DOSE_ML,
            note="Demo: synthetic administration",
            password=signing["nina"],
        ),
    )
    return 1
