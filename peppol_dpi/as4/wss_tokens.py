"""WS-Security tokens: X.509 BinarySecurityToken and the direct SecurityTokenReference.

Peppol AS4 2.0.3 section 5 (and CEF eDelivery AS4 1.14 "Security"): the signing and the
encryption certificates travel as ``wsse:BinarySecurityToken`` (ValueType ``#X509v3``, leaf
only) and are referenced by a ``wsse:SecurityTokenReference`` holding a direct
``wsse:Reference URI="#id"``. IssuerSerial, SKI, thumbprint and ``#X509PKIPathv1`` references
are refused with EBMS:0103 (phase4 >= 4.2.6 does the same).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Mapping, Sequence

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .. import ns
from ..errors import CertificateError, EbmsError, InputError
from ..keys import certificate_from_der
from ..xmldsig import id_attributes, unique_ids
from ..xmldsig.references import contains
from ..xmlparse import Element
from ..xmltext import attr, base64_binary

__all__ = [
    "BASE64_BINARY",
    "X509V3",
    "SecurityIds",
    "SecurityPolicyError",
    "bst_xml",
    "resolve_str",
    "str_xml",
]

X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64_BINARY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

_WSSE = ns.WSSE


class SecurityPolicyError(InputError):
    """The WS-Security header does not follow the Peppol AS4 policy (EBMS:0103)."""

    default_ebms_code = EbmsError.POLICY_NONCOMPLIANCE


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


@functools.lru_cache(maxsize=32)
def _der_base64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii")


def bst_xml(cert: x509.Certificate, wsu_id: str) -> str:
    """``wsse:BinarySecurityToken`` with the DER certificate, base64 without line breaks, as
    text for a ``wsse:Security`` header (which declares ``wsse`` and ``wsu``)."""
    return (
        f'<wsse:BinarySecurityToken EncodingType="{BASE64_BINARY}" ValueType="{X509V3}"'
        f' wsu:Id="{attr(wsu_id)}">{_der_base64(cert)}</wsse:BinarySecurityToken>'
    )


def str_xml(
    target_id: str, *, value_type: str | None = X509V3, token_type: str | None = None
) -> str:
    """``wsse:SecurityTokenReference`` with a direct reference to ``#target_id``, as text for a
    ``wsse:Security`` header."""
    token = (
        f' xmlns:wsse11="{ns.WSSE11}" wsse11:TokenType="{attr(token_type)}"'
        if token_type is not None
        else ""
    )
    value = f' ValueType="{attr(value_type)}"' if value_type is not None else ""
    return (
        f"<wsse:SecurityTokenReference{token}>"
        f'<wsse:Reference URI="#{attr(target_id)}"{value}/></wsse:SecurityTokenReference>'
    )


_WSU_ID = _q(ns.WSU, "Id")


class SecurityIds:
    """The elements of one ``wsse:Security`` header by ``wsu:Id`` or ``Id`` (a header resolves
    two or three token references).

    ``found``: the id attributes of the whole envelope (:func:`id_attributes` of its root),
    when the caller has them: one pass then serves the decryption, the token references and
    the signature (:meth:`document_ids`). Without it the header alone is indexed.
    """

    def __init__(
        self, security: Element, found: Mapping[str, Sequence[tuple[str, Element]]] | None = None
    ) -> None:
        self.security = security
        self._whole = found is not None
        self._found = found if found is not None else id_attributes(security)

    def elements(self, wanted: str) -> list[Element]:
        """Every element of the header whose wsu:Id or Id is ``wanted``."""
        result: list[Element] = []
        for attribute, element in self._found.get(wanted, ()):
            # The entries of one element are adjacent (id_attributes reads an element's
            # attributes together), so comparing with the last one found drops an element
            # carrying both names. Comparing with every one found made a header flooded with
            # one id quadratic, before the signature is checked (tests/security).
            if (
                attribute in _TOKEN_ID_ATTRIBUTES
                and (not result or result[-1] is not element)
                and (not self._whole or contains(self.security, element))
            ):
                result.append(element)
        return result

    def document_ids(self) -> dict[str, Element] | None:
        """The envelope's id index for the signature (a duplicate id refused, as
        :func:`~peppol_dpi.xmldsig.id_index` does), None when only the header was indexed."""
        return unique_ids(self._found) if self._whole else None


_TOKEN_ID_ATTRIBUTES = frozenset((_WSU_ID, "Id"))


def resolve_str(key_info: Element | None, security: Element | SecurityIds, *, what: str) -> Element:
    """The element a KeyInfo's direct STR reference points at, inside ``security`` (the header
    or its :class:`SecurityIds`).

    Refuses anything but one direct ``wsse:Reference`` to exactly one element (EBMS:0103).
    """
    if key_info is None:
        raise SecurityPolicyError(f"the {what} has no KeyInfo", rule="wss:key-info")
    strs = list(key_info.iterchildren(_q(_WSSE, "SecurityTokenReference")))
    refs = list(strs[0].iterchildren(_q(_WSSE, "Reference"))) if len(strs) == 1 else []
    if len(strs) != 1 or len(refs) != 1 or len(strs[0]) != 1:
        raise SecurityPolicyError(
            f"the {what} must reference its token with one direct wsse:Reference "
            "(Peppol AS4: BinarySecurityToken direct reference)",
            rule="wss:token-reference",
        )
    uri = refs[0].get("URI") or ""
    if not uri.startswith("#") or len(uri) < 2:
        raise SecurityPolicyError(
            f"the {what} token reference {uri!r} is not local", rule="wss:token-reference"
        )
    ids = security if isinstance(security, SecurityIds) else SecurityIds(security)
    found = ids.elements(uri[1:])
    if len(found) != 1:
        raise SecurityPolicyError(
            f"the {what} token reference {uri} matches {len(found)} elements",
            rule="wss:token-reference",
        )
    return found[0]


def certificate_of(bst: Element, *, what: str) -> x509.Certificate:
    """The X.509 certificate in a BinarySecurityToken (ValueType X509v3 only)."""
    if bst.tag != _q(_WSSE, "BinarySecurityToken") or bst.get("ValueType") != X509V3:
        raise SecurityPolicyError(
            f"the {what} token is not an X509v3 BinarySecurityToken", rule="wss:token-type"
        )
    encoding = bst.get("EncodingType")
    if encoding not in (None, BASE64_BINARY):
        raise SecurityPolicyError(
            f"the {what} token encoding {encoding!r} is not Base64Binary", rule="wss:token-type"
        )
    try:
        der = base64_binary(bst.text or "")
        return certificate_from_der(der, what=f"the {what} token")
    except (binascii.Error, ValueError, CertificateError):
        raise InputError(
            f"the {what} token does not hold a DER certificate",
            rule="wss:token-certificate",
            ebms_code=EbmsError.FAILED_AUTHENTICATION,
        ) from None
