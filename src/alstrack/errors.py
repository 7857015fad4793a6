"""The error tree: every error a user can see carries a code, the fields at fault and a message.

    AlstrackError                 code            HTTP
    ├── InvalidInput              invalid_input   422   a value is not allowed (names the field)
    ├── NotFound                  not_found       404   no such record, or not visible to the user
    ├── Conflict                  conflict        409   the record changed since it was read
    ├── PermissionDenied          forbidden       403   the role may not do this
    ├── Unauthenticated           unauthenticated 401   no or bad credentials
    └── StepRefused               step_refused    409   a step out of order

Domain code raises these; the API maps them to HTTP in one handler, the CLI prints the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One field at fault and what is allowed instead."""

    field: str
    message: str


@dataclass
class AlstrackError(Exception):
    """Base of every error a user can see."""

    message: str
    fields: list[FieldError] = field(default_factory=list)
    code: str = "error"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        # A field the message already names (InvalidInput.for_field) is not said twice.
        details = [f"{f.field}: {f.message}" for f in self.fields]
        unsaid = [d for d in details if d not in self.message]
        return f"{self.message} ({'; '.join(unsaid)})" if unsaid else self.message


@dataclass
class InvalidInput(AlstrackError):
    code: str = "invalid_input"

    @classmethod
    def for_field(cls, field_name: str, message: str) -> InvalidInput:
        return cls(f"Invalid value for {field_name}: {message}", [FieldError(field_name, message)])


@dataclass
class NotFound(AlstrackError):
    code: str = "not_found"


@dataclass
class Conflict(AlstrackError):
    code: str = "conflict"


@dataclass
class PermissionDenied(AlstrackError):
    code: str = "forbidden"


@dataclass
class Unauthenticated(AlstrackError):
    code: str = "unauthenticated"


@dataclass
class StepRefused(AlstrackError):
    code: str = "step_refused"
