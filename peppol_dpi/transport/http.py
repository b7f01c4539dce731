"""The little WSGI layer the services share: requests, responses, problem+json, form data.

No framework: a service is a function from :class:`Request` to :class:`Response`, wrapped by
:func:`wsgi_app` into a WSGI callable that a production server (waitress, gunicorn) runs.
Errors are answered as RFC 7807 ``application/problem+json``; a bug answers 500 without details
and is logged with its traceback.
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import IO, Any
from urllib.parse import parse_qs

from ..errors import InputError
from ..spool import spooled_copy
from ..wsgihttp import REASONS, content_length, request_headers, status_line
from ..wsgiserver import LimitedApp

__all__ = [
    "HttpError",
    "Request",
    "Response",
    "Router",
    "parse_form_data",
    "problem",
    "wsgi_app",
]

log = logging.getLogger("peppol_dpi.transport.http")


@dataclass(frozen=True, kw_only=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Response:
        return cls(
            status=status,
            headers=(("Content-Type", "application/json"),),
            body=json.dumps(value, ensure_ascii=False).encode(),
        )


class HttpError(InputError):
    """A request refused with an HTTP status; answered as problem+json."""

    def __init__(self, status: int, detail: str, *, rule: str, title: str | None = None) -> None:
        super().__init__(detail, rule=rule)
        self.status = status
        self.title = title or REASONS.get(status, "Error")


def problem(
    status: int, detail: str, *, title: str | None = None, rule: str | None = None
) -> Response:
    """An RFC 7807 problem response (OpenAPI ``components.schemas.problem``)."""
    body: dict[str, Any] = {
        "type": f"urn:peppol-dpi:problem:{rule}" if rule else "about:blank",
        "title": title or REASONS.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    return Response(
        status=status,
        headers=(("Content-Type", "application/problem+json"),),
        body=json.dumps(body, ensure_ascii=False).encode(),
    )


@dataclass(frozen=True, kw_only=True)
class Request:
    """One request. Its body was read in pieces into ``body_file`` (a spool: in memory while
    small, a temporary file beyond), which is open while the handler runs; :attr:`body`
    reads it into memory for the handlers whose bodies are small enough for that."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # lower-case names
    body_file: IO[bytes] = field(repr=False)
    remote: str = ""
    environ: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def body(self) -> bytes:
        self.body_file.seek(0)
        return self.body_file.read()

    def body_within(self, limit: int) -> bytes:
        """:attr:`body`, refused (413) without reading it when it is larger than ``limit``."""
        size = self.body_file.seek(0, os.SEEK_END)
        if size > limit:
            raise HttpError(413, f"body larger than {limit} bytes", rule="http:too-large")
        return self.body

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def _read_request(
    environ: Mapping[str, Any], max_body: int, spool_dir: str | os.PathLike[str] | None
) -> Request:
    headers = request_headers(environ)
    length = content_length(environ)
    if length is None:
        raise HttpError(400, "bad Content-Length", rule="http:content-length")
    if length > max_body:
        raise HttpError(413, f"body larger than {max_body} bytes", rule="http:too-large")
    return Request(
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        path=str(environ.get("PATH_INFO", "/")),
        query=parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True),
        headers=headers,
        body_file=_spool_body(environ["wsgi.input"], length, spool_dir),
        remote=str(environ.get("REMOTE_ADDR", "")),
        environ=environ,
    )


def _spool_body(
    stream: IO[bytes], length: int, spool_dir: str | os.PathLike[str] | None
) -> IO[bytes]:
    """The ``length`` bytes of the body (checked against the limit before), read in pieces so
    that a large AS4 message never sits in memory whole (issue 8). A client that sends fewer
    leaves a shorter body, which the handler's parser refuses as truncated."""
    return spooled_copy(stream, length, spool_dir)


# Set by the server from the body; never copied from a stored or built message.
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})

Handler = Callable[[Request], Response]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def wsgi_app(
    handler: Handler, *, max_body: int, spool_dir: str | os.PathLike[str] | None = None
) -> LimitedApp:
    """A WSGI callable running ``handler``; HttpError and InputError become problem+json.

    Request bodies beyond the in-memory spool go to files in ``spool_dir`` (the system's
    temporary directory if None); its server refuses bodies beyond ``max_body`` unread."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request: Request | None = None
        try:
            request = _read_request(environ, max_body, spool_dir)
            response = handler(request)
        except HttpError as exc:
            response = problem(exc.status, exc.message, title=exc.title, rule=exc.rule)
        except InputError as exc:
            response = problem(400, exc.message, rule=exc.rule)
        except Exception:
            log.exception(
                "unexpected error handling %s %s",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
            )
            response = problem(500, "internal error", rule="http:internal")
        finally:
            if request is not None:
                request.body_file.close()
        headers = [(k, v) for k, v in response.headers if k.lower() not in _HOP_HEADERS]
        headers.append(("Content-Length", str(len(response.body))))
        start_response(status_line(response.status), headers)
        return [response.body]

    return LimitedApp(app=app, max_body_bytes=max_body)


def parse_form_data(
    content_type: str | None, body: bytes, *, max_parts: int = 16
) -> dict[str, bytes]:
    """The named parts of a ``multipart/form-data`` body (RFC 7578), bytes exactly as sent
    (:func:`.form_data.read_form_data` over bytes, for small bodies)."""
    from .form_data import read_form_data  # it builds on this module's HttpError

    form = read_form_data(
        content_type, io.BytesIO(body), max_part_bytes=len(body), max_parts=max_parts
    )
    return form.values


@dataclass(frozen=True, kw_only=True)
class Router:
    """Dispatch on exact path prefixes; the longest match wins."""

    routes: dict[str, Callable[[Request], Response]]

    def __call__(self, request: Request) -> Response:
        for prefix in sorted(self.routes, key=len, reverse=True):
            if request.path == prefix or request.path.startswith(prefix.rstrip("/") + "/"):
                return self.routes[prefix](request)
        raise HttpError(404, f"no such resource: {request.path}", rule="http:not-found")
