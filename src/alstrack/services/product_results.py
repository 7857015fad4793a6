"""QC results of a product against its specification: entered, corrected by superseding, judged.

Results are entered until the product is released or rejected; a correction is a new result
that supersedes the old one, with a reason. Who entered the current results matters at release:
none of them may release the product (the lifecycle's separation of duties).

An allogeneic lot is released before it is allocated to anyone, so its dose test (viable cells
within the plan's dose, REL-DOSE-001) has no plan to compare with at release: it is left out of
the lot's release judgement and shown as "judged at allocation" (see docs/products.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.products import (
    State,
    TestJudgement,
    judge_results,
    release_blockers,
)
from alstrack.errors import InvalidInput, NotFound, StepRefused
from alstrack.services.context import Actor, audited, now, require_reason
from alstrack.services.product_views import load_product
from alstrack.services.products import specification_of
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import (
    CollectionOrder,
    Product,
    ProductTestResult,
    TreatmentPlanVersion,
)

__all__ = [
    "CorrectionIn",
    "JudgementOut",
    "JudgementsOut",
    "ResultIn",
    "ResultOut",
    "correct_result",
    "enter_result",
    "get_judgements",
    "judge_product",
    "results_entered_by",
]

_DECIDED = frozenset(
    {
        State.RELEASED,
        State.REJECTED,
        State.IN_INVENTORY,
        State.ALLOCATED,
        State.SHIPPED_TO_CLINIC,
        State.RECEIVED_AT_CLINIC,
        State.STORED,
        State.THAWED,
        State.VERIFIED,
        State.ADMINISTERED,
        State.DISCARDED,
    }
)
# Strict: JSON true is not the number 1, nor "1" a number.
_Value = StrictInt | StrictFloat | StrictStr | None
_Method = Annotated[str, Field(min_length=1, max_length=200)] | None


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    test: str = Field(description="A test id of the product's specification")
    value: _Value = Field(description="A number, or a code such as negative; not_done if not done")
    method: _Method = None


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: _Value
    method: _Method = None
    reason: str


class ResultOut(BaseModel):
    id: int
    test: str
    value: _Value
    method: str | None
    status: str
    reason: str | None
    entered_by: int
    entered_at: datetime


class JudgementOut(BaseModel):
    test: str
    label: str
    outcome: str
    value: _Value
    limit: str
    reason: str


class JudgementsOut(BaseModel):
    din: str
    specification: str
    specification_version: str
    judgements: list[JudgementOut]
    blockers: list[str] = Field(description="Every test that keeps the product from release")
    results: list[ResultOut] = Field(description="Every result entered, superseded ones too")


def enter_result(db: Database, actor: Actor, din: str, data: ResultIn) -> ResultOut:
    actor.require("products.write")
    with db.transaction() as session:
        product = _open_for_results(session, actor, din)
        _check_value(product, data.test, data.value)
        if _current(session, product.id, data.test) is not None:
            raise StepRefused(
                f"{data.test} has a result already; correct it with a reason instead."
            )
        row = _add(session, actor, product, data.test, data.value, data.method, None)
        _audit(session, actor, product, row, "create", None)
        return ResultOut.model_validate(row, from_attributes=True)


def correct_result(
    db: Database, actor: Actor, din: str, result_id: int, data: CorrectionIn
) -> ResultOut:
    """A new result superseding the current one, with a reason."""
    actor.require("products.write")
    reason = require_reason(data.reason)
    with db.transaction() as session:
        product = _open_for_results(session, actor, din)
        old = session.get(ProductTestResult, result_id)
        if old is None or old.product_id != product.id:
            raise NotFound(f"No result {result_id} of product {product.din}.")
        if old.status != "current":
            raise StepRefused(f"Result {result_id} was {old.status}; correct the current one.")
        _check_value(product, old.test, data.value)
        old.status = "superseded"
        row = _add(session, actor, product, old.test, data.value, data.method, reason)
        _audit(session, actor, product, row, "correct", old)
        return ResultOut.model_validate(row, from_attributes=True)


def get_judgements(db: Database, actor: Actor, din: str) -> JudgementsOut:
    """Pass, fail or missing for every test of the specification, and the release blockers."""
    actor.require("products.read")
    with db.read() as session:
        product = load_product(session, actor, din)
        spec = specification_of(product)
        judged = judge_product(session, product)
        rows = session.scalars(
            select(ProductTestResult)
            .where(ProductTestResult.product_id == product.id)
            .order_by(ProductTestResult.id)
        )
        return JudgementsOut(
            din=product.din,
            specification=spec.id,
            specification_version=spec.version,
            judgements=[JudgementOut(**_judgement(j)) for j in judged],
            blockers=release_blockers(judged),
            results=[ResultOut.model_validate(r, from_attributes=True) for r in rows],
        )


def judge_product(session: Session, product: Product) -> list[TestJudgement]:
    """The current results judged against the product's specification (see the module note)."""
    spec = specification_of(product)
    results = {
        row.test: row.value
        for row in session.scalars(
            select(ProductTestResult).where(
                ProductTestResult.product_id == product.id, ProductTestResult.status == "current"
            )
        )
    }
    if product.kind == "allogeneic" and product.patient_id is None:
        dose_tests = {t.id for t in spec.tests if t.operator == "within_plan"}
        kept = {k: v for k, v in results.items() if k not in dose_tests}
        judged = judge_results(spec, kept)
        return [j for j in judged if j.test not in dose_tests]
    return judge_results(spec, results, planned_dose_cells=_planned_dose(session, product))


