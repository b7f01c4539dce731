"""Differential test: our certificate validator is never laxer than the JDK's PKIX validator.

Each case is a leaf certificate, the certificates a peer sent with it (in the order sent), and
a policy: trust anchors, intermediates of the policy's own, the key usages the leaf must allow,
whether SHA-1 is allowed. It is validated at one instant (NOW) by
:meth:`peppol_dpi.trust.TrustPolicy.validate` (``revocation=RevocationMode.OFF``) and by the
JDK's ``CertPathValidator.getInstance("PKIX")``, on which phase4 and Oxalis build, in
``tests/java/PkixOracle.java``: one JVM over every case. Whenever the JDK refuses, we must
refuse, and our every refusal must be an InputError (a CertificateError; anything else is a
crash).

The JDK's settings: ``PKIXParameters`` with a ``TrustAnchor`` per anchor certificate (no name
constraints), ``setRevocationEnabled(false)``, ``setDate(NOW)``, the required key usages as
target certificate constraints (``X509CertSelector.setKeyUsage``: like ours, a leaf without the
extension allows every usage), and every policy setting at its default: initial policy set
anyPolicy, explicit policy not required, policy mapping and anyPolicy not inhibited, policy
qualifiers in a critical certificatePolicies extension rejected. The algorithm constraints are
the JDK's own (``jdk.certpath.disabledAlgorithms`` of its java.security: on JDK 17 MD2, MD5,
RSA and DSA keys under 1024 bits, EC keys under 224 bits; SHA-1 only under the JDK's own
cacerts roots, so not here). The validator checks a path as given; ours builds one. So the leaf
and the chain are first validated in the order sent, and if that fails, ``CertPathBuilder``
"PKIX" (the same parameters, no limit on the path length) builds a path from the leaf through
the chain and the policy's intermediates, and the path it finds is validated again. The JDK
accepts if either validates.

Left out:

* revocation: off on both sides (no CRL or OCSP server here); ours has test_revocation*.py;
* extended key usage: neither validator checks it (TrustPolicy has no such requirement, and
  PKIX does not chain EKUs), so there is nothing to compare;
* DSA and EdDSA: TrustPolicy verifies RSA PKCS#1 v1.5 and ECDSA only
  (test_certificate_refusals), so a path signed otherwise is refused whatever the JDK says;
* certificates that do not decode (tests/fuzz/regressions/certificate, version 4, bad serial
  numbers): refused where they enter (security/test_certificate_attacks.py); under no anchor
  of ours both validators would refuse them for not chaining, which says nothing;
* name constraints on an anchor: TrustPolicy has no such input.

The required key usage is compared: the JDK expresses it as above.

FOUND when this was written (22; the JDK refused and we accepted; ``FOUND`` says why for each;
each was a strict xfail, and all pass since ``peppol_dpi/cert_rules.py``: a critical extension
the validator does not process is refused, name constraints and the policy controls are refused
wherever they occur, signatures must use SHA-2 (SHA-1 on opt-in) and the same algorithm inside
and outside the signed part, RSA keys need 2048 bits and curves 256, and an issuer is named by
the exact encoding of its subject, as RFC 5280 4.1.2.6 requires):

* critical extensions that cryptography decodes and TrustPolicy never reads (8): a TLS feature
  (OCSP must-staple), OCSP no-check, CT precertificate poison, authority information access
  (leaf and intermediate), CRL distribution points, subject key identifier, private key usage
  period on the leaf. TrustPolicy refuses a critical extension only when cryptography cannot
  decode it (``UnrecognizedExtension``); the JDK refuses every critical extension none of its
  PKIX checkers processes (it processes basic constraints, key usage, extended key usage,
  subject alternative name, name constraints and the four policy extensions). The same holds
  for the freshest CRL, issuer alternative name, authority key identifier and whatever else
  cryptography learns to decode in later versions;
* name constraints (3): TrustPolicy does not apply an intermediate's name constraints (RFC 5280
  6.1.3 (b), (c)): a leaf subject outside the permitted or inside an excluded directory name, a
  dNSName outside the permitted one;
* certificate policies (4): TrustPolicy does no policy processing (RFC 5280 6.1.3 (d)-(f),
  6.1.5 (g)): requireExplicitPolicy 0 with no policy asserted, with another policy asserted by
  the leaf, with anyPolicy inhibited; and policy qualifiers in the leaf's critical
  certificatePolicies (refused by the JDK's default, not by RFC 5280);
* string types in names (3): an issuer name whose commonName is a BMPString (leaf and
  intermediate) or a TeletexString where the issuer's subject has a UTF8String. X500Principal
  compares its RFC 2253 canonical form, in which only PrintableString and UTF8String values are
  compared as text (the others as DER bytes); cryptography's Name equality ignores the string
  type. RFC 5280 7.1 prescribes the comparison (after RFC 4518 string preparation) for
  PrintableString and UTF8String only, so neither reading is wrong; the JDK's is the narrower;
* algorithms and keys (4): an MD5 signature (TrustPolicy refuses SHA-1 only, and OpenSSL still
  verifies MD5), a TBS signature algorithm other than the outer one (RFC 5280 4.1.1.2; the JDK
  will not read the certificate, we verify with the outer one), a 512-bit RSA and a P-192 key
  (TrustPolicy checks no key size or curve).

Where we are stricter (the JDK accepts, we refuse; allowed), 20 when this was written, and
since the fixes also the paths that carry name constraints or policy controls the JDK finds
met (``name-constraints-met``, ``policy-required-and-asserted``) and a critical
certificatePolicies (``leaf-critical-policies``), which we do not process:

* the anchor is checked as a certificate of the path (6): an anchor expired or not yet valid,
  with pathLenConstraint 0 above an intermediate, not a CA, without keyCertSign, with an
  unknown critical extension. The JDK takes a trust anchor's name and key only (RFC 5280
  6.1.1 (d));
* path building (5; the first three built since, ``test_paths_the_jdk_builds_we_build_too``):
  a self-issued intermediate (a CA key rollover: the new key certified by
  the old under one name) ends our path building; of two certificates of the issuing CA
  (its name and key), the first sent expired or not a CA, we take the first whose signature
  verifies and do not try the other; more than 7 CAs between leaf and anchor (``_MAX_PATH``,
  8 and 16 here), where the JDK's validator has no limit (its builder's was lifted);
* names compared exactly (3): an issuer name differing from the issuer's subject in case (leaf,
  intermediate) or in white space, which RFC 5280 7.1 and the JDK fold;
* algorithms (3): SHA-1 signatures on the leaf and the intermediate (``allow_sha1`` off),
  RSASSA-PSS (we verify PKCS#1 v1.5 and ECDSA only);
* decoding (3): a leaf key of an unknown algorithm (``fully_decoded`` reads the key), a leaf
  whose basicConstraints has a pathLenConstraint without cA (cryptography will not decode it),
  policy mappings marked critical (cryptography has no type for them, so the extension is
  unknown to us; the JDK processes mappings).

Of the 100 cases, when this was written on JDK 17: 32 accepted by both, 26 refused by both, 20
by us only, 22 (the findings) by the JDK only. No crash.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pki
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID
from differential import Crash, Failure, Verdict, outcome
from java_oracle import JavaVerdict, run_batch

from peppol_dpi import trust
from peppol_dpi.trust import KeyUsage, RevocationMode, TrustPolicy

#: The instant both validators validate at.
NOW = datetime(2030, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
make = pki.factory()
UNKNOWN = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.7"), b"\x05\x00")
POLICY = x509.ObjectIdentifier("1.3.6.1.4.1.99999.10")
OTHER_POLICY = x509.ObjectIdentifier("1.3.6.1.4.1.99999.11")
ANY_POLICY = x509.ObjectIdentifier("2.5.29.32.0")
URL = "http://127.0.0.1:9/peppol-dpi-test"
BC = (ExtensionOID.BASIC_CONSTRAINTS,)
KU = (ExtensionOID.KEY_USAGE,)
Extension = tuple[x509.ExtensionType, bool]  # a value, and whether it is critical


@dataclass(frozen=True, kw_only=True)
class Case:
    """A leaf, the certificates sent with it, and a policy: what both validators are given."""

    leaf: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    anchors: tuple[x509.Certificate, ...] = ()  # none given: the test Peppol root
    pool: tuple[x509.Certificate, ...] = ()  # the policy's intermediates
    usage: frozenset[KeyUsage] = frozenset()
    allow_sha1: bool = False

    def trusted(self) -> tuple[x509.Certificate, ...]:
        return self.anchors or (pki.root_ca(),)

    def document(self) -> bytes:
        """The case as tests/java/PkixOracle.java reads it."""
        lines = [f"at {NOW.isoformat().replace('+00:00', 'Z')}"]
        if self.usage:
            lines.append(" ".join(["usage", *sorted(u.value for u in self.usage)]))
        for role, certs in (
            ("anchor", self.trusted()),
            ("leaf", (self.leaf,)),
            ("chain", self.chain),
            ("pool", self.pool),
        ):
            lines += [
                f"{role} {base64.b64encode(c.public_bytes(Encoding.DER)).decode()}" for c in certs
            ]
        return "\n".join(lines).encode() + b"\n"

    def ours(self) -> Verdict:
        policy = TrustPolicy(
            anchors=self.trusted(),
            intermediates=self.pool,
            revocation=RevocationMode.OFF,
            required_key_usage=self.usage,
            allow_sha1=self.allow_sha1,
        )
        result = outcome(lambda: policy.validate(self.leaf, chain=self.chain, at=NOW))
        if isinstance(result, Failure):
            return Verdict(False, f"{result.rule}: {result.message}")
        if isinstance(result, Crash):
            return Verdict(False, f"{result.cls}: {result.message}", crashed=True)
        return Verdict(True, "validated")


# -- certificates ------------------------------------------------------------------------------


def _root() -> Any:
    return pki.ca_issued("root-ca")


def _ap() -> Any:
    return pki.ca_issued("ap-ca")


def _c2() -> x509.Certificate:
    return pki.ap_key("c2").certificate


@cache
def _key(number: int) -> ec.EllipticCurvePrivateKey:
    """EC key number ``number`` (quick to make): a new one per number, the same on every call."""
    return ec.generate_private_key(ec.SECP256R1())


def _issued(cn: str, serial: int, issuer: Any, **kwargs: Any) -> Any:
    """The factory's certificate for EC key ``serial``, signed by ``issuer`` (self when None)."""
    settings = {"key": _key(serial)} | kwargs
    return make.issue(subject=make.make_name(cn), serial=serial, issuer=issuer, **settings)


