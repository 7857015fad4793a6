"""What a benchmark promises: a measured value, a comparison and the number it must meet."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass

_OPS = {"<=": operator.le, ">=": operator.ge}


@dataclass(frozen=True)
class Target:
    """``key`` of a benchmark's result must be ``op`` ``value`` (e.g. ratio >= 1/3)."""

    label: str
    key: str
    op: str
    value: float
    unit: str = ""

    def met(self, result: Mapping[str, float]) -> bool:
        return bool(_OPS[self.op](result[self.key], self.value))

    def describe(self) -> str:
        return f"{self.label} {self.op} {self.value:.3g}{self.unit}"