def results_entered_by(session: Session, product_id: int) -> frozenset[int]:
    """Everyone who entered a result of the product, superseded ones included."""
    return frozenset(
        session.scalars(
            select(ProductTestResult.entered_by).where(ProductTestResult.product_id == product_id)
        )
    )


def _planned_dose(session: Session, product: Product) -> int | None:
    if product.collection_order_id is None:
        return None
    order = session.get_one(CollectionOrder, product.collection_order_id)
    version = session.get_one(TreatmentPlanVersion, order.plan_version_id)
    return int(version.dose_cells) if version.dose_cells is not None else None


def _open_for_results(session: Session, actor: Actor, din: str) -> Product:
    product = load_product(session, actor, din, lock=True)
    if State(product.state) in _DECIDED:
        raise StepRefused(
            f"Product {product.din} is {State(product.state).label}: results are entered "
            "before release."
        )
    return product


def _check_value(product: Product, test: str, value: _Value) -> None:
    """The value is a possible result of the test; InvalidInput names `test` or `value`."""
    spec = specification_of(product)
    if spec.test(test) is None:
        choose = ", ".join(t.id for t in spec.tests)
        raise InvalidInput.for_field(
            "test", f"{test!r} is not a test of {spec.id}; choose {choose}"
        )
    try:
        judge_results(spec, {test: value})
    except InvalidInput as error:
        message = "; ".join(f.message for f in error.fields)
        raise InvalidInput.for_field("value", f"{test} {message}") from None


def _current(session: Session, product_id: int, test: str) -> ProductTestResult | None:
    return session.scalars(
        select(ProductTestResult).where(
            ProductTestResult.product_id == product_id,
            ProductTestResult.test == test,
            ProductTestResult.status == "current",
        )
    ).first()


def _add(
    session: Session,
    actor: Actor,
    product: Product,
    test: str,
    value: _Value,
    method: str | None,
    reason: str | None,
) -> ProductTestResult:
    row = ProductTestResult(
        product_id=product.id,
        test=test,
        value=value,
        method=method,
        status="current",
        reason=reason,
        entered_by=actor.user_id,
        entered_at=now(),
    )
    session.add(row)
    session.flush()
    return row


def _audit(
    session: Session,
    actor: Actor,
    product: Product,
    row: ProductTestResult,
    action: str,
    old: ProductTestResult | None,
) -> None:
    new = {"din": product.din, "test": row.test, "value": row.value, "method": row.method}
    entry = audited(
        actor,
        at=row.entered_at,
        action=action,
        entity="product_test_result",
        entity_id=row.id,
        patient_id=product.patient_id,
        old=None if old is None else {"id": old.id, "value": old.value, "method": old.method},
        new=new,
        reason=row.reason,
    )
    audit.record(session, [entry])


def _judgement(j: TestJudgement) -> dict[str, object]:
    return {
        "test": j.test,
        "label": j.label,
        "outcome": j.outcome.value,
        "value": j.value,
        "limit": j.limit,
        "reason": j.reason,
    }
