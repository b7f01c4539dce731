"""JWS for DPI: Digdir's signed samples verify, PyJWT agrees both ways, header tricks fail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import dpi_samples
import jwt
import pki
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from peppol_dpi.certinfo import norwegian_org_number
from peppol_dpi.dpi.bodies import Fingeravtrykk
from peppol_dpi.dpi.identifiers import MessageType
from peppol_dpi.dpi.jws import (
    JwsAlgorithm,
    JwsError,
    decode_unverified,
    sign_jws,
    verify_jws,
    verify_jws_with_key,
)
from peppol_dpi.dpi.message import BusinessMessage, parse_business_message
from peppol_dpi.dpi.signed import sign_business_message, verify_business_message
from peppol_dpi.errors import CertificateError, SignatureError
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.trust import RevocationMode, TrustPolicy

SAMPLES = ("digital", "utskrift")


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def sample(shared: Path, name: str, kind: str) -> bytes:
    return (shared / "dpi" / "digdir-samples" / f"{name}-{kind}").read_bytes()


def trust() -> TrustPolicy:
    return pki.business_trust(revocation=RevocationMode.OFF)


# -- Digdir's samples ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_digdir_sample_verifies_and_equals_its_json(shared: Path, name: str) -> None:
    token = sample(shared, name, "forretningsmelding.jwt")
    verified = verify_jws(token, trust=None)
    assert verified.trusted is None
    assert verified.algorithm is JwsAlgorithm.RS256
    assert set(verified.header) == {"x5c", "alg"} and len(verified.header["x5c"]) == 1
    assert json.loads(verified.payload) == json.loads(
        sample(shared, name, "forretningsmelding.json")
    )
    # Both certificate generations: SEID 1 (digital, serialNumber) and SEID 2 (utskrift).
    assert verified.signer_org_number == "991825827"


@pytest.mark.parametrize("name", SAMPLES)
def test_digdir_sample_trusted_when_its_certificate_was_valid(shared: Path, name: str) -> None:
    token = sample(shared, name, "forretningsmelding.jwt")
    leaf = verify_jws(token, trust=None).signer
    pinned = TrustPolicy(anchors=(leaf,), revocation=RevocationMode.OFF)
    created = parse_business_message(verify_jws(token, trust=None).payload).header.created
    cms = sample(shared, name, "dokumentpakke.cms")
    signed = verify_business_message(token, trust=pinned, at=created, package=cms)
    assert signed.trusted is True
    assert signed.message.type is MessageType(name)
    # Today the certificates have expired: refused with the rule that says so.
    with pytest.raises(CertificateError) as caught:
        verify_business_message(token, trust=pinned, at=datetime(2026, 11, 1, tzinfo=UTC))
    assert caught.value.rule == "cert:expired"


@pytest.mark.parametrize("name", SAMPLES)
def test_digdir_sample_fingerprint_is_sha256_of_the_cms(shared: Path, name: str) -> None:
    message = parse_business_message(sample(shared, name, "forretningsmelding.json"))
    cms = sample(shared, name, "dokumentpakke.cms")
    fingerprint = message.body.dokumentpakkefingeravtrykk  # type: ignore[union-attr]
    assert fingerprint.base64 == base64.b64encode(hashlib.sha256(cms).digest()).decode()
    assert fingerprint == Fingeravtrykk.of(cms)
    token = sample(shared, name, "forretningsmelding.jwt")
    with pytest.raises(SignatureError) as caught:
        verify_business_message(token, trust=None, package=cms[:-1] + bytes([cms[-1] ^ 1]))
    assert caught.value.rule == "dpi:fingerprint"


def test_our_header_has_the_shape_of_digdirs(shared: Path) -> None:
    key = pki.business_key("sender")
    token = sign_jws(b"{}", key)
    header = base64.urlsafe_b64decode(token.split(b".")[0] + b"==")
    leaf = base64.b64encode(key.certificate.public_bytes(Encoding.DER))
    assert header == b'{"x5c":["' + leaf + b'"],"alg":"RS256"}'
    theirs = base64.urlsafe_b64decode(sample(shared, "utskrift", "forretningsmelding.jwt").split(b".")[0] + b"==")  # fmt: skip
    assert theirs.startswith(b'{"x5c":["') and theirs.endswith(b'"],"alg":"RS256"}')


# -- our messages, both certificate generations, trust -----------------------------------------


@pytest.mark.parametrize("party", ["sender", "sender-seid2"])
def test_sign_and_verify_a_business_message(party: str) -> None:
    message = dpi_samples.message(MessageType.DIGITAL)
    token = sign_business_message(message, pki.business_key(party))
    signed = verify_business_message(token, trust=trust())
    assert signed.trusted is True and signed.message == message
    assert signed.jws.signer_org_number == "991825827"
    assert signed.jws.payload == message.to_bytes()
    assert norwegian_org_number(pki.business_key(party).certificate) == "991825827"


def test_receipts_verify_with_the_providers_certificate() -> None:
    for message_type in MessageType:
        if message_type.is_receipt:
            message = dpi_samples.message(message_type)  # sent by e-Boks (922020175, SEID 2)
            signed = verify_business_message(
                sign_business_message(
                    message, pki.business_key("eboks"), algorithm=JwsAlgorithm.RS512
                ),
                trust=trust(),
            )
            assert signed.jws.algorithm is JwsAlgorithm.RS512
            assert signed.message.type is message_type


def test_signer_must_be_the_sbdh_sender() -> None:
    token = sign_business_message(
        dpi_samples.message(MessageType.DIGITAL), pki.business_key("processor")
    )
    with pytest.raises(SignatureError) as caught:
        verify_business_message(token, trust=trust())
    assert caught.value.rule == "dpi:signer"
    assert verify_business_message(token, trust=trust(), require_signer_is_sender=False).trusted


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        (pki.expired_key, "cert:expired"),  # an access-point certificate: see the policy below
        (pki.wrong_ca_key, "cert:untrusted"),
        (lambda: pki.business_key("digipost"), None),
    ],
)
def test_certificate_must_validate(key: object, rule: str | None) -> None:
    token = sign_jws(b"{}", key())  # type: ignore[operator]
    if rule is None:
        assert verify_jws(token, trust=trust()).trusted is True
        return
    policy = pki.peppol_trust(revocation=RevocationMode.OFF) if rule == "cert:expired" else trust()
    with pytest.raises(CertificateError) as caught:
        verify_jws(token, trust=policy)
    assert caught.value.rule == rule
    assert verify_jws(token, trust=None).trusted is None  # the cryptography alone is fine


# -- PyJWT as the oracle -------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", list(JwsAlgorithm))
def test_pyjwt_verifies_ours(algorithm: JwsAlgorithm) -> None:
    key = pki.business_key("sender")
    token = sign_jws(b'{"a":1}', key, algorithm=algorithm)
    decoded = jwt.PyJWS().decode_complete(
        token,
        key=key.certificate.public_key(),
        algorithms=[algorithm.value],  # type: ignore[arg-type]
    )
    assert decoded["payload"] == b'{"a":1}'
    assert decoded["header"]["alg"] == algorithm.value


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
def test_we_verify_pyjwt(algorithm: str) -> None:
    key = pki.business_key("digipost")
    leaf = base64.b64encode(key.certificate.public_bytes(Encoding.DER)).decode()
    token = jwt.encode(
        {"standardBusinessDocument": {}}, key.key, algorithm=algorithm, headers={"x5c": [leaf]}
    )
    verified = verify_jws(token, trust=trust())
    assert json.loads(verified.payload) == {"standardBusinessDocument": {}}
    assert verified.algorithm.value == algorithm and verified.header["typ"] == "JWT"


# -- refusals --------------------------------------------------------------------------------------


def _forge(
    header: dict[str, object] | bytes, payload: bytes, key: LocalPrivateKey | None = None
) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    signing_input = b64url(raw) + b"." + b64url(payload)
    signer = key or pki.business_key("sender")
    signature = signer.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input + b"." + b64url(signature)


def _leaf(key: LocalPrivateKey | None = None) -> str:
    cert = (key or pki.business_key("sender")).certificate
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


def test_alg_none_and_hmac_are_refused() -> None:
    none = (
        b64url(json.dumps({"alg": "none", "x5c": [_leaf()]}).encode()) + b"." + b64url(b"{}") + b"."
    )
    with pytest.raises(JwsError) as caught:
        verify_jws(none, trust=None)
    assert caught.value.rule == "jws:alg"
    # HMAC keyed with the (public) certificate bytes: the classic key-confusion attack.
    header = b64url(json.dumps({"alg": "HS256", "x5c": [_leaf()]}).encode())
    signing_input = header + b"." + b64url(b"{}")
    mac = hmac.new(_leaf().encode(), signing_input, hashlib.sha256).digest()
    with pytest.raises(JwsError) as caught:
        verify_jws(signing_input + b"." + b64url(mac), trust=None)
    assert caught.value.rule == "jws:alg"


@pytest.mark.parametrize(
    ("header", "rule"),
    [
        ({"alg": "RS256", "x5c": ["LEAF"], "crit": ["exp"], "exp": 1}, "jws:crit"),
        (
            {"alg": "RS256", "x5c": ["LEAF"], "jku": "https://evil.example/jwks"},
            "jws:key-reference",
        ),
        (
            {"alg": "RS256", "x5c": ["LEAF"], "x5u": "https://evil.example/cert"},
            "jws:key-reference",
        ),
        ({"alg": "RS256", "x5c": ["LEAF"], "jwk": {"kty": "RSA"}}, "jws:key-reference"),
        ({"alg": "RS256", "x5c": ["LEAF"], "x5t#S256": "AAAA"}, "jws:x5t"),
        ({"alg": "RS256", "x5c": []}, "jws:x5c"),
        ({"alg": "RS256", "x5c": "LEAF"}, "jws:x5c"),
        ({"alg": "RS256", "x5c": ["bm90IGEgY2VydA=="]}, "jws:x5c"),
        ({"alg": "RS256"}, "jws:x5c"),
        ({"alg": "PS256", "x5c": ["LEAF"]}, "jws:alg"),
        ({"alg": "ES256", "x5c": ["LEAF"]}, "jws:alg"),
        ({"x5c": ["LEAF"]}, "jws:alg"),
    ],
)
def test_header_tricks_are_refused(header: dict[str, object], rule: str) -> None:
    header = {k: ([_leaf()] if v == ["LEAF"] else v) for k, v in header.items()}
    with pytest.raises(JwsError) as caught:
        verify_jws(_forge(header, b"{}"), trust=None)
    assert caught.value.rule == rule


def test_duplicate_header_members_are_refused() -> None:
    other = pki.business_key("processor")
    raw = (f'{{"alg":"RS256","x5c":["{_leaf(other)}"],"x5c":["{_leaf()}"]}}').encode()
    with pytest.raises(JwsError) as caught:
        verify_jws(_forge(raw, b"{}"), trust=None)
    assert caught.value.rule == "jws:header"


def test_chain_in_x5c_is_only_path_help() -> None:
    key = pki.business_key("sender")
    chain = [_leaf(key), base64.b64encode(pki.business_ca().public_bytes(Encoding.DER)).decode()]
    verified = verify_jws(_forge({"alg": "RS256", "x5c": chain}, b"{}", key), trust=trust())
    assert verified.signer == key.certificate and verified.chain == (pki.business_ca(),)


def test_tampering_is_detected() -> None:
    token = sign_jws(b'{"a":1}', pki.business_key("sender"))
    head, _, signature = token.split(b".")
    forged = head + b"." + b64url(b'{"a":2}') + b"." + signature
    with pytest.raises(JwsError) as caught:
        verify_jws(forged, trust=None)
    assert caught.value.rule == "jws:signature"
    with pytest.raises(JwsError) as caught:
        short = b64url(base64.urlsafe_b64decode(signature + b"==")[:-3])
        verify_jws(head + b"." + b64url(b'{"a":1}') + b"." + short, trust=None)
    assert caught.value.rule == "jws:signature"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t + b".x",
        lambda t: t.replace(b".", b"=.", 1),
        lambda t: t.replace(b".", b"+.", 1),
        lambda t: b"@" + t,
        lambda t: t[: t.index(b".")] + b"A" + t[t.index(b".") :],
    ],
)
def test_malformed_compact_serialization(mangle: object) -> None:
    token = sign_jws(b"{}", pki.business_key("sender"))
    with pytest.raises(JwsError) as caught:
        verify_jws(mangle(token), trust=None)  # type: ignore[operator]
    assert caught.value.rule in {"jws:format", "jws:header"}


def test_non_canonical_base64url_is_refused() -> None:
    token = sign_jws(b"{}", pki.business_key("sender"))
    head, payload, signature = token.split(b".")
    # "e30" is "{}"; "e31" decodes to the same bytes with non-zero padding bits.
    assert payload == b"e30"
    with pytest.raises(JwsError) as caught:
        verify_jws(head + b".e31." + signature, trust=None)
    assert caught.value.rule == "jws:format"


def test_oversize_is_refused_before_parsing() -> None:
    from dataclasses import replace

    from peppol_dpi.limits import DEFAULT_LIMITS

    token = sign_jws(b"{}", pki.business_key("sender"))
    with pytest.raises(JwsError) as caught:
        verify_jws(token, trust=None, limits=replace(DEFAULT_LIMITS, max_jws_bytes=len(token) - 1))
    assert caught.value.rule == "jws:size"


def test_small_and_non_rsa_keys_are_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    token = sign_jws(b"{}", pki.issue_leaf("weak", serial=9001, key=weak))
    with pytest.raises(JwsError) as caught:
        verify_jws(token, trust=None)
    assert caught.value.rule == "jws:key"
    curve = ec.generate_private_key(ec.SECP256R1())
    cert = (
        pki.factory()
        .issue(
            subject=pki.factory().make_name("ec"),
            serial=9002,
            issuer=pki.ca_issued("ap-ca"),
            key=curve,
        )
        .cert
    )
    leaf = base64.b64encode(cert.public_bytes(Encoding.DER)).decode()
    with pytest.raises(JwsError) as caught:
        verify_jws(_forge({"alg": "RS256", "x5c": [leaf]}, b"{}"), trust=None)
    assert caught.value.rule == "jws:key"


def test_verify_with_a_known_key_by_kid() -> None:
    key = pki.maskinporten_key()
    token = jwt.encode(
        {"scope": "digitalpostinnbygger:send"}, key.key, algorithm="RS256", headers={"kid": "k1"}
    )
    header, payload = verify_jws_with_key(token, {"k1": key.certificate.public_key()})  # type: ignore[dict-item]
    assert header["kid"] == "k1" and json.loads(payload)["scope"] == "digitalpostinnbygger:send"
    with pytest.raises(JwsError) as caught:
        verify_jws_with_key(token, {"k2": key.certificate.public_key()})  # type: ignore[dict-item]
    assert caught.value.rule == "jws:kid"
    assert decode_unverified(token) == payload


def test_business_message_round_trip_through_a_token() -> None:
    message = dpi_samples.message(MessageType.UTSKRIFT)
    token = sign_business_message(message, pki.business_key("sender"))
    assert parse_business_message(decode_unverified(token)) == message
    assert isinstance(message, BusinessMessage)
