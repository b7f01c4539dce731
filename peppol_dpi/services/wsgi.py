"""The little WSGI plumbing the services share: a parsed request, a response, errors as HTTP.

Bodies are read into memory, at most 8 MiB, except on the routes a service names as streamed
(:func:`wsgi_app`): there the body, up to that route's own limit, is read in pieces into a
spool (in memory while small, a temporary file beyond) and the handler reads it as a file.
"""

from __future__ import annotations

import base64
import hmac
import io
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import parse_qs, quote, unquote_plus

from .. import jsonparse
from ..spool import spooled_copy
from ..wsgihttp import content_length, request_headers, status_line
from ..wsgiserver import DEFAULT_MAX_BODY_BYTES, LimitedApp

log = logging.getLogger(__name__)

__all__ = ["HttpProblem", "Request", "Response", "basic_auth_user", "wsgi_app"]


@dataclass(frozen=True, kw_only=True)
class Request:
    method: str
    segments: tuple[str, ...]  # the path split on "/" and then percent-decoded
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, list[str]]
    body: bytes  # empty on a streamed route: see body_file
    base_url: str  # scheme://host:port of this server
    #: A streamed route's body, a spool at its start, open while the handler runs.
    body_file: IO[bytes] | None = field(default=None, repr=False)

    def stream(self) -> IO[bytes]:
        """The body as a binary file at its start (the spool on a streamed route)."""
        return self.body_file if self.body_file is not None else io.BytesIO(self.body)

    def form(self) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body (last value wins)."""
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}

    def json(self) -> Any:
        try:
            return jsonparse.loads(self.body)
        except ValueError:
            raise HttpProblem(400, "the body is not JSON") from None


@dataclass(frozen=True, kw_only=True)
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/xml"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, obj: Any, status: int = 200) -> Response:
        return cls(status=status, body=json.dumps(obj).encode(), content_type="application/json")


class HttpProblem(Exception):  # noqa: N818 - a control-flow signal, not a package error
    """Raised inside a handler to answer with an HTTP error status."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def basic_auth_user(request: Request, users: Mapping[str, str], realm: str) -> str:
    """The authenticated user of HTTP Basic auth (RFC 7617), or a 401."""
    challenge = {"WWW-Authenticate": f'Basic realm="{realm}"'}
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise HttpProblem(401, "authentication required", headers=challenge)
    try:
        user, sep, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-8 once decoded
        raise HttpProblem(401, "malformed credentials", headers=challenge) from None
    expected = users.get(user)
    if not sep or expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
        raise HttpProblem(401, "wrong user or password", headers=challenge)
    return user


def _read_request(
    environ: Mapping[str, Any],
    streamed: Mapping[tuple[str, ...], int],
    spool_dir: str | os.PathLike[str] | None,
) -> Request:
    # REQUEST_URI keeps %2F inside identifiers; PATH_INFO has already decoded it.
    raw = str(environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "")))
    raw_path = raw.split("?", 1)[0]
    if "://" in raw_path:  # absolute-form request target
        raw_path = "/" + raw_path.split("://", 1)[1].partition("/")[2]
    segments = tuple(unquote_plus(s) for s in raw_path.split("/") if s)
    length = content_length(environ)
    if length is None:  # it cannot say where the body ends
        raise HttpProblem(400, "bad Content-Length")
    limit = streamed.get(segments)
    if length > (DEFAULT_MAX_BODY_BYTES if limit is None else limit):
        raise HttpProblem(413, "the request body is too large")  # before a byte of it is read
    body_file = (
        spooled_copy(environ["wsgi.input"], length, spool_dir) if limit is not None else None
    )
    body = environ["wsgi.input"].read(length) if length and body_file is None else b""
    headers = request_headers(environ)
    host = headers.get("host") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return Request(
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        segments=segments,
        headers=headers,
        query=parse_qs(str(environ.get("QUERY_STRING", ""))),
        body=body,
        base_url=f"{environ.get('wsgi.url_scheme', 'http')}://{host}",
        body_file=body_file,
    )


def wsgi_app(
    handler: Callable[[Request], Response],
    *,
    streamed: Mapping[tuple[str, ...], int] | None = None,
    spool_dir: str | os.PathLike[str] | None = None,
) -> LimitedApp:
    """A WSGI application around ``handler``; HttpProblem becomes an HTTP error answer.

    ``streamed`` maps the path segments of routes whose bodies are spooled to the most bytes
    such a body may have (a larger ``Content-Length`` is answered 413 unread); beyond the
    in-memory spool they go to files in ``spool_dir`` (the system's temporary directory if
    None)."""
    routes = dict(streamed or {})

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request: Request | None = None
        try:
            request = _read_request(environ, routes, spool_dir)
            response = handler(request)
        except HttpProblem as problem:
            response = Response(
                status=problem.status,
                body=json.dumps({"error": problem.message}).encode(),
                content_type="application/json",
                headers=problem.headers,
            )
        except Exception:  # a bug: logged with its traceback, answered as the transport does
            log.exception(
                "unexpected error handling %s %s",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
            )
            response = Response.json({"error": "internal error"}, status=500)
        finally:
            if request is not None and request.body_file is not None:
                request.body_file.close()
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
        ]
        headers += list(response.headers.items())
        start_response(status_line(response.status), headers)
        return [response.body]

    # Its server refuses larger bodies before reading them (wsgiserver).
    return LimitedApp(app=app, max_body_bytes=max([DEFAULT_MAX_BODY_BYTES, *routes.values()]))
