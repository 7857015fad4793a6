"""The one place that turns alstrack errors and invalid requests into HTTP responses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from alstrack.errors import (
    AlstrackError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StepRefused,
    Unauthenticated,
)

STATUS: dict[type[AlstrackError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    StepRefused: 409,
    PermissionDenied: 403,
    Unauthenticated: 401,
}


class FieldErrorOut(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[FieldErrorOut]


class ErrorResponse(BaseModel):
    """Every error answer has this shape."""

    error: ErrorBody


def _body(code: str, message: str, fields: list[dict[str, str]]) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields}}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    # Drop pydantic's union/type tags (e.g. 'function-after[...]') that mean nothing to a user.
    parts = [p for p in parts if "[" not in p]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(AlstrackError)
    async def _alstrack_error(_request: Request, exc: AlstrackError) -> JSONResponse:
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        fields = [{"field": f.field, "message": f.message} for f in exc.fields]
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(
            _body(exc.code, exc.message, fields), status_code=status, headers=headers
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # A uniqueness or reference constraint caught a change that raced another one.
        message = "The record changed concurrently or would duplicate another; reload and retry."
        return JSONResponse(_body("conflict", message, []), status_code=409)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = []
        for err in exc.errors():
            message = str(err.get("msg", "invalid"))
            if err.get("type") == "extra_forbidden":
                message = "is not a field of this record"
            fields.append({"field": _field_name(tuple(err.get("loc", ()))), "message": message})
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return JSONResponse(
            _body("invalid_input", f"Invalid input: {summary}", fields), status_code=422
        )
