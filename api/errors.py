"""Every error of the API in one shape, in the caller's language:

    {"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}

`fields` is empty unless the request's input was wrong field by field.
"""

import json

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

# Service refusals that are about the object's state, not the input: asking again later,
# or after someone else's step, may succeed. Every other ValidationError is a 422.
STATE_CODES = frozenset(
    {
        "not_allowed",
        "conflict",
        "not_pending",
        "not_failed",
        "awaiting_account",
        "destination_changed",
    }
)

# The answer's code and message for each status the API or Django may produce on its own.
STATUS_ERRORS = {
    400: ("bad_request", lambda: _("The request could not be read.")),
    401: ("unauthenticated", lambda: _("Send a valid API key: Authorization: Bearer <key>.")),
    403: ("forbidden", lambda: _("This API client may not do this.")),
    404: ("not_found", lambda: _("Nothing here, or nothing this client may see.")),
    405: ("method_not_allowed", lambda: _("This address does not accept this method.")),
    413: ("too_large", lambda: _("The request is too large.")),
    422: ("invalid", lambda: _("Some of what was sent is not valid.")),
    429: ("rate_limited", lambda: _("Too many requests: wait, then try again.")),
    500: ("server_error", lambda: _("Something went wrong on our side; try again later.")),
}


class ApiError(Exception):
    """An answer other than success, raised anywhere under an endpoint."""

    def __init__(self, status: int, code: str = "", message: str = "", fields=None):
        super().__init__(message)
        default_code, default_message = STATUS_ERRORS.get(status, STATUS_ERRORS[500])
        self.status = status
        self.code = code or default_code
        self.message = message or str(default_message())
        self.fields = fields or {}


def error_response(error: ApiError, headers: dict | None = None) -> HttpResponse:
    body = {"error": {"code": error.code, "message": error.message, "fields": error.fields}}
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=error.status,
        content_type="application/json; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def for_status(status: int) -> HttpResponse:
    return error_response(ApiError(status))


def from_service(error: DjangoValidationError) -> ApiError:
    """A service's refusal: 409 when the object's state refuses it, 422 otherwise."""
    if hasattr(error, "error_dict"):
        messages = error.message_dict
        fields = {name: texts for name, texts in messages.items() if name != NON_FIELD_ERRORS}
        return ApiError(422, "invalid", " ".join(messages.get(NON_FIELD_ERRORS, [])), fields)
    code = next((e.code for e in error.error_list if e.code), "invalid")
    return ApiError(409 if code in STATE_CODES else 422, code, " ".join(error.messages))


# Pydantic's messages are English only; the common ones are said in the caller's language.
PYDANTIC_MESSAGES = {
    "missing": lambda: _("This field is required."),
    "string_too_long": lambda: _("This text is too long."),
    "too_long": lambda: _("Too many items."),
    "extra_forbidden": lambda: _("Unknown field."),
}


def _field_name(location: list) -> str:
    # ("body", "payload", "orders", 3, "goods_amount") -> "orders[3].goods_amount"
    parts = [p for p in location[1:] if p != "payload"]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or str(location[0])


def from_ninja_validation(error: NinjaValidationError) -> ApiError:
    fields: dict[str, list[str]] = {}
    for item in error.errors:
        text = PYDANTIC_MESSAGES.get(item.get("type"))
        message = str(text()) if text else item.get("msg", "")
        fields.setdefault(_field_name(list(item.get("loc", ["body"]))), []).append(message)
    return ApiError(422, fields=fields)


def install(api) -> None:
    """Replace django-ninja's own error answers with ours."""

    @api.exception_handler(ApiError)
    def api_error(request, error):
        return error_response(error)

    @api.exception_handler(NinjaValidationError)
    def invalid_input(request, error):
        return error_response(from_ninja_validation(error))

    @api.exception_handler(DjangoValidationError)
    def service_refusal(request, error):
        return error_response(from_service(error))

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, error):
        return error_response(ApiError(403, message=str(error) or ""))

    @api.exception_handler(Http404)
    def not_found(request, error):
        return for_status(404)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, error):
        return for_status(401)

    @api.exception_handler(HttpError)
    def http_error(request, error):
        return for_status(error.status_code)