@cache
def _ca(cn: str, serial: int, issuer: Any, **kwargs: Any) -> Any:
    settings = {"ca": True, "not_before": make.CA_FROM, "not_after": make.CA_UNTIL} | kwargs
    return _issued(cn, serial, issuer, **settings)


def _leaf(serial: int, issuer: Any = None, **kwargs: Any) -> x509.Certificate:
    cert: x509.Certificate = _issued(f"POP{serial:06X}", serial, issuer or _ap(), **kwargs).cert
    return cert


def _reissued(
    cert: x509.Certificate,
    issuer: Any,
    *extensions: Extension,
    drop: tuple[x509.ObjectIdentifier, ...] = (),
    issuer_name: x509.Name | None = None,
    public_key: Any = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    rsa_padding: Any = None,
) -> x509.Certificate:
    """``cert`` issued again by ``issuer``, with ``extensions`` added, those in ``drop`` left
    out, and the fields given replaced."""
    builder = x509.CertificateBuilder(
        issuer_name=issuer_name or issuer.cert.subject,
        subject_name=cert.subject,
        public_key=public_key or cert.public_key(),
        serial_number=cert.serial_number,
        not_valid_before=not_before or cert.not_valid_before_utc,
        not_valid_after=not_after or cert.not_valid_after_utc,
        extensions=[e for e in cert.extensions if e.oid not in drop],
    )
    for value, critical in extensions:
        builder = builder.add_extension(value, critical)
    return builder.sign(issuer.key, hashes.SHA256(), rsa_padding=rsa_padding)


