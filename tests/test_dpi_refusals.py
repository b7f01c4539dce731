"""Refusals of bad input in the DPI layer that no other test drove: each crafted input breaks one
rule, and each test asserts the exact outcome (error class, ``rule``, ``ebms_code``, or the
exact value returned), so that removing or changing a check makes it fail.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import io
import json
import os
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

import dpi_samples
import jwt
import pki
import pytest
from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from test_dpi_recipes import LEGAL, recipient, sender, token

from peppol_dpi import ns
from peppol_dpi.dpi import cms, cms_profile, xades
from peppol_dpi.dpi.asic import AsicBuilder, Document, read_package
from peppol_dpi.dpi.ber import BerError, StreamReader, definite_header
from peppol_dpi.dpi.bodies import Epostvarsel, Feiltype, Varslingskanal
from peppol_dpi.dpi.container import PackageError, ZipEntryWriter, read_zip
from peppol_dpi.dpi.identifiers import DpiProcess, MessageType
from peppol_dpi.dpi.innbyggerpost import Innbyggerpost
from peppol_dpi.dpi.jsonmodel import parse_datetime
from peppol_dpi.dpi.jws import JwsError, verify_jws
from peppol_dpi.dpi.mailbox import receipt, receive
from peppol_dpi.dpi.manifest import SdpManifest
from peppol_dpi.dpi.message import BusinessMessage, parse_business_message
from peppol_dpi.dpi.sender import Sender, digital_message, outgoing, send_digital
from peppol_dpi.dpi.signed import check_fingerprint
from peppol_dpi.dpi.token import TokenError, acting_party, verify_maskinporten_token
from peppol_dpi.dpi.unpack import read_package_to
from peppol_dpi.errors import (
    DecryptionError,
    EbmsError,
    SignatureError,
    UsageError,
    ValidationError,
)
from peppol_dpi.ids import ParticipantId
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.limits import Limits
from peppol_dpi.lookup.maskinporten import parse_token_claims

NOW = datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)
SENDER_ORG = ParticipantId.norwegian("991825827")
SIGNER = pki.business_key("sender")
RECIPIENT = pki.business_key("digipost")
LENKE = "application/vnd.difi.dpi.lenke+xml"


def _builder(*attachments: Document) -> AsicBuilder:
    builder = (
        AsicBuilder()
        .sender(SENDER_ORG, sender_identifier="991825827:avsenderid")
        .mailbox("ola.nordmann#9YDT")
        .main_document(Document(name="vedtak.pdf", content=b"%PDF-1.4 vedtak", title="Vedtak"))
    )
    for attachment in attachments:
        builder = builder.add_attachment(attachment)
    return builder


@cache
def _package() -> bytes:
    return _builder(Document(name="vedlegg.txt", content=b"Vedlegg\n")).build(
        SIGNER, signing_time=NOW
    )


def _rezip(entries: list[tuple[str, bytes]], *, methods: dict[str, int] | None = None) -> bytes:
    """The entries zipped again by Python's zipfile (``mimetype`` stored, the rest deflated
    unless ``methods`` names another compression method)."""
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 3, 1, 12, 0, 0))
            default = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.compress_type = (methods or {}).get(name, default)
            archive.writestr(info, content)
    return sink.getvalue()


def _replace_entry(package: bytes, name: str, content: bytes) -> bytes:
    return _rezip([(n, content if n == name else c) for n, c in read_zip(package).items()])


def _refused(data: bytes, rule: str, error: type[Exception] = PackageError, **kwargs: Any) -> Any:
    with pytest.raises(error) as caught:
        read_package(data, **kwargs)
    assert caught.value.rule == rule, str(caught.value)  # type: ignore[attr-defined]
    return caught.value


@cache
def _ec_certificate() -> x509.Certificate:
    """A certificate of the test PKI for a P-256 key (DPI signs and encrypts with RSA only)."""
    make = pki.factory()
    issued = make.issue(
        subject=make.make_name("ec"),
        serial=9102,
        issuer=pki.ca_issued("ap-ca"),
        key=ec.generate_private_key(ec.SECP256R1()),
    )
    certificate: x509.Certificate = issued.cert
    return certificate


# -- asic: the builder and the package's manifest --------------------------------------------------


def test_document_content_must_be_bytes() -> None:
    with pytest.raises(UsageError, match="document content must be bytes"):
        Document(name="brev.txt", content="text")  # type: ignore[arg-type]


def test_a_document_s_metadata_file_is_signed_listed_and_read_back() -> None:
    # dpi.md 3.1: a document may carry an application/vnd.difi.dpi.*+xml extension file.
    lenke = Document(name="lenke.xml", content=b"<lenke/>", mime=LENKE)
    main = Document(name="vedtak.pdf", content=b"%PDF-1.4 vedtak", title="Vedtak", metadata=lenke)
    built = AsicBuilder().sender(SENDER_ORG).main_document(main).build(SIGNER, signing_time=NOW)
    assert (
        b'<data href="lenke.xml" mime="application/vnd.difi.dpi.lenke+xml"/>'
        in (read_zip(built)["manifest.xml"])
    )
    verified = read_package(built)
    metadata = verified.main.metadata
    assert metadata is not None
    assert (metadata.name, metadata.mime, metadata.content) == ("lenke.xml", LENKE, b"<lenke/>")


def test_a_metadata_file_must_have_a_dpi_extension_type() -> None:
    plain = Document(name="lenke.xml", content=b"<lenke/>", mime="application/xml")
    main = Document(name="vedtak.pdf", content=b"%PDF-1.4", metadata=plain)
    with pytest.raises(UsageError, match="'application/xml' is not a DPI extension type"):
        AsicBuilder().sender(SENDER_ORG).main_document(main).build(SIGNER, signing_time=NOW)


@pytest.mark.parametrize("href", ["sub/vedlegg.txt", "mimetype"])
def test_a_manifest_naming_a_path_or_a_reserved_name_is_refused(href: str) -> None:
    # dpi.md 3.1: a DPI package is flat; documents are plain file names.
    manifest = read_zip(_package())["manifest.xml"].replace(
        b'href="vedlegg.txt"', f'href="{href}"'.encode()
    )
    _refused(_replace_entry(_package(), "manifest.xml", manifest), "asic:unsafe-name")


def test_a_manifest_naming_a_file_twice_is_refused() -> None:
    # Case-insensitive, as e-Boks compares names (dpi.md 9.10).
    manifest = read_zip(_package())["manifest.xml"].replace(
        b'href="vedlegg.txt"', b'href="VEDTAK.PDF"'
    )
    _refused(_replace_entry(_package(), "manifest.xml", manifest), "asic:duplicate-entry")


# -- manifest.xml (sdp-manifest.xsd) ---------------------------------------------------------------

_MANIFEST_HEAD = (
    f'<manifest xmlns="{ns.SDP}"><mottaker><person><postkasseadresse>ola.nordmann#9YDT'
    "</postkasseadresse></person></mottaker>"
)
_AVSENDER = (
    '<avsender><organisasjon authority="iso6523-actorid-upis">9908:991825827</organisasjon>'
    "</avsender>"
)
_MAIN = '<hoveddokument href="vedtak.pdf" mime="application/pdf"/>'


def _manifest(*, head: str = _MANIFEST_HEAD, avsender: str = _AVSENDER, rest: str = _MAIN) -> bytes:
    return f"{head}{avsender}{rest}</manifest>".encode()


@pytest.mark.parametrize(
    ("manifest", "why"),
    [
        (  # sdp-manifest.xsd DokumentData/@href: 4 to 100 characters
            _manifest(
                rest='<hoveddokument href="vedtak.pdf" mime="application/pdf">'
                f'<data href="a.x" mime="{LENKE}"/></hoveddokument>'
            ),
            "a data href must have 4 to 100 characters, not 3",
        ),
        (
            _manifest(
                rest='<hoveddokument href="vedtak.pdf" mime="application/pdf">'
                f'<data href="lenke.xml" mime="{LENKE}"/><data href="b.xml" mime="{LENKE}"/>'
                "</hoveddokument>"
            ),
            "unexpected <data> in a document",
        ),
        (  # sdp-felles.xsd Iso6523Identitet: <ICD>:<up to 35 word characters>
            _manifest(avsender="<avsender><organisasjon>9908:99.18</organisasjon></avsender>"),
            "'9908:99.18' is not '<ICD>:<up to 35 characters>'",
        ),
        (
            _manifest(
                head=f'<manifest xmlns="{ns.SDP}"><mottaker><person><postkasseadresse/>'
                "</person></mottaker>"
            ),
            "the mailbox address is empty",
        ),
        (  # sdp-felles.xsd personidentifikator: 11 digits
            _manifest(
                head=f'<manifest xmlns="{ns.SDP}"><mottaker><person><personidentifikator>'
                "1234</personidentifikator><postkasseadresse>x</postkasseadresse></person>"
                "</mottaker>"
            ),
            "personidentifikator must be 11 digits",
        ),
        (
            _manifest(rest=_MAIN + '<vedlegg href="v.txt" mime="text/plain"/>' * 201),
            "at most 200 attachments",
        ),
        (
            _manifest(head=f'<manifest xmlns="{ns.SDP}"><mottaker><person/><person/></mottaker>'),
            "<mottaker> must hold one <person>",
        ),
        (
            _manifest(
                head=f'<manifest xmlns="{ns.SDP}"><mottaker><person><postkasseadresse>x'
                "</postkasseadresse><telefon>1</telefon></person></mottaker>"
            ),
            "unexpected element in <person>",
        ),
        (_manifest(avsender=""), "<avsender> is missing"),
        (
            _manifest(
                avsender="<avsender><avsenderidentifikator>a</avsenderidentifikator></avsender>"
            ),
            "<avsender> needs exactly one <organisasjon>",
        ),
        (
            _manifest(avsender=_AVSENDER.replace("</avsender>", "<telefon>1</telefon></avsender>")),
            "unexpected element in <avsender>",
        ),
        (_manifest(rest=""), "<hoveddokument> is missing"),
        (_manifest(rest=_MAIN + "<lenke/><lenke/>"), "unexpected <lenke>"),
    ],
)
def test_a_manifest_breaking_the_sdp_schema_is_refused(manifest: bytes, why: str) -> None:
    with pytest.raises(PackageError) as caught:
        SdpManifest.parse(manifest)
    assert caught.value.rule == "asic:manifest"
    assert why in caught.value.message


def test_a_manifest_may_end_with_one_lenke() -> None:
    # sdp-manifest.xsd: lenke? after the attachments; nothing in the package refers to it.
    manifest = SdpManifest.parse(_manifest(rest=_MAIN + "<lenke><url>https://x</url></lenke>"))
    assert manifest.main.href == "vedtak.pdf" and manifest.attachments == ()


def test_the_manifest_sender_must_be_a_participant_id() -> None:
    with pytest.raises(UsageError, match="organisation must be a ParticipantId"):
        AsicBuilder().sender("0192:991825827")  # type: ignore[arg-type]


def test_a_person_identifier_is_written_before_the_mailbox_address() -> None:
    built = (
        AsicBuilder()
        .sender(SENDER_ORG)
        .mailbox("ola.nordmann#9YDT", person_identifier="01017012345")
        .main_document(Document(name="vedtak.pdf", content=b"%PDF"))
        .build(SIGNER, signing_time=NOW)
    )
    assert (
        b"<person><personidentifikator>01017012345</personidentifikator><postkasseadresse>"
        in (read_zip(built)["manifest.xml"])
    )
    recipient = read_package(built).manifest.recipient
    assert recipient is not None and recipient.person_identifier == "01017012345"


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
    _decryption_refused(package, _EcCertificateKey(_ec_certificate()), "cms:no-recipient")


def test_recipient_infos_of_other_kinds_are_skipped() -> None:
    # RFC 5652 6.2: a KEKRecipientInfo before ours is not for a key-transport key.
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
    assert cms.decrypt(package, RECIPIENT) == b"secret"


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


def test_decrypt_takes_bytes() -> None:
    package = cms.encrypt(b"secret", RECIPIENT.certificate)
    with pytest.raises(UsageError, match="decrypt takes bytes"):
        cms.decrypt(bytearray(package), RECIPIENT)  # type: ignore[arg-type]


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


# -- container: the zip layer ----------------------------------------------------------------------


def _small_zip(payload: bytes = b"") -> bytes:
    return _rezip([("mimetype", b"application/vnd.etsi.asic-e+zip"), ("a.txt", payload)])


def test_a_central_directory_pointing_before_the_file_is_refused() -> None:
    data = bytearray(_small_zip(b"x"))
    end = data.rindex(b"PK\x05\x06")
    offset = struct.unpack_from("<I", data, end + 16)[0]
    struct.pack_into("<I", data, end + 16, offset + 100)  # every entry now starts at -100
    with pytest.raises(PackageError) as caught:
        read_zip(bytes(data))
    assert caught.value.rule == "asic:not-a-zip"
    assert "has no local header" in caught.value.message


def test_a_compression_method_other_than_stored_or_deflated_is_refused() -> None:
    data = _rezip(
        [("mimetype", b"application/vnd.etsi.asic-e+zip"), ("a.txt", b"x" * 100)],
        methods={"a.txt": zipfile.ZIP_BZIP2},
    )
    with pytest.raises(PackageError) as caught:
        read_zip(data)
    assert caught.value.rule == "asic:compression-method"


def test_a_local_header_name_that_is_not_utf8_is_refused() -> None:
    # APPNOTE 4.4.4 bit 11: the name is UTF-8; bytes that are not are not the directory's name.
    data = bytearray(_small_zip(b"x"))
    local = data.index(b"PK\x03\x04", 1)
    flags = struct.unpack_from("<H", data, local + 6)[0]
    struct.pack_into("<H", data, local + 6, flags | 0x0800)
    data[local + 30] = 0xFF  # "a.txt" -> "\xff.txt" in the local header only
    with pytest.raises(PackageError) as caught:
        read_zip(bytes(data))
    assert caught.value.rule == "asic:corrupt-entry"
    assert "its local header names another file" in caught.value.message


def _one_entry_zip(name: bytes, compressed: bytes, *, crc: int, size: int) -> bytes:
    """``mimetype`` and one DEFLATED entry whose compressed bytes, CRC and size are given."""
    mimetype = b"application/vnd.etsi.asic-e+zip"
    entries = [
        (b"mimetype", 0, mimetype, zlib.crc32(mimetype), len(mimetype)),
        (name, 8, compressed, crc, size),
    ]
    out, central = b"", b""
    for entry_name, method, data, entry_crc, entry_size in entries:
        offset = len(out)
        out += (
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0,
                method,
                0,
                0x5C61,
                entry_crc,
                len(data),
                entry_size,
                len(entry_name),
                0,
            )
            + entry_name
            + data
        )
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                method,
                0,
                0x5C61,
                entry_crc,
                len(data),
                entry_size,
                len(entry_name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + entry_name
        )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(central), len(out), 0)
    return out + central + end


def test_a_deflate_stream_without_its_last_blocks_is_refused_when_streamed() -> None:
    # The inflater runs dry before the end of the stream: what came out is shorter than the
    # declared size (read from a file, so entries are inflated in chunks).
    content = os.urandom(2000)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    cut = compressor.compress(content[:1000]) + compressor.flush(zlib.Z_SYNC_FLUSH)
    data = _one_entry_zip(b"a.txt", cut, crc=zlib.crc32(content), size=len(content))
    with pytest.raises(PackageError) as caught:
        read_zip(io.BytesIO(data))
    assert caught.value.rule == "asic:corrupt-entry"
    assert "it does not have its declared size" in caught.value.message


def test_a_package_larger_than_the_limit_is_refused_before_reading_its_directory() -> None:
    data = _small_zip(os.urandom(1000))  # stored entries' declared sizes stay under the limit
    limits = Limits(max_package_bytes=len(data) - 1)
    with pytest.raises(PackageError) as caught:
        read_zip(data, limits=limits)
    assert caught.value.rule == "asic:too-large"
    assert caught.value.message == f"the package is larger than {len(data) - 1} bytes"


# -- identifiers, innbyggerpost --------------------------------------------------------------------


@pytest.mark.parametrize("message_type", [t for t in MessageType if t.is_receipt])
def test_a_receipt_starts_no_process(message_type: MessageType) -> None:
    with pytest.raises(UsageError, match="travels in the process of the message it answers"):
        DpiProcess.for_message(message_type)


def test_innbyggerpost_takes_bytes() -> None:
    with pytest.raises(UsageError, match="takes the JWS and the package as bytes"):
        Innbyggerpost(forretningsmelding="a.b.c", dokumentpakke=b"x")  # type: ignore[arg-type]


# -- jsonmodel: formats and the typed JSON objects -------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "2026-03-16T24:16:08.903+01:00",
        "2026-03-16T14:60:08.903+01:00",
        "2026-03-16T14:16:60.903+01:00",
    ],
)
def test_a_date_time_out_of_range_breaks_the_format(bad: str) -> None:
    # RFC 3339 5.6 (JSON Schema draft-07 7.3.1 date-time); no leap second, as Java's client.
    data = dpi_samples.message(MessageType.DIGITAL).to_bytes()
    assert b'"creationDateAndTime":"2026-03-16T14:16:08.903+01:00"' in data
    data = data.replace(b"2026-03-16T14:16:08.903+01:00", bad.encode(), 1)
    with pytest.raises(ValidationError) as caught:
        parse_business_message(data)
    assert [(p.rule, p.location) for p in caught.value.problems] == [
        (
            "dpi-schema:format",
            "$.standardBusinessDocument.standardBusinessDocumentHeader"
            ".documentIdentification.creationDateAndTime",
        )
    ]


def test_parse_datetime_refuses_text_that_is_no_date_time() -> None:
    with pytest.raises(UsageError, match="is not an RFC 3339 date-time"):
        parse_datetime("2026-03-16 14:16:08")


class _NoOffset(tzinfo):
    """A tzinfo that knows no offset: a datetime with it is naive (Python datetime docs)."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"virkningstidspunkt": datetime(2026, 3, 16, 12, 0)}, "has no time zone"),
        (
            {
                "virkningstidspunkt": datetime(
                    2026, 3, 16, 12, 0, tzinfo=timezone(timedelta(seconds=90))
                )
            },
            "DPI times carry offsets in whole minutes",
        ),
        ({"ikkesensitivtittel": 5}, "expected text, got int"),
        ({"virkningstidspunkt": "2026-03-16T12:00:00Z"}, "expected datetime, got str"),
        ({"sikkerhetsnivaa": 3}, "expected Sikkerhetsnivaa, got 3"),
        ({"aapningskvittering": "yes"}, "expected a boolean, got 'yes'"),
        ({"avsender": "0192:991825827"}, "expected Avsender, got str"),
    ],
)
def test_a_body_built_with_values_of_the_wrong_type_is_refused(
    change: dict[str, Any], why: str
) -> None:
    with pytest.raises(UsageError, match=why):
        dataclasses.replace(dpi_samples.digital(), **change)


