"""Signed samples shared by tests: a signed SOAP envelope shaped like an AS4 message (the attack
tests and fuzz seeds), and a XAdES signatures.xml signed again after an edit (the DPI tests).

Use it as ``import signed_samples`` (``tests/`` is on ``sys.path`` under pytest and in the fuzz
harness).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Sequence

import pki
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from peppol_dpi import ns
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.xmldsig import ReferenceSpec, Transform, sign
from peppol_dpi.xmlparse import parse_xml, to_bytes

__all__ = ["ENVELOPE", "SIGNED_PARTS", "resigned_xades", "signed_soap"]

ENVELOPE = (
    f'<S12:Envelope xmlns:S12="{ns.SOAP12}" xmlns:wsu="{ns.WSU}">'
    f'<S12:Header><eb:Messaging xmlns:eb="{ns.EB}" wsu:Id="m1"><eb:To>POP000002</eb:To>'
    f'</eb:Messaging><wsse:Security xmlns:wsse="{ns.WSSE}"/></S12:Header>'
    '<S12:Body wsu:Id="b1"><order amount="10"/></S12:Body></S12:Envelope>'
).encode()

#: The same-document references of :func:`signed_soap` (eb:Messaging and the SOAP Body).
SIGNED_PARTS = ("#m1", "#b1")


def signed_soap(
    uris: Sequence[str] = (*SIGNED_PARTS, "cid:a@x"),
    *,
    key: LocalPrivateKey | None = None,
    resolver: Callable[[str], bytes | None] = lambda uri: b"attachment",
) -> bytes:
    """:data:`ENVELOPE` signed in its wsse:Security header over ``uris``.

    References in :data:`SIGNED_PARTS` get the exclusive C14N transform; any other URI is
    treated as an attachment (SwA content transform) whose content ``resolver`` supplies.
    """
    root = parse_xml(ENVELOPE)
    security = root.find(f"{{{ns.SOAP12}}}Header/{{{ns.WSSE}}}Security")
    assert security is not None
    sign(
        parent=security,
        references=[
            ReferenceSpec(uri=uri, transforms=(Transform.EXCLUSIVE_C14N,))
            if uri in SIGNED_PARTS
            else ReferenceSpec(uri=uri, transforms=(Transform.SWA_CONTENT_SIGNATURE,))
            for uri in uris
        ],
        key=key or pki.ap_key("c2"),
        resolver=resolver,
    )
    return to_bytes(root)


def resigned_xades(
    signatures: bytes, edit: Callable[[etree._Element], None], key: LocalPrivateKey
) -> bytes:
    """An ASiC-E ``META-INF/signatures.xml`` whose SignedInfo ``edit`` changed, signed again by
    ``key`` (RSA-SHA256) so that only what the edit did can be wrong."""
    root = etree.fromstring(signatures)
    signature = root[0]
    signed_info = signature.find(f"{{{ns.DS}}}SignedInfo")
    assert signed_info is not None
    edit(signed_info)
    # Inclusive C14N 1.0, as declared; of a copy: libxml2 writes xmlns="" on some descendants
    # when it canonicalizes a subtree whose default namespace is the parent's.
    canonical = etree.tostring(copy.deepcopy(signed_info), method="c14n")
    value = signature.find(f"{{{ns.DS}}}SignatureValue")
    assert value is not None
    value.text = base64.b64encode(
        key.key.sign(canonical, padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
