"""Cell products: the lifecycle state machine and the release specifications.

spec = builtin_specifications().get("autologous_bm_msc", field="cell_source")
judgements = judge_results(spec, {"cd73_pct": 98.2, ...}, planned_dose_cells=70_000_000)
state = next_state("autologous", State.QC_TESTING, Step.RELEASE, context=StepContext(...))
"""

from alstrack.domain.products.lifecycle import (
    FINAL_STATES,
    GUARDS,
    INITIAL_STATES,
    KINDS,
    TRANSITIONS,
    Guard,
    ProductKind,
    State,
    Step,
    StepContext,
    StepEvent,
    allowed_steps,
    next_state,
    refusals,
    turnaround_days,
)
from alstrack.domain.products.specifications import (
    Cited,
    Outcome,
    ReleaseTest,
    ResultValue,
    Source,
    Specification,
    SpecificationSet,
    TestJudgement,
    builtin_specifications,
    expiry_after_thaw,
    judge_dose_endotoxin,
    judge_results,
    load_specifications,
    release_blockers,
)

__all__ = [
    "FINAL_STATES",
    "GUARDS",
    "INITIAL_STATES",
    "KINDS",
    "TRANSITIONS",
    "Cited",
    "Guard",
    "Outcome",
    "ProductKind",
    "ReleaseTest",
    "ResultValue",
    "Source",
    "Specification",
    "SpecificationSet",
    "State",
    "Step",
    "StepContext",
    "StepEvent",
    "TestJudgement",
    "allowed_steps",
    "builtin_specifications",
    "expiry_after_thaw",
    "judge_dose_endotoxin",
    "judge_results",
    "load_specifications",
    "next_state",
    "refusals",
    "release_blockers",
    "turnaround_days",
]
