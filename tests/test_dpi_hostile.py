"""Hostile input to the business-message and JWS readers: only the package's errors, ever."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import dpi_samples
import pki
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peppol_dpi.dpi.identifiers import MessageType
from peppol_dpi.dpi.jws import sign_jws, verify_jws
from peppol_dpi.dpi.message import parse_business_message, validate_business_message
from peppol_dpi.errors import InputError
from peppol_dpi.trust import RevocationMode

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
VALID = json.loads(dpi_samples.message(MessageType.DIGITAL).to_bytes())
TOKEN = sign_jws(dpi_samples.message(MessageType.DIGITAL).to_bytes(), pki.business_key("sender"))


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    with contextlib.suppress(InputError):
        parse_business_message(data)


@SETTINGS
@given(JSON)
def test_random_json(value: Any) -> None:
    problems = validate_business_message(value)
    assert problems, value  # nothing random is a valid business message
    with contextlib.suppress(InputError):
        parse_business_message(json.dumps(value).encode())


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


PATHS = _paths(VALID)[1:]


@SETTINGS
@given(st.sampled_from(PATHS), JSON)
def test_random_value_anywhere_in_a_valid_message(path: tuple[Any, ...], value: Any) -> None:
    mutant = json.loads(json.dumps(VALID))
    target = mutant
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with contextlib.suppress(InputError):
        parse_business_message(json.dumps(mutant).encode())


@SETTINGS
@given(st.integers(min_value=0, max_value=len(TOKEN) - 1), st.integers(min_value=1, max_value=255))
def test_flipped_byte_in_a_jws(index: int, flip: int) -> None:
    mutant = bytearray(TOKEN)
    mutant[index] ^= flip
    try:
        verified = verify_jws(bytes(mutant), trust=None)
    except InputError:
        return
    # A flip that survives can only be one the encoding ignores (none: base64url is canonical
    # here), so a verified token must carry exactly the original payload.
    assert verified.payload == verify_jws(TOKEN, trust=None).payload


DER = pki.business_key("sender").certificate.public_bytes(Encoding.DER)


@SETTINGS
@given(st.integers(min_value=0, max_value=len(DER) - 1), st.integers(min_value=1, max_value=255))
def test_flipped_byte_in_the_signer_certificate_with_trust(index: int, flip: int) -> None:
    # The JWS signature stays valid (the key is the real one), so a damaged certificate
    # reaches certificate parsing and the trust policy: they must fail cleanly too.
    der = bytearray(DER)
    der[index] ^= flip
    header = json.dumps({"alg": "RS256", "x5c": [base64.b64encode(bytes(der)).decode()]}).encode()
    signing_input = base64.urlsafe_b64encode(header).rstrip(b"=") + b".e30"
    signature = pki.business_key("sender").key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())  # fmt: skip
    token = signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")
    with contextlib.suppress(InputError):
        verify_jws(token, trust=pki.business_trust(revocation=RevocationMode.OFF))
