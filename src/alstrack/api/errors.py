"""The one place that turns alstrack errors and invalid requests into HTTP responses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException

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


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def _body(code: str, message: str, fields: list[dict[str, str]]) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields}}


def error_response(exc: AlstrackError) -> JSONResponse:
    """The answer to an alstrack error: its status, and its code, message and fields."""
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    fields = [{"field": f.field, "message": f.message} for f in exc.fields]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(_body(exc.code, exc.message, fields), status_code=status, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    # Drop pydantic's union/type tags (e.g. 'function-after[...]') that mean nothing to a user.
    parts = [p for p in parts if "[" not in p]
    return ".".join(parts) or "body"


_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}


def _errors_documented_as_json(app: FastAPI) -> None:
    """Document error answers as JSON on every route, HTML and PDF documents included.

    FastAPI files a route's extra responses under the route's own media type, so a document
    route claimed its errors were text/html; the handlers below always answer JSON.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()  # FastAPI keeps it as app.openapi_schema: this runs once
        for item in schema["paths"].values():
            for operation in item.values():
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    for media_type in [m for m in content if m != "application/json"]:
                        if content[media_type].get("schema") == _ERROR_SCHEMA:
                            content["application/json"] = content.pop(media_type)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    _errors_documented_as_json(app)

    @app.exception_handler(AlstrackError)
    async def _alstrack_error(_request: Request, exc: AlstrackError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # A uniqueness or reference constraint caught a change that raced another one.
        message = "The record changed concurrently or would duplicate another; reload and retry."
        return JSONResponse(_body("conflict", message, []), status_code=409)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        # The framework's own refusals (no such route, a method the route lacks, a body it could
        # not read) in the one error shape.
        if exc.status_code == 400:
            # FastAPI's only 400: a JSON body that is not UTF-8 text (invalid JSON is a 422).
            message = "must be JSON text encoded as UTF-8"
            fields = [{"field": "body", "message": message}]
            return JSONResponse(
                _body("invalid_input", f"Invalid input: body: {message}", fields), status_code=422
            )
        code = _HTTP_CODES.get(exc.status_code, "error")
        return JSONResponse(
            _body(code, str(exc.detail), []), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = []
        for err in exc.errors():
            message = str(err.get("msg", "invalid"))
            if err.get("type") == "extra_forbidden":
                message = "is not a field of this record"
            if err.get("type") == "json_invalid":
                # The location is a character position: name the body, and say where.
                where, detail = err["loc"][-1], err.get("ctx", {}).get("error", "")
                fields.append(
                    {
                        "field": "body",
                        "message": f"is not valid JSON ({detail} at character {where})",
                    }
                )
                continue
            fields.append({"field": _field_name(tuple(err.get("loc", ()))), "message": message})
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return JSONResponse(
            _body("invalid_input", f"Invalid input: {summary}", fields), status_code=422
        )
