"""Refusals of the CMS layer under the document package no other test drove: the BER reader,
decryption (dpi.md 3.4) and the streaming writer, each held to the exact error class and rule."""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Callable
from typing import Any

import pki
import pytest
from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding

from peppol_dpi.dpi import cms, cms_profile
from peppol_dpi.dpi.ber import BerError, StreamReader, definite_header
from peppol_dpi.errors import (
    ArgumentTypeError,
    DecryptionError,
    EbmsError,
    UsageError,
)
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.limits import Limits

SIGNER = pki.business_key("sender")
RECIPIENT = pki.business_key("digipost")


# -- ber: the reader under the CMS layer -----------------------------------------------------------
# Every BerError becomes the one DecryptionError (cms:malformed) in cms.decrypt, so these are
# driven through StreamReader, where the reason can still be told apart.


def _reader(data: bytes) -> StreamReader:
    return StreamReader(io.BytesIO(data), limit=1 << 20)


def test_an_indefinite_element_nested_too_deeply_is_refused() -> None:
    data = b"\x30\x80" * 18 + b"\x00\x00" * 18
    reader = _reader(data)
    with pytest.raises(BerError, match="nested too deeply"):
        reader.element(reader.header(), max_bytes=1000)
    within = b"\x30\x80" * 17 + b"\x00\x00" * 17
    reader = _reader(within)
    assert reader.element(reader.header(), max_bytes=1000) == within


def test_end_of_contents_must_be_two_zero_octets() -> None:
    # X.690 8.1.5 (StreamReader.end_of_contents; the CMS reader uses its own _close).
    _reader(b"\x00\x00").end_of_contents()
    with pytest.raises(BerError, match="expected end-of-contents octets"):
        _reader(b"\x00\x01").end_of_contents()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x24\x80" * 18 + b"\x00\x00" * 18, "nested too deeply"),
        (  # X.690 8.7.3.2: the segments of a constructed OCTET STRING are OCTET STRINGs
            b"\x24\x80\x02\x01\x05\x00\x00",
            "a constructed OCTET STRING may hold only OCTET STRING segments",
        ),
        (b"\x24\x03\x04\x02ab", "segment runs past its enclosing value"),
    ],
)
def test_a_malformed_constructed_octet_string_is_refused(data: bytes, why: str) -> None:
    reader = _reader(data)
    with pytest.raises(BerError, match=why):
        list(reader.octet_segments(reader.header(), chunk=1024))


def test_a_definite_length_constructed_octet_string_ends_at_its_length() -> None:
    reader = _reader(b"\x24\x07\x04\x02ab\x04\x01c")
    assert list(reader.octet_segments(reader.header(), chunk=1024)) == [b"ab", b"c"]


# -- cms: decrypting the document package (dpi.md 3.4) ---------------------------------------------


def _decryption_refused(package: bytes, key: Any, rule: str) -> None:
    with pytest.raises(DecryptionError) as caught:
        cms.decrypt(package, key)
    assert caught.value.rule == rule
    assert caught.value.ebms_code is EbmsError.FAILED_DECRYPTION


def _edited(package: bytes, edit: Callable[[Any], None]) -> bytes:
    info = asn1_cms.ContentInfo.load(package)
    edit(info["content"])
    return bytes(info.dump(force=True))


def test_a_subject_key_identifier_recipient_does_not_match_a_certificate_without_one() -> None:
    # RFC 5652 6.2.1: rid may be a subjectKeyIdentifier; a certificate without the extension
    # is then not the recipient.
    ski = RECIPIENT.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)

    def by_key_identifier(enveloped: Any) -> None:
        ktri = enveloped["recipient_infos"][0].chosen
        ktri["rid"] = asn1_cms.RecipientIdentifier(
            name="subject_key_identifier", value=ski.value.digest
        )
        ktri["version"] = "v2"

    package = _edited(cms.encrypt(b"secret", RECIPIENT.certificate), by_key_identifier)
    assert cms.decrypt(package, RECIPIENT) == b"secret"

    def drop_ski(tbs: Any) -> None:
        tbs["extensions"] = [
            e for e in tbs["extensions"] if e["extn_id"].native != "key_identifier"
        ]

    without_ski = pki.resign(RECIPIENT.certificate, "business-ca", edit=drop_ski)
    assert not any(isinstance(e.value, x509.SubjectKeyIdentifier) for e in without_ski.extensions)
    key = LocalPrivateKey(key=RECIPIENT.key, certificate=without_ski)
    _decryption_refused(package, key, "cms:no-recipient")


