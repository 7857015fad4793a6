"""Every endpoint answers every role as the permission matrix says (domain/permissions.py).

Each operation of the OpenAPI document declares what it needs (``x-permission``, api/deps.py).
For every operation and every role, a user of that role calls it with placeholder path values
and an empty JSON body. A role the matrix does not allow is refused with 403 naming what is
needed, before the body is read, and nothing is stored; a role it allows is never refused with
403 (it gets an answer, a 404, or a 422 for the empty body). A read-only token of every role is
refused everything that is not reading. The routes that need no sign-in are exactly the public
few, and /docs tells each operation's roles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alstrack.api.app import create_app
from alstrack.api.deps import PERMISSION_KEY, authenticated_routes, roles_allowed
from alstrack.config import Settings
from alstrack.domain.permissions import ROLES, allows
from alstrack.services import users

# One person of each role (the cast has seven; QA and pharmacovigilance join here).
PEOPLE = {
    "coordinator": "alice",
    "physician": "chen",
    "nurse": "nina",
    "lab_technician": "ben",
    "data_analyst": "olga",
    "auditor": "aude",
    "admin": "adam",
    "qa": "quinn",
    "pharmacovigilance": "pia",
}
PUBLIC = {("GET", "/health"), ("POST", "/auth/login"), ("POST", "/auth/logout"), ("GET", "/")}
WRITING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def everyone(clinic: Any, pat: Any) -> dict[str, TestClient]:
    """A client per role (Pat is registered at NORTH, so reads find a patient)."""
    clinic.join("quinn", "Quinn Abara", "qa", ["NORTH"])
    clinic.join("pia", "Pia Lund", "pharmacovigilance", ["NORTH"])
    app = create_app(Settings(), db=clinic.db)
    clients = {}
    for role, username in PEOPLE.items():
        client = TestClient(app)
        client.headers["Authorization"] = f"Bearer {clinic.tokens[username]}"
        clients[role] = client
    return clients


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _url(path: str, username: str) -> str:
    """Placeholder path values: record ids 1, the caller's own username, a product's DIN."""
    filled = path.replace("{username}", username).replace("{din}", "W000026000001")
    return re.sub(r"\{[a-z_]+\}", "1", filled)


def _call(client: TestClient, method: str, url: str) -> Any:
    return client.request(method, url, json={} if method in WRITING else None)


def test_every_operation_that_needs_a_sign_in_declares_its_permission(
    everyone: dict[str, TestClient],
) -> None:
    schema = everyone["admin"].get("/openapi.json").json()
    undeclared = [
        (method, path)
        for method, path, operation in _operations(schema)
        if (method, path) not in PUBLIC and PERMISSION_KEY not in operation
    ]
    assert undeclared == []


def test_only_the_public_few_answer_without_a_sign_in(clinic: Any) -> None:
    app = create_app(Settings(), db=clinic.db)
    schema = TestClient(app).get("/openapi.json").json()
    signed_in = {
        (route.path_format, m) for route, _ in authenticated_routes(app) for m in route.methods
    }
    public = {
        (method, path) for method, path, _ in _operations(schema) if (path, method) not in signed_in
    }
    assert public == PUBLIC - {("GET", "/")}  # the home page is not in the API's schema
    anonymous = TestClient(app)
    for method, path, _ in _operations(schema):
        if (method, path) not in PUBLIC:
            assert _call(anonymous, method, _url(path, "nobody")).status_code == 401, path


def test_a_role_the_matrix_does_not_allow_gets_403_and_nothing_is_stored(
    everyone: dict[str, TestClient], stored: Callable[[], dict[str, int]]
) -> None:
    schema = everyone["admin"].get("/openapi.json").json()
    before = stored()
    refused = 0
    for method, path, operation in _operations(schema):
        rule = operation.get(PERMISSION_KEY)
        if rule is None:
            continue
        allowed = set(roles_allowed(rule))
        for role, client in everyone.items():
            if role in allowed:
                continue
            response = _call(client, method, _url(path, PEOPLE[role]))
            assert response.status_code == 403, (method, path, role, response.text)
            message = response.json()["error"]["message"]
            assert f"The {role} role may not do this" in message
            assert any(p in message for p in (*rule.get("all_of", ()), *rule.get("any_of", ())))
            refused += 1
    assert refused > 300  # every role is refused somewhere: the matrix is not all yes
    assert stored() == before


def test_a_role_the_matrix_allows_is_never_refused_with_403(
    everyone: dict[str, TestClient],
) -> None:
    schema = everyone["admin"].get("/openapi.json").json()
    answered: dict[int, int] = {}
    for method, path, operation in _operations(schema):
        rule = operation.get(PERMISSION_KEY)
        if rule is None:
            continue
        for role in roles_allowed(rule):
            response = _call(everyone[role], method, _url(path, PEOPLE[role]))
            assert response.status_code not in (401, 403), (method, path, role, response.text)
            assert response.status_code < 500, (method, path, role, response.text)
            answered[response.status_code] = answered.get(response.status_code, 0) + 1
    assert answered.get(200, 0) > 100  # reads of Pat and of lists answered, not only refusals


def test_a_read_only_token_of_any_role_may_only_read(
    clinic: Any, everyone: dict[str, TestClient]
) -> None:
    app = everyone["admin"].app
    schema = everyone["admin"].get("/openapi.json").json()
    for role, username in PEOPLE.items():
        reader = TestClient(app)
        token = users.issue_token(clinic.db, clinic.system, username, "read", scope="read")
        reader.headers["Authorization"] = f"Bearer {token}"
        for method, path, operation in _operations(schema):
            rule = operation.get(PERMISSION_KEY)
            if not rule or role not in roles_allowed(rule):
                continue  # refused to the role anyway, or for any signed-in user
            status = _call(reader, method, _url(path, username)).status_code
            if not rule.get("all_of") and not rule.get("any_of"):
                # A signed-in user's own business (password, tokens, attestation, second
                # factor): a read-only token reads it, and changes nothing (an empty body may
                # be refused as invalid first).
                assert (status != 403) if method == "GET" else status in (403, 422), (
                    method,
                    path,
                    role,
                    status,
                )
                continue
            if rule.get("any_of"):
                reading = any(p.endswith(".read") and allows(role, p) for p in rule["any_of"])
            else:
                reading = all(p.endswith(".read") for p in rule["all_of"])
            assert (status == 403) == (not reading), (method, path, role, status)


def test_the_docs_name_the_roles_of_each_operation(everyone: dict[str, TestClient]) -> None:
    schema = everyone["admin"].get("/openapi.json").json()
    approval = schema["paths"]["/plans/{plan_id}/approval"]["post"]
    assert approval[PERMISSION_KEY] == {"all_of": ["plans.approve"]}
    assert approval["description"].endswith(
        "**Permission:** Needs `plans.approve` — roles: physician."
    )
    steps = schema["paths"]["/products/{din}/steps"]["post"]["description"]
    assert "roles: physician, nurse, lab_technician, qa." in steps


def test_every_role_of_the_matrix_is_tried() -> None:
    assert set(PEOPLE) == set(ROLES) - {"system"}