def test_repetitions_must_be_integers() -> None:
    varsel = Epostvarsel(
        epostadresse="ola@example.no", varslingstekst="Du har post", repetisjoner=(0,)
    )
    with pytest.raises(UsageError, match="expected an integer, got True"):
        dataclasses.replace(varsel, repetisjoner=(0, True))


# -- jws -------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _forge(x5c: list[Any]) -> bytes:
    header = _b64url(json.dumps({"alg": "RS256", "x5c": x5c}).encode())
    signing_input = header + b"." + _b64url(b"{}")
    signature = SIGNER.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input + b"." + _b64url(signature)


def _leaf_b64(certificate: x509.Certificate) -> str:
    return base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()


def test_an_x5c_entry_that_is_not_a_string_is_refused() -> None:
    # RFC 7515 4.1.6: x5c is an array of base64 strings.
    with pytest.raises(JwsError) as caught:
        verify_jws(_forge([_leaf_b64(SIGNER.certificate), 7]), trust=None)
    assert caught.value.rule == "jws:x5c"


# -- mailbox, sender, signed, message --------------------------------------------------------------


def test_receive_needs_a_trust_policy() -> None:
    with pytest.raises(UsageError, match="corner 4 must check the signer"):
        receive(
            b"a.b.c",
            b"cms",
            trust=None,  # type: ignore[arg-type]
            open_package=lambda _: None,  # type: ignore[arg-type,return-value]
            maskinporten_keys=pki.maskinporten_key().certificate,
        )