def _ap_ca_with(*extensions: Extension, **kwargs: Any) -> x509.Certificate:
    """The AP CA (name and key kept: the AP leaves still chain) issued again by the root."""
    return _reissued(pki.ap_ca(), _root(), *extensions, **kwargs)


def _root_with(*extensions: Extension, **kwargs: Any) -> x509.Certificate:
    """The root (name and key kept) signed again by itself: an anchor over the same AP CA."""
    return _reissued(pki.root_ca(), _root(), *extensions, **kwargs)


def _c2_with(*extensions: Extension, **kwargs: Any) -> Case:
    """The AP leaf POP000001 issued again by the AP CA, sent with the AP CA."""
    return Case(leaf=_reissued(_c2(), _ap(), *extensions, **kwargs), chain=(pki.ap_ca(),))


def _via_ap_ca(*extensions: Extension, **kwargs: Any) -> Case:
    """POP000001 sent with the AP CA issued again (see :func:`_ap_ca_with`)."""
    return Case(leaf=_c2(), chain=(_ap_ca_with(*extensions, **kwargs),))


def _under_root(*extensions: Extension, **kwargs: Any) -> Case:
    """POP000001 and the AP CA, under the root signed again (see :func:`_root_with`)."""
    return Case(leaf=_c2(), chain=(pki.ap_ca(),), anchors=(_root_with(*extensions, **kwargs),))


def _constraints(ca: bool, path_length: int | None = None) -> Extension:
    return x509.BasicConstraints(ca=ca, path_length=path_length), True


def _usage(*names: str) -> Extension:
    bits = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment")
    flags = dict.fromkeys((*bits, "key_agreement", "key_cert_sign", "crl_sign"), False)
    flags |= dict.fromkeys(names, True)
    return x509.KeyUsage(**flags, encipher_only=False, decipher_only=False), True


# Issuer names: the issuer's subject with its commonName changed, the signature still its own.

Attribute = x509.NameAttribute[Any]
NameChange = Callable[[Attribute], Attribute]


def _upper(a: Attribute) -> Attribute:
    return x509.NameAttribute(a.oid, str(a.value).upper())


def _spaced(a: Attribute) -> Attribute:
    return x509.NameAttribute(a.oid, f" {str(a.value).replace(' ', '  ')} ")


def _typed(kind: _ASN1Type) -> NameChange:
    def change(a: Attribute) -> Attribute:
        return x509.NameAttribute(a.oid, str(a.value), kind)

    return change


def _issuer_named(change: NameChange, *, level: str) -> Case:
    """The AP CA (``level`` "intermediate") or the AP leaf ("leaf") with its issuer's name
    changed by ``change`` (its commonName; the signature stays the issuer's)."""

    def renamed(name: x509.Name) -> x509.Name:
        return x509.Name([change(a) if a.oid == NameOID.COMMON_NAME else a for a in name])

    if level == "intermediate":
        return _via_ap_ca(issuer_name=renamed(pki.root_ca().subject))
    return _c2_with(issuer_name=renamed(pki.ap_ca().subject))


# Signatures and keys cryptography's builder does not make.


def _md5_signed(cert: x509.Certificate) -> x509.Certificate:
    """``cert`` (signed by the AP CA with SHA-256) signed with MD5, its bytes replaced in place."""
    sha256, md5 = bytes.fromhex("2a864886f70d01010b"), bytes.fromhex("2a864886f70d010104")
    tbs = cert.tbs_certificate_bytes.replace(sha256, md5)
    signature = _ap().key.sign(tbs, padding.PKCS1v15(), hashes.MD5())
    der = cert.public_bytes(Encoding.DER).replace(sha256, md5).replace(cert.signature, signature)
    return x509.load_der_x509_certificate(der)


def _tbs_signature(algorithm: str) -> Callable[[Any], None]:
    """An ``edit`` for ``pki.resign``: the TBS names ``algorithm``, the outer field does not."""

    def edit(tbs: Any) -> None:
        tbs["signature"] = asn1_x509.SignedDigestAlgorithm({"algorithm": algorithm})

    return edit


def _unknown_key(tbs: Any) -> None:
    tbs["subject_public_key_info"]["algorithm"]["algorithm"] = "1.3.6.1.4.1.99999.8"


def _version_1(tbs: Any) -> None:
    tbs["version"] = "v1"
    del tbs["extensions"]