@dataclasses.dataclass
class _EcCertificateKey:
    """A PrivateKey (the protocol's methods, as an HSM offers them) with an EC certificate."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    def sign(self, data: bytes, hash_: Any) -> bytes:
        raise AssertionError("not used")

    def decrypt(self, ciphertext: bytes, padding_: Any) -> bytes:
        raise AssertionError("no recipient info names this certificate")


def test_a_key_with_a_non_rsa_certificate_finds_no_recipient() -> None:
    # The usual RSA layout cannot be expected for it: the recipient infos are parsed instead.
    package = cms.encrypt(b"secret", RECIPIENT.certificate)
    _decryption_refused(package, _EcCertificateKey(pki.ec_certificate()), "cms:no-recipient")


def test_a_recipient_info_of_another_kind_beside_ours_is_refused() -> None:
    # RFC 5652 6.2 allows a KEKRecipientInfo before ours; dpi.md 3.4 allows one
    # KeyTransRecipientInfo only, and Digdir's client would take the first, the KEK one.
    kekri = asn1_cms.RecipientInfo(
        name="kekri",
        value={
            "version": "v4",
            "kekid": {"key_identifier": b"kek"},
            "key_encryption_algorithm": {"algorithm": "aes256_wrap"},
            "encrypted_key": b"\x00" * 40,
        },
    )

    # DER would sort the SET OF (ktri first); BER keeps the order written, and the streamed
    # layout's indefinite lengths let the SET grow in place.
    sink = io.BytesIO()
    with cms.EnvelopedDataWriter(sink, RECIPIENT.certificate) as writer:
        writer.write(b"secret")
    streamed = sink.getvalue()
    start = streamed.index(b"\xa0\x80\x30\x80\x02\x01\x00") + 7
    reader = _reader(streamed[start:])
    header = reader.expect(0x31)
    ours = reader.element(header, max_bytes=1 << 16)
    both = kekri.dump() + ours[len(header.raw) :]
    package = (
        streamed[:start] + definite_header(0x31, len(both)) + both + streamed[start + len(ours) :]
    )
    assert [r.name for r in asn1_cms.ContentInfo.load(package)["content"]["recipient_infos"]] == [
        "kekri",
        "ktri",
    ]
    _decryption_refused(package, RECIPIENT, "cms:recipient-count")


def test_a_content_key_that_is_not_aes_256_is_refused() -> None:
    # dpi.md 3.4: AES-256-CBC. A 16-byte key would make AES-128: refused, not used.
    cek, plaintext = os.urandom(16), b"secret content!"

    def aes128(enveloped: Any) -> None:
        ktri = enveloped["recipient_infos"][0].chosen
        public_key = RECIPIENT.certificate.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        ktri["encrypted_key"] = public_key.encrypt(cek, cms_profile.OAEP)
        eci = enveloped["encrypted_content_info"]
        iv = eci["content_encryption_algorithm"]["parameters"].native
        padded = plaintext + b"\x01"
        encryptor = Cipher(algorithms.AES(cek), modes.CBC(iv)).encryptor()
        eci["encrypted_content"] = encryptor.update(padded) + encryptor.finalize()

    package = _edited(cms.encrypt(b"x", RECIPIENT.certificate), aes128)
    _decryption_refused(package, RECIPIENT, "decryption-failed")


def _with_content_algorithm(package: bytes, encoded: bytes) -> bytes:
    """``package`` (DER) with its AES-256-CBC AlgorithmIdentifier given as ``encoded``,
    kept byte for byte (asn1crypto re-encodes only the changed parents)."""
    info = asn1_cms.ContentInfo.load(package)
    eci = info["content"]["encrypted_content_info"]
    eci["content_encryption_algorithm"] = asn1_algos.EncryptionAlgorithm.load(encoded)
    data = bytes(info.dump())
    assert encoded in data
    return data


_AES256_CBC_OID = bytes.fromhex("060960864801650304012a")


def test_an_iv_in_an_unusual_but_valid_encoding_is_read() -> None:
    # BER allows a long-form length (X.690 8.1.3.5): not the usual bytes, so parsed.
    package = cms.encrypt(b"secret", RECIPIENT.certificate)
    info = asn1_cms.ContentInfo.load(package)
    iv = info["content"]["encrypted_content_info"]["content_encryption_algorithm"]["parameters"]
    body = _AES256_CBC_OID + b"\x04\x81\x10" + iv.native
    assert (
        cms.decrypt(
            _with_content_algorithm(package, b"\x30" + bytes([len(body)]) + body), RECIPIENT
        )
        == b"secret"
    )


def test_an_iv_that_is_not_one_block_is_refused() -> None:
    # dpi.md 3.4: the AES-256-CBC parameters are the 16-byte IV.
    package = cms.encrypt(b"secret", RECIPIENT.certificate)
    body = _AES256_CBC_OID + b"\x04\x08" + bytes(8)
    bad = _with_content_algorithm(package, b"\x30" + bytes([len(body)]) + body)
    _decryption_refused(bad, RECIPIENT, "cms:malformed")


def test_unprotected_attributes_after_indefinite_content_are_skipped() -> None:
    # RFC 5652 6.1: EnvelopedData ends with unprotectedAttrs [1] IMPLICIT, optional.
    sink = io.BytesIO()
    with cms.EnvelopedDataWriter(sink, RECIPIENT.certificate) as writer:
        writer.write(b"secret")
    streamed = sink.getvalue()
    attribute = b"\x30\x0f" + bytes.fromhex("06092a864886f70d010701") + b"\x31\x02\x04\x00"
    attrs = definite_header(0xA1, len(attribute)) + attribute
    # the end-of-contents octets of [0] content and EncryptedContentInfo, then the attributes
    assert cms.decrypt(streamed[:-6] + attrs + streamed[-6:], RECIPIENT) == b"secret"


def test_originator_info_before_the_recipient_infos_is_skipped() -> None:
    # RFC 5652 6.1: originatorInfo [0] IMPLICIT, optional: certificates the reader does not need.
    def originator(enveloped: Any) -> None:
        cert = asn1_x509.Certificate.load(SIGNER.certificate.public_bytes(Encoding.DER))
        enveloped["originator_info"] = {"certs": [cert]}
        enveloped["version"] = "v2"

    package = _edited(cms.encrypt(b"secret", RECIPIENT.certificate), originator)
    assert cms.decrypt(package, RECIPIENT) == b"secret"


def test_ciphertext_segments_shorter_than_a_block_are_joined() -> None:
    # X.690 8.7: BER may cut the encrypted content into OCTET STRING segments of any size.
    content = os.urandom(100)
    sink = io.BytesIO()
    writer = cms.EnvelopedDataWriter(sink, RECIPIENT.certificate)
    head = sink.getvalue()
    writer.write(content)
    writer.close()
    data = sink.getvalue()
    assert data.endswith(b"\x00\x00" * 5)
    reader = _reader(data[len(head) : -10])
    ciphertext = b""
    while reader.position < len(data) - 10 - len(head):
        ciphertext += reader.read(reader.expect(0x04).length or 0)
    small = b"".join(definite_header(0x04, len(p)) + p for p in _pieces(ciphertext, 5))
    assert cms.decrypt(head + small + b"\x00\x00" * 5, RECIPIENT) == content


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_plaintext_beyond_the_size_limit_is_refused_while_decrypting() -> None:
    package = cms.encrypt(os.urandom(120_000), RECIPIENT.certificate)
    with pytest.raises(DecryptionError) as caught:
        cms.decrypt(package, RECIPIENT, limits=Limits(max_package_bytes=100_000))
    assert caught.value.rule == "cms:too-large"


def test_decrypt_takes_bytes_and_their_mutable_kin_but_not_text() -> None:
    package = cms.encrypt(b"secret", RECIPIENT.certificate)
    assert cms.decrypt(bytearray(package), RECIPIENT) == b"secret"  # type: ignore[arg-type]
    assert cms.decrypt(memoryview(package), RECIPIENT) == b"secret"  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="decrypt: cms_bytes must be bytes, not str"):
        cms.decrypt(package.decode("latin-1"), RECIPIENT)  # type: ignore[arg-type]


def test_decrypt_refuses_a_key_of_the_wrong_type_before_reading() -> None:
    # Not DecryptionError: the peer's package is not at fault.
    package = cms.encrypt(b"secret", RECIPIENT.certificate)
    with pytest.raises(ArgumentTypeError, match="decrypt: key must be a PrivateKey"):
        cms.decrypt(package, RECIPIENT.key)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="decrypt_stream: key must be a PrivateKey"):
        cms.decrypt_stream(io.BytesIO(package), RECIPIENT.certificate, io.BytesIO())  # type: ignore[arg-type]


# -- cms_write -------------------------------------------------------------------------------------


def test_encrypt_stream_refuses_more_content_than_announced() -> None:
    with pytest.raises(UsageError, match="the content is longer than the length given"):
        b"".join(cms.encrypt_stream([b"ab", b"cd"], length=3, recipient=RECIPIENT.certificate))


class _FlushCountingSink(io.BytesIO):
    flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_the_enveloped_data_writer_flushes_closes_once_and_refuses_writes_after() -> None:
    sink = _FlushCountingSink()
    writer = cms.EnvelopedDataWriter(sink, RECIPIENT.certificate)
    writer.write(b"secret")
    writer.flush()
    assert sink.flushes == 1
    writer.close()
    written = sink.getvalue()
    writer.close()  # a second close writes nothing
    assert sink.getvalue() == written
    assert cms.decrypt(written, RECIPIENT) == b"secret"
    with pytest.raises(UsageError, match="write to a closed EnvelopedDataWriter"):
        writer.write(b"more")


# -- found by tests/test_cms_against_bouncycastle.py (run here without a JDK) --------------------


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        # Two RecipientInfos for our certificate: BouncyCastle takes the issuer-and-serial one,
        # OpenSSL and Digdir's client the first; in either order, refused (dpi.md 3.4: one).
        ("recipients-ski-key-b-then-issuer-serial-key-a", "cms:recipient-count"),
        ("recipients-issuer-serial-key-a-then-ski-key-b", "cms:recipient-count"),
        ("recipients-ski-key-b-then-ski-key-a", "cms:recipient-count"),
        # A third field in the AES-256-CBC AlgorithmIdentifier (BouncyCastle and OpenSSL refuse).
        ("ce-algorithm-extra-field", "cms:malformed"),
    ],
)
def test_what_bouncycastle_reads_otherwise_is_refused(name: str, rule: str) -> None:
    from test_cms_against_bouncycastle import CASES

    data = next(case for case in CASES if case.name == name).build()
    with pytest.raises(DecryptionError) as whole:
        cms.decrypt(data, RECIPIENT)
    with pytest.raises(DecryptionError) as streamed:
        cms.decrypt_stream(io.BytesIO(data), RECIPIENT, io.BytesIO())
    assert whole.value.rule == streamed.value.rule == rule
