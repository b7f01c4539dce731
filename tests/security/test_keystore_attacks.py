"""Hostile key and trust store files (docs/security.md, section "Key files").

tests/test_keystore.py covers single broken fields; here every truncation and every over-long
length of a real keystore is tried, with the integrity digest recomputed so that the parser
really walks the damaged structure instead of stopping at the digest.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest

from peppol_dpi.errors import InputError
from peppol_dpi.keys import KeyFileError
from peppol_dpi.keystore import load_key_file, load_trust_store, parse_jks
from peppol_dpi.limits import Limits

SAMPLE = "peppol/keys/phase4-dummy-pw-test.jks"
PASSWORD = b"test"


def _redigest(body: bytes, password: bytes = PASSWORD) -> bytes:
    whitened = password.decode().encode("utf-16-be") + b"Mighty Aphrodite" + body
    return body + hashlib.sha1(whitened).digest()


@pytest.fixture(scope="module")
def body(shared: Path) -> bytes:
    data = (shared / SAMPLE).read_bytes()
    assert parse_jks(data, PASSWORD).private_keys  # the undamaged file reads
    return data[:-20]


def test_every_truncation_fails_with_a_key_file_error(body: bytes) -> None:
    for length in range(len(body)):
        with pytest.raises(KeyFileError) as err:
            parse_jks(_redigest(body[:length]), PASSWORD)
        assert err.value.rule == "keys:jks", length


def test_every_truncation_without_a_new_digest_fails_the_integrity_check(body: bytes) -> None:
    data = _redigest(body)
    for length in range(32, len(data), 7):
        with pytest.raises(KeyFileError) as err:
            parse_jks(data[:length], PASSWORD)
        assert err.value.rule == "keys:jks-password", length


def _length_fields(body: bytes) -> list[tuple[int, str]]:
    """Offsets of the u16/u32 length and count fields of a version 2 keystore."""
    fields: list[tuple[int, str]] = [(8, ">I")]  # entry count
    offset = 12
    (count,) = struct.unpack_from(">I", body, 8)
    for _ in range(count):
        (tag,) = struct.unpack_from(">I", body, offset)
        offset += 4
        fields.append((offset, ">H"))  # alias
        offset += 2 + struct.unpack_from(">H", body, offset)[0] + 8
        certificates = 1
        if tag == 1:
            fields.append((offset, ">I"))  # protected key
            offset += 4 + struct.unpack_from(">I", body, offset)[0]
            fields.append((offset, ">I"))  # chain length
            (certificates,) = struct.unpack_from(">I", body, offset)
            offset += 4
        for _ in range(certificates):
            fields.append((offset, ">H"))  # certificate type
            offset += 2 + struct.unpack_from(">H", body, offset)[0]
            fields.append((offset, ">I"))  # certificate
            offset += 4 + struct.unpack_from(">I", body, offset)[0]
    assert offset == len(body)
    return fields


@pytest.mark.parametrize("value", ["max", "plus-one", "zero"])
def test_over_long_and_zero_lengths_fail_with_a_key_file_error(body: bytes, value: str) -> None:
    fields = _length_fields(body)
    assert len(fields) == 6  # count, alias, key, chain length, cert type, cert
    for offset, fmt in fields:
        (current,) = struct.unpack_from(fmt, body, offset)
        size = struct.calcsize(fmt)
        new = {"max": (1 << (8 * size)) - 1, "plus-one": current + 1, "zero": 0}[value]
        damaged = bytearray(body)
        struct.pack_into(fmt, damaged, offset, new)
        with pytest.raises(KeyFileError) as err:
            store = parse_jks(_redigest(bytes(damaged)), PASSWORD)
            store.key(PASSWORD)  # a zero-length key parses as an entry; opening it must fail
        assert err.value.rule.startswith("keys:"), (offset, value)


def test_entry_count_beyond_the_limit_is_refused_before_reading(body: bytes) -> None:
    claims_two = body[:8] + struct.pack(">I", 2) + body[12:]
    with pytest.raises(KeyFileError) as err:
        parse_jks(_redigest(claims_two), PASSWORD, limits=Limits(max_keystore_entries=1))
    assert err.value.rule == "keys:too-many-entries"


@pytest.mark.parametrize("loader", [load_key_file, load_trust_store, parse_jks])
def test_oversized_key_files_are_refused_before_parsing(body: bytes, loader: object) -> None:
    data = _redigest(body + b"\0" * 5000)
    with pytest.raises(KeyFileError) as err:
        loader(data, PASSWORD, limits=Limits(max_key_file_bytes=4096))  # type: ignore[operator]
    assert err.value.rule == "keys:too-large"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xfe\xed\xfe\xed",
        b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        b"-----BEGIN PRIVATE KEY-----\n" + b"A" * 100 + b"\n-----END PRIVATE KEY-----\n",
        b"\x30\x82\xff\xff" + b"\0" * 10,  # DER with an over-long length
        b"\x30\x80" * 1000,  # indefinite lengths nested deeply
    ],
    ids=["empty", "magic-only", "bad-pem", "bad-key-pem", "der-over-long", "der-indefinite"],
)
def test_garbage_key_files_give_input_errors(data: bytes) -> None:
    for call in (
        lambda: load_key_file(data, PASSWORD),
        lambda: load_trust_store(data, PASSWORD),
    ):
        with pytest.raises(InputError):
            call()


def test_creation_time_out_of_range_is_a_key_file_error(body: bytes) -> None:
    # Regression (found by the over-long length test): a u64 creation time beyond year 9999
    # made datetime raise ValueError out of parse_jks.
    alias_length = struct.unpack_from(">H", body, 16)[0]
    at = 18 + alias_length
    damaged = body[:at] + b"\xff" * 8 + body[at + 8 :]
    with pytest.raises(KeyFileError) as err:
        parse_jks(_redigest(damaged), PASSWORD)
    assert err.value.rule == "keys:jks"
