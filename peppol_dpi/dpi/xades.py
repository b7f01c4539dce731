"""``META-INF/signatures.xml``: the XAdES baseline B signature of a DPI document package.

Layout (dpi.md 3.3, as commons-asic in Digdir's integrasjonspunkt writes it and the signed
samples show; ETSI TS 102 918 / 103 174 ASiC baseline, TS 101 903 / 103 171 XAdES):

* ``asic:XAdESSignatures`` (namespace ``http://uri.etsi.org/02918/v1.2.1#``) holding one
  ``ds:Signature Id="Signature"`` whose XMLDSig namespace is the default namespace;
* inclusive C14N 1.0 for SignedInfo, RSA-SHA256;
* one ``ds:Reference Id="ID_<n>" URI="<file name>"`` per signed file, without transforms,
  SHA-256 over the raw bytes, the file name URL-encoded as Java's ``URLEncoder`` does;
* a ``ds:Reference Type="http://uri.etsi.org/01903#SignedProperties" URI="#SignedProperties"``
  with an inclusive C14N 1.0 transform;
* ``ds:KeyInfo/ds:X509Data`` with the whole chain, leaf first;
* ``xades:QualifyingProperties Target="#Signature"`` with SigningTime, SigningCertificate
  (CertDigest SHA-1 of the leaf, IssuerSerial) and one DataObjectFormat (MimeType) per file.

All XMLDSig work goes through :mod:`peppol_dpi.xmldsig`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import unquote_plus

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from .. import ns, xmldsig
from ..errors import SignatureError, UsageError
from ..instants import is_aware, require_aware
from ..keys import PrivateKey, rsa_public_key, same_certificates
from ..limits import DEFAULT_LIMITS, Limits
from ..xmldsig.structure import check_unsigned_parts
from ..xmlparse import Element, children_at, first_child, parse_xml, text_at
from ..xmltext import base64_binary, date_time, is_xml_space, text, xml_strip

__all__ = [
    "SIGNATURES_ENTRY",
    "SignedFile",
    "VerifiedXades",
    "digest_methods",
    "java_url_encode",
    "sign_files",
    "verify_signatures",
]

SIGNATURES_ENTRY: Final = "META-INF/signatures.xml"
_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
#: The ASiC namespace without the leading 0 that the old SDP client and NAV write (dpi.md 3.3).
_ASIC_LEGACY: Final = "http://uri.etsi.org/2918/v1.2.1#"
_SIGNED_PROPERTIES_TYPE: Final = "http://uri.etsi.org/01903#SignedProperties"
_SIGNATURE_ID, _PROPERTIES_ID = "Signature", "SignedProperties"
_JAVA_SAFE: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")
_CERT_DIGESTS: Final = {
    xmldsig.DigestMethod.SHA1.value: hashlib.sha1,
    xmldsig.DigestMethod.SHA256.value: hashlib.sha256,
    xmldsig.DigestMethod.SHA512.value: hashlib.sha512,
}
# What a package signature may use: no enveloped signature, no attachment transform.
_POLICY: Final = xmldsig.SignaturePolicy(
    transforms=frozenset(
        {
            xmldsig.Transform.INCLUSIVE_C14N,
            xmldsig.Transform.INCLUSIVE_C14N_11,
            xmldsig.Transform.EXCLUSIVE_C14N,
        }
    ),
    max_references=1 + 1 + 200 * 2 + 1,  # manifest, main, attachments with data files, props
)


def _x(local: str) -> str:
    return f"{{{ns.XADES}}}{local}"


def _ds(local: str) -> str:
    return f"{{{ns.DS}}}{local}"


def java_url_encode(name: str) -> str:
    """``java.net.URLEncoder.encode(name, UTF-8)``: how commons-asic writes Reference URIs."""
    out = []
    for byte in name.encode("utf-8"):
        if byte in _JAVA_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


@dataclass(frozen=True, kw_only=True)
class SignedFile:
    """One file the signature covers: its zip entry name, MIME type and content."""

    name: str
    mime: str
    content: bytes


def _signed_properties_content(
    files: Sequence[SignedFile], signer: x509.Certificate, signing_time: datetime
) -> str:
    """What follows the start tag of ``xades:SignedProperties``, as commons-asic writes it, in
    canonical form (no empty-element tags, values escaped by :mod:`..xmltext`): XAdES the
    default namespace, XMLDSig as ``ns2``, both declared by the QualifyingProperties around it
    (dpi.md 3.3)."""
    # dpi.md 3.3: CertDigest is SHA-1 of the DER certificate, as every implementation has it.
    cert_digest = _b64(_certificate_digest(signer, xmldsig.DigestMethod.SHA1.value))
    formats = "".join(
        f'<DataObjectFormat ObjectReference="#ID_{index}"><MimeType>{text(file.mime)}</MimeType>'
        "</DataObjectFormat>"
        for index, file in enumerate(files)
    )
    return (
        "<SignedSignatureProperties><SigningTime>"
        f"{signing_time.isoformat(timespec='milliseconds')}</SigningTime>"
        "<SigningCertificate><Cert><CertDigest>"
        f'<ns2:DigestMethod Algorithm="{xmldsig.DigestMethod.SHA1.value}"></ns2:DigestMethod>'
        f"<ns2:DigestValue>{cert_digest}</ns2:DigestValue></CertDigest><IssuerSerial>"
        f"<ns2:X509IssuerName>{text(signer.issuer.rfc4514_string())}</ns2:X509IssuerName>"
        f"<ns2:X509SerialNumber>{signer.serial_number}</ns2:X509SerialNumber>"
        "</IssuerSerial></Cert></SigningCertificate></SignedSignatureProperties>"
        f"<SignedDataObjectProperties>{formats}</SignedDataObjectProperties>"
        "</SignedProperties>"
    )


@functools.lru_cache(maxsize=16)
def _key_info_xml(certificates: tuple[x509.Certificate, ...]) -> str:
    """``ds:KeyInfo`` with the certificates, leaf first (dpi.md 3.3). Kept per chain (equal by
    DER): a sender signs every package with the same one."""
    encoded = "".join(
        f"<X509Certificate>{_b64(cert.public_bytes(Encoding.DER))}</X509Certificate>"
        for cert in certificates
    )
    return f"<KeyInfo><X509Data>{encoded}</X509Data></KeyInfo>"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sign_files(
    files: Sequence[SignedFile],
    key: PrivateKey,
    *,
    signing_time: datetime,
    chain: Sequence[x509.Certificate] = (),
) -> bytes:
    """The ``META-INF/signatures.xml`` bytes signing ``files`` (in zip order) with ``key``.

    ``chain``: the certificates to embed after the leaf (dpi.md 3.3: all up to and including
    the root); ``key.chain`` when not given. The document is written as text, in canonical
    form where it is signed.
    """
    require_aware(signing_time, "signing_time")
    if not files:
        raise UsageError("a package signature covers at least one file")
    if len({java_url_encode(f.name) for f in files}) != len(files):
        raise UsageError("the signed files must have distinct names")
    spec = xmldsig.SignedInfoSpec(
        references=(
            *(
                xmldsig.ReferenceSpec(uri=java_url_encode(f.name), id=f"ID_{index}")
                for index, f in enumerate(files)
            ),
            xmldsig.ReferenceSpec(
                uri=f"#{_PROPERTIES_ID}",
                transforms=(xmldsig.Transform.INCLUSIVE_C14N,),
                type=_SIGNED_PROPERTIES_TYPE,
            ),
        ),
        signature_method=xmldsig.SignatureMethod.RSA_SHA256,
        c14n_method=xmldsig.C14nMethod.INCLUSIVE,
    )
    # Nothing is parsed: SignedProperties and SignedInfo are written in canonical form, and
    # with the namespaces in scope declared on their start tags (inclusive C14N renders them
    # on the apex, C14N 1.0 section 2.4) their text is what the digest and the signature
    # cover. The tests verify it with libxml2's canonicalization, and with libxmlsec1.
    content = _signed_properties_content(files, key.certificate, signing_time)
    properties = f'<SignedProperties Id="{_PROPERTIES_ID}">{content}'
    canonical_properties = (
        f'<SignedProperties xmlns="{ns.XADES}" xmlns:ns2="{ns.DS}" Id="{_PROPERTIES_ID}">{content}'
    )
    signed = [*(f.content for f in files), canonical_properties.encode()]
    digests = [
        r.digest_method.digest(data) for r, data in zip(spec.references, signed, strict=True)
    ]
    canonical_signed_info = xmldsig.signed_info_xml(
        spec, digests=digests, prefix=None, namespaces={"": ns.DS}
    )
    after_signature_value = (  # ds:KeyInfo, then the ds:Object with the XAdES properties
        f"{_key_info_xml((key.certificate, *(chain or key.chain)))}<Object>"
        f'<QualifyingProperties xmlns="{ns.XADES}" xmlns:ns2="{ns.DS}" '
        f'Target="#{_SIGNATURE_ID}">{properties}</QualifyingProperties></Object>'
    )
    signature = xmldsig.signature_xml(
        spec,
        key_info_xml=after_signature_value,
        signature_id=_SIGNATURE_ID,
        prefix=None,
        digests=digests,
        signature_value=key.sign(canonical_signed_info.encode(), spec.signature_method.hash),
    )
    document = f'<XAdESSignatures xmlns="{ns.ASIC}">{signature}</XAdESSignatures>'
    return _DECLARATION + document.encode("utf-8")


# -- verification -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class VerifiedXades:
    """What a package signature established: who signed which files, when (as claimed)."""

    signer: x509.Certificate
    #: The other certificates in KeyInfo (intermediates, root), for path building only.
    chain: tuple[x509.Certificate, ...]
    signing_time: datetime
    #: Signed zip entry name -> the MIME type its DataObjectFormat declares ("" if none).
    files: Mapping[str, str]


def _bad(message: str, rule: str) -> SignatureError:
    return SignatureError(message, rule=f"xades:{rule}")


@functools.lru_cache(maxsize=64)
def _certificate_digest(cert: x509.Certificate, algorithm: str) -> bytes:
    """The digest (``algorithm``: an XMLDSig DigestMethod URI of :data:`_CERT_DIGESTS`) of the
    certificate's DER, as SigningCertificate carries it. Kept per certificate (equal by DER):
    a sender signs every package with the same one."""
    return _CERT_DIGESTS[algorithm](cert.public_bytes(Encoding.DER)).digest()


def _signer(signed_properties: Element, certs: Sequence[x509.Certificate]) -> x509.Certificate:
    """The KeyInfo certificate that SigningCertificate names (TS 101 903 7.2.2)."""
    cert_elements = children_at(
        signed_properties, _x("SignedSignatureProperties"), _x("SigningCertificate"), _x("Cert")
    )
    for cert_element in cert_elements:
        method = first_child(cert_element, _x("CertDigest"), _ds("DigestMethod"))
        value = text_at(cert_element, _x("CertDigest"), _ds("DigestValue")) or ""
        algorithm = method.get("Algorithm", "") if method is not None else ""
        if algorithm not in _CERT_DIGESTS:
            raise _bad("the SigningCertificate digest method is not supported", "cert-digest")
        try:
            expected = base64_binary(value)
        except (binascii.Error, ValueError):
            raise _bad("the SigningCertificate digest is not base64", "malformed") from None
        for cert in certs:
            if _certificate_digest(cert, algorithm) == expected:
                serial = text_at(cert_element, _x("IssuerSerial"), _ds("X509SerialNumber"))
                if serial is not None and xml_strip(serial) != str(cert.serial_number):
                    raise _bad("IssuerSerial does not name the signing certificate", "cert-digest")
                return cert
    raise _bad(
        "no certificate in KeyInfo matches the signed SigningCertificate", "signing-certificate"
    )


def _signing_time(signed_properties: Element) -> datetime:
    text = text_at(signed_properties, _x("SignedSignatureProperties"), _x("SigningTime"))
    when = date_time(text or "")
    if when is None:
        raise _bad(f"SigningTime {text!r} is not an xs:dateTime", "signing-time")
    if not is_aware(when):
        raise _bad("SigningTime has no time zone", "signing-time")
    return when


def digest_methods(
    data: bytes, *, limits: Limits = DEFAULT_LIMITS
) -> frozenset[xmldsig.DigestMethod]:
    """The digest methods ``META-INF/signatures.xml`` names for its references (SHA-256
    always): what to compute over entries streamed past instead of held. Methods it names
    that are not known are left out; :func:`verify_signatures` refuses them."""
    root = parse_xml(data, limits=limits, what=SIGNATURES_ENTRY)
    named = {
        m.get("Algorithm") for m in root.iterfind(f".//{_ds('Reference')}/{_ds('DigestMethod')}")
    }
    return frozenset(
        {xmldsig.DigestMethod.SHA256, *(m for m in xmldsig.DigestMethod if m.value in named)}
    )


def verify_signatures(
    data: bytes,
    entries: Mapping[str, bytes | xmldsig.ExternalDigest],
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> VerifiedXades:
    """Verify ``META-INF/signatures.xml`` against the zip ``entries`` it signs.

    Checks the XMLDSig signature (strict algorithms, every file digest over the raw entry
    bytes, or the :class:`~peppol_dpi.xmldsig.ExternalDigest` of an entry digested while it
    streamed: see :func:`digest_methods`), that the SignedProperties reference covers this signature's own QualifyingProperties,
    and that SigningCertificate names a KeyInfo certificate whose key made the signature.
    Does not decide trust: validate :attr:`VerifiedXades.signer` with a
    :class:`~peppol_dpi.trust.TrustPolicy`. Raises :class:`~peppol_dpi.errors.SignatureError`.
    """
    root = parse_xml(data, limits=limits, what=SIGNATURES_ENTRY)
    if root.tag not in (f"{{{ns.ASIC}}}XAdESSignatures", f"{{{_ASIC_LEGACY}}}XAdESSignatures"):
        raise _bad("the root element is not asic:XAdESSignatures", "malformed")
    signatures = [c for c in root if isinstance(c.tag, str)]
    # DOCS dokumentpakke_sikkerhet: exactly one signature.
    if len(signatures) != 1 or signatures[0].tag != _ds("Signature"):
        raise _bad("signatures.xml must hold exactly one ds:Signature", "malformed")
    # ETSI TS 102 918 A.5: XAdESSignatures holds ds:Signature elements, no text, no attribute.
    if root.attrib or not is_xml_space(root.text) or any(not is_xml_space(c.tail) for c in root):
        raise _bad("asic:XAdESSignatures holds text or attributes", "malformed")
    signature = signatures[0]
    try:
        check_unsigned_parts(signature)
    except SignatureError as exc:
        raise _bad(exc.message, "malformed") from None
    certs = xmldsig.certificates_in(signature)
    properties = list(children_at(signature, _ds("Object"), _x("QualifyingProperties")))
    signature_id = signature.get("Id")
    if len(properties) != 1 or signature_id is None:
        raise _bad("the signature needs an Id and one QualifyingProperties", "malformed")
    if properties[0].get("Target") != f"#{signature_id}":
        raise _bad("QualifyingProperties does not target this signature", "malformed")
    own_properties = first_child(properties[0], _x("SignedProperties"))
    if own_properties is None:
        raise _bad("QualifyingProperties has no SignedProperties", "malformed")
    signer = _signer(own_properties, certs)

    def resolve(uri: str) -> bytes | xmldsig.ExternalDigest | None:
        name = unquote_plus(uri)
        return None if name.startswith("META-INF/") else entries.get(name)

    verified = xmldsig.verify(signature, public_key=_rsa(signer), resolver=resolve, policy=_POLICY)
    property_refs = [r for r in verified.references if r.type == _SIGNED_PROPERTIES_TYPE]
    if len(property_refs) != 1 or property_refs[0].element is not own_properties:
        raise _bad("the SignedProperties of this signature are not signed once", "properties")
    formats = {
        d.get("ObjectReference", ""): xml_strip(text_at(d, _x("MimeType")) or "")
        for d in children_at(
            own_properties, _x("SignedDataObjectProperties"), _x("DataObjectFormat")
        )
    }
    files: dict[str, str] = {}
    for reference in verified.references:
        if reference.element is not None:
            if reference is not property_refs[0]:
                raise _bad(f"unexpected same-document reference {reference.uri!r}", "malformed")
            continue
        name = unquote_plus(reference.uri)
        if name in files:
            raise _bad(f"{name!r} is referenced twice", "duplicate-reference")
        ref_id = (
            reference.reference_element.get("Id")
            if reference.reference_element is not None
            else None
        )
        files[name] = formats.get(f"#{ref_id}", "") if ref_id else ""
    return VerifiedXades(
        signer=signer,
        chain=tuple(c for c in certs if not same_certificates((c,), (signer,))),
        signing_time=_signing_time(own_properties),
        files=files,
    )


def _rsa(cert: x509.Certificate) -> rsa.RSAPublicKey:
    try:
        return rsa_public_key(cert, what="the signing certificate")
    except SignatureError as exc:
        raise _bad(exc.message, "algorithm") from None