def _duplicate_key_usage(tbs: Any) -> None:
    tbs["extensions"].append(
        next(e for e in tbs["extensions"] if e["extn_id"].native == "key_usage")
    )


def _path_length_without_ca(tbs: Any) -> None:
    for extension in tbs["extensions"]:
        if extension["extn_id"].native == "basic_constraints":
            extension["extn_value"] = asn1_x509.BasicConstraints(
                {"ca": False, "path_len_constraint": 0}
            )


def _rsa_public_key(bits: int) -> rsa.RSAPublicKey:
    """An RSA public key of ``bits`` bits (a modulus nobody knows the factors of)."""
    return rsa.RSAPublicNumbers(65537, (1 << (bits - 1)) | 0xC0FFEE1).public_key()


# Paths.


def _expiring(level: str, *, expired: bool) -> Case:
    """root -> AP CA -> POP000001 with the certificate at ``level`` expired at NOW, or not yet
    valid."""
    year = 2020 if expired else 2031
    window = {
        "not_before": datetime(year, 1, 1, tzinfo=UTC),
        "not_after": datetime(year + 2, 1, 1, tzinfo=UTC),
    }
    return {"anchor": _under_root, "intermediate": _via_ap_ca, "leaf": _c2_with}[level](**window)


def _long_chain(count: int, *, shuffled: bool = False) -> Case:
    """An EC root (the anchor; no path length limit), ``count`` CAs in a row below it, a leaf."""
    cas = [_ca("Long TEST Root CA", 0x7100, None)]
    for number in range(1, count + 1):
        cas.append(_ca(f"Long TEST CA {number}", 0x7100 + number, cas[-1]))
    chain = tuple(ca.cert for ca in reversed(cas[1:]))
    if shuffled:
        chain = chain[1::2] + chain[::2]
    return Case(leaf=_leaf(0x7180 + count, cas[-1]), chain=chain, anchors=(cas[0].cert,))


def _rollover() -> Case:
    """A CA that rolled its key over: the new key certified by the old one, under one name."""
    old = _ca("Rollover TEST CA", 0x7201, _root(), path_length=0)
    new = make.Issued(
        key=_key(0x7202), cert=_reissued(old.cert, old, public_key=_key(0x7202).public_key())
    )
    return Case(leaf=_leaf(0x7203, new), chain=(new.cert, old.cert))


def _loop() -> Case:
    """Two CAs certifying each other, neither under the anchor."""
    a = _ca("Loop TEST CA A", 0x7301, None)
    b = _ca("Loop TEST CA B", 0x7302, a)
    a_by_b = make.Issued(key=a.key, cert=_reissued(a.cert, b))
    return Case(leaf=_leaf(0x7303, a_by_b), chain=(a_by_b.cert, b.cert))


def _below(
    serial: int, ca_extensions: tuple[Extension, ...], *leaf_extensions: Extension, **leaf: Any
) -> Case:
    """A CA under the root with ``ca_extensions``, and a leaf below it with ``leaf_extensions``
    (its other fields as ``leaf`` says)."""
    ca = _ca(f"Constrained TEST CA {serial:X}", serial, _root(), path_length=0)
    issuer = make.Issued(key=ca.key, cert=_reissued(ca.cert, _root(), *ca_extensions))
    cert = _reissued(_leaf(serial + 1, issuer, **leaf), issuer, *leaf_extensions)
    return Case(leaf=cert, chain=(issuer.cert,))


def _names_within(
    permitted: list[x509.GeneralName] | None, excluded: list[x509.GeneralName] | None
) -> Extension:
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=excluded), True


def _directory(organisation: str) -> x509.GeneralName:
    return x509.DirectoryName(
        x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            ]
        )
    )


def _policies(*oids: x509.ObjectIdentifier, critical: bool = False) -> Extension:
    return x509.CertificatePolicies([x509.PolicyInformation(o, None) for o in oids]), critical


def _explicit_policy() -> Extension:
    return x509.PolicyConstraints(require_explicit_policy=0, inhibit_policy_mapping=None), True


def _policy_mappings() -> Extension:
    mappings = asn1_x509.PolicyMappings(
        [
            {
                "issuer_domain_policy": POLICY.dotted_string,
                "subject_domain_policy": OTHER_POLICY.dotted_string,
            }
        ]
    )
    return x509.UnrecognizedExtension(ExtensionOID.POLICY_MAPPINGS, mappings.dump()), True


def _access(method: x509.ObjectIdentifier) -> list[x509.AccessDescription]:
    return [x509.AccessDescription(method, x509.UniformResourceIdentifier(URL))]


def _points() -> list[x509.DistributionPoint]:
    return [x509.DistributionPoint([x509.UniformResourceIdentifier(URL)], None, None, None)]


@cache
def _impostor_root() -> Any:
    """A self-signed CA with the root's name and another key."""
    return make.issue(
        subject=pki.root_ca().subject,
        serial=0x7401,
        key=_key(0x7401),
        ca=True,
        not_before=make.CA_FROM,
        not_after=make.CA_UNTIL,
    )


