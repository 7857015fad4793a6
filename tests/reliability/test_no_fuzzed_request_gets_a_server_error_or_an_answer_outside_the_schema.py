"""Schemathesis makes requests for every operation of the OpenAPI description from its schema:
none may answer 5xx, and every answer must be one the description allows (status, content type,
body schema, headers); requests that break the schema must be refused with a 4xx.

The requests go in-process to the ASGI app over a seeded clinic (tests/reliability/conftest.py),
each with the token of a user whose role may make it: Dr Chen (physician) for the clinical
pathway, Adam (admin) for sites, users, tokens and consent documents, Ben (lab) for donors, lots
and QC results, Quinn (QA) for determinations and dispositions. Each operation is fuzzed three
ways: valid requests aimed at the seeded records (Pat, his assessment, his consent…), valid
requests with generated ids, and schema-breaking requests. Generation is derandomized, so a run
sends the same requests every time; the figures are in docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import traceback
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.schemas import APIOperation

from alstrack.api.app import create_app
from alstrack.config import Settings

# The checks that say "no server error, nothing outside the schema, bad input refused".
CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
EXAMPLES = 6  # valid requests per operation, aimed at the seeded records where it has ids
RANDOM_IDS = 3  # valid requests with generated ids, where the operation has seeded ids too
NEGATIVE = 4  # schema-breaking requests per operation
# Documents are rendered by matplotlib and WeasyPrint (about a second each): fewer of them.
DOCUMENT_EXAMPLES = 2
DOCUMENT_SUFFIXES = (".html", ".pdf")


def _user_for(operation: APIOperation) -> str:
    """The cast member whose role may make this request."""
    path, method = operation.path, operation.method.lower()
    if path.startswith(("/users", "/tokens")) or (
        path.startswith(("/sites", "/consent-documents")) and method != "get"
    ):
        return "adam"
    if path.startswith("/donors") and not path.endswith("/determination"):
        return "ben"
    if path in ("/products/lots", "/products/autologous") or "/results" in path:
        return "ben"
    if path.endswith(("/determination", "/disposition")):
        return "quinn"
    return "chen"


def _seeded_path_parameters(operation: APIOperation, seeded: Any) -> dict[str, Any]:
    """Path parameters naming the seeded records, where the operation has such parameters."""
    chosen: dict[str, Any] = {}
    for parameter in operation.path_parameters:
        name = parameter.name
        if name == "record_id":
            collection = operation.path.split("/")[1]
            if collection in seeded.records:
                chosen[name] = seeded.records[collection]
        elif name in seeded.ids:
            chosen[name] = seeded.ids[name]
    return chosen


class Tally:
    """Requests sent, answers by status, and every failure with its reproduction."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []


def _fuzz(
    operation: APIOperation,
    strategy: Any,
    examples: int,
    headers: dict[str, str],
    tally: Tally,
    label: str,
) -> None:
    checks = [CHECKS.get_one(name) for name in CHECK_NAMES]

    @given(case=strategy)
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        # Failures are collected, not raised: nothing to shrink, and every one is reported.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case: Any) -> None:
        try:
            response = case.call()
        except Exception:
            tally.failures.append(
                f"{operation.label} [{label}] raised:\n{traceback.format_exc()}\n"
                f"{case.as_curl_command(headers=headers)}"
            )
            return
        tally.sent[label] += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (Exception, BaseExceptionGroup) as failure:
            tally.failures.append(f"{operation.label} [{label}] {response.status_code}: {failure}")

    # An operation with nothing to break (no parameters, no body) has no schema-breaking case.
    with contextlib.suppress(Unsatisfiable):
        send()


@pytest.mark.slow
def test_no_fuzzed_request_gets_a_server_error_or_an_answer_outside_the_schema(
    clinic: Any, seeded: Any, record_property: Callable[[str, object], None]
) -> None:
    app = create_app(Settings(), db=clinic.db)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tally = Tally()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        headers = {"Authorization": f"Bearer {clinic.tokens[_user_for(operation)]}"}
        pinned = _seeded_path_parameters(operation, seeded)
        document = operation.path.endswith(DOCUMENT_SUFFIXES)
        runs = [
            (
                operation.as_strategy(headers=headers, path_parameters=pinned or None),
                DOCUMENT_EXAMPLES if document else EXAMPLES,
                "seeded ids" if pinned else "valid",
            ),
            (
                operation.as_strategy(GenerationMode.NEGATIVE, headers=headers),
                DOCUMENT_EXAMPLES if document else NEGATIVE,
                "schema-breaking",
            ),
        ]
        if pinned and not document:
            runs.append((operation.as_strategy(headers=headers), RANDOM_IDS, "valid"))
        for strategy, examples, label in runs:
            _fuzz(operation, strategy, examples, headers, tally, label)
    record_property(
        "figures",
        f"schemathesis [{clinic.db.dialect}]: {len(operations)} operations, "
        f"{sum(tally.sent.values())} requests {dict(tally.sent)}, "
        f"answers {dict(sorted(tally.statuses.items()))}, {len(tally.failures)} failures",
    )
    # The seeded ids reach the services: records are written, not only refused.
    assert tally.statuses[201] >= 20
    assert not tally.failures, "\n\n".join(tally.failures)
