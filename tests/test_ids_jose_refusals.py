"""Refusals of JOSE (JWS headers, algorithms, JWKS) and of Peppol identifiers no other test
drove, each held to the exact error class, rule and ebMS code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pki
import pytest

from peppol_dpi.errors import EbmsError, UsageError
from peppol_dpi.ids import DocumentTypeId, IdentifierError, ParticipantId, ProcessId
from peppol_dpi.jose import (
    JwsAlgorithm,
    JwsError,
    b64url_encode,
    decode_compact,
    encode_compact,
    rsa_key_from_jwk,
)

#: The instant every check runs at, and every CRL and OCSP answer is dated around.

INVOICE = (
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
    "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


# -- JWS -------------------------------------------------------------------------------------


def _token(header: dict[str, Any]) -> str:
    return encode_compact(header=header, payload={"a": 1}, key=pki.maskinporten_key())


@pytest.mark.parametrize("header", [{"alg": "HS256"}, {"typ": "JWT"}], ids=["hmac", "no-alg"])
def test_encode_compact_signs_only_with_an_rsa_algorithm(header: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match="unsupported JWS alg"):
        _token(header)


def test_a_jws_header_that_is_not_an_object_is_refused() -> None:
    signature = _token({"alg": "RS256"}).split(".")[2]
    token = f"{b64url_encode(b'[]')}.{b64url_encode(b'{}')}.{signature}"
    with pytest.raises(JwsError) as err:
        decode_compact(token)
    assert (err.value.rule, err.value.ebms_code) == ("jws:header", None)


def test_a_jws_algorithm_outside_the_accepted_set_is_refused() -> None:
    token = _token({"alg": "RS256"})
    assert decode_compact(token).algorithm is JwsAlgorithm.RS256
    with pytest.raises(JwsError) as err:
        decode_compact(token, algorithms=frozenset({JwsAlgorithm.RS512}))
    assert (err.value.rule, err.value.ebms_code) == ("jws:alg", None)
    assert "not accepted here" in err.value.message


def _jwk_of_bits(bits: int) -> dict[str, Any]:
    # A public key of that many bits (odd, top bit set; no private key needed to refuse it).
    n = (1 << (bits - 1)) | 0xF1
    return {"kty": "RSA", "n": b64url_encode(n.to_bytes((bits + 7) // 8, "big")), "e": "AQAB"}


def test_a_jwk_of_2048_bits_is_taken() -> None:
    assert rsa_key_from_jwk(_jwk_of_bits(2048)).key_size == 2048


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        ({"kty": "EC", "n": "AQAB", "e": "AQAB"}, "is not an RSA public key"),
        ({"kty": "RSA", "n": 12345, "e": "AQAB"}, "is not an RSA public key"),
        ({"kty": "RSA", "n": "AQAB"}, "is not an RSA public key"),
        ({"kty": "RSA", "n": "AQ", "e": "Aw"}, "is not a valid RSA key"),  # n = 1
        ({"kty": "RSA", "n": "AQAAAAAAAAAB", "e": "AQ"}, "is not a valid RSA key"),  # e = 1
        (_jwk_of_bits(1024), "has 1024 bits, fewer than 2048"),  # RFC 7518 3.3
        (_jwk_of_bits(2047), "has 2047 bits, fewer than 2048"),
    ],
    ids=["ec", "n-not-text", "no-e", "tiny-modulus", "exponent-one", "1024-bits", "2047-bits"],
)
def test_jwks_that_are_no_rsa_public_key_are_refused(jwk: dict[str, Any], message: str) -> None:
    with pytest.raises(JwsError) as err:
        rsa_key_from_jwk(jwk)
    assert (err.value.rule, err.value.ebms_code) == ("jws:jwk", None)
    assert message in err.value.message


# -- identifiers -----------------------------------------------------------------------------


def _identifier_error(make: Callable[[], object]) -> IdentifierError:
    with pytest.raises(IdentifierError) as err:
        make()
    assert err.value.ebms_code is EbmsError.VALUE_NOT_RECOGNIZED
    return err.value


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: ParticipantId.parse("0088:5060482240009 "), id="participant"),
        pytest.param(lambda: DocumentTypeId.parse(f" {INVOICE}"), id="document-type"),
        pytest.param(lambda: ProcessId.parse(f"{BILLING} "), id="process"),
    ],
)
def test_identifier_values_with_surrounding_spaces_are_refused(make: Callable[[], object]) -> None:
    error = _identifier_error(make)
    assert error.rule == "id:charset" and "surrounding spaces" in error.message


@pytest.mark.parametrize("kind", [ParticipantId, DocumentTypeId, ProcessId])
@pytest.mark.parametrize("value", [None, 192, b"0192:974761076"], ids=["none", "int", "bytes"])
def test_identifiers_parse_only_text(kind: Any, value: object) -> None:
    assert _identifier_error(lambda: kind.parse(value)).rule == "id:type"


def test_a_participant_is_never_equal_to_its_text() -> None:
    participant = ParticipantId.parse("0192:974761076")
    assert (participant == str(participant)) is False
    assert participant != "iso6523-actorid-upis::0192:974761076"


@pytest.mark.parametrize(
    ("kind", "value", "scheme"),
    [
        (DocumentTypeId, INVOICE, "busdox-docid-qns"),
        (DocumentTypeId, INVOICE, "peppol-doctype-wildcard"),
        (ProcessId, BILLING, "cenbii-procid-ubl"),
    ],
)
def test_a_supported_scheme_given_as_text_becomes_the_scheme(
    kind: Any, value: str, scheme: str
) -> None:
    identifier = kind(value=value, scheme=scheme)
    assert identifier.scheme is type(identifier.scheme)(scheme)
    assert str(identifier) == f"{scheme}::{value}"


@pytest.mark.parametrize(("kind", "value"), [(DocumentTypeId, INVOICE), (ProcessId, BILLING)])
@pytest.mark.parametrize(
    ("scheme", "message"),
    [
        # PFUOI 3.1: [a-z0-9]+-[a-z0-9]+-[a-z0-9]+, at most 25 characters.
        ("Busdox_DocId", "is not a valid Peppol identifier scheme"),
        ("busdox-docid-qns-and-more-text", "is not a valid Peppol identifier scheme"),
        (None, "is not a valid Peppol identifier scheme"),
        # Well formed, but not a scheme of this kind of identifier.
        ("iso6523-actorid-upis", "is not supported"),
    ],
    ids=["syntax", "too-long", "none", "other-kind"],
)
def test_document_type_and_process_schemes_are_checked(
    kind: Any, value: str, scheme: object, message: str
) -> None:
    error = _identifier_error(lambda: kind(value=value, scheme=scheme))
    assert error.rule == "id:scheme" and message in error.message


@pytest.mark.parametrize(
    ("value", "syntax_id"),
    [
        (INVOICE, "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"),
        (
            "urn:peppol:doctype:pdf+xml##urn:peppol:doctype:pdf+xml:customization::1.0",
            "urn:peppol:doctype:pdf+xml",
        ),
    ],
    ids=["xml", "non-xml"],
)
def test_the_syntax_id_is_what_precedes_the_customization(value: str, syntax_id: str) -> None:
    assert DocumentTypeId.parse(value).syntax_id == syntax_id
