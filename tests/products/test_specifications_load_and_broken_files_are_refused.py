"""The shipped product specifications load; a broken file is refused naming it and the problem."""

from __future__ import annotations

import copy
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from alstrack.domain.products import builtin_specifications, load_specifications
from alstrack.errors import InvalidInput

SHIPPED = files("alstrack.domain").joinpath("data", "products", "specifications.yaml")


def shipped() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return document


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "specifications.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def test_the_shipped_file_holds_a_versioned_specification_per_cell_source() -> None:
    specs = builtin_specifications()
    assert (specs.specifications, specs.version) == ("cell_products", "1.1")
    assert specs.ids() == (
        "autologous_bm_msc",
        "autologous_adipose_msc",
        "allogeneic_uc_msc",
        "allogeneic_wj_msc",
    )
    assert all(product.version == "1.1" for product in specs.products)


def test_the_specifications_are_read_once_and_cannot_be_changed() -> None:
    assert builtin_specifications() is builtin_specifications()
    with pytest.raises(ValueError, match="frozen"):
        builtin_specifications().products[0].tests[0].limit = 50.0  # type: ignore[misc]


def test_an_unknown_product_is_refused_on_the_field_naming_the_ids() -> None:
    with pytest.raises(InvalidInput) as caught:
        builtin_specifications().get("autologous_pb_msc", field="cell_source")
    [error] = caught.value.fields
    assert error.field == "cell_source"
    assert "choose autologous_bm_msc, autologous_adipose_msc" in error.message


def test_it_loads_a_good_file_from_a_path(tmp_path: Path) -> None:
    assert load_specifications(write(tmp_path, shipped())) == builtin_specifications()


def in_test(product: int, index: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["products"][product]["tests"][index].update(changes)


BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("duplicate product", lambda d: d["products"][1].update(id="autologous_bm_msc"),
     "duplicate product ids: autologous_bm_msc"),
    ("duplicate test", in_test(0, 1, id="cd73_pct"),
     "autologous_bm_msc: duplicate test ids: cd73_pct"),
    ("no tests", lambda d: d["products"][2].update(tests=[]),
     "allogeneic_uc_msc: the specification has no tests"),
    ("no products", lambda d: d.update(products=[]), "the file has no product specifications"),
    ("unknown source", in_test(0, 0, sources=["ISCT_2060"]),
     "autologous_bm_msc cites unknown sources: ISCT_2060"),
    ("read without a source", in_test(0, 0, sources=[]),
     "a value whose status is 'read' names its sources"),
    ("unknown status", in_test(0, 0, status="recalled"), "products.0.tests.0.status"),
    ("no status", lambda d: d["products"][0]["tests"][0].pop("status"),
     "products.0.tests.0.status: Field required"),
    ("range on a minimum", in_test(0, 0, range=[90, 100]),
     "cd73_pct: operator gte takes limit (and only it)"),
    ("minimum without limit", lambda d: d["products"][0]["tests"][0].pop("limit"),
     "cd73_pct: operator gte takes limit (and only it)"),
    ("accepted code not among codes", in_test(0, 12, accepted=["absent"]),
     "mycoplasma: accepted codes must be some of codes"),
    ("not_done accepted", in_test(0, 12, accepted=["negative", "not_done"]),
     "mycoplasma: accepted codes must be some of codes (not not_done)"),
    ("negative limit", in_test(0, 3, limit=-2), "products.0.tests.3.limit"),
    ("unknown operator", in_test(0, 3, operator="below"), "products.0.tests.3.operator"),
    ("tolerance of 100%", in_test(0, 16, tolerance_pct=100), "products.0.tests.16.tolerance_pct"),
    ("misspelt key", in_test(0, 0, lmit=95),
     "products.0.tests.0.lmit: Extra inputs are not permitted"),
    ("rule that is not a REL- rule", in_test(0, 0, rule="INC-AGE-001"), "products.0.tests.0.rule"),
    ("zero hours after thaw", lambda d: d["products"][0]["expiry_after_thaw_hours"].update(value=0),
     "products.0.expiry_after_thaw_hours.value"),
    ("another kind of file", lambda d: d.update(specifications="routes"),
     "specifications: Input should be 'cell_products'"),
    ("no version", lambda d: d.pop("version"), "version: Field required"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "reason"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_it_refuses_a_broken_file_naming_the_file_and_the_reason(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], reason: str
) -> None:
    document = copy.deepcopy(shipped())
    change(document)
    path = write(tmp_path, document)
    with pytest.raises(InvalidInput) as caught:
        load_specifications(path)
    [error] = caught.value.fields
    assert error.field == str(path)
    assert reason in error.message


def test_it_refuses_a_file_that_is_not_yaml_or_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "specifications.yaml"
    path.write_text("products: [unclosed", encoding="utf-8")
    with pytest.raises(InvalidInput, match="cannot be read as YAML"):
        load_specifications(path)
    with pytest.raises(InvalidInput, match="must hold a mapping with specifications, version"):
        load_specifications(write(tmp_path, ["a", "list"]))
    with pytest.raises(InvalidInput, match="cannot be read"):
        load_specifications(tmp_path / "missing.yaml")
