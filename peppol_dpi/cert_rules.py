"""What each certificate on a validated path must be (RFC 5280 and the algorithm policy), apart
from its place on the path: the rules :class:`~peppol_dpi.trust.TrustPolicy` applies to every
certificate it chains.

The rules where our validator was laxer than the JDK's PKIX validator, with which phase4 and
Oxalis validate (tests/test_pkix_never_laxer.py holds it to that one):

* a critical extension is refused unless this validator processes it (RFC 5280 4.2: one it
  cannot process must be refused), not merely when ``cryptography`` cannot decode it;
* name constraints and the policy controls (policy constraints, policy mappings, inhibit
  anyPolicy), which this validator does not process, are refused wherever they occur: RFC 5280
  requires the first three critical, and honouring them only when critical would let a
  non-critical one through, which the JDK enforces;
* a certificate's signature must use SHA-224 or a longer SHA-2 (SHA-1 on opt-in), its RSA key
  at least 2048 bits and its elliptic curve at least 256 (the JDK refuses MD5, RSA below 1024
  bits and curves below 224; we ask more);
* the signature algorithm inside the signed part must be the one outside it (4.1.1.2);
* an issuer is named by the exact encoding of its subject (4.1.2.6: "MUST be encoded in the
  same way"): ``cryptography`` compares names without their string types, the JDK a
  BMPString by its bytes.
"""

from __future__ import annotations

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID

from .errors import CertificateError

__all__ = [
    "MIN_EC_BITS",
    "MIN_RSA_BITS",
    "check_algorithms",
    "check_extensions",
    "same_name",
    "subject_of",
]

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256

#: The critical extensions this validator processes (RFC 5280 4.2): basic constraints and key
#: usage are checked; the subject's alternative names and extended key usage need nothing of
#: the path (no name constraints are honoured, see below; purposes are the application's).
_PROCESSED = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.EXTENDED_KEY_USAGE,
    }
)
#: Constraints on the path below a CA that this validator does not process, refused wherever
#: they are (RFC 5280 4.2.1.10, 4.2.1.5, 4.2.1.11, 4.2.1.14).
_UNPROCESSED_CONSTRAINTS = {
    ExtensionOID.NAME_CONSTRAINTS: "name constraints",
    ExtensionOID.POLICY_CONSTRAINTS: "policy constraints",
    ExtensionOID.POLICY_MAPPINGS: "policy mappings",
    ExtensionOID.INHIBIT_ANY_POLICY: "inhibit anyPolicy",
}
_SHA2 = (hashes.SHA224, hashes.SHA256, hashes.SHA384, hashes.SHA512)


def subject_of(cert: x509.Certificate) -> str:
    """The certificate subject as an RFC 4514 string (docs/cli.md JSON output)."""
    return cert.subject.rfc4514_string()


def same_name(a: x509.Name, b: x509.Name) -> bool:
    """``a`` and ``b`` are one name, encoded alike (RFC 5280 4.1.2.6)."""
    return a.public_bytes() == b.public_bytes()


def check_extensions(cert: x509.Certificate) -> None:
    """Refuse a critical extension this validator does not process, and the path constraints
    it does not process however they are marked."""
    for extension in cert.extensions:
        what = _UNPROCESSED_CONSTRAINTS.get(extension.oid)
        if what is not None:
            raise CertificateError(
                f"{subject_of(cert)} carries {what}, which this validator does not process",
                rule="cert:critical-extension",
            )
        if extension.critical and extension.oid not in _PROCESSED:
            raise CertificateError(
                f"{subject_of(cert)} has a critical extension this validator does not process "
                f"({extension.oid.dotted_string})",
                rule="cert:critical-extension",
            )


def check_algorithms(cert: x509.Certificate, *, signed: bool, allow_sha1: bool) -> None:
    """The certificate's key (RSA of :data:`MIN_RSA_BITS` or an elliptic curve of
    :data:`MIN_EC_BITS`) and, when ``signed`` (its signature is verified on the path), its
    signature algorithm: SHA-2, or SHA-1 when allowed, the same inside and outside the signed
    part."""
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        key = None
    too_small = (isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS) or (
        isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < MIN_EC_BITS
    )
    if too_small:
        raise CertificateError(
            f"{subject_of(cert)} has a key too small to trust", rule="cert:weak-algorithm"
        )
    if not signed:
        return
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        algorithm = None
    if isinstance(algorithm, hashes.SHA1) and not allow_sha1:
        raise CertificateError(
            f"{subject_of(cert)} is signed with SHA-1, which is not allowed", rule="cert:sha1"
        )
    if not isinstance(algorithm, (*_SHA2, hashes.SHA1)):
        raise CertificateError(
            f"{subject_of(cert)} is signed with a hash that is not allowed",
            rule="cert:weak-algorithm",
        )
    try:
        parsed = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
        inside = parsed["tbs_certificate"]["signature"].dump()
        outside = parsed["signature_algorithm"].dump()
    except (ValueError, TypeError, IndexError, KeyError, OverflowError):
        # (asn1crypto reads lazily, and raises these for what it cannot read)
        raise CertificateError(
            f"{subject_of(cert)} cannot be read", rule="cert:malformed"
        ) from None
    if inside != outside:
        raise CertificateError(
            f"{subject_of(cert)} names one signature algorithm inside its signed part and "
            "another outside it (RFC 5280 4.1.1.2)",
            rule="cert:malformed",
        )
