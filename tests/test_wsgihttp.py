"""The WSGI pieces the services and the transport share: status lines and request headers."""

from __future__ import annotations

import io
import logging

import pytest

from peppol_dpi.wsgihttp import REASONS, request_headers, status_line


def test_status_lines_carry_the_reason_phrase() -> None:
    assert status_line(200) == "200 OK"
    assert status_line(413) == "413 Content Too Large"  # RFC 9110 15.5.14, not the old name
    assert status_line(599) == "599 Unknown"
    assert all(status_line(code) == f"{code} {phrase}" for code, phrase in REASONS.items())


def test_request_headers_come_from_http_variables_and_content_type() -> None:
    environ = {
        "HTTP_X_FORWARDED_FOR": "10.0.0.1",
        "HTTP_HOST": "127.0.0.1:8080",
        "CONTENT_TYPE": "multipart/related; boundary=b",
        "CONTENT_LENGTH": "12",
        "PATH_INFO": "/as4",
    }
    assert request_headers(environ) == {
        "x-forwarded-for": "10.0.0.1",
        "host": "127.0.0.1:8080",
        "content-type": "multipart/related; boundary=b",
    }
    assert request_headers({"CONTENT_TYPE": ""}) == {}


def test_both_layers_answer_a_bad_content_length_with_400() -> None:
    # RFC 9110 8.6: Content-Length is 1*DIGIT; a server in front may pass anything through.
    from peppol_dpi.services import wsgi as services_wsgi
    from peppol_dpi.transport import http as transport_http

    def never(request: object) -> object:
        raise AssertionError("the handler must not run")

    apps = [
        services_wsgi.wsgi_app(never),  # type: ignore[arg-type]
        transport_http.wsgi_app(never, max_body=1024),  # type: ignore[arg-type]
    ]
    for app in apps:
        for bad in ("abc", "-1", "1e3", "٣"):
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": "/x",
                "CONTENT_LENGTH": bad,
                "wsgi.input": io.BytesIO(b"abc"),
            }
            answered: list[str] = []
            b"".join(app(environ, lambda status, headers, seen=answered: seen.append(status)))
            assert answered == ["400 Bad Request"], (app, bad, answered)


def test_both_layers_answer_a_handler_bug_with_a_logged_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A bug is the server's fault, not the client's: 500 in each layer's own error format, and
    # the traceback in the log (waitress answered the services' bugs with its own text page).
    from peppol_dpi.services import wsgi as services_wsgi
    from peppol_dpi.transport import http as transport_http

    def broken(request: object) -> object:
        raise RuntimeError("a bug")

    apps = {
        "services": services_wsgi.wsgi_app(broken),  # type: ignore[arg-type]
        "transport": transport_http.wsgi_app(broken, max_body=1024),  # type: ignore[arg-type]
    }
    for name, app in apps.items():
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/x", "wsgi.input": io.BytesIO(b"")}
        answered: list[tuple[str, dict[str, str]]] = []
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            body = b"".join(
                app(
                    environ,
                    lambda status, headers, seen=answered: seen.append((status, dict(headers))),
                )
            )
        assert answered[0][0] == "500 Internal Server Error", name
        assert "json" in answered[0][1]["Content-Type"], name
        assert b"internal error" in body and b"a bug" not in body, name
        logged = next(r.exc_info for r in caplog.records if r.exc_info)
        assert logged[1] is not None and logged[1].args == ("a bug",), name
