"""Statistics over many patients: the cohort model (and, in `synthetic`, a synthetic clinic)."""

from alstrack.analysis.mixed import PiecewiseSlopeModel

__all__ = ["PiecewiseSlopeModel"]
