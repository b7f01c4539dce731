"""Fuzz target: certificates from the wire (a BST, an x5c entry, a XAdES KeyInfo) through
loading, the Peppol and Norwegian name readers, revocation pointers and TrustPolicy.validate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi import certinfo
    from peppol_dpi.keys import load_certificate
    from peppol_dpi.revocation.common import crl_urls, ocsp_urls
    from peppol_dpi.trust import RevocationMode

import pki
from cryptography.hazmat.primitives.serialization import Encoding

POLICY = pki.peppol_trust(revocation=RevocationMode.OFF)
AT = datetime(2026, 6, 1, tzinfo=UTC)


def target(data: bytes) -> None:
    cert = load_certificate(data)
    certinfo.common_name(cert)
    certinfo.peppol_seat_id(cert)
    certinfo.norwegian_org_number(cert)
    POLICY.validate(cert, chain=(pki.ap_ca(),), at=AT)
    # revocation pointers are read from certificates on a validated path only
    crl_urls(cert)
    ocsp_urls(cert)


def corpus() -> Iterable[bytes]:
    for stem in ("ap-c2", "smp", "sender", "eboks", "expired", "revoked", "wrong-ca"):
        yield pki.certificate(stem).public_bytes(Encoding.DER)
    yield pki.ap_ca().public_bytes(Encoding.DER)


if __name__ == "__main__":
    fuzz("certificate", target, corpus)