CASES: dict[str, Callable[[], Case]] = {
    # The harness: a valid path, as sent by a peer and as completed from the policy.
    "valid": lambda: Case(leaf=_c2(), chain=pki.ap_key("c2").chain),
    "valid-chain-without-root": lambda: Case(leaf=_c2(), chain=(pki.ap_ca(),)),
    "valid-intermediate-from-policy": lambda: Case(leaf=_c2(), pool=(pki.smp_ca(), pki.ap_ca())),
    "valid-ecdsa-path": lambda: Case(
        leaf=_leaf(0x7003, _ca("EC TEST CA", 0x7002, _root(), path_length=0)),
        chain=(_ca("EC TEST CA", 0x7002, _root(), path_length=0).cert,),
    ),
    # Validity at each level, and at its edges.
    "leaf-expired": lambda: _expiring("leaf", expired=True),
    "leaf-not-yet-valid": lambda: _expiring("leaf", expired=False),
    "intermediate-expired": lambda: _expiring("intermediate", expired=True),
    "intermediate-not-yet-valid": lambda: _expiring("intermediate", expired=False),
    "anchor-expired": lambda: _expiring("anchor", expired=True),
    "anchor-not-yet-valid": lambda: _expiring("anchor", expired=False),
    "leaf-at-its-not-after": lambda: _c2_with(not_after=NOW),
    "leaf-a-second-after-its-not-after": lambda: _c2_with(not_after=NOW - SECOND),
    "leaf-at-its-not-before": lambda: _c2_with(not_before=NOW),
    "leaf-a-second-before-its-not-before": lambda: _c2_with(not_before=NOW + SECOND),
    "leaf-outlives-its-issuer": lambda: _c2_with(not_after=datetime(2070, 1, 1, tzinfo=UTC)),
    # CA basic constraints and path length.
    "intermediate-without-basic-constraints": lambda: _via_ap_ca(drop=BC),
    "intermediate-ca-false": lambda: _via_ap_ca(_constraints(False), drop=BC),
    "intermediate-basic-constraints-not-critical": lambda: _via_ap_ca(
        (x509.BasicConstraints(True, 0), False), drop=BC
    ),
    "intermediate-version-1": lambda: Case(
        leaf=_c2(), chain=(pki.resign(pki.ap_ca(), "root-ca", edit=_version_1),)
    ),
    "leaf-issued-by-an-end-entity": lambda: Case(
        leaf=_leaf(0x7010, make.Issued(key=pki.ap_key("c2").key, cert=_c2())),
        chain=(_c2(), pki.ap_ca()),
    ),
    "path-length-exceeded": lambda: Case(
        leaf=_leaf(0x7012, _ca("Sub TEST CA", 0x7011, _ap())),
        chain=(_ca("Sub TEST CA", 0x7011, _ap()).cert, pki.ap_ca()),
    ),
    "path-length-zero-on-the-anchor": lambda: _under_root(_constraints(True, 0), drop=BC),
    "anchor-not-a-ca": lambda: _under_root(_constraints(False), drop=BC),
    "self-issued-intermediate-key-rollover": _rollover,
    "leaf-is-a-ca": lambda: Case(leaf=_leaf(0x7013, ca=True), chain=(pki.ap_ca(),)),
    "leaf-path-length-without-ca": lambda: Case(
        leaf=pki.resign(_c2(), "ap-ca", edit=_path_length_without_ca), chain=(pki.ap_ca(),)
    ),
    # Key usage.
    "intermediate-key-usage-without-key-cert-sign": lambda: _via_ap_ca(
        _usage("crl_sign", "digital_signature"), drop=KU
    ),
    "intermediate-without-key-usage": lambda: _via_ap_ca(drop=KU),
    "anchor-key-usage-without-key-cert-sign": lambda: _under_root(_usage("crl_sign"), drop=KU),
    "leaf-lacks-the-required-key-encipherment": lambda: Case(
        leaf=_leaf(0x7020), chain=(pki.ap_ca(),), usage=frozenset({KeyUsage.KEY_ENCIPHERMENT})
    ),
    "leaf-has-the-required-key-usages": lambda: Case(
        leaf=_c2(),
        chain=(pki.ap_ca(),),
        usage=frozenset({KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_ENCIPHERMENT}),
    ),
    "leaf-without-key-usage-some-required": lambda: Case(
        leaf=_reissued(_c2(), _ap(), drop=KU),
        chain=(pki.ap_ca(),),
        usage=frozenset({KeyUsage.DATA_ENCIPHERMENT}),
    ),
    "leaf-duplicate-key-usage": lambda: Case(
        leaf=pki.resign(_c2(), "ap-ca", edit=_duplicate_key_usage), chain=(pki.ap_ca(),)
    ),
    # Critical extensions: unknown to both, known to cryptography but not processed by the JDK.
    "leaf-unknown-critical-extension": lambda: _c2_with((UNKNOWN, True)),
    "intermediate-unknown-critical-extension": lambda: _via_ap_ca((UNKNOWN, True)),
    "anchor-unknown-critical-extension": lambda: _under_root((UNKNOWN, True)),
    "leaf-unknown-extension-not-critical": lambda: _c2_with((UNKNOWN, False)),
    "leaf-critical-tls-feature": lambda: _c2_with(
        (x509.TLSFeature([x509.TLSFeatureType.status_request]), True)
    ),
    "leaf-critical-ocsp-no-check": lambda: _c2_with((x509.OCSPNoCheck(), True)),
    "leaf-critical-precert-poison": lambda: _c2_with((x509.PrecertPoison(), True)),
    "leaf-critical-authority-information-access": lambda: _c2_with(
        (x509.AuthorityInformationAccess(_access(AuthorityInformationAccessOID.OCSP)), True)
    ),
    "leaf-critical-crl-distribution-points": lambda: _c2_with(
        (x509.CRLDistributionPoints(_points()), True)
    ),
    "leaf-critical-subject-key-identifier": lambda: _c2_with(
        (x509.SubjectKeyIdentifier.from_public_key(_c2().public_key()), True),
        drop=(ExtensionOID.SUBJECT_KEY_IDENTIFIER,),
    ),
    "leaf-critical-private-key-usage-period": lambda: _c2_with(
        (x509.PrivateKeyUsagePeriod(make.LEAF_FROM, make.LEAF_UNTIL), True)
    ),
    "leaf-critical-subject-alternative-name": lambda: _c2_with(
        (x509.SubjectAlternativeName([x509.DNSName("ap.test")]), True)
    ),
    "intermediate-critical-authority-information-access": lambda: _via_ap_ca(
        (x509.AuthorityInformationAccess(_access(AuthorityInformationAccessOID.CA_ISSUERS)), True)
    ),
    # Name constraints on the intermediate (RFC 5280 4.2.1.10).
    "name-constraints-leaf-subject-outside-permitted": lambda: _below(
        0x7500, (_names_within([_directory("Other AS")], None),)
    ),
    "name-constraints-leaf-subject-in-excluded": lambda: _below(
        0x7502, (_names_within(None, [_directory("peppol-dpi test PKI")]),)
    ),
    "name-constraints-leaf-dns-outside-permitted": lambda: _below(
        0x7504, (_names_within([x509.DNSName("ap.test")], None),), dns_names=("evil.example",)
    ),
    "name-constraints-met": lambda: _below(
        0x7506,
        (_names_within([_directory("peppol-dpi test PKI"), x509.DNSName("ap.test")], None),),
        dns_names=("c2.ap.test",),
    ),
    # Certificate policies (RFC 5280 4.2.1.4, 6.1.3 (d), 6.1.5 (g)).
    "policy-required-none-asserted": lambda: _below(0x7510, (_explicit_policy(),)),
    "policy-required-other-asserted": lambda: _below(
        0x7512, (_explicit_policy(), _policies(POLICY)), _policies(OTHER_POLICY)
    ),
    "policy-required-and-asserted": lambda: _below(
        0x7514, (_explicit_policy(), _policies(POLICY)), _policies(POLICY)
    ),
    "policy-any-inhibited": lambda: _below(
        0x7516,
        (_explicit_policy(), _policies(ANY_POLICY), (x509.InhibitAnyPolicy(0), True)),
        _policies(ANY_POLICY),
    ),
    "policy-mappings-critical-on-intermediate": lambda: _below(
        0x7518, (_policies(POLICY), _policy_mappings()), _policies(OTHER_POLICY)
    ),
    "leaf-critical-policies": lambda: _below(
        0x7520, (_policies(POLICY),), _policies(POLICY, critical=True)
    ),
    "leaf-critical-policies-with-a-qualifier": lambda: _below(
        0x7522,
        (_policies(POLICY),),
        (x509.CertificatePolicies([x509.PolicyInformation(POLICY, [URL])]), True),
    ),
    # Names (RFC 5280 4.1.2.4, 7.1) and signatures.
    "leaf-signed-by-another-key": lambda: Case(
        leaf=_reissued(_c2(), pki.ca_issued("other-root-ca"), issuer_name=pki.ap_ca().subject),
        chain=(pki.ap_ca(),),
    ),
    "leaf-issuer-names-another-ca": lambda: _c2_with(issuer_name=pki.smp_ca().subject),
    "leaf-issuer-attributes-reversed": lambda: _c2_with(
        issuer_name=x509.Name(list(reversed(list(pki.ap_ca().subject))))
    ),
    "leaf-issuer-name-in-upper-case": lambda: _issuer_named(_upper, level="leaf"),
    "intermediate-issuer-name-in-upper-case": lambda: _issuer_named(_upper, level="intermediate"),
    "intermediate-issuer-name-spaced": lambda: _issuer_named(_spaced, level="intermediate"),
    "intermediate-issuer-name-printable-string": lambda: _issuer_named(
        _typed(_ASN1Type.PrintableString), level="intermediate"
    ),
    "intermediate-issuer-name-bmp-string": lambda: _issuer_named(
        _typed(_ASN1Type.BMPString), level="intermediate"
    ),
    "leaf-issuer-name-bmp-string": lambda: _issuer_named(_typed(_ASN1Type.BMPString), level="leaf"),
    "leaf-issuer-name-teletex-string": lambda: _issuer_named(
        _typed(_ASN1Type.T61String), level="leaf"
    ),
    "leaf-self-signed": lambda: Case(
        leaf=_issued("POP007030", 0x7030, None).cert, chain=(pki.ap_ca(),)
    ),
    "leaf-under-an-impostor-root": lambda: Case(
        leaf=_leaf(0x7031, _impostor_root()), chain=(_impostor_root().cert,)
    ),
    "anchor-as-leaf": lambda: Case(leaf=pki.root_ca()),
    "intermediate-as-leaf": lambda: Case(leaf=pki.ap_ca(), chain=(pki.root_ca(),)),
    "pinned-leaf-as-anchor": lambda: Case(leaf=_c2(), anchors=(_c2(),)),
    "leaf-sha1": lambda: Case(leaf=pki.resign(_c2(), "ap-ca", sha1=True), chain=(pki.ap_ca(),)),
    "leaf-sha1-allowed": lambda: Case(
        leaf=pki.resign(_c2(), "ap-ca", sha1=True), chain=(pki.ap_ca(),), allow_sha1=True
    ),
    "intermediate-sha1": lambda: Case(
        leaf=_c2(), chain=(pki.resign(pki.ap_ca(), "root-ca", sha1=True),)
    ),
    "anchor-self-signed-with-sha1": lambda: Case(
        leaf=_c2(), chain=(pki.ap_ca(),), anchors=(pki.resign(pki.root_ca(), "root-ca", sha1=True),)
    ),
    "leaf-md5": lambda: Case(leaf=_md5_signed(_c2()), chain=(pki.ap_ca(),)),
    "leaf-rsassa-pss": lambda: _c2_with(
        rsa_padding=padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
    ),
    "leaf-tbs-and-outer-signature-algorithms-differ": lambda: Case(
        leaf=pki.resign(_c2(), "ap-ca", edit=_tbs_signature("sha512_rsa")), chain=(pki.ap_ca(),)
    ),
    "leaf-rsa-512-key": lambda: _c2_with(public_key=_rsa_public_key(512)),
    "leaf-rsa-1024-key": lambda: _c2_with(public_key=_rsa_public_key(1024)),
    "leaf-ec-p192-key": lambda: _c2_with(
        public_key=ec.generate_private_key(ec.SECP192R1()).public_key()
    ),
    "leaf-unknown-key-algorithm": lambda: Case(
        leaf=pki.resign(_c2(), "ap-ca", edit=_unknown_key), chain=(pki.ap_ca(),)
    ),
    # Chains as sent: order, extra certificates, twins, length, loops.
    "chain-reversed": lambda: Case(leaf=_c2(), chain=(pki.root_ca(), pki.ap_ca())),
    "chain-with-unrelated-certificates": lambda: Case(
        leaf=_c2(),
        chain=(pki.other_root_ca(), pki.business_ca(), pki.smp_ca(), pki.ap_ca(), pki.root_ca()),
    ),
    "chain-with-the-leaf-again": lambda: Case(leaf=_c2(), chain=(_c2(), pki.ap_ca())),
    "chain-missing-the-intermediate": lambda: Case(leaf=_c2(), chain=(pki.root_ca(),)),
    "chain-from-another-root": lambda: Case(
        leaf=pki.wrong_ca_key().certificate, chain=pki.wrong_ca_key().chain
    ),
    "chain-from-another-hierarchy": lambda: Case(
        leaf=pki.business_key("sender").certificate, chain=pki.business_key("sender").chain
    ),
    "chain-twin-with-another-key-first": lambda: Case(
        leaf=_c2(), chain=(_ap_ca_with(public_key=_key(0x7040).public_key()), pki.ap_ca())
    ),
    "chain-expired-twin-first": lambda: Case(
        leaf=_c2(), chain=(_expiring("intermediate", expired=True).chain[0], pki.ap_ca())
    ),
    "chain-not-a-ca-twin-first": lambda: Case(
        leaf=_c2(), chain=(_ap_ca_with(_constraints(False), drop=BC), pki.ap_ca())
    ),
    "chain-of-7-cas": lambda: _long_chain(7),
    "chain-of-7-cas-shuffled": lambda: _long_chain(7, shuffled=True),
    "chain-of-8-cas": lambda: _long_chain(8),
    "chain-of-16-cas": lambda: _long_chain(16),
    "chain-loop": _loop,
    # Anchors.
    "anchor-is-the-intermediate": lambda: Case(leaf=_c2(), anchors=(pki.ap_ca(),)),
    "anchor-unrelated": lambda: Case(
        leaf=_c2(), chain=(pki.ap_ca(),), anchors=(pki.other_root_ca(),)
    ),
    "anchors-two-with-one-name": lambda: Case(
        leaf=_c2(), chain=(pki.ap_ca(),), anchors=(_impostor_root().cert, pki.root_ca())
    ),
}

