"""What the two small WSGI layers share: request headers and the body's length from the
environ, status lines.

The services (:mod:`.services.wsgi`) and the reference transport (:mod:`.transport.http`)
each wrap a handler in their own WSGI callable, with their own request, response and error
types; what they read from the WSGI server and hand back to it is the same (PEP 3333).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["REASONS", "content_length", "request_headers", "status_line"]

#: The reason phrases of the statuses the services and the access points answer with
#: (RFC 9110 section 15).
REASONS: Mapping[int, str] = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def status_line(status: int) -> str:
    """The WSGI ``status`` string, e.g. ``"404 Not Found"`` (PEP 3333 ``start_response``)."""
    return f"{status} {REASONS.get(status, 'Unknown')}"


def request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers under lower-case names: the ``HTTP_*`` variables and
    ``CONTENT_TYPE`` (PEP 3333 keeps Content-Type and Content-Length out of ``HTTP_*``;
    the body's length is each layer's own business)."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers


def content_length(environ: Mapping[str, Any]) -> int | None:
    """The request body's length: 0 without a Content-Length, None when the value is not
    ``1*DIGIT`` in ASCII (RFC 9110 8.6), which each layer answers with its own 400."""
    text = str(environ.get("CONTENT_LENGTH") or "0")
    return int(text) if text.isascii() and text.isdigit() else None
