"""Sixteen writers race on one patient through a real server: no update is lost.

Each round, sixteen threads read the same version of a record and then, released together,
send their change of it to a real server (uvicorn in a thread, eight request threads; on SQLite
the writes then queue for the database's write lock, BEGIN IMMEDIATE). One change
wins per version; the fifteen others are refused with 409 and say why. Afterwards the record and
its audit trail hold every acknowledged change and nothing else. Sixteen new assessments sent at
once are all stored. Figures in docs/reliability.md.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from served import serving_in_thread

from alstrack.api.app import create_app
from alstrack.config import Settings

WRITERS = 16
ROUNDS = 3
REGIONS = ("upper_limb", "lower_limb", "respiratory", "trunk", "generalised", "bulbar")
HISTORY = {
    "onset_date": "2023-01-16",
    "onset_region": "bulbar",
    "diagnosis_date": "2023-09-04",
    "diagnostic_criteria": "revised_el_escorial",
    "diagnostic_category": "probable",
    "genetics": ["c9orf72"],
    "ftd": "no",
    "family_history": "yes",
}
ITEMS = {f"q{i}": 3 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 3}


@pytest.fixture
def server(clinic: Any) -> Iterator[str]:
    """The API served over HTTP with eight request threads (SQLite's default is one)."""
    with serving_in_thread(create_app(Settings(request_threads=8), db=clinic.db)) as url:
        yield url


@pytest.fixture
def client(clinic: Any, server: str) -> Callable[[], httpx2.Client]:
    """A new HTTP client of Alice's (one per thread)."""

    def make() -> httpx2.Client:
        headers = {"Authorization": f"Bearer {clinic.tokens['alice']}"}
        return httpx2.Client(base_url=server, headers=headers, timeout=60)

    return make


def _race(
    client: Callable[[], httpx2.Client],
    read: Callable[[httpx2.Client], Any],
    write: Callable[[httpx2.Client, int, Any], httpx2.Response],
) -> list[httpx2.Response]:
    """Every writer reads first; once all have read, all write at once. Answers in writer order."""
    start = threading.Barrier(WRITERS)
    answers: list[httpx2.Response | None] = [None] * WRITERS
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            with client() as http:
                seen = read(http)
                start.wait(timeout=60)
                answers[index] = write(http, index, seen)
        except BaseException as exc:  # reported below, with the writer's failure
            errors.append(exc)
            start.abort()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return [a for a in answers if a is not None]


def _one_wins(answers: list[httpx2.Response], won: int) -> httpx2.Response:
    """Exactly one answer is ``won``; every other is a 409 in the error shape, saying why."""
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [won] + [409] * (WRITERS - 1), statuses
    for refused in (a for a in answers if a.status_code == 409):
        error = refused.json()["error"]
        assert error["code"] in ("conflict", "step_refused")
        assert "version" in error["message"] or "superseded" in error["message"]
    return next(a for a in answers if a.status_code == won)


def _trail(http: httpx2.Client, patient_id: int, entity: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = http.get(f"/patients/{patient_id}/audit").json()
    return [e for e in entries if e["entity"] == entity]


def test_sixteen_writers_correcting_one_version_of_an_assessment_leave_one_correction_each_round(
    client: Callable[[], httpx2.Client],
    clinic: Any,
    pat: Any,
    record_property: Callable[[str, object], None],
) -> None:
    with client() as http:
        first = http.post(
            f"/patients/{pat.id}/assessments",
            json={
                "instrument": "alsfrs_r",
                "assessed_on": "2024-03-05",
                "assessed_by": "Dr Wei Chen",
                "responses": ITEMS,
            },
        ).json()
    current, winners = first["id"], []
    for round_ in range(ROUNDS):

        def read(http: httpx2.Client, record_id: int = current) -> Any:
            return http.get(f"/assessments/{record_id}").json()

        def correct(http: httpx2.Client, index: int, seen: Any, r: int = round_) -> httpx2.Response:
            record = {k: seen[k] for k in ("instrument", "assessed_on", "responses")}
            record["responses"] = {k: v for k, v in record["responses"].items() if v is not None}
            return http.post(
                f"/assessments/{seen['id']}/corrections",
                json={
                    "record": record | {"assessed_by": f"Rater {r}.{index}"},
                    "version": seen["version"],
                    "reason": f"Writer {index} of round {r}",
                },
            )

        winner = _one_wins(_race(client, read, correct), 201).json()
        assert winner["supersedes_id"] == current
        winners.append(winner)
        current = winner["id"]

    with client() as http:
        history = http.get(f"/patients/{pat.id}/assessments?include_history=true").json()
        trail = _trail(http, pat.id, "instrument_assessment")
    chain = [first["id"]] + [w["id"] for w in winners]
    assert [r["id"] for r in history] == chain
    assert [r["status"] for r in history] == ["superseded"] * ROUNDS + ["current"]
    assert [r["assessed_by"] for r in history[1:]] == [w["assessed_by"] for w in winners]
    assert [r["superseded_by_id"] for r in history[:-1]] == chain[1:]
    # One entry for the first record, then a correction and a supersession per acknowledged
    # write, each with the winner's reason: no trace of the refused ones.
    assert [(e["action"], int(e["entity_id"])) for e in trail] == [("create", first["id"])] + [
        pair
        for old, new in itertools.pairwise(chain)
        for pair in (("correct", new), ("supersede", old))
    ]
    assert [e["reason"] for e in trail[1:]] == [w["reason"] for w in winners for _ in range(2)]
    record_property(
        "figures",
        f"corrections [{clinic.db.dialect}]: {ROUNDS} rounds of {WRITERS} writers: "
        f"{ROUNDS} acknowledged, {ROUNDS * (WRITERS - 1)} refused with 409",
    )


def test_sixteen_writers_changing_one_version_of_the_als_history_leave_one_change_each_round(
    client: Callable[[], httpx2.Client], pat: Any
) -> None:
    winners = []
    for round_ in range(ROUNDS):

        def read(http: httpx2.Client) -> Any:
            return http.get(f"/patients/{pat.id}/history").json()

        def change(http: httpx2.Client, index: int, seen: Any, r: int = round_) -> httpx2.Response:
            return http.put(
                f"/patients/{pat.id}/history",
                json=HISTORY
                | {
                    "onset_region": REGIONS[(r + index) % len(REGIONS)],
                    "version": seen["version"],
                    "reason": f"Writer {index} of round {r}",
                },
            )

        answers = _race(client, read, change)
        winner = _one_wins(answers, 200)
        assert winner.json()["version"] == round_ + 2
        index = answers.index(winner)
        winners.append(
            (REGIONS[(round_ + index) % len(REGIONS)], f"Writer {index} of round {round_}")
        )

    with client() as http:
        final = http.get(f"/patients/{pat.id}/history").json()
        trail = _trail(http, pat.id, "als_history")
    assert (final["version"], final["onset_region"]) == (ROUNDS + 1, winners[-1][0])
    assert [e["action"] for e in trail] == ["create"] + ["update"] * ROUNDS
    assert [e["reason"] for e in trail[1:]] == [reason for _, reason in winners]


def test_sixteen_assessments_sent_at_once_are_all_stored(
    client: Callable[[], httpx2.Client], pat: Any
) -> None:
    def nothing(_http: httpx2.Client) -> None:
        return None

    def add(http: httpx2.Client, index: int, _seen: None) -> httpx2.Response:
        return http.post(
            f"/patients/{pat.id}/assessments",
            json={
                "instrument": "alsfrs_r",
                "assessed_on": f"2024-04-{index + 1:02d}",
                "assessed_by": f"Rater {index}",
                "responses": ITEMS,
            },
        )

    answers = _race(client, nothing, add)
    assert [a.status_code for a in answers] == [201] * WRITERS
    made = {a.json()["id"]: a.json()["assessed_by"] for a in answers}
    with client() as http:
        stored = http.get(f"/patients/{pat.id}/assessments").json()
        trail = _trail(http, pat.id, "instrument_assessment")
    assert {r["id"]: r["assessed_by"] for r in stored} == made
    assert sorted(int(e["entity_id"]) for e in trail if e["action"] == "create") == sorted(made)
    assert len(trail) == WRITERS