_UNPROCESSED = (
    "the JDK refuses a critical {} (unrecognized critical extension: no PKIX checker of "
    "its processes it); TrustPolicy refuses only the critical extensions cryptography cannot "
    "decode, and cryptography decodes this one, which TrustPolicy then never reads"
)
_NAME_CONSTRAINTS = (
    "the JDK applies the intermediate's name constraints (RFC 5280 6.1.3 (b), (c)) to the "
    "leaf's {}; TrustPolicy does not process name constraints (cryptography decodes the "
    "extension, so it is not refused as unknown either)"
)
_POLICY = (
    "the intermediate requires an explicit policy (policyConstraints requireExplicitPolicy 0) "
    "and {}, so the valid policy tree is empty (RFC 5280 6.1.5 (g)); TrustPolicy does no "
    "policy processing"
)
_STRING_TYPE = (
    "the JDK compares names in the RFC 2253 canonical form of X500Principal, where only "
    "PrintableString and UTF8String values are compared as text: the {} issuer name is "
    "compared as DER bytes and does not chain; cryptography's Name equality ignores the string "
    "type (RFC 5280 7.1 prescribes the comparison for PrintableString and UTF8String only)"
)
_WEAK_KEY = (
    "jdk.certpath.disabledAlgorithms refuses {} keys; TrustPolicy checks no key size or curve"
)