def _receipt(original: BusinessMessage, message_type: MessageType, **kwargs: Any) -> Any:
    return receipt(
        original,
        message_type=message_type,
        provider=dpi_samples.EBOKS,
        created=NOW,
        message_id=uuid.UUID(int=7),
        **kwargs,
    )


@pytest.mark.parametrize(
    ("original", "message_type", "kwargs", "why"),
    [
        (MessageType.DIGITAL, MessageType.DIGITAL, {}, "digital is not a receipt"),
        (
            MessageType.LEVERINGSKVITTERING,
            MessageType.LEVERINGSKVITTERING,
            {},
            "receipts answer digital, utskrift or flyttet messages",
        ),
        (
            MessageType.DIGITAL,
            MessageType.VARSLINGFEILETKVITTERING,
            {},
            "a varslingfeiletkvittering names its varslingskanal",
        ),
        (MessageType.DIGITAL, MessageType.FEIL, {}, "a feil names its feiltype"),
    ],
)
def test_a_receipt_is_refused_without_what_it_needs(
    original: MessageType, message_type: MessageType, kwargs: dict[str, Any], why: str
) -> None:
    with pytest.raises(UsageError, match=why):
        _receipt(dpi_samples.message(original), message_type, **kwargs)


def test_receipts_with_their_parts_are_made() -> None:
    original = dpi_samples.message(MessageType.DIGITAL)
    failed = _receipt(
        original, MessageType.VARSLINGFEILETKVITTERING, varslingskanal=Varslingskanal.SMS
    )
    assert failed.body.varslingskanal is Varslingskanal.SMS
    feil = _receipt(original, MessageType.FEIL, feiltype=Feiltype.KLIENT)
    assert feil.body.feiltype is Feiltype.KLIENT


