"""Domain errors to HTTP: one JSON shape for every error, the field named when input was bad.

* ``InvalidInput`` (from the domain, or a request that does not fit the schema) -> 422
  ``{"error": "invalid_input", "field": "email", "reason": "...", "detail": "..."}``
* ``NotFound`` -> 404 (a foreign id is a missing id), ``AlreadyExists``/``DuplicateEmail`` -> 409,
  ``ConcurrencyConflict`` -> 409, ``StoreUnavailable`` -> 503 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from gaia_adapters.settings import mask_url
from gaia_domain.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DomainError,
    DuplicateEmail,
    InvalidInput,
    NotFound,
    StoreUnavailable,
    UnitOfWorkError,
)

RETRY_AFTER_SECONDS = "5"
# The location is not part of a field's name: ("body", "preferences", "profession") -> "preferences.profession"
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def _body(error: str, exc: DomainError, **fields: Any) -> dict[str, Any]:
    return {"error": error, **fields, "detail": mask_url(str(exc))}


def error_response(exc: DomainError) -> JSONResponse:
    """The response for a domain error (also usable outside an exception handler)."""
    if isinstance(exc, InvalidInput):
        return JSONResponse(_body("invalid_input", exc, field=exc.field, reason=exc.reason), status_code=422)
    if isinstance(exc, NotFound):
        return JSONResponse(_body("not_found", exc, entity=exc.entity), status_code=404)
    if isinstance(exc, DuplicateEmail):
        return JSONResponse(_body("duplicate_email", exc, entity=exc.entity, field="email"), status_code=409)
    if isinstance(exc, AlreadyExists):
        return JSONResponse(_body("already_exists", exc, entity=exc.entity), status_code=409)
    if isinstance(exc, ConcurrencyConflict):
        body = _body("concurrency_conflict", exc, entity=exc.entity, expected_version=exc.expected_version)
        return JSONResponse(body, status_code=409)
    if isinstance(exc, StoreUnavailable):
        body = _body("store_unavailable", exc, store=exc.store)
        return JSONResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER_SECONDS})
    if isinstance(exc, UnitOfWorkError):  # a programming error in the app, not the client's fault
        return JSONResponse(_body("internal_error", exc), status_code=500)
    return JSONResponse(_body("domain_error", exc), status_code=400)


def field_name(location: tuple[int | str, ...]) -> str:
    parts = list(location)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(str(part) for part in parts) or "body"


def validation_response(exc: RequestValidationError) -> JSONResponse:
    """A request that does not fit the schema: the same 422 shape as ``InvalidInput``, naming the first field."""
    errors = list(exc.errors())
    first = errors[0] if errors else {"loc": ("body",), "msg": "is invalid"}
    reason = str(first["msg"])
    # A body that is not JSON at all is located at a character offset: name the body, not the offset.
    field = "body" if first.get("type") == "json_invalid" else field_name(tuple(first["loc"]))
    body = {"error": "invalid_input", "field": field, "reason": reason, "detail": f"{field}: {reason}"}
    return JSONResponse(body, status_code=422)


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return error_response(exc)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_response(exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
