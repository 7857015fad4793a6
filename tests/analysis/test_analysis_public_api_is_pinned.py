"""The analysis package exports exactly its public API."""

from __future__ import annotations

import alstrack.analysis as analysis


def test_it_exports_exactly_the_public_names() -> None:
    assert sorted(analysis.__all__) == ["PiecewiseSlopeModel"]
    for name in analysis.__all__:
        assert hasattr(analysis, name)