def _digital(package: bytes) -> BusinessMessage:
    return digital_message(
        sender=sender(),
        recipient=recipient(),
        package=package,
        token=token(),
        title="t",
        created=NOW,
    )


def test_outgoing_refuses_a_package_the_message_does_not_name() -> None:
    with pytest.raises(UsageError, match="the message's fingerprint is not that of this package"):
        outgoing(_digital(b"package one"), b"package two", sender())


def test_outgoing_refuses_a_sender_that_is_not_the_sbdh_sender() -> None:
    itself = Sender(key=pki.business_key("sender"), organisation=LEGAL)  # no data processor
    with pytest.raises(UsageError, match="the message's SBDH sender is not this sender"):
        outgoing(_digital(b"package"), b"package", itself)


def test_send_digital_needs_a_main_document() -> None:
    with pytest.raises(UsageError, match="a package needs a main document"):
        send_digital(
            sender=sender(),
            recipient=recipient(),
            documents=(),
            token=token(),
            title="t",
            created=NOW,
        )


@pytest.mark.parametrize(
    "message_type", [MessageType.LEVERINGSKVITTERING, MessageType.FEIL], ids=str
)
def test_a_receipt_has_no_package_fingerprint_to_check(message_type: MessageType) -> None:
    with pytest.raises(UsageError, match="message refers to no document package"):
        check_fingerprint(dpi_samples.message(message_type), b"cms")


