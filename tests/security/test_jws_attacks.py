"""Attacks on compact JWS and JSON (docs/security.md, section "JWS and JSON").

The classic JWT attacks (alg "none", HS256 keyed with the public key, unknown critical
extensions) are refused by ``decode_compact`` before any key is touched; JSON that parsers
disagree on (duplicate names, NaN, deep nesting) is refused by the one JSON reader.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import dpi_samples
import pki
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from peppol_dpi import jsonparse
from peppol_dpi.dpi.jws import sign_jws
from peppol_dpi.dpi.message import MessageType
from peppol_dpi.dpi.signed import sign_business_message, verify_business_message
from peppol_dpi.errors import CertificateError, InputError, SignatureError
from peppol_dpi.jose import b64url_encode, decode_compact, encode_compact
from peppol_dpi.lookup.maskinporten import parse_token_claims
from peppol_dpi.services.wsgi import HttpProblem, Request

KEY = pki.maskinporten_key()
CLAIMS = {"iss": "https://maskinporten.test/", "scope": "digdir:dpi", "exp": 1800000000}


def _token(header: str | bytes, payload: str | bytes, signature: bytes = b"sig") -> str:
    def part(value: str | bytes) -> str:
        return b64url_encode(value.encode() if isinstance(value, str) else value)

    return f"{part(header)}.{part(payload)}.{b64url_encode(signature)}"


def _refused(token: str, rule: str) -> None:
    with pytest.raises(InputError) as err:
        parsed = decode_compact(token)
        parsed.claims()
        parsed.verify(KEY.certificate.public_key())
    assert err.value.rule == rule


def test_a_genuine_token_verifies() -> None:
    token = encode_compact(header={"alg": "RS256"}, payload=CLAIMS, key=KEY)
    parsed = decode_compact(token)
    parsed.verify(KEY.certificate.public_key())
    assert parsed.claims() == CLAIMS


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "", None])
def test_alg_none_is_refused(alg: str | None) -> None:
    header = json.dumps({"alg": alg} if alg is not None else {})
    _refused(_token(header, json.dumps(CLAIMS), b""), "jws:alg")


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_keyed_with_the_public_certificate_is_refused(alg: str) -> None:
    # Key confusion: the attacker MACs with the verifier's public certificate as the secret.
    secret = KEY.certificate.public_bytes(Encoding.PEM)
    header = b64url_encode(json.dumps({"alg": alg}).encode())
    body = b64url_encode(json.dumps(CLAIMS).encode())
    mac = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    _refused(f"{header}.{body}.{b64url_encode(mac)}", "jws:alg")


@pytest.mark.parametrize("alg", ["ES256", "PS256", "EdDSA", "RS1"])
def test_other_algorithms_are_refused(alg: str) -> None:
    _refused(_token(json.dumps({"alg": alg}), json.dumps(CLAIMS)), "jws:alg")


def test_critical_extensions_are_refused() -> None:
    header = json.dumps({"alg": "RS256", "crit": ["exp"], "exp": 0})
    _refused(_token(header, json.dumps(CLAIMS)), "jws:crit")


def test_duplicate_header_names_are_refused() -> None:
    # RFC 7515 section 4: a JWS whose header repeats a name must be rejected; which "alg"
    # wins otherwise depends on the parser.
    _refused(_token('{"alg":"none","alg":"RS256"}', json.dumps(CLAIMS)), "jws:header")


def test_a_changed_payload_fails_the_signature() -> None:
    token = encode_compact(header={"alg": "RS256"}, payload=CLAIMS, key=KEY)
    header, _, signature = token.split(".")
    forged = (
        f"{header}.{b64url_encode(json.dumps({**CLAIMS, 'scope': 'admin'}).encode())}.{signature}"
    )
    with pytest.raises(SignatureError) as err:
        decode_compact(forged).verify(KEY.certificate.public_key())
    assert err.value.rule == "jws:signature"


@pytest.mark.parametrize(
    "payload",
    ['{"exp": NaN}', '{"exp": Infinity}', "[" * 100_000, '{"a":1,"a":2}', "not json", "[1]"],
    ids=["nan", "infinity", "deep", "duplicate", "garbage", "not-an-object"],
)
def test_payloads_that_are_not_a_json_object_are_refused(payload: str) -> None:
    _refused(_token('{"alg":"RS256"}', payload), "jws:payload")


@pytest.mark.parametrize("exp", ["1e300", "99999999999999", "-99999999999999"])
def test_token_times_out_of_range(exp: str) -> None:
    # Regression: datetime.fromtimestamp raised OverflowError/ValueError out of
    # parse_token_claims for times beyond the year 9999 or the platform's time_t.
    with pytest.raises(InputError) as err:
        parse_token_claims(_token('{"alg":"RS256"}', '{"exp":' + exp + "}"))
    assert err.value.rule == "maskinporten:claims"


@pytest.mark.parametrize(
    "text",
    ["NaN", "-Infinity", '{"a": {"b": 1, "b": 2}}', "[" * 50_000 + "]" * 50_000, b"\xff\xfe{"],
)
def test_the_json_reader_raises_only_value_error(text: str | bytes) -> None:
    with pytest.raises(ValueError):
        jsonparse.loads(text)


def test_the_reference_services_refuse_such_json_as_bad_requests() -> None:
    request = Request(
        method="POST",
        segments=("x",),
        headers={},
        query={},
        body=b'{"a":1,"a":2}',
        base_url="http://127.0.0.1:1",
    )
    with pytest.raises(HttpProblem):
        request.json()


# -- DPI business messages (peppol_dpi.dpi: JWS with x5c) -------------------------------------


def test_dpi_x5c_chain_that_does_not_verify_is_refused() -> None:
    # Signed by a certificate of an unrelated CA, with that CA's chain in x5c: the signature
    # itself verifies, the chain does not lead to the business trust anchor.
    stranger = pki.wrong_ca_key()
    token = sign_business_message(dpi_samples.message(MessageType.DIGITAL), stranger)
    with pytest.raises(CertificateError) as err:
        verify_business_message(token, trust=pki.business_trust(), require_signer_is_sender=False)
    assert err.value.rule == "cert:untrusted"


def test_dpi_x5c_with_a_forged_chain_entry_is_refused() -> None:
    # The real sender certificate in x5c, but the message signed by another key.
    token = sign_business_message(
        dpi_samples.message(MessageType.DIGITAL), pki.business_key("sender")
    )
    header, payload, _ = token.split(b".")
    forged = sign_jws(b"x", pki.business_key("eboks")).split(b".")[2]
    with pytest.raises(SignatureError) as err:
        verify_business_message(header + b"." + payload + b"." + forged, trust=None)
    assert err.value.rule == "jws:signature"


@pytest.mark.parametrize(
    ("payload", "rule"),
    [
        (b"{}", "dpi-schema:required"),
        (b'{"standardBusinessDocumentHeader":{}}', "dpi-schema:additionalProperties"),
        (b"[]", "dpi-schema:type"),
        (b"<StandardBusinessDocument/>", "json:syntax"),
    ],
    ids=["empty-object", "header-only", "array", "xml"],
)
def test_dpi_signed_payload_that_is_not_an_sbd_is_refused(payload: bytes, rule: str) -> None:
    # A genuine signature by a trusted sender over something that is not a business message.
    token = sign_jws(payload, pki.business_key("sender"))
    with pytest.raises(InputError) as err:
        verify_business_message(token, trust=pki.business_trust())
    assert err.value.rule == rule
