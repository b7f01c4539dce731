"""The peppol-dpi TEST PKI: a Peppol-like and a Norwegian-business-like hierarchy.

FOR TESTS, DEMOS AND BENCHMARKS ONLY. ``fixtures/pki/make_pki.py`` writes it to files (the
committed test PKI, see fixtures/pki/README.md); ``peppol-dpi demo`` and ``peppol-dpi bench``
load those files when they run from a checkout and otherwise build a fresh set in memory with
:func:`build` (about a second). The layout, names, serial numbers, validity periods and
extensions are fixed; the RSA keys are new on every build.

The module doubles as a small certificate factory: ``tests/pki.py`` uses :func:`issue`,
:func:`make_name` and :func:`make_crl` to make certificates at test time (for example with a
CRL or OCSP URL that points at a test server's port), signed by the committed CA keys.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from ..keys import LocalPrivateKey

__all__ = [
    "BUSINESS_EKU",
    "BUSINESS_USAGE",
    "CA_FROM",
    "CA_UNTIL",
    "CA_USAGE",
    "CLIENT_AUTH",
    "EXPIRED_FROM",
    "EXPIRED_UNTIL",
    "LEAF_FROM",
    "LEAF_UNTIL",
    "PASSWORD",
    "PEPPOL_USAGE",
    "REVOKED_AT",
    "REVOKED_CRL_URL",
    "SIGNING_USAGE",
    "TLS_USAGE",
    "Issued",
    "build",
    "issue",
    "make_crl",
    "make_name",
    "new_key",
    "parties",
    "write",
]

PASSWORD = b"changeit"

CA_FROM = datetime(2020, 1, 1, tzinfo=UTC)
CA_UNTIL = datetime(2050, 1, 1, tzinfo=UTC)
LEAF_FROM = datetime(2024, 1, 1, tzinfo=UTC)
LEAF_UNTIL = datetime(2049, 12, 31, tzinfo=UTC)
EXPIRED_FROM = datetime(2020, 6, 1, tzinfo=UTC)
EXPIRED_UNTIL = datetime(2021, 6, 1, tzinfo=UTC)
REVOKED_AT = datetime(2024, 6, 1, tzinfo=UTC)

#: CRL location written into the committed revoked certificate: loopback, discard port, so
#: that nothing ever leaves the machine; a checker given the committed CRL needs no download.
REVOKED_CRL_URL = "http://127.0.0.1:9/peppol-dpi-test-pki/ap-ca.crl"

#: Key usages by profile (names of cryptography's x509.KeyUsage arguments).
CA_USAGE = frozenset({"key_cert_sign", "crl_sign"})
# Peppol AP and SMP certificates (as issued under the OpenPEPPOL PKI): digitalSignature,
# keyEncipherment, keyAgreement, critical; extended key usage clientAuth, critical.
PEPPOL_USAGE = frozenset({"digital_signature", "key_encipherment", "key_agreement"})
# Norwegian enterprise certificates used for DPI sign (JWS, XAdES) and decrypt (CMS).
BUSINESS_USAGE = frozenset(
    {"digital_signature", "content_commitment", "key_encipherment", "data_encipherment"}
)
SIGNING_USAGE = frozenset({"digital_signature"})
TLS_USAGE = frozenset({"digital_signature", "key_encipherment"})


@dataclass(frozen=True)
class Issued:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_name(
    cn: str,
    *,
    o: str = "peppol-dpi test PKI",
    ou: str | None = None,
    c: str = "NO",
    serial_number: str | None = None,
    organization_identifier: str | None = None,
) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, c),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, o),
    ]
    if ou is not None:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    if organization_identifier is not None:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, organization_identifier))
    if serial_number is not None:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _key_usage(names: frozenset[str]) -> x509.KeyUsage:
    flags = {
        name: name in names
        for name in (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
        )
    }
    return x509.KeyUsage(**flags, encipher_only=False, decipher_only=False)


def issue(
    *,
    subject: x509.Name,
    serial: int,
    issuer: Issued | None = None,
    key: rsa.RSAPrivateKey | None = None,
    not_before: datetime = LEAF_FROM,
    not_after: datetime = LEAF_UNTIL,
    ca: bool = False,
    path_length: int | None = None,
    key_usage: frozenset[str] | None = None,
    extended_key_usage: Sequence[x509.ObjectIdentifier] = (),
    dns_names: Sequence[str] = (),
    ip_addresses: Sequence[str] = (),
    crl_url: str | None = None,
    ocsp_url: str | None = None,
    hash_algorithm: hashes.HashAlgorithm | None = None,
) -> Issued:
    """A certificate for ``key`` (a new one when None), signed by ``issuer`` (self when None)."""
    key = key if key is not None else new_key()
    signer_key = issuer.key if issuer is not None else key
    issuer_name = issuer.cert.subject if issuer is not None else subject
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(
            _key_usage(key_usage if key_usage is not None else (CA_USAGE if ca else SIGNING_USAGE)),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if extended_key_usage:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(list(extended_key_usage)), critical=True
        )
    if dns_names or ip_addresses:
        general_names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns_names]
        general_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ip_addresses]
        builder = builder.add_extension(x509.SubjectAlternativeName(general_names), critical=False)
    if crl_url is not None:
        point = x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url)],
            relative_name=None,
            reasons=None,
            crl_issuer=None,
        )
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if ocsp_url is not None:
        access = x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    cert = builder.sign(signer_key, hash_algorithm or hashes.SHA256())  # type: ignore[arg-type]
    return Issued(key=key, cert=cert)


def make_crl(
    issuer: Issued,
    revoked: Sequence[tuple[int, datetime]],
    *,
    this_update: datetime = LEAF_FROM,
    next_update: datetime = LEAF_UNTIL,
    number: int = 1,
) -> x509.CertificateRevocationList:
    """A CRL by ``issuer`` listing ``(serial, revocation date)`` pairs (reason keyCompromise)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    )
    for serial, when in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(when)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(issuer.key, hashes.SHA256())