#: Where the JDK refused and we accepted when this was written (see the module docstring),
#: fixed since: case id -> why we accepted.
FOUND: dict[str, str] = {
    "leaf-critical-tls-feature": _UNPROCESSED.format("TLS feature (OCSP must-staple)"),
    "leaf-critical-ocsp-no-check": _UNPROCESSED.format("OCSP no-check"),
    "leaf-critical-precert-poison": _UNPROCESSED.format("CT precertificate poison"),
    "leaf-critical-authority-information-access": _UNPROCESSED.format(
        "authority information access"
    ),
    "leaf-critical-crl-distribution-points": _UNPROCESSED.format("CRL distribution points"),
    "leaf-critical-subject-key-identifier": _UNPROCESSED.format("subject key identifier"),
    "leaf-critical-private-key-usage-period": _UNPROCESSED.format("private key usage period"),
    "intermediate-critical-authority-information-access": _UNPROCESSED.format(
        "authority information access"
    ),
    "name-constraints-leaf-subject-outside-permitted": _NAME_CONSTRAINTS.format(
        "subject (outside the permitted directory name)"
    ),
    "name-constraints-leaf-subject-in-excluded": _NAME_CONSTRAINTS.format(
        "subject (inside the excluded directory name)"
    ),
    "name-constraints-leaf-dns-outside-permitted": _NAME_CONSTRAINTS.format(
        "dNSName (outside the permitted DNS name)"
    ),
    "policy-required-none-asserted": _POLICY.format("the path asserts no policy"),
    "policy-required-other-asserted": _POLICY.format(
        "the leaf asserts another policy than the intermediate"
    ),
    "policy-any-inhibited": _POLICY.format(
        "inhibits anyPolicy (inhibitAnyPolicy 0), the only policy the leaf asserts"
    ),
    "leaf-critical-policies-with-a-qualifier": (
        "PKIXParameters rejects policy qualifiers in a critical certificatePolicies extension "
        "by default (getPolicyQualifiersRejected() is true); TrustPolicy ignores policies"
    ),
    "intermediate-issuer-name-bmp-string": _STRING_TYPE.format("BMPString"),
    "leaf-issuer-name-bmp-string": _STRING_TYPE.format("BMPString"),
    "leaf-issuer-name-teletex-string": _STRING_TYPE.format("TeletexString"),
    "leaf-md5": (
        "jdk.certpath.disabledAlgorithms refuses MD5 signatures; TrustPolicy refuses SHA-1 "
        "(unless allowed) but verifies an MD5 signature, as OpenSSL still does"
    ),
    "leaf-tbs-and-outer-signature-algorithms-differ": (
        "the JDK does not read a certificate whose TBS signature algorithm differs from the "
        "outer one (RFC 5280 4.1.1.2: they MUST be the same); cryptography reads it and "
        "TrustPolicy verifies with the outer algorithm, never comparing the two"
    ),
    "leaf-rsa-512-key": _WEAK_KEY.format("RSA below 1024-bit"),
    "leaf-ec-p192-key": _WEAK_KEY.format("EC below 224-bit"),
}
VALID = [case_id for case_id in CASES if case_id.startswith("valid")]


