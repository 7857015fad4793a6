"""`alstrack product label` and `alstrack product report`: files written, exit codes, messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from alstrack.cli.common import console, err_console
from alstrack.cli.main import app
from alstrack.config import get_settings
from alstrack.services.product_views import ProductOut

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture(autouse=True)
def cli_on_the_clinic(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The commands read the clinic's database; one message a line (Rich wraps at 80)."""
    monkeypatch.setenv("ALSTRACK_DATABASE_URL", clinic.db.url)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_label_writes_the_pdf_to_the_file_and_says_so(
    lot: Callable[..., ProductOut], tmp_path: Path
) -> None:
    product = lot()
    target = tmp_path / "label.pdf"
    result = run(
        "product", "label", product.din, "--format", "pdf", "-o", str(target), "--as", "olga"
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF")
    assert result.stdout == f"Wrote the label of {product.eye_readable} to {target}.\n"


def test_report_writes_html_to_the_file_and_exits_0(
    lot: Callable[..., ProductOut], tmp_path: Path
) -> None:
    product = lot()
    target = tmp_path / "report.html"
    din = f"{product.eye_readable} {product.check_character}"  # typed with its check character
    result = run("product", "report", din, "--output", str(target), "--as", "sami")
    assert result.exit_code == 0, result.output
    html = target.read_text()
    assert "Chain-of-custody report" in html
    assert "Generated" in html
    assert "by sami." in html


def test_without_output_the_html_goes_to_stdout(lot: Callable[..., ProductOut]) -> None:
    result = run("product", "label", lot().din, "--as", "olga")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!doctype html>")
    assert "UC-0001" in result.stdout


def test_an_unknown_din_exits_1_saying_there_is_no_such_product(tmp_path: Path) -> None:
    target = tmp_path / "label.pdf"
    result = run(
        "product", "label", "G123499000001", "--format", "pdf", "-o", str(target), "--as", "olga"
    )
    assert result.exit_code == 1
    assert result.stderr == "error: No product G123499000001.\n"
    assert not target.exists()


def test_a_mistyped_check_character_exits_1_with_the_reason() -> None:
    result = run("product", "report", "G123417654321B", "--as", "olga")
    assert result.exit_code == 1
    assert "check character B does not match this DIN" in result.stderr
    assert result.stdout == ""


def test_an_unknown_user_or_a_role_without_products_read_exits_1(
    lot: Callable[..., ProductOut],
) -> None:
    din = lot().din
    nobody = run("product", "label", din, "--as", "nobody")
    assert nobody.exit_code == 1
    assert nobody.stderr == "error: No active user 'nobody'.\n"
    admin = run("product", "report", din, "--as", "adam")
    assert admin.exit_code == 1
    assert "may not do this (products.read)" in admin.stderr


def test_a_format_other_than_html_or_pdf_is_refused_by_the_option(
    lot: Callable[..., ProductOut],
) -> None:
    result = run("product", "label", lot().din, "--format", "docx", "--as", "olga")
    assert result.exit_code == 2
    assert "docx" in result.stderr