def test_a_header_naming_no_dpi_message_type_is_refused() -> None:
    message = dpi_samples.message(MessageType.DIGITAL)
    identification = dataclasses.replace(message.header.document_identification, type="brev")
    header = dataclasses.replace(message.header, document_identification=identification)
    with pytest.raises(ValidationError) as caught:
        BusinessMessage(header=header, body=message.body)
    assert [(p.rule, p.location) for p in caught.value.problems] == [
        (
            "dpi:message-type",
            "$.standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.type",
        )
    ]


def test_a_body_of_another_type_than_the_header_says_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="a digital message needs a Digital"):
        BusinessMessage(header=dpi_samples.header(MessageType.DIGITAL), body=dpi_samples.utskrift())


# -- token (dpi.md 5) ------------------------------------------------------------------------------


def _token_claims(**extra: Any) -> dict[str, Any]:
    claims = {
        "scope": "digitalpostinnbygger:send",
        "iss": "https://test.maskinporten.no/",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(seconds=120)).timestamp()),
        "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:991825827"},
    }
    claims.update(extra)
    return {k: v for k, v in claims.items() if v is not None}


def _maskinporten_token(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, pki.maskinporten_key().key, algorithm="RS256")


def test_acting_party_needs_a_consumer_or_supplier() -> None:
    claims = parse_token_claims(_maskinporten_token(_token_claims(consumer=None)))
    with pytest.raises(TokenError) as caught:
        acting_party(claims)
    assert caught.value.rule == "token:claims"