@cache
def _case(case_id: str) -> Case:
    return CASES[case_id]()


@pytest.fixture(scope="module")
def jdk() -> dict[str, JavaVerdict]:
    """The JDK's verdict on every case, by id: one JVM run."""
    verdicts = run_batch("PkixOracle", [_case(case_id).document() for case_id in CASES])
    return dict(zip(CASES, verdicts, strict=True))


def test_what_was_found_are_cases() -> None:
    assert set(FOUND) <= set(CASES)


@pytest.mark.parametrize("case_id", VALID)
def test_both_validate_the_valid_paths(case_id: str, jdk: dict[str, JavaVerdict]) -> None:
    # The harness is sound: the JDK's refusals below are about the certificates, not about
    # anchors, dates or documents it could not use.
    assert jdk[case_id].accepted, jdk[case_id].detail
    ours = _case(case_id).ours()
    assert ours.accepted, ours.detail


#: Paths the JDK's builder finds by trying the next candidate where the first fails, which
#: ours did not when this file was written (it took the first certificate whose signature
#: verified, stopped at a self-issued one, and counted a key-rollover certificate against the
#: path length): both build them now.
BUILT_BY_BOTH = [
    "self-issued-intermediate-key-rollover",
    "chain-expired-twin-first",
    "chain-not-a-ca-twin-first",
]


@pytest.mark.parametrize("case_id", BUILT_BY_BOTH)
def test_paths_the_jdk_builds_we_build_too(case_id: str, jdk: dict[str, JavaVerdict]) -> None:
    ours = _case(case_id).ours()
    assert jdk[case_id].accepted, jdk[case_id].detail
    assert ours.accepted, ours.detail


def test_path_building_is_bounded_in_a_mesh_of_cross_certified_cas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Six CAs, each certified by every other, none under the anchor: depth-first building
    # would try every simple path through them; the signature budget stops it.
    cas = [_ca(f"Mesh TEST CA {n}", 0x7400 + n, None) for n in range(6)]
    cross = tuple(_reissued(a.cert, b) for a in cas for b in cas if a is not b)
    case = Case(leaf=_leaf(0x7480, cas[0]), chain=cross)
    checked = [0]
    verify = trust.verify_issued_by

    def counted(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
        checked[0] += 1
        return verify(cert, issuer)

    monkeypatch.setattr(trust, "verify_issued_by", counted)
    verdict = case.ours()
    assert not verdict.accepted and "cert:untrusted" in verdict.detail, verdict.detail
    # (the budget is what stops it: without one, 1.5 million signatures, 43 s, were checked)
    assert checked[0] == trust._MAX_SIGNATURE_CHECKS


@pytest.mark.parametrize("case_id", list(CASES))
def test_we_never_crash(case_id: str) -> None:
    ours = _case(case_id).ours()
    assert not ours.crashed, ours.detail


@pytest.mark.parametrize("case_id", list(CASES))
def test_never_laxer_than_the_jdk(case_id: str, jdk: dict[str, JavaVerdict]) -> None:
    ours, theirs = _case(case_id).ours(), jdk[case_id]
    assert theirs.accepted or not ours.accepted, (
        f"we accepted what the JDK refused: {theirs.detail}"
    )
