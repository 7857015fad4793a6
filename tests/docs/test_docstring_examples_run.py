"""Every example written in a docstring (>>>) runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import alstrack

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(alstrack.__path__, prefix="alstrack.")
    if ".migrations" not in info.name
)


def test_the_package_has_modules_with_examples() -> None:
    finder = doctest.DocTestFinder()
    with_examples = [
        name
        for name in MODULES
        if any(test.examples for test in finder.find(importlib.import_module(name)))
    ]
    assert len(with_examples) >= 10  # the walk found the package's modules


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of_each_module_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
