"""A real CRL and OCSP server on 127.0.0.1 for tests, answering for the test PKI's AP CA.

``with RevocationServer() as server:`` starts it on a free port in a thread.
``server.leaf(cn, serial)`` makes a certificate under the AP CA naming this server's CRL
(``/crl/ap-ca.crl``) and OCSP (``/ocsp``) locations; ``server.revoke(serial)`` revokes it.
``server.ocsp_mode`` / ``server.crl_mode`` switch to misbehaviour for negative tests (see
:data:`OCSP_MODES`, :data:`CRL_MODES`); ``server.hits`` counts requests per route.
"""

from __future__ import annotations

import base64
import threading
import time
import urllib.parse
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import pki
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from peppol_dpi.keys import LocalPrivateKey

REVOKED_AT = datetime(2025, 1, 1, tzinfo=UTC)
OCSP_MODES = (
    "issuer",  # signed by the AP CA itself, nonce echoed
    "delegated",  # signed by a responder certificate with id-kp-OCSPSigning issued by the AP CA
    "delegated-no-eku",  # signed by an AP CA certificate without id-kp-OCSPSigning
    "wrong-key",  # signed by a certificate of an unrelated CA
    "bad-nonce",  # a nonce other than the one sent
    "no-nonce",  # no nonce in the answer (allowed)
    "stale",  # nextUpdate in the past
    "unauthorized",  # OCSP status "unauthorized"
    "http-500",
    "huge",  # declares (and sends) a body far larger than any OCSP answer
    "huge-unsized",  # sends a large body without Content-Length
    "slow",  # drips the answer slowly
    "garbage",  # 200 with bytes that are no OCSP response
)
CRL_MODES = ("good", "stale", "wrong-ca", "garbage", "pem", "http-404")


class RevocationServer:
    def __init__(self) -> None:
        self.ocsp_mode = "issuer"
        self.crl_mode = "good"
        self.revoked: set[int] = set()
        self.hits: Counter[str] = Counter()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RevocationServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- test set-up -----------------------------------------------------------------------

    def leaf(
        self, cn: str, serial: int, *, crl: bool = True, ocsp_: bool = True
    ) -> LocalPrivateKey:
        return pki.issue_leaf(
            cn,
            serial=serial,
            crl_url=f"{self.base}/crl/ap-ca.crl" if crl else None,
            ocsp_url=f"{self.base}/ocsp" if ocsp_ else None,
        )

    def revoke(self, serial: int) -> None:
        self.revoked.add(serial)

    # -- answers ---------------------------------------------------------------------------

    def crl_body(self) -> tuple[int, bytes]:
        make = pki.factory()
        now = datetime.now(UTC)
        mode = self.crl_mode
        if mode == "http-404":
            return 404, b"not here"
        if mode == "garbage":
            return 200, b"\x30\x03\x02\x01\x00"
        signer = pki.ca_issued("other-root-ca" if mode == "wrong-ca" else "ap-ca")
        if mode == "wrong-ca":  # the right name, the wrong key
            signer = make.Issued(key=signer.key, cert=pki.ap_ca())
        this_update, next_update = (
            (now - timedelta(days=10), now - timedelta(days=3))
            if mode == "stale"
            else (now - timedelta(hours=1), now + timedelta(days=1))
        )
        crl = make.make_crl(
            signer,
            [(serial, REVOKED_AT) for serial in sorted(self.revoked)],
            this_update=this_update,
            next_update=next_update,
        )
        encoding = serialization.Encoding.PEM if mode == "pem" else serialization.Encoding.DER
        return 200, crl.public_bytes(encoding)

    def ocsp_body(self, request_der: bytes) -> tuple[int, bytes]:
        mode = self.ocsp_mode
        if mode == "http-500":
            return 500, b"broken"
        if mode in ("huge", "huge-unsized"):
            return 200, b"\x30" * (20 * 1024 * 1024)
        if mode == "garbage":
            return 200, b"<html>not OCSP</html>"
        if mode == "unauthorized":
            return 200, ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            ).public_bytes(serialization.Encoding.DER)
        request = ocsp.load_der_ocsp_request(request_der)
        now = datetime.now(UTC)
        revoked = request.serial_number in self.revoked
        this_update, next_update = (
            (now - timedelta(days=3), now - timedelta(days=1))
            if mode == "stale"
            else (now - timedelta(minutes=1), now + timedelta(hours=1))
        )
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=this_update,
            next_update=next_update,
            revocation_time=REVOKED_AT if revoked else None,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
        )
        try:
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            nonce = None
        if mode == "bad-nonce":
            nonce = b"not-the-nonce-sent"
        if nonce is not None and mode != "no-nonce":
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        signer_cert, signer_key = self._signer(mode)
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, signer_cert)
        if signer_cert != pki.ap_ca():
            builder = builder.certificates([signer_cert])
        response = builder.sign(signer_key, hashes.SHA256())
        return 200, response.public_bytes(serialization.Encoding.DER)

    @staticmethod
    def _signer(mode: str) -> tuple[x509.Certificate, Any]:
        if mode == "wrong-key":
            return pki.wrong_ca_key().certificate, pki.wrong_ca_key().key
        if mode in ("delegated", "delegated-no-eku"):
            eku = [ExtendedKeyUsageOID.OCSP_SIGNING] if mode == "delegated" else []
            responder = _responder(tuple(eku))
            return responder.certificate, responder.key
        issuer = pki.ca_issued("ap-ca")
        return issuer.cert, issuer.key


_RESPONDERS: dict[tuple[x509.ObjectIdentifier, ...], LocalPrivateKey] = {}


def _responder(eku: tuple[x509.ObjectIdentifier, ...]) -> LocalPrivateKey:
    if eku not in _RESPONDERS:
        _RESPONDERS[eku] = pki.issue_leaf(
            "peppol-dpi TEST OCSP responder",
            serial=0x0C5F + len(eku),
            extended_key_usage=list(eku),
        )
    return _RESPONDERS[eku]


def _handler(server: RevocationServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            if path == "/crl/ap-ca.crl":
                server.hits["crl"] += 1
                self._reply(*server.crl_body(), "application/pkix-crl")
            elif path.startswith("/ocsp/"):
                server.hits["ocsp-get"] += 1
                der = base64.b64decode(urllib.parse.unquote(path[len("/ocsp/") :]))
                self._reply(*server.ocsp_body(der), "application/ocsp-response")
            else:
                self._reply(404, b"", "text/plain")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != "/ocsp":
                self._reply(404, b"", "text/plain")
                return
            server.hits["ocsp-post"] += 1
            self._reply(*server.ocsp_body(body), "application/ocsp-response")

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            ocsp_answer = content_type == "application/ocsp-response"
            unsized = ocsp_answer and server.ocsp_mode == "huge-unsized"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if unsized:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            slow = ocsp_answer and server.ocsp_mode == "slow"
            step = 1 if slow else 64 * 1024
            try:
                for start in range(0, len(body), step):
                    self.wfile.write(body[start : start + step])
                    if slow:
                        self.wfile.flush()
                        time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading (size or time limit): expected in tests

    return Handler
