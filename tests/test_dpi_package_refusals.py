"""Refusals of the document package no other test drove: the ASiC-E builder and reader, its
manifest (sdp-manifest.xsd), XAdES signatures.xml, the zip layer and unpacking. Each crafted bad
input is held to the exact error class and rule."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

import pki
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signed_samples import resigned_xades

from peppol_dpi import ns
from peppol_dpi.dpi import xades
from peppol_dpi.dpi.asic import AsicBuilder, Document, read_package
from peppol_dpi.dpi.container import PackageError, ZipEntryWriter, read_zip
from peppol_dpi.dpi.manifest import SdpManifest
from peppol_dpi.dpi.unpack import read_package_to
from peppol_dpi.errors import (
    EbmsError,
    SignatureError,
    UsageError,
)
from peppol_dpi.ids import ParticipantId
from peppol_dpi.limits import Limits

NOW = datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)
SENDER_ORG = ParticipantId.norwegian("991825827")
SIGNER = pki.business_key("sender")
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
    assert "does not end where its end record begins" in caught.value.message


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
    # The inflater runs dry before the end of the stream, half the content out (read from a
    # file, so entries are inflated in chunks).
    content = os.urandom(2000)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    cut = compressor.compress(content[:1000]) + compressor.flush(zlib.Z_SYNC_FLUSH)
    data = _one_entry_zip(b"a.txt", cut, crc=zlib.crc32(content), size=len(content))
    with pytest.raises(PackageError) as caught:
        read_zip(io.BytesIO(data))
    assert caught.value.rule == "asic:corrupt-entry"
    assert "no final block" in caught.value.message


@pytest.mark.parametrize("source", [bytes, io.BytesIO], ids=["in memory", "streamed"])
def test_a_deflate_stream_without_its_final_block_is_refused(
    source: Callable[[bytes], bytes | io.BytesIO],
) -> None:
    # All the content, its size and CRC right, but the stream stops after a sync flush: no
    # block with BFINAL set (RFC 1951 3.2.3). In memory the entry is inflated in one call,
    # from a file in chunks: both refuse it.
    content = os.urandom(2000)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    unended = compressor.compress(content) + compressor.flush(zlib.Z_SYNC_FLUSH)
    data = _one_entry_zip(b"a.txt", unended, crc=zlib.crc32(content), size=len(content))
    with pytest.raises(PackageError) as caught:
        read_zip(source(data))
    assert caught.value.rule == "asic:corrupt-entry"
    assert "no final block" in caught.value.message
    ended = unended + compressor.flush()
    entries = read_zip(source(_one_entry_zip(b"a.txt", ended, crc=zlib.crc32(content), size=2000)))
    assert entries["a.txt"] == content


def test_a_package_larger_than_the_limit_is_refused_before_reading_its_directory() -> None:
    data = _small_zip(os.urandom(1000))  # stored entries' declared sizes stay under the limit
    limits = Limits(max_package_bytes=len(data) - 1)
    with pytest.raises(PackageError) as caught:
        read_zip(data, limits=limits)
    assert caught.value.rule == "asic:too-large"
    assert caught.value.message == f"the package is larger than {len(data) - 1} bytes"


# -- unpack ----------------------------------------------------------------------------------------


def test_an_entry_failing_while_staged_leaves_no_temporary_file(tmp_path: Path) -> None:
    data = bytearray(_package())
    name = b"vedlegg.txt"
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    crc = struct.unpack_from("<I", data, central + 16)[0]
    # The CRC-32 in the central directory and in the entry's data descriptor (APPNOTE 4.3.9),
    # which must agree: only inflating the entry shows that it is wrong.
    descriptor = data.index(b"PK\x07\x08" + struct.pack("<I", crc))
    for at in (central + 16, descriptor + 4):
        struct.pack_into("<I", data, at, crc ^ 1)
    with pytest.raises(PackageError) as caught:
        read_package_to(bytes(data), tmp_path)
    assert caught.value.rule == "asic:corrupt-entry"
    assert "its CRC-32 does not match" in caught.value.message
    assert list(tmp_path.iterdir()) == []


class _NoOffset(tzinfo):
    """A tzinfo that knows no offset: a datetime with it is naive (Python datetime docs)."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None


def _leaf_b64(certificate: x509.Certificate) -> str:
    return base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()


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
    return _with_signatures(resigned_xades(_signatures(), edit, SIGNER))


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
    ec_cert = pki.ec_certificate()
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