def test_maskinporten_signs_with_rsa_keys() -> None:
    with pytest.raises(UsageError, match="Maskinporten signs its tokens with RSA keys"):
        verify_maskinporten_token(
            _maskinporten_token(_token_claims()), keys=_ec_certificate(), at=NOW
        )


@pytest.mark.parametrize("missing", ["iat", "exp"])
def test_a_token_without_iat_or_exp_is_refused(missing: str) -> None:
    with pytest.raises(TokenError) as caught:
        verify_maskinporten_token(
            _maskinporten_token(_token_claims(**{missing: None})),
            keys=pki.maskinporten_key().certificate,
            at=NOW,
        )
    assert caught.value.rule == "token:claims"
    assert caught.value.message == "the token needs iat and exp"


# -- unpack ----------------------------------------------------------------------------------------


def test_an_entry_failing_while_staged_leaves_no_temporary_file(tmp_path: Path) -> None:
    data = bytearray(_package())
    name = b"vedlegg.txt"
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 16, struct.unpack_from("<I", data, central + 16)[0] ^ 1)
    with pytest.raises(PackageError) as caught:
        read_package_to(bytes(data), tmp_path)
    assert caught.value.rule == "asic:corrupt-entry"
    assert "its CRC-32 does not match" in caught.value.message
    assert list(tmp_path.iterdir()) == []


# -- xades: META-INF/signatures.xml (dpi.md 3.3) ---------------------------------------------------


def _signatures() -> bytes:
    return read_zip(_package())["META-INF/signatures.xml"]


def _with_signatures(signatures: bytes) -> bytes:
    return _replace_entry(_package(), "META-INF/signatures.xml", signatures)


def test_sign_files_needs_at_least_one_file() -> None:
    with pytest.raises(UsageError, match="a package signature covers at least one file"):
        xades.sign_files([], SIGNER, signing_time=NOW)


def test_sign_files_needs_distinct_names() -> None:
    twice = [xades.SignedFile(name="a b.txt", mime="text/plain", content=b"x")] * 2
    with pytest.raises(UsageError, match="the signed files must have distinct names"):
        xades.sign_files(twice, SIGNER, signing_time=NOW)


_SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"


@pytest.mark.parametrize(
    ("old", "new", "rule", "message"),
    [
        (  # TS 101 903 7.2.2: CertDigest with a digest method we know
            f'Algorithm="{_SHA1}"'.encode(),
            b'Algorithm="http://www.w3.org/2001/04/xmldsig-more#md5"',
            "xades:cert-digest",
            "the SigningCertificate digest method is not supported",
        ),
        (
            b"<ns2:DigestValue>",
            b"<ns2:DigestValue>***",
            "xades:malformed",
            "the SigningCertificate digest is not base64",
        ),
        (  # TS 101 903 7.2.2: IssuerSerial, when given, names the same certificate
            f"<ns2:X509SerialNumber>{SIGNER.certificate.serial_number}<".encode(),
            f"<ns2:X509SerialNumber>{SIGNER.certificate.serial_number + 1}<".encode(),
            "xades:cert-digest",
            "IssuerSerial does not name the signing certificate",
        ),
        (  # ETSI TS 102 918: the root is asic:XAdESSignatures
            b'<XAdESSignatures xmlns="http://uri.etsi.org/02918/v1.2.1#">',
            b'<XAdESSignatures xmlns="urn:other">',
            "xades:malformed",
            "the root element is not asic:XAdESSignatures",
        ),
        (
            b' Id="Signature"',
            b"",
            "xades:malformed",
            "the signature needs an Id and one QualifyingProperties",
        ),
        (  # TS 101 903 6.2: QualifyingProperties/@Target points at its signature
            b'Target="#Signature"',
            b'Target="#Other"',
            "xades:malformed",
            "QualifyingProperties does not target this signature",
        ),
        (
            b"<SignedProperties ",
            b"<UnsignedProperties ",
            "xades:malformed",
            "QualifyingProperties has no SignedProperties",
        ),
    ],
    ids=[
        "cert-digest-method",
        "cert-digest-base64",
        "issuer-serial",
        "root",
        "no-id",
        "target",
        "no-signed-properties",
    ],
)
def test_a_signatures_xml_breaking_the_xades_layout_is_refused(
    old: bytes, new: bytes, rule: str, message: str
) -> None:
    signatures = _signatures()
    assert signatures.count(old) == 1, old
    edited = signatures.replace(old, new)
    if old == b"<SignedProperties ":
        edited = edited.replace(b"</SignedProperties>", b"</UnsignedProperties>")
    error = _refused(_with_signatures(edited), rule, SignatureError)
    assert error.message == message
    assert error.ebms_code is EbmsError.FAILED_AUTHENTICATION


def test_signatures_xml_holds_exactly_one_signature() -> None:
    # DOCS dokumentpakke_sikkerhet: exactly one ds:Signature.
    signatures = _signatures()
    start = signatures.index(b"<Signature ")
    end = signatures.index(b"</Signature>") + len(b"</Signature>")
    twice = signatures[:end] + signatures[start:end] + signatures[end:]
    error = _refused(_with_signatures(twice), "xades:malformed", SignatureError)
    assert error.message == "signatures.xml must hold exactly one ds:Signature"


def test_a_signing_time_whose_tzinfo_gives_no_offset_is_not_signed() -> None:
    # Naive by Python's definition: it would be written without an offset (instants.py).
    entries = dict(read_zip(_package()))
    with pytest.raises(UsageError, match="signing_time must be timezone-aware"):
        xades.sign_files(
            [
                xades.SignedFile(
                    name="vedtak.pdf", mime="application/pdf", content=entries["vedtak.pdf"]
                )
            ],
            SIGNER,
            signing_time=NOW.replace(tzinfo=_NoOffset()),
        )


