"""The registry's vocabulary: onset regions, diagnostic criteria, genetics, drugs and milestones."""

from __future__ import annotations

from typing import Literal, get_args

Sex = Literal["female", "male"]
OnsetRegion = Literal["bulbar", "upper_limb", "lower_limb", "respiratory", "trunk", "generalised"]
# Revised El Escorial (Brooks et al., ALS 2000;1:293) categories and the Gold Coast criteria
# (Shefner et al., Clin Neurophysiol 2020;131:1975), which give a yes/no diagnosis.
DiagnosticCriteria = Literal["revised_el_escorial", "gold_coast"]
EL_ESCORIAL_CATEGORIES = (
    "definite",
    "probable",
    "probable_laboratory_supported",
    "possible",
    "suspected",
)
GOLD_COAST_CATEGORIES = ("als", "not_als")
DiagnosticCategory = Literal[
    "definite",
    "probable",
    "probable_laboratory_supported",
    "possible",
    "suspected",
    "als",
    "not_als",
]
CATEGORIES_BY_CRITERIA: dict[str, tuple[str, ...]] = {
    "revised_el_escorial": EL_ESCORIAL_CATEGORIES,
    "gold_coast": GOLD_COAST_CATEGORIES,
}
Genetics = Literal["c9orf72", "sod1", "fus", "tardbp", "other", "none_found", "not_tested"]
YesNoUnknown = Literal["yes", "no", "unknown"]
Drug = Literal["riluzole", "edaravone", "tofersen", "other"]
MilestoneKind = Literal["gastrostomy", "niv_start", "niv_over_23h", "tracheostomy", "death"]
SpirometryPosition = Literal["upright", "supine"]
RecordStatus = Literal["current", "superseded", "entered_in_error"]

MILESTONE_KINDS: tuple[str, ...] = get_args(MilestoneKind)
ONSET_REGIONS: tuple[str, ...] = get_args(OnsetRegion)


def is_bulbar_onset(region: str | None) -> bool | None:
    """ENCALS and most trials split onset into bulbar and spinal (respiratory counts as spinal)."""
    if region is None:
        return None
    return region == "bulbar"


def check_genetics(values: list[str]) -> str | None:
    """A reason the list of genetic findings is contradictory, or None if it is coherent."""
    exclusive = {"none_found", "not_tested"}
    chosen = set(values)
    if len(chosen) != len(values):
        return "lists a finding twice"
    if chosen & exclusive and len(chosen) > 1:
        return "'none_found' and 'not_tested' cannot be combined with other findings"
    return None


def check_category(criteria: str | None, category: str | None) -> str | None:
    """A reason the diagnostic category does not belong to the criteria, or None."""
    if category is None:
        return None
    if criteria is None:
        return "a diagnostic category needs the diagnostic criteria it belongs to"
    allowed = CATEGORIES_BY_CRITERIA[criteria]
    if category not in allowed:
        return f"{criteria} allows {', '.join(allowed)}"
    return None