# -- the committed PKI ------------------------------------------------------------------------

CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH
BUSINESS_EKU = (ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION)


def build() -> tuple[dict[str, Issued], dict[str, list[str]], x509.CertificateRevocationList]:
    """Every party of the test PKI by file stem, each leaf's chain (stems), and the AP CA CRL."""
    pki: dict[str, Issued] = {}
    chains: dict[str, list[str]] = {}

    def ca(stem: str, cn: str, serial: int, issuer: str | None, path_length: int | None) -> None:
        pki[stem] = issue(
            subject=make_name(cn),
            serial=serial,
            issuer=pki[issuer] if issuer else None,
            not_before=CA_FROM,
            not_after=CA_UNTIL,
            ca=True,
            path_length=path_length,
        )

    # The Peppol-like hierarchy: one root, an access-point CA and an SMP CA below it.
    ca("root-ca", "peppol-dpi TEST Root CA", 0x1001, None, 1)
    ca("ap-ca", "peppol-dpi TEST ACCESS POINT CA", 0x1002, "root-ca", 0)
    ca("smp-ca", "peppol-dpi TEST SERVICE METADATA PUBLISHER CA", 0x1003, "root-ca", 0)
    # The Norwegian business (enterprise certificate) hierarchy, like Buypass or Commfides.
    ca("business-root-ca", "peppol-dpi TEST Business Root CA", 0x2001, None, 1)
    ca("business-ca", "peppol-dpi TEST Business CA", 0x2002, "business-root-ca", 0)
    # An unrelated CA: nothing should trust what it issues.
    ca("other-root-ca", "Unrelated TEST Root CA", 0x3001, None, 0)

    def leaf(stem: str, issuer: str, chain: list[str], **kwargs: object) -> None:
        pki[stem] = issue(issuer=pki[issuer], **kwargs)  # type: ignore[arg-type]
        chains[stem] = chain

    def ap(stem: str, seat: str, company: str, serial: int, **kwargs: object) -> None:
        leaf(
            stem,
            "ap-ca",
            ["ap-ca", "root-ca"],
            subject=make_name(seat, o=company, ou="PEPPOL TEST AP"),
            serial=serial,
            key_usage=PEPPOL_USAGE,
            extended_key_usage=[CLIENT_AUTH],
            **kwargs,
        )

    ap("ap-c2", "POP000001", "Corner Two AS", 0x1101)
    ap("ap-c3", "POP000002", "Corner Three AS", 0x1102)
    ap(
        "expired",
        "POP000009",
        "Expired AP AS",
        0x1109,
        not_before=EXPIRED_FROM,
        not_after=EXPIRED_UNTIL,
    )
    ap("revoked", "POP000010", "Revoked AP AS", 0x110A, crl_url=REVOKED_CRL_URL)
    leaf(
        "smp",
        "smp-ca",
        ["smp-ca", "root-ca"],
        subject=make_name("PSM000001", o="Test SMP AS", ou="PEPPOL TEST SMP"),
        serial=0x1201,
        key_usage=PEPPOL_USAGE,
        extended_key_usage=[CLIENT_AUTH],
    )
    leaf(
        "tls-localhost",
        "root-ca",
        ["root-ca"],
        subject=make_name("localhost"),
        serial=0x1301,
        key_usage=TLS_USAGE,
        extended_key_usage=[ExtendedKeyUsageOID.SERVER_AUTH],
        dns_names=["localhost"],
        ip_addresses=["127.0.0.1"],
    )

    def business(stem: str, org: str, company: str, serial: int, *, seid2: bool = False) -> None:
        # SEID 1 puts the organisation number in serialNumber; SEID 2 in organizationIdentifier.
        name = (
            make_name(company, o=company, organization_identifier=f"NTRNO-{org}")
            if seid2
            else make_name(company, o=company, serial_number=org)
        )
        leaf(
            stem,
            "business-ca",
            ["business-ca", "business-root-ca"],
            subject=name,
            serial=serial,
            key_usage=BUSINESS_USAGE,
            extended_key_usage=BUSINESS_EKU,
        )

    business("sender", "991825827", "Avsender Test AS", 0x2101)
    business("sender-seid2", "991825827", "Avsender Test AS", 0x2102, seid2=True)
    business("processor", "810969342", "Databehandler Test AS", 0x2103)
    business("digipost", "984661185", "Postkasse Digipost-like Test AS", 0x2104)
    business("eboks", "922020175", "Postkasse e-Boks-like Test AS", 0x2105, seid2=True)
    leaf(
        "maskinporten",
        "business-ca",
        ["business-ca", "business-root-ca"],
        subject=make_name(
            "maskinporten-test", o="Maskinporten-like Test", serial_number="991825827"
        ),
        serial=0x2201,
        key_usage=SIGNING_USAGE,
    )
    leaf(
        "wrong-ca",
        "other-root-ca",
        ["other-root-ca"],
        subject=make_name("POP000001", o="Impostor AS", ou="PEPPOL TEST AP"),
        serial=0x3101,
        key_usage=PEPPOL_USAGE,
        extended_key_usage=[CLIENT_AUTH],
    )
    crl = make_crl(pki["ap-ca"], [(pki["revoked"].cert.serial_number, REVOKED_AT)])
    return pki, chains, crl


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def write(out: Path) -> list[Path]:
    pki, chains, crl = build()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(name: str, data: bytes) -> None:
        path = out / name
        path.write_bytes(data)
        written.append(path)

    for stem, issued in pki.items():
        put(f"{stem}.cert.pem", _pem(issued.cert))
        put(
            f"{stem}.key.pem",
            issued.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        if stem in chains:
            chain = [pki[s].cert for s in chains[stem]]
            put(f"{stem}.chain.pem", b"".join(_pem(c) for c in [issued.cert, *chain]))
            put(
                f"{stem}.p12",
                pkcs12.serialize_key_and_certificates(
                    stem.encode(),
                    issued.key,
                    issued.cert,
                    chain,
                    serialization.BestAvailableEncryption(PASSWORD),
                ),
            )
    put("ap-ca.crl.pem", crl.public_bytes(serialization.Encoding.PEM))
    put("ap-ca.crl", crl.public_bytes(serialization.Encoding.DER))
    return written


def parties(directory: Path | None = None) -> dict[str, LocalPrivateKey]:
    """Every leaf of the test PKI as a key with its chain (CAs up to the root), by file stem.

    Read from ``directory`` (a folder written by :func:`write`) when given and present, else
    built in memory.
    """
    if directory is not None and (directory / "root-ca.cert.pem").is_file():
        found: dict[str, LocalPrivateKey] = {}
        for chain_file in sorted(directory.glob("*.chain.pem")):
            stem = chain_file.name.removesuffix(".chain.pem")
            certs = x509.load_pem_x509_certificates(chain_file.read_bytes())
            key = serialization.load_pem_private_key(
                (directory / f"{stem}.key.pem").read_bytes(), None
            )
            assert isinstance(key, rsa.RSAPrivateKey)
            found[stem] = LocalPrivateKey(key=key, certificate=certs[0], chain=tuple(certs[1:]))
        return found
    pki, chains, _ = build()
    return {
        stem: LocalPrivateKey(
            key=pki[stem].key,
            certificate=pki[stem].cert,
            chain=tuple(pki[s].cert for s in chain),
        )
        for stem, chain in chains.items()
    }
