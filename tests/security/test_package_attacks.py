"""Attacks on the DPI document package: CMS EnvelopedData and the ASiC-E zip inside it
(docs/security.md, sections "CMS / ASN.1" and "Archives").

tests/test_dpi_asic.py already refuses unsafe entry names, duplicates, mimetype tricks, zip
bombs and overlapping entries, and tests/test_dpi_cms.py the PKCS#1 v1.5 key transport, a wrong
key and bad padding; this file adds the padding oracle as a whole, every truncation, mutations
of every header byte, other algorithms, and the regressions the fuzzers found.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pki
import pytest
from asn1crypto import cms as asn1_cms

from peppol_dpi.dpi import cms
from peppol_dpi.dpi.asic import AsicBuilder, Document
from peppol_dpi.dpi.container import PackageError, read_zip
from peppol_dpi.dpi.package import open_package, seal
from peppol_dpi.errors import DecryptionError, InputError
from peppol_dpi.ids import ParticipantId

RECIPIENT = pki.business_key("digipost")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _builder() -> AsicBuilder:
    return (
        AsicBuilder()
        .sender(ParticipantId.norwegian("991825827"), sender_identifier="991825827:avsender")
        .mailbox("ola.nordmann#9YDT")
        .main_document(Document(name="vedtak.pdf", content=b"%PDF-1.4 " + b"v" * 3000))
    )


@cache
def _sealed() -> bytes:
    return seal(
        _builder(), pki.business_key("sender"), recipient=RECIPIENT.certificate, signing_time=NOW
    )


@cache
def _der() -> bytes:
    return cms.encrypt(b"PK\x03\x04" + b"z" * 200, RECIPIENT.certificate)


def _flip(data: bytes, offset: int) -> bytes:
    damaged = bytearray(data)
    damaged[offset] ^= 0x01
    return bytes(damaged)


def test_no_padding_oracle_every_ciphertext_block_fails_alike() -> None:
    # Flip one bit in every ciphertext block (and in the encrypted content key): CBC garbles
    # that block and flips a bit in the next. Bad padding, a damaged zip, a broken manifest
    # or a failed digest must all look the same to the sender of the ciphertext.
    sealed = _sealed()
    assert open_package(sealed, RECIPIENT, at=NOW).main.content.startswith(b"%PDF")
    info = asn1_cms.ContentInfo.load(sealed)
    ciphertext = info["content"]["encrypted_content_info"]["encrypted_content"].native
    key = info["content"]["recipient_infos"][0].chosen["encrypted_key"].native
    start = sealed.index(ciphertext[:64])  # DER: one contiguous OCTET STRING
    offsets = [sealed.index(key) + 10, *range(start, start + len(ciphertext), 16)]
    answers: set[tuple[str, str, str]] = set()
    outcomes: set[str] = set()
    for offset in offsets:
        try:
            open_package(_flip(sealed, offset), RECIPIENT, at=NOW)
            outcomes.add("opened")  # a flip inside the unsigned zip comment changes nothing
        except InputError as err:
            answers.add((type(err).__name__, err.rule, str(err)))
            outcomes.add(type(err.__cause__).__name__ if err.__cause__ else "padding")
    assert answers == {("DecryptionError", "decryption-failed", str(DecryptionError()))}
    # ...although behind that one answer the causes were different:
    assert {"padding", "PackageError"} <= outcomes


def test_wrong_recipient_is_refused_without_trying_the_key() -> None:
    with pytest.raises(DecryptionError) as err:
        cms.decrypt(_der(), pki.business_key("eboks"))
    assert err.value.rule == "cms:no-recipient"


def test_every_truncation_is_a_decryption_error() -> None:
    der = _der()
    for length in range(len(der)):
        with pytest.raises(DecryptionError):
            cms.decrypt(der[:length], RECIPIENT)


@pytest.mark.parametrize("value", [0x00, 0x7F, 0x80, 0x84, 0xFF])
def test_every_header_byte_mutated_is_a_decryption_error_or_harmless(value: int) -> None:
    # Over-long, indefinite and zero lengths, wrong tags, wrong OIDs: each byte of everything
    # before the ciphertext is overwritten in turn.
    der = _der()
    header_end = len(der) - 208  # the ciphertext (13 blocks) and its length octets
    for offset in range(header_end):
        damaged = der[:offset] + bytes([value]) + der[offset + 1 :]
        try:
            cms.decrypt(damaged, RECIPIENT)
        except DecryptionError:
            continue


def _reencoded(mutate: str) -> bytes:
    if mutate == "content-type-signed-data":
        enveloped_oid = bytes.fromhex("06092a864886f70d010703")
        return _der().replace(enveloped_oid, enveloped_oid[:-1] + b"\x02", 1)
    info = asn1_cms.ContentInfo.load(_der())
    enveloped = info["content"]
    if mutate == "aes128":
        enveloped["encrypted_content_info"]["content_encryption_algorithm"]["algorithm"] = (
            "aes128_cbc"
        )
    elif mutate == "des3":
        enveloped["encrypted_content_info"]["content_encryption_algorithm"]["algorithm"] = (
            "tripledes_3key"
        )
    elif mutate == "oaep-sha1":
        params = enveloped["recipient_infos"][0].chosen["key_encryption_algorithm"]["parameters"]
        params["hash_algorithm"]["algorithm"] = "sha1"
        params["mask_gen_algorithm"]["parameters"]["algorithm"] = "sha1"
    elif mutate == "inner-type":
        enveloped["encrypted_content_info"]["content_type"] = "signed_data"
    return info.dump(force=True)


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        ("content-type-signed-data", "cms:not-enveloped-data"),
        ("aes128", "cms:unsupported-content-encryption"),
        ("des3", "cms:unsupported-content-encryption"),
        ("oaep-sha1", "cms:unsupported-key-transport"),
        ("inner-type", "cms:unsupported-content-type"),
    ],
)
def test_algorithms_outside_the_dpi_profile_are_refused(mutate: str, rule: str) -> None:
    with pytest.raises(DecryptionError) as err:
        cms.decrypt(_reencoded(mutate), RECIPIENT)
    assert err.value.rule == rule


def test_empty_zip_is_a_package_error() -> None:
    # Regression (fuzz_asic): a zip without entries made the overlap check raise ValueError
    # from zip(strict=True).
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w"):
        pass
    with pytest.raises(PackageError) as err:
        read_zip(buffer.getvalue())
    assert err.value.rule == "asic:mimetype-first"


@pytest.mark.parametrize("flag", [0x20, 0x40], ids=["patched-data", "strong-encryption"])
def test_entry_flags_zipfile_cannot_read_are_package_errors(flag: int) -> None:
    # Regression (fuzz_asic): zipfile raises NotImplementedError for these general purpose
    # flags of a central directory entry.
    package = bytearray(_builder().build(pki.business_key("sender"), signing_time=NOW))
    second = package.index(b"PK\x01\x02", package.index(b"PK\x01\x02") + 4)
    package[second + 8] |= flag
    with pytest.raises(PackageError) as err:
        read_zip(bytes(package))
    assert err.value.rule == "asic:corrupt-entry"


def test_a_malformed_skipped_field_asn1crypto_reads_with_index_error_is_refused() -> None:
    # Found by fuzz_cms (tests/fuzz/regressions/cms): the fields the decryptor skips are read
    # in full since they must be what RFC 5652 says, and asn1crypto reports an empty BIT STRING
    # in one of them as IndexError, which escaped.
    data = (
        Path(__file__).parents[1]
        / "fuzz"
        / "regressions"
        / "cms"
        / "empty-bit-string-in-originator-info.bin"
    ).read_bytes()
    with pytest.raises(DecryptionError) as refused:
        cms.decrypt(data, pki.business_key("digipost"))
    assert refused.value.rule == "cms:malformed"
