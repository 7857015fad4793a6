"""Cell products and their donors: registration, steps, QC results, deviations and tracing."""

from __future__ import annotations

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.services import deviations, donors, product_results, product_steps, products
from alstrack.services.deviations import DeviationIn, DispositionIn
from alstrack.services.donors import DeterminationIn, DonorIn, DonorOut, DonorTestIn
from alstrack.services.product_results import CorrectionIn, JudgementsOut, ResultIn, ResultOut
from alstrack.services.product_steps import StepIn
from alstrack.services.product_views import DeviationOut, ProductOut, StepOut, TraceOut
from alstrack.services.products import AutologousIn, LotIn

router = APIRouter(tags=["products"])


@router.post(
    "/donors",
    status_code=status.HTTP_201_CREATED,
    summary="Register a donor",
    openapi_extra=needs("products.write"),
)
def register_donor(data: DonorIn, db: DB, actor: CurrentActor) -> DonorOut:
    return donors.register_donor(db, actor, data)


@router.get(
    "/donors/{donor_id}",
    summary="A donor, their tests and the DON- rules on them",
    openapi_extra=needs("products.read"),
)
def get_donor(donor_id: Id, db: DB, actor: CurrentActor) -> DonorOut:
    return donors.get_donor(db, actor, donor_id)


@router.post(
    "/donors/{donor_id}/tests",
    status_code=status.HTTP_201_CREATED,
    summary="Record an infectious-disease test (a repeat supersedes it, with a reason)",
    openapi_extra=needs("products.write"),
)
def record_donor_test(donor_id: Id, data: DonorTestIn, db: DB, actor: CurrentActor) -> DonorOut:
    return donors.record_donor_test(db, actor, donor_id, data)


@router.post(
    "/donors/{donor_id}/determination",
    summary="QA determines the donor eligible or not from the DON- rules (signed 'determined')",
    openapi_extra=needs("products.release"),
)
def determine(donor_id: Id, data: DeterminationIn, db: DB, actor: CurrentActor) -> DonorOut:
    return donors.determine_eligibility(db, actor, donor_id, data)


@router.get(
    "/donors/{donor_id}/products",
    summary="Every lot made from the donor",
    openapi_extra=needs("products.read"),
)
def donor_products(donor_id: Id, db: DB, actor: CurrentActor) -> list[ProductOut]:
    return products.donor_products(db, actor, donor_id)


@router.post(
    "/products/lots",
    status_code=status.HTTP_201_CREATED,
    summary="Register an allogeneic lot",
    openapi_extra=needs("products.write"),
)
def register_lot(data: LotIn, db: DB, actor: CurrentActor) -> ProductOut:
    return products.register_lot(db, actor, data)


@router.post(
    "/products/autologous",
    status_code=status.HTTP_201_CREATED,
    summary="Register an autologous product from the patient's open collection order",
    openapi_extra=needs("products.write"),
)
def register_autologous(data: AutologousIn, db: DB, actor: CurrentActor) -> ProductOut:
    return products.register_autologous(db, actor, data)


@router.get(
    "/products/{din}",
    summary="Trace a product: its donor or patient and every step of custody",
    openapi_extra=needs("products.read"),
)
def get_product(din: str, db: DB, actor: CurrentActor) -> TraceOut:
    return products.get_product(db, actor, din)


@router.post(
    "/products/{din}/steps",
    status_code=status.HTTP_201_CREATED,
    summary="Take the next step (refused out of order or when a guard fails, with the reasons)",
    openapi_extra=needs("products.write", "products.administer", "products.release", any_of=True),
)
def take_step(din: str, data: StepIn, db: DB, actor: CurrentActor) -> StepOut:
    return product_steps.take_step(db, actor, din, data)


@router.post(
    "/products/{din}/results",
    status_code=status.HTTP_201_CREATED,
    summary="Enter a QC result",
    openapi_extra=needs("products.write"),
)
def enter_result(din: str, data: ResultIn, db: DB, actor: CurrentActor) -> ResultOut:
    return product_results.enter_result(db, actor, din, data)


@router.post(
    "/products/{din}/results/{result_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    summary="Correct a QC result: a new result supersedes it, with a reason",
    openapi_extra=needs("products.write"),
)
def correct_result(
    din: str, result_id: Id, data: CorrectionIn, db: DB, actor: CurrentActor
) -> ResultOut:
    return product_results.correct_result(db, actor, din, result_id, data)


@router.get(
    "/products/{din}/judgements",
    summary="Every release test judged pass, fail or missing, and the release blockers",
    openapi_extra=needs("products.read"),
)
def get_judgements(din: str, db: DB, actor: CurrentActor) -> JudgementsOut:
    return product_results.get_judgements(db, actor, din)


@router.post(
    "/products/{din}/deviations",
    status_code=status.HTTP_201_CREATED,
    summary="Open a deviation (it blocks release and administration until disposed)",
    openapi_extra=needs("products.administer", "products.write", any_of=True),
)
def open_deviation(din: str, data: DeviationIn, db: DB, actor: CurrentActor) -> DeviationOut:
    return deviations.open_deviation(db, actor, din, data)


@router.post(
    "/products/{din}/deviations/{deviation_id}/disposition",
    summary="QA disposes of a deviation: use as is or discard, signed, with a reason",
    openapi_extra=needs("products.release"),
)
def dispose_deviation(
    din: str, deviation_id: Id, data: DispositionIn, db: DB, actor: CurrentActor
) -> DeviationOut:
    return deviations.dispose_deviation(db, actor, din, deviation_id, data)


@router.get(
    "/patients/{patient_id}/products",
    summary="Every product made for the patient",
    openapi_extra=needs("products.read"),
)
def patient_products(patient_id: Id, db: DB, actor: CurrentActor) -> list[ProductOut]:
    return products.patient_products(db, actor, patient_id)
