"""Fuzz target: OCSP answers and CRLs from the wire through the revocation checkers.

The first byte picks the kind (even: an OCSP answer to the checker's request, odd: a CRL for
the certificate's issuer); the rest is the answer. Whatever it is, the checker answers with a
status (an answer it cannot use is logged and counts as none): nothing may escape it, since
it runs inside ``TrustPolicy.validate``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi.revocation import CrlChecker, OcspChecker, RevocationSettings

import pki
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

NOW = datetime(2030, 1, 1, tzinfo=UTC)
SETTINGS = RevocationSettings(clock=lambda: NOW, allow_sha1=True)
LEAF = pki.revoked_key().certificate  # its CRLs are given
OCSP_LEAF = pki.issue_leaf("fuzz", serial=0xF0, ocsp_url="http://127.0.0.1:9/ocsp").certificate
ISSUER = pki.ap_ca()
logging.disable(logging.WARNING)  # every unusable answer is logged


class _Answering(OcspChecker):
    """An OCSP checker whose responder answers ``answer`` (no network)."""

    answer = b""

    def _send(self, url: str, request: bytes) -> bytes | None:
        return self.answer


def target(data: bytes) -> None:
    if not data:
        return
    kind, answer = data[0], data[1:]
    if kind % 2 == 0:
        checker = _Answering(session=None, settings=SETTINGS, nonce=None)  # type: ignore[arg-type]
        checker.answer = answer
        checker.status(OCSP_LEAF, ISSUER, NOW)
        return
    try:
        crl = x509.load_der_x509_crl(answer)
    except (ValueError, x509.InvalidVersion):
        return  # not a CRL at all: the download refuses it before the checker sees it
    CrlChecker(session=None, crls=[crl], settings=SETTINGS).status(LEAF, ISSUER, NOW)


def corpus() -> Iterable[bytes]:
    ca = pki.ca_issued("ap-ca")
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(OCSP_LEAF, ISSUER, hashes.SHA1())  # the usual CertID hash
        .build()
    )
    responder = pki.issue_leaf(
        "fuzz OCSP responder",
        serial=0xF1,
        extended_key_usage=[x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING],
    )
    for signer, encoding in ((ca, ocsp.OCSPResponderEncoding.HASH), (None, None)):
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED,
            this_update=NOW - timedelta(hours=1),
            next_update=NOW + timedelta(hours=1),
            revocation_time=NOW - timedelta(days=1),
            revocation_reason=x509.ReasonFlags.key_compromise,
        )
        if signer is not None and encoding is not None:
            built = builder.responder_id(encoding, signer.cert).sign(signer.key, hashes.SHA256())
        else:  # a delegated responder, named, carrying its certificate
            built = (
                builder.responder_id(ocsp.OCSPResponderEncoding.NAME, responder.certificate)
                .certificates([responder.certificate])
                .sign(responder.key, hashes.SHA256())
            )
        yield b"\x00" + built.public_bytes(serialization.Encoding.DER)
    entry = (
        x509.RevokedCertificateBuilder()
        .serial_number(LEAF.serial_number)
        .revocation_date(NOW - timedelta(days=1))
        .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
        .build()
    )
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ISSUER.subject)
        .last_update(NOW - timedelta(hours=1))
        .next_update(NOW + timedelta(days=1))
        .add_revoked_certificate(entry)
        .sign(ca.key, hashes.SHA256())
    )
    yield b"\x01" + crl.public_bytes(serialization.Encoding.DER)


if __name__ == "__main__":
    fuzz("revocation", target, corpus)