def test_a_signing_time_without_time_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Another signer may write a SigningTime without an offset; ours refuses to (the test
    # above), so its check is switched off here to make one.
    monkeypatch.setattr(xades, "require_aware", lambda value, what: None)
    when = NOW.replace(tzinfo=_NoOffset())
    entries = dict(read_zip(_package()))
    names = ["manifest.xml", "vedtak.pdf", "vedlegg.txt"]
    mimes = ["application/xml", "application/pdf", "text/plain"]
    signed = xades.sign_files(
        [
            xades.SignedFile(name=n, mime=m, content=entries[n])
            for n, m in zip(names, mimes, strict=True)
        ],
        SIGNER,
        signing_time=when,
    )
    assert b"<SigningTime>2026-03-01T12:00:00.250</SigningTime>" in signed
    _refused(_with_signatures(signed), "xades:signing-time", SignatureError)


def _resigned(edit: Callable[[etree._Element], None]) -> bytes:
    """The package with its SignedInfo edited and signed again by the same key."""
    root = etree.fromstring(_signatures())
    signature = root[0]
    signed_info = signature.find(f"{{{ns.DS}}}SignedInfo")
    assert signed_info is not None
    edit(signed_info)
    # Inclusive C14N 1.0, as declared; of a copy: libxml2 writes xmlns="" on some descendants
    # when it canonicalizes a subtree whose default namespace is the parent's.
    canonical = etree.tostring(copy.deepcopy(signed_info), method="c14n")
    value = signature.find(f"{{{ns.DS}}}SignatureValue")
    assert value is not None
    value.text = base64.b64encode(
        SIGNER.key.sign(canonical, padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    return _with_signatures(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _properties_reference(signed_info: etree._Element) -> etree._Element:
    (reference,) = [r for r in signed_info if r.get("URI") == "#SignedProperties"]
    return reference


def _file_reference(signed_info: etree._Element, uri: str) -> etree._Element:
    (reference,) = [r for r in signed_info if r.get("URI") == uri]
    return reference


def test_the_resigned_package_still_verifies() -> None:
    assert read_package(_resigned(lambda signed_info: None)).main.name == "vedtak.pdf"


def test_signed_properties_that_are_not_signed_as_such_are_refused() -> None:
    # TS 101 903 6.3: the reference to SignedProperties carries its Type.
    def untyped(signed_info: etree._Element) -> None:
        del _properties_reference(signed_info).attrib["Type"]

    _refused(_resigned(untyped), "xades:properties", SignatureError)


def test_an_unexpected_same_document_reference_is_refused() -> None:
    def another(signed_info: etree._Element) -> None:
        copy = etree.fromstring(etree.tostring(_properties_reference(signed_info)))
        del copy.attrib["Type"]
        signed_info.append(copy)

    error = _refused(_resigned(another), "xades:malformed", SignatureError)
    assert error.message == "unexpected same-document reference '#SignedProperties'"


def test_a_file_referenced_twice_is_refused() -> None:
    def twice(signed_info: etree._Element) -> None:
        copy = etree.fromstring(etree.tostring(_file_reference(signed_info, "vedlegg.txt")))
        del copy.attrib["Id"]
        signed_info.append(copy)

    _refused(_resigned(twice), "xades:duplicate-reference", SignatureError)


def test_a_signing_certificate_without_an_rsa_key_is_refused() -> None:
    # dpi.md 3.3: RSA-SHA256; the certificate SigningCertificate names must hold an RSA key.
    ec_cert = _ec_certificate()
    ours = SIGNER.certificate
    signatures = (
        _signatures()
        .replace(_leaf_b64(ours).encode(), _leaf_b64(ec_cert).encode())
        .replace(
            base64.b64encode(hashlib.sha1(ours.public_bytes(Encoding.DER)).digest()),
            base64.b64encode(hashlib.sha1(ec_cert.public_bytes(Encoding.DER)).digest()),
        )
        .replace(f">{ours.serial_number}<".encode(), f">{ec_cert.serial_number}<".encode())
    )
    _refused(_with_signatures(signatures), "xades:algorithm", SignatureError)


# -- zip_format, zip_write -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [("", "is empty"), ("a" * 65_536 + ".pdf", "is too long")],
    ids=["empty", "long"],
)
def test_a_document_name_that_is_no_zip_entry_name_is_refused(name: str, why: str) -> None:
    # APPNOTE 4.4.10: the file name length is a 16-bit field.
    with pytest.raises(UsageError, match=f"document name .* {why}$"):
        Document(name=name, content=b"x", mime="application/pdf")


class _CountingSink:
    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def test_the_zip_writer_closes_once() -> None:
    sink = io.BytesIO()
    writer = ZipEntryWriter(sink, modified=NOW)
    writer.add_stored("mimetype", b"application/vnd.etsi.asic-e+zip")
    writer.close()
    written = sink.getvalue()
    writer.close()
    assert sink.getvalue() == written
    assert list(read_zip(written)) == ["mimetype"]


def test_more_entries_than_a_zip_without_zip64_holds_are_refused() -> None:
    # APPNOTE 4.4.21: the end record counts entries in 16 bits.
    sink = _CountingSink()
    writer = ZipEntryWriter(sink, modified=NOW)
    for n in range(0x10000):
        writer.add_stored(f"{n:x}", b"")
    with pytest.raises(UsageError, match="the package is too large for a zip without zip64"):
        writer.close()
