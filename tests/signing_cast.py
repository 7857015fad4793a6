"""The password every member of the test cast signs with (each has it set as their own)."""

from typing import Any

from pydantic import SecretStr

PASSWORD = "cast passphrase for signing"
SECRET = SecretStr(PASSWORD)

SIGNED_STEPS = frozenset({"release", "reject"})


def step_fields(name: object, fields: dict[str, Any]) -> dict[str, Any]:
    """A product step's fields, with the password where the step is signed."""
    signed = getattr(name, "value", name) in SIGNED_STEPS
    return {"password": SECRET, **fields} if signed else fields
