"""The project's test PKI (``fixtures/pki``, see its README.md), one accessor for every test.

Use it as ``import pki`` from a test file (``tests/`` is on ``sys.path`` under pytest, like
``conftest``). Everything is loaded once per process and cached.

Keys (each a :class:`~peppol_dpi.keys.LocalPrivateKey` whose ``chain`` holds its CAs up to the
root, leaf excluded):

* ``ap_key("c2")`` / ``ap_key("c3")`` - access points POP000001 / POP000002 (Peppol AP profile)
* ``smp_key()`` - the SMP certificate PSM000001 (issued by the SMP CA)
* ``business_key(party)`` - Norwegian enterprise certificates; ``party`` is one of
  :data:`BUSINESS_PARTIES`: ``"sender"`` (991825827, SEID 1), ``"sender-seid2"`` (991825827,
  SEID 2 organizationIdentifier), ``"processor"`` (810969342), ``"digipost"`` (984661185),
  ``"eboks"`` (922020175, SEID 2)
* ``maskinporten_key()`` - the Maskinporten-like token signing key
* ``tls_key()`` - TLS server certificate for ``localhost`` / ``127.0.0.1`` (files: ``tls_files()``)
* ``expired_key()``, ``revoked_key()``, ``wrong_ca_key()`` - for negative tests

CA certificates: ``root_ca()``, ``ap_ca()``, ``smp_ca()``, ``business_root_ca()``,
``business_ca()``, ``other_root_ca()`` (unrelated; trusted by nothing).

Trust: ``peppol_trust(**kw)`` (anchor root_ca, intermediates AP and SMP CA) and
``business_trust(**kw)`` (anchor business_root_ca, intermediate business_ca) return a
:class:`~peppol_dpi.trust.TrustPolicy`; keyword arguments are passed on
(``revocation=...``, ``revocation_checker=...``).

Revocation: ``ap_crl()`` is the AP CA's committed CRL (revokes ``revoked_key()``).
``ca_issued(name)`` gives a CA's key and certificate, and ``issue_leaf(...)`` makes a new
certificate at test time (for example one naming the CRL/OCSP URL of a test server);
``resign(cert, issuer, sha1=..., edit=...)`` re-signs one after editing it (SHA-1,
duplicate extensions: what cryptography's builder refuses to make).

Any file stem: ``key(stem)`` and ``certificate(stem)``.

Files: ``path(name)`` is ``fixtures/pki/<name>``; ``PASSWORD`` is the PKCS#12 password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from peppol_dpi.keys import (
    LocalPrivateKey,
    RsaPadding,
    SignatureHash,
    load_certificate,
    load_certificates,
    load_private_key,
)
from peppol_dpi.testing import pki as testing_pki
from peppol_dpi.trust import TrustPolicy

PKI_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "pki"
PASSWORD = b"changeit"

Corner = Literal["c2", "c3"]
BUSINESS_PARTIES = ("sender", "sender-seid2", "processor", "digipost", "eboks")
CA_NAMES = ("root-ca", "ap-ca", "smp-ca", "business-root-ca", "business-ca", "other-root-ca")

__all__ = [
    "BUSINESS_PARTIES",
    "CA_NAMES",
    "PASSWORD",
    "PKI_DIR",
    "ap_ca",
    "ap_crl",
    "ap_key",
    "business_ca",
    "business_key",
    "business_root_ca",
    "business_trust",
    "ca_issued",
    "certificate",
    "expired_key",
    "factory",
    "issue_leaf",
    "key",
    "maskinporten_key",
    "other_root_ca",
    "path",
    "peppol_trust",
    "resign",
    "revoked_key",
    "root_ca",
    "smp_ca",
    "smp_key",
    "spare_key",
    "tls_files",
    "tls_key",
    "wrong_ca_key",
]


def path(name: str) -> Path:
    """``fixtures/pki/<name>``, failing clearly when the file is missing."""
    file = PKI_DIR / name
    if not file.is_file():
        raise FileNotFoundError(f"{file} is missing: rerun fixtures/pki/make_pki.py")
    return file


@cache
def certificate(stem: str) -> x509.Certificate:
    return load_certificate(path(f"{stem}.cert.pem").read_bytes())


@cache
def key(stem: str) -> LocalPrivateKey:
    chain = load_certificates(path(f"{stem}.chain.pem").read_bytes())
    return LocalPrivateKey(
        key=load_private_key(path(f"{stem}.key.pem").read_bytes()),
        certificate=chain[0],
        chain=tuple(chain[1:]),
    )


# -- keys ------------------------------------------------------------------------------------


def ap_key(corner: Corner) -> LocalPrivateKey:
    if corner not in ("c2", "c3"):
        raise ValueError(f"corner must be 'c2' or 'c3', not {corner!r}")
    return key(f"ap-{corner}")


def smp_key() -> LocalPrivateKey:
    return key("smp")


def business_key(party: str) -> LocalPrivateKey:
    if party not in BUSINESS_PARTIES:
        raise ValueError(f"party must be one of {BUSINESS_PARTIES}, not {party!r}")
    return key(party)


def maskinporten_key() -> LocalPrivateKey:
    return key("maskinporten")


def tls_key() -> LocalPrivateKey:
    return key("tls-localhost")


def tls_files() -> tuple[Path, Path]:
    """(certificate chain PEM, private key PEM) for ``ssl.SSLContext.load_cert_chain``."""
    return path("tls-localhost.chain.pem"), path("tls-localhost.key.pem")


def expired_key() -> LocalPrivateKey:
    return key("expired")


def revoked_key() -> LocalPrivateKey:
    return key("revoked")


def wrong_ca_key() -> LocalPrivateKey:
    return key("wrong-ca")


# -- CAs and trust ---------------------------------------------------------------------------


def root_ca() -> x509.Certificate:
    return certificate("root-ca")


def ap_ca() -> x509.Certificate:
    return certificate("ap-ca")


def smp_ca() -> x509.Certificate:
    return certificate("smp-ca")


def business_root_ca() -> x509.Certificate:
    return certificate("business-root-ca")


def business_ca() -> x509.Certificate:
    return certificate("business-ca")


def other_root_ca() -> x509.Certificate:
    return certificate("other-root-ca")


def peppol_trust(**overrides: Any) -> TrustPolicy:
    """Trust the test Peppol root (AP and SMP CAs available as intermediates)."""
    settings: dict[str, Any] = {"anchors": (root_ca(),), "intermediates": (ap_ca(), smp_ca())}
    return TrustPolicy(**(settings | overrides))


def business_trust(**overrides: Any) -> TrustPolicy:
    """Trust the test business root (business CA available as intermediate)."""
    settings: dict[str, Any] = {"anchors": (business_root_ca(),), "intermediates": (business_ca(),)}
    return TrustPolicy(**(settings | overrides))


@cache
def ap_crl() -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl(path("ap-ca.crl").read_bytes())


# -- certificates made at test time ----------------------------------------------------------


def factory() -> ModuleType:
    """The certificate factory :mod:`peppol_dpi.testing.pki` (``issue``, ``make_name``, ``make_crl``...)."""
    return testing_pki


@cache
def ca_issued(name: str) -> Any:
    """A CA of the test PKI as ``make_pki.Issued`` (``.key``, ``.cert``) to sign with."""
    if name not in CA_NAMES:
        raise ValueError(f"name must be one of {CA_NAMES}, not {name!r}")
    key = load_private_key(path(f"{name}.key.pem").read_bytes())
    return factory().Issued(key=key, cert=certificate(name))


@cache
def spare_key() -> rsa.RSAPrivateKey:
    """One extra RSA key per process for test-time certificates (generating keys is slow)."""
    key: rsa.RSAPrivateKey = factory().new_key()
    return key


@cache
def ec_certificate() -> x509.Certificate:
    """A certificate of the test PKI (issued by the AP CA) for a P-256 key: for the checks that
    refuse what is not RSA (AS4, XMLDSig and DPI sign and encrypt with RSA only)."""
    make = factory()
    issued = make.issue(
        subject=make.make_name("ec"),
        serial=9102,
        issuer=ca_issued("ap-ca"),
        key=ec.generate_private_key(ec.SECP256R1()),
    )
    certificate: x509.Certificate = issued.cert
    return certificate


def issue_leaf(
    cn: str,
    *,
    issuer: str = "ap-ca",
    serial: int,
    crl_url: str | None = None,
    ocsp_url: str | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    **kwargs: Any,
) -> LocalPrivateKey:
    """A new leaf certificate for :func:`spare_key`, signed by the CA ``issuer`` (a stem).

    Further keyword arguments go to ``make_pki.issue`` (``key_usage``, ``ca``,
    ``hash_algorithm``, ``extended_key_usage``...). The chain runs up to the issuer's root.
    """
    make = factory()
    ca = ca_issued(issuer)
    dates = {"not_before": not_before or make.LEAF_FROM, "not_after": not_after or make.LEAF_UNTIL}
    issued = make.issue(
        subject=make.make_name(cn),
        serial=serial,
        issuer=ca,
        key=kwargs.pop("key", spare_key()),
        crl_url=crl_url,
        ocsp_url=ocsp_url,
        **dates,
        **kwargs,
    )
    chain = [ca.cert]
    while chain[-1].issuer != chain[-1].subject:
        chain.append(
            next(certificate(n) for n in CA_NAMES if certificate(n).subject == chain[-1].issuer)
        )
    return LocalPrivateKey(key=issued.key, certificate=issued.cert, chain=tuple(chain))


def without_extension(extension: str) -> Callable[[Any], None]:
    """An ``edit`` for :func:`resign` removing the extension named (asn1crypto's name)."""

    def edit(tbs: Any) -> None:
        kept = [e for e in tbs["extensions"] if e["extn_id"].native != extension]
        tbs["extensions"] = asn1_x509.Extensions(kept)

    return edit


def with_key_usage(*usages: str) -> Callable[[Any], None]:
    """An ``edit`` for :func:`resign` setting the KeyUsage bits (asn1crypto's names)."""

    def edit(tbs: Any) -> None:
        for extension in tbs["extensions"]:
            if extension["extn_id"].native == "key_usage":
                extension["extn_value"] = asn1_x509.KeyUsage(set(usages))

    return edit


def ap_ca_without(extension: str) -> x509.Certificate:
    """The AP CA (same name and key) re-signed by the root without one extension."""
    return resign(ap_ca(), "root-ca", edit=without_extension(extension))


def resign(
    cert: x509.Certificate,
    issuer: str,
    *,
    sha1: bool = False,
    edit: Callable[[Any], None] | None = None,
) -> x509.Certificate:
    """``cert`` re-signed by the CA ``issuer``, after ``edit`` (given the asn1crypto TBS).

    Makes what cryptography's builder refuses to: SHA-1 signatures (``sha1=True``), duplicate
    or malformed extensions (``edit``).
    """
    parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    tbs = parsed["tbs_certificate"]
    algorithm = "sha1_rsa" if sha1 else "sha256_rsa"
    tbs["signature"] = asn1_x509.SignedDigestAlgorithm({"algorithm": algorithm})
    if edit is not None:
        edit(tbs)
    key: rsa.RSAPrivateKey = ca_issued(issuer).key
    digest = hashes.SHA1() if sha1 else hashes.SHA256()
    signature = key.sign(tbs.dump(force=True), padding.PKCS1v15(), digest)
    resigned = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": algorithm},
            "signature_value": signature,
        }
    )
    return x509.load_der_x509_certificate(resigned.dump())


@dataclass
class CountingKey:
    """A key that is not a LocalPrivateKey (only the PrivateKey protocol's methods, as an HSM
    offers them), recording each private-key decryption: its ciphertext and padding."""

    inner: LocalPrivateKey
    decryptions: list[bytes] = field(default_factory=list)
    paddings: list[RsaPadding] = field(default_factory=list)

    @property
    def certificate(self) -> x509.Certificate:
        return self.inner.certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        return self.inner.chain

    def sign(self, data: bytes, hash_: SignatureHash) -> bytes:
        return self.inner.sign(data, hash_)

    def decrypt(self, ciphertext: bytes, padding_: RsaPadding) -> bytes:
        self.decryptions.append(ciphertext)
        self.paddings.append(padding_)
        return self.inner.decrypt(ciphertext, padding_)
