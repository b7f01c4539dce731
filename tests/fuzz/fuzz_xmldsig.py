"""Fuzz target: XML signature verification (peppol_dpi.xmldsig) over a signed SOAP message."""

from __future__ import annotations

from collections.abc import Iterable

from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi import ns
    from peppol_dpi.xmldsig import SignaturePolicy, certificates_in, verify
    from peppol_dpi.xmlparse import parse_xml

import pki
import signed_samples

PUBLIC_KEY = pki.ap_key("c2").certificate.public_key()
POLICY = SignaturePolicy().allowing_sha1()  # reach the most code


def target(data: bytes) -> None:
    root = parse_xml(data)
    for signature in root.iter(f"{{{ns.DS}}}Signature"):
        certificates_in(signature)
        verify(
            signature,
            public_key=PUBLIC_KEY,  # type: ignore[arg-type]
            resolver=lambda uri: b"attachment" if uri.startswith("cid:") else None,
            policy=POLICY,
        )


def corpus() -> Iterable[bytes]:
    signed = signed_samples.signed_soap()
    yield signed
    yield signed.replace(b"xml-exc-c14n#", b"xml-c14n11")
    yield signed.replace(b'URI="#b1"', b'URI=""')


if __name__ == "__main__":
    fuzz("xmldsig", target, corpus)
