"""The ASiC-E document package: Digdir's samples, what we write, independent verifiers, bad input."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import struct
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pki
import pytest
import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from xml_support import MARKUP_TEXT

from peppol_dpi import ns, xmldsig
from peppol_dpi.dpi import xades
from peppol_dpi.dpi.asic import AsicBuilder, Document, read_package
from peppol_dpi.dpi.container import PackageError, open_zip, read_zip
from peppol_dpi.dpi.manifest import SdpManifest
from peppol_dpi.errors import (
    CertificateError,
    InputError,
    SignatureError,
    UsageError,
    XmlSecurityError,
)
from peppol_dpi.ids import ParticipantId
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.limits import Limits
from peppol_dpi.trust import RevocationMode, TrustPolicy
from peppol_dpi.xmlparse import parse_xml

NOW = datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)
SENDER = ParticipantId.norwegian("991825827")


@pytest.fixture(scope="module")
def samples(shared: Path) -> Path:
    return shared / "dpi" / "digdir-samples"


@pytest.fixture(scope="module")
def signer() -> LocalPrivateKey:
    return pki.business_key("sender")


def _builder(*attachments: Document) -> AsicBuilder:
    builder = (
        AsicBuilder()
        .sender(SENDER, sender_identifier="991825827:avsenderid")
        .mailbox("ola.nordmann#9YDT")
        .main_document(Document(name="vedtak.pdf", content=b"%PDF-1.4 vedtak", title="Vedtak"))
    )
    for attachment in attachments:
        builder = builder.add_attachment(attachment)
    return builder


@pytest.fixture(scope="module")
def package(signer: LocalPrivateKey) -> bytes:
    return _builder(
        Document(name="vedlegg.txt", content=b"Vedlegg\n"),
        Document(name="Bilde av kvittering.png", content=os.urandom(70_000)),
    ).build(signer, signing_time=NOW)


def _rezip(
    entries: list[tuple[str, bytes]],
    *,
    stored: frozenset[str] = frozenset({"mimetype"}),
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """Our entries zipped again by Python's zipfile, with what a test wants changed."""
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 3, 1, 12, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            info.extra = (extra or {}).get(name, b"")
            archive.writestr(info, content)
    return sink.getvalue()


def _entries(package: bytes) -> list[tuple[str, bytes]]:
    return list(read_zip(package).items())


def _replace_entry(package: bytes, name: str, content: bytes) -> bytes:
    return _rezip([(n, content if n == name else c) for n, c in _entries(package)])


# -- Digdir's samples ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["digital", "utskrift"])
def test_every_sample_verifies_and_chains_to_its_root_when_it_was_signed(
    samples: Path, name: str
) -> None:
    data = (samples / f"{name}-dokumentpakke.zip").read_bytes()
    unchecked = read_package(data)
    root = unchecked.chain[-1]
    trust = TrustPolicy(anchors=(root,), revocation=RevocationMode.OFF)
    verified = read_package(data, trust=trust, at=unchecked.signing_time)
    assert verified.validated is not None and verified.validated.anchor == root
    assert verified.sender == SENDER
    assert verified.signer.not_valid_before_utc < verified.signing_time
    main = verified.main
    assert main.name == {"digital": "Test.txt", "utskrift": "my.pdf"}[name]
    assert main.mime == {"digital": "text/plain", "utskrift": "application/pdf"}[name]
    assert verified.mailbox == {"digital": "0000487204", "utskrift": None}[name]
    assert main.size == len(read_zip(data)[main.name])
    with pytest.raises(CertificateError) as caught:  # the signer's certificate has expired by now
        read_package(data, trust=trust)
    assert caught.value.rule == "cert:expired"


def test_sample_manifests_round_trip_byte_for_byte(samples: Path) -> None:
    for path in samples.glob("*-dokumentpakke.zip"):
        manifest = read_zip(path.read_bytes())["manifest.xml"]
        assert SdpManifest.parse(manifest).to_xml() == manifest


def test_we_write_the_digital_sample_s_manifests_byte_for_byte(
    samples: Path, signer: LocalPrivateKey
) -> None:
    built = (
        AsicBuilder()
        .sender(SENDER)
        .mailbox("0000487204")
        .main_document(Document(name="Test.txt", content=b"Test", title="Test.txt"))
        .build(signer, signing_time=NOW)
    )
    ours, theirs = read_zip(built), read_zip((samples / "digital-dokumentpakke.zip").read_bytes())
    assert list(ours) == list(theirs)  # entry order as integrasjonspunkt writes it
    for name in ("mimetype", "manifest.xml", "Test.txt", "META-INF/manifest.xml"):
        assert ours[name] == theirs[name], name


# -- what we write ---------------------------------------------------------------------------------


def test_round_trip_reports_what_was_verified(package: bytes) -> None:
    verified = read_package(package, trust=pki.business_trust(), at=NOW)
    assert verified.validated is not None
    assert verified.signer == pki.business_key("sender").certificate
    assert verified.signing_time == NOW.replace(microsecond=250_000)
    assert verified.sender == SENDER and verified.mailbox == "ola.nordmann#9YDT"
    assert verified.manifest.sender.sender_identifier == "991825827:avsenderid"
    assert [(d.name, d.mime, d.title) for d in (verified.main, *verified.attachments)] == [
        ("vedtak.pdf", "application/pdf", "Vedtak"),
        ("vedlegg.txt", "text/plain", None),
        ("Bilde av kvittering.png", "image/png", None),
    ]
    assert verified.attachments[0].size == 8
    assert verified.attachments[0].sha256 == hashlib.sha256(b"Vedlegg\n").hexdigest()


def test_zip_layout(package: bytes) -> None:
    # mimetype first, stored, sizes in the local header, no extra field (ETSI TS 102 918 A.1)
    signature, _, flags, method = struct.unpack("<IHHH", package[:10])
    name_length, extra_length = struct.unpack("<HH", package[26:30])
    assert (signature, method, flags & 0x08, extra_length) == (0x04034B50, 0, 0, 0)
    assert package[30 : 30 + name_length + 31] == b"mimetypeapplication/vnd.etsi.asic-e+zip"
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        infos = archive.infolist()
        assert archive.comment == b"mimetype=application/vnd.etsi.asic-e+zip"
    assert [i.filename for i in infos] == [
        "mimetype",
        "manifest.xml",
        "vedtak.pdf",
        "vedlegg.txt",
        "Bilde av kvittering.png",
        "META-INF/signatures.xml",
        "META-INF/manifest.xml",
    ]
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos[1:])
    assert all(i.flag_bits & 0x08 for i in infos[1:])  # data descriptors: written as a stream
    assert infos[0].date_time == (2026, 3, 1, 12, 0, 0)


def test_signature_layout(package: bytes) -> None:
    root = parse_xml(read_zip(package)["META-INF/signatures.xml"])
    ds, xa = f"{{{ns.DS}}}", f"{{{ns.XADES}}}"
    assert root.tag == "{http://uri.etsi.org/02918/v1.2.1#}XAdESSignatures"
    signature = root[0]
    assert signature.prefix is None and signature.get("Id") == "Signature"
    signed_info = signature.find(f"{ds}SignedInfo")
    assert signed_info is not None
    assert signed_info[0].get("Algorithm") == "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    references = signed_info.findall(f"{ds}Reference")
    assert [(r.get("Id"), r.get("URI")) for r in references] == [
        ("ID_0", "manifest.xml"),
        ("ID_1", "vedtak.pdf"),
        ("ID_2", "vedlegg.txt"),
        ("ID_3", "Bilde+av+kvittering.png"),  # java.net.URLEncoder, as commons-asic
        (None, "#SignedProperties"),
    ]
    assert all(r.find(f"{ds}Transforms") is None for r in references[:-1])
    assert references[-1].get("Type") == "http://uri.etsi.org/01903#SignedProperties"
    assert len(xmldsig.certificates_in(signature)) == 3  # leaf, business CA, root
    properties = signature.find(f"{ds}Object/{xa}QualifyingProperties/{xa}SignedProperties")
    assert properties is not None
    cert = properties.find(f".//{xa}SigningCertificate/{xa}Cert")
    assert cert is not None and cert.find(f"{xa}CertDigest/{ds}DigestMethod") is not None
    formats = properties.findall(f".//{xa}DataObjectFormat")
    assert [(f.get("ObjectReference"), f.findtext(f"{xa}MimeType")) for f in formats][:2] == [
        ("#ID_0", "application/xml"),
        ("#ID_1", "application/pdf"),
    ]


def test_signature_text_is_escaped(signer: LocalPrivateKey) -> None:
    # signatures.xml is written as text: a signer whose issuer name holds XML's special
    # characters, and a file name that needs URL encoding, still give a well-formed document
    # that verifies and says what the certificate says.
    make = pki.factory()
    name = make.make_name('Bergen & <"Co"> AS')
    issued = make.issue(subject=name, serial=4711, key=pki.spare_key())  # self-signed
    key, cert = issued.key, issued.cert
    files = [
        xades.SignedFile(name="manifest.xml", mime="application/xml", content=b"<m/>"),
        xades.SignedFile(name="brev & <vedlegg>.pdf", mime="application/pdf", content=b"%PDF"),
    ]
    signed = xades.sign_files(files, LocalPrivateKey(key=key, certificate=cert), signing_time=NOW)
    verified = xades.verify_signatures(signed, {f.name: f.content for f in files})
    assert verified.signer == cert
    assert verified.files == {"manifest.xml": "application/xml", files[1].name: "application/pdf"}
    issuer = parse_xml(signed).find(f".//{{{ns.DS}}}X509IssuerName")
    assert issuer is not None and issuer.text == cert.issuer.rfc4514_string()


_SPARE = pki.spare_key()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mime=MARKUP_TEXT, name=MARKUP_TEXT.filter(str.strip), issuer=MARKUP_TEXT.filter(str.strip))
def test_what_signatures_xml_signs_is_the_canonical_form_of_what_it_holds(
    mime: str, name: str, issuer: str
) -> None:
    # signatures.xml is not parsed when it is written: SignedProperties and SignedInfo are
    # digested and signed as written. For any MIME type, issuer name and file name, libxml2's
    # inclusive C14N of the parsed document must give the same octets, or it does not verify.
    make = pki.factory()
    issued = make.issue(subject=make.make_name(issuer), serial=7, key=_SPARE)
    key = LocalPrivateKey(key=issued.key, certificate=issued.cert)
    files = [
        xades.SignedFile(name="manifest.xml", mime="application/xml", content=b"<m/>"),
        xades.SignedFile(name=f"x{name}", mime=f"a{mime}", content=b"%PDF"),
    ]
    signed = xades.sign_files(files, key, signing_time=NOW, chain=())
    verified = xades.verify_signatures(signed, {f.name: f.content for f in files})
    assert verified.signer == issued.cert
    # (the reader trims XML white space, XML 1.0 2.3 S, and keeps U+00A0 and the like)
    assert verified.files[files[1].name] == files[1].mime.strip(" \t\r\n")


def test_certificate_digests_and_key_info_are_kept_per_der_and_bounded() -> None:
    # SigningCertificate's digest is computed once per certificate: an equal certificate
    # loaded again (same DER, another object) finds it; another certificate gets its own.
    sender, other = pki.business_key("sender").certificate, pki.business_key("eboks").certificate
    sha1 = xmldsig.DigestMethod.SHA1.value
    again = x509.load_der_x509_certificate(sender.public_bytes(Encoding.DER))
    first = xades._certificate_digest(sender, sha1)
    hits = xades._certificate_digest.cache_info().hits
    assert xades._certificate_digest(again, sha1) == first
    assert xades._certificate_digest.cache_info().hits == hits + 1
    assert first == hashlib.sha1(sender.public_bytes(Encoding.DER)).digest()
    assert xades._certificate_digest(other, sha1) != first
    assert xades._certificate_digest.cache_info().maxsize == 64
    # KeyInfo, likewise per chain: the same text for an equal chain, its own for another.
    key_info = xades._key_info_xml((sender, other))
    assert xades._key_info_xml((again, other)) is key_info
    assert xades._key_info_xml((sender,)) != key_info
    assert xades._key_info_xml.cache_info().maxsize == 16


def test_java_url_encoding() -> None:
    assert xades.java_url_encode("Vedtak om støtte (1).pdf") == "Vedtak+om+st%C3%B8tte+%281%29.pdf"
    assert xades.java_url_encode("a-b_c.d*e~f") == "a-b_c.d*e%7Ef"


def _libxmlsec_verifies(
    entries: dict[str, bytes], directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libxmlsec1 (python-xmlsec) verifies signatures.xml, reading the files from disk."""
    directory.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(directory)  # libxmlsec1 opens file references relative to the cwd
    for name, content in entries.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    root = etree.fromstring(entries["META-INF/signatures.xml"])
    xmlsec.tree.add_ids(root, ["Id"])
    context = xmlsec.SignatureContext()
    leaf = xmldsig.certificates_in(root[0])[0]
    context.key = xmlsec.Key.from_memory(
        leaf.public_bytes(Encoding.PEM), xmlsec.constants.KeyDataFormatCertPem
    )
    context.verify(root[0])


def test_libxmlsec1_verifies_our_signature_and_the_samples(
    signer: LocalPrivateKey, samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # signxml's XAdESVerifier cannot be the oracle here: it canonicalizes SignedInfo with lxml's
    # subtree C14N (dpi.md 9.4) and so rejects Digdir's own samples as well.
    built = _builder(Document(name="vedlegg.txt", content=b"hei")).build(signer, signing_time=NOW)
    entries = dict(read_zip(built))
    _libxmlsec_verifies(entries, tmp_path / "ours", monkeypatch)
    for path in samples.glob("*-dokumentpakke.zip"):
        _libxmlsec_verifies(dict(read_zip(path.read_bytes())), tmp_path / path.stem, monkeypatch)
    entries["vedlegg.txt"] = b"hallo"
    with pytest.raises(xmlsec.Error):
        _libxmlsec_verifies(entries, tmp_path / "tampered", monkeypatch)


@pytest.fixture(scope="module")
def manifest_schema(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    # sdp-felles.xsd imports w3/xmldsig-core-schema.xsd relative to itself: lay the official
    # files out that way in a temporary folder (never copied into the project).
    folder = tmp_path_factory.mktemp("xsd")
    for name in ("sdp-manifest.xsd", "sdp-felles.xsd"):
        shutil.copy(shared / "xsd" / "dpi" / name, folder / name)
    shutil.copytree(shared / "xsd" / "w3", folder / "w3")
    return etree.XMLSchema(etree.parse(str(folder / "sdp-manifest.xsd")))


def test_our_manifest_validates_against_the_official_xsd(
    package: bytes, manifest_schema: etree.XMLSchema, signer: LocalPrivateKey
) -> None:
    manifest = read_zip(package)["manifest.xml"]
    assert manifest_schema.validate(etree.fromstring(manifest)), manifest_schema.error_log
    printed = (
        AsicBuilder()
        .sender(SENDER, invoice_reference="faktura-1")
        .main_document(Document(name="brev.pdf", content=b"%PDF", title="Brev", title_lang="NO"))
        .build(signer, signing_time=NOW)
    )
    assert manifest_schema.validate(etree.fromstring(read_zip(printed)["manifest.xml"]))
    broken = manifest.replace(b"<avsender>", b"<avsender><x/>")
    assert not manifest_schema.validate(etree.fromstring(broken))


@pytest.fixture(scope="module")
def asic_schema(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    # ETSI TS 102 918 (ASiC) v1.2.1, in the namespace with the leading zero that DPI and the
    # samples use (ts_102918v010201_2.xsd); it imports ../w3/xmldsig-core-schema.xsd.
    folder = tmp_path_factory.mktemp("asic-xsd")
    shutil.copytree(shared / "xsd" / "asic", folder / "asic")
    shutil.copytree(shared / "xsd" / "w3", folder / "w3")
    parser = etree.XMLParser(load_dtd=True, no_network=True)
    return etree.XMLSchema(etree.parse(str(folder / "asic" / "ts_102918v010201_2.xsd"), parser))


def test_signatures_xml_validates_against_the_asic_xsd(
    package: bytes, asic_schema: etree.XMLSchema, samples: Path
) -> None:
    ours = etree.fromstring(read_zip(package)["META-INF/signatures.xml"])
    assert ours.tag == f"{{{ns.ASIC}}}XAdESSignatures"
    assert asic_schema.validate(ours), asic_schema.error_log
    for path in samples.glob("*-dokumentpakke.zip"):
        theirs = etree.fromstring(dict(read_zip(path.read_bytes()))["META-INF/signatures.xml"])
        assert asic_schema.validate(theirs), (path.name, asic_schema.error_log)
    # XAdESSignaturesType holds ds:Signature elements and nothing else.
    ours.append(etree.Element(f"{{{ns.ASIC}}}Other"))
    assert not asic_schema.validate(ours)


@pytest.mark.parametrize(
    "value",
    ["2026-11-26 12:00:00Z", "20261126T120000Z", "2026-11-26T12:00Z", "2026-W48-4T12:00:00Z"],
)
def test_signing_time_is_an_xs_date_time(value: str) -> None:
    # What datetime.fromisoformat would take but XAdES' xsd:dateTime is not (XAdES 7.2.1).
    props = etree.fromstring(
        f'<xades:SignedProperties xmlns:xades="{ns.XADES}"><xades:SignedSignatureProperties>'
        f"<xades:SigningTime>{value}</xades:SigningTime>"
        "</xades:SignedSignatureProperties></xades:SignedProperties>"
    )
    with pytest.raises(SignatureError) as refused:
        xades._signing_time(props)
    assert refused.value.rule == "xades:signing-time"


# -- the builder ---------------------------------------------------------------------------------


def test_builder_is_immutable_and_refuses_setting_twice() -> None:
    empty = AsicBuilder()
    with_sender = empty.sender(SENDER)
    assert empty != with_sender and empty == AsicBuilder()
    with pytest.raises(UsageError):
        with_sender.sender(SENDER)
    with pytest.raises(UsageError):
        empty.mailbox("a").mailbox("b")
    document = Document(name="brev.pdf", content=b"x")
    with pytest.raises(UsageError):
        empty.main_document(document).main_document(document)
    with pytest.raises(UsageError):
        empty.certificate_chain(()).certificate_chain(())


def test_at_most_200_attachments() -> None:
    builder = AsicBuilder()
    for n in range(200):
        builder = builder.add_attachment(Document(name=f"v{n:03}.txt", content=b""))
    with pytest.raises(UsageError):
        builder.add_attachment(Document(name="v200.txt", content=b""))


@pytest.mark.parametrize(
    "change",
    [
        lambda b: replace(b, _sender=None),  # no sender
        lambda b: replace(b, _main=None),  # no main document
        lambda b: b.add_attachment(Document(name="VEDTAK.PDF", content=b"x")),  # duplicate name
        lambda b: b.add_attachment(Document(name="run.exe", content=b"x", mime="x-exe/x")),
    ],
)
def test_build_validates(
    change: Callable[[AsicBuilder], AsicBuilder], signer: LocalPrivateKey
) -> None:
    with pytest.raises(UsageError):
        change(_builder()).build(signer, signing_time=NOW)


@pytest.mark.parametrize(
    "name", ["../vedtak.pdf", "/etc/passwd", "a\\b.pdf", "dir/file.pdf", "manifest.xml", "a.x"]
)
def test_unsafe_or_reserved_document_names(name: str) -> None:
    with pytest.raises(UsageError):
        Document(name=name, content=b"x", mime="application/pdf")


def test_unknown_extension_needs_a_mime_type() -> None:
    with pytest.raises(UsageError):
        Document(name="program.exe", content=b"x")
    assert Document(name="BREV.PDF", content=b"x").mime == "application/pdf"


def test_size_limit_and_naive_time(signer: LocalPrivateKey) -> None:
    with pytest.raises(UsageError):
        _builder().build(signer, signing_time=NOW, limits=Limits(max_dpi_package_bytes=10))
    with pytest.raises(UsageError):
        _builder().build(signer, signing_time=datetime(2026, 1, 1))


# -- the reader: bad input -------------------------------------------------------------------------


def _refused(data: bytes, rule: str, error: type[Exception] = PackageError, **kwargs: object):  # type: ignore[no-untyped-def]
    # The same refusal whether the zip is in memory or read from a file (open_package_from).
    with pytest.raises(error) as from_file:
        read_package(io.BytesIO(data), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(error) as caught:
        read_package(data, **kwargs)  # type: ignore[arg-type]
    assert caught.value.rule == rule, str(caught.value)  # type: ignore[attr-defined]
    assert from_file.value.rule == rule, str(from_file.value)  # type: ignore[attr-defined]
    return caught.value


def test_tampered_document_and_manifest(package: bytes) -> None:
    _refused(
        _replace_entry(package, "vedlegg.txt", b"Vedlegg!\n"),
        "dsig:digest-mismatch",
        SignatureError,
    )
    manifest = read_zip(package)["manifest.xml"]
    _refused(
        _replace_entry(package, "manifest.xml", manifest.replace(b"9YDT", b"9YDX")),
        "dsig:digest-mismatch",
        SignatureError,
    )


def test_missing_and_extra_entries(package: bytes) -> None:
    entries = _entries(package)
    _refused(_rezip([e for e in entries if e[0] != "vedlegg.txt"]), "asic:missing-entry")
    _refused(_rezip([e for e in entries if e[0] != "manifest.xml"]), "asic:missing-entry")
    _refused(
        _rezip([e for e in entries if e[0] != "META-INF/signatures.xml"]), "asic:missing-entry"
    )
    _refused(_rezip([*entries, ("extra.txt", b"x")]), "asic:extra-entry")
    _refused(_rezip([*entries, ("META-INF/signatures2.xml", b"<x/>")]), "asic:extra-entry")
    # Without META-INF/manifest.xml (the old SDP client and NAV omit it): still valid.
    assert read_package(_rezip([e for e in entries if e[0] != "META-INF/manifest.xml"]))


def test_duplicate_entries(package: bytes) -> None:
    entries = _entries(package)
    with pytest.warns(UserWarning):
        twice = _rezip([*entries, ("vedlegg.txt", b"other")])
    _refused(twice, "asic:duplicate-entry")
    _refused(_rezip([*entries, ("VEDLEGG.TXT", b"other")]), "asic:duplicate-entry")


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil", "a\\..\\evil", "C:evil", "a//b"])
def test_unsafe_entry_names(package: bytes, name: str) -> None:
    _refused(_rezip([*_entries(package), (name, b"x")]), "asic:unsafe-name")


def test_mimetype_rules(package: bytes) -> None:
    entries = _entries(package)
    _refused(_rezip(entries[1:] + entries[:1]), "asic:mimetype-first")
    _refused(_rezip(entries, stored=frozenset()), "asic:mimetype-compressed")
    _refused(_rezip(entries, extra={"mimetype": b"\xfe\xca\x00\x00"}), "asic:mimetype-extra-field")
    _refused(_replace_entry(package, "mimetype", b"application/zip"), "asic:mimetype")


def test_zip_bombs(signer: LocalPrivateKey) -> None:
    lines = b"".join(b"linje %d\n" % n for n in range(200_000))  # 2 MB, compresses ~4:1
    package = _builder(Document(name="linjer.txt", content=lines)).build(signer, signing_time=NOW)
    assert read_package(package).attachments[0].size == len(lines)
    _refused(package, "asic:compression-ratio", limits=Limits(max_compression_ratio=2))
    _refused(package, "asic:too-large", limits=Limits(max_package_bytes=1_000_000))
    _refused(package, "asic:too-many-entries", limits=Limits(max_zip_entries=4))


def test_declared_size_smaller_than_actual(package: bytes) -> None:
    data = bytearray(_rezip(_entries(package)))
    first = data.index(b"PK\x01\x02")  # central directory: mimetype
    second = data.index(b"PK\x01\x02", first + 4)  # manifest.xml, deflated
    struct.pack_into("<I", data, second + 24, 5)  # its uncompressed size says 5 bytes
    _refused(bytes(data), "asic:corrupt-entry")


def _central_record(data: bytes | bytearray, index: int) -> int:
    """Where the central directory record of entry ``index`` (0: mimetype) starts."""
    offset = -1
    for _ in range(index + 1):
        offset = data.index(b"PK\x01\x02", offset + 1)
    return offset


def test_entries_that_do_not_match_their_directory_records(package: bytes) -> None:
    # Entries are inflated by the package itself (zipfile only reads the directory): every
    # check zipfile made on an entry's content is made here too, from bytes and from a file.
    zipped = _rezip(_entries(package))
    manifest = _central_record(zipped, 1)  # manifest.xml, deflated
    local = struct.unpack_from("<I", zipped, manifest + 42)[0]
    data_start = local + 30 + len("manifest.xml")

    def changed(offset: int, value: bytes) -> bytes:
        return zipped[:offset] + value + zipped[offset + len(value) :]

    def crc_plus_one(offset: int) -> bytes:
        return struct.pack("<I", (struct.unpack_from("<I", zipped, offset)[0] + 1) % 2**32)

    cases = {
        "CRC-32": changed(manifest + 16, crc_plus_one(manifest + 16)),
        "local header names another file": changed(local + 30, b"n"),
        "does not inflate": changed(data_start, b"\xff" * 8),
        # (the local header too: else it differs from the central directory)
        "stored entry's sizes differ": changed(_central_record(zipped, 0) + 20, b"\x1e")[:18]
        + b"\x1e"
        + changed(_central_record(zipped, 0) + 20, b"\x1e")[19:],
    }
    for why, damaged in cases.items():
        error = _refused(damaged, "asic:corrupt-entry")
        assert why in str(error)


def test_entries_inflate_alike_in_any_chunk_size_from_bytes_or_a_file(
    signer: LocalPrivateKey,
) -> None:
    lines = b"".join(b"linje %d\n" % n for n in range(150_000))  # 1.4 MB, compresses well
    package = _builder(
        Document(name="linjer.txt", content=lines),
        Document(name="bilde.png", content=os.urandom(300_000)),
    ).build(signer, signing_time=NOW)
    with zipfile.ZipFile(io.BytesIO(package)) as theirs:  # an independent reader
        expected = {name: theirs.read(name) for name in theirs.namelist()}
    for source in (package, io.BytesIO(package)):
        with open_zip(source) as archive:
            assert [i.filename for i in archive.infos] == list(expected)
            for info in archive.infos:
                assert archive.read(info) == expected[info.filename]
                for chunk in (7, 65_537, 1 << 20):
                    if chunk < 100 and info.file_size > 100_000:
                        continue
                    pieces = list(archive.chunks(info, chunk=chunk))
                    assert max(map(len, pieces), default=0) <= chunk
                    assert b"".join(pieces) == expected[info.filename]


def test_overlapping_entries(package: bytes) -> None:
    data = bytearray(_rezip(_entries(package)))
    first = data.index(b"PK\x01\x02")
    second = data.index(b"PK\x01\x02", first + 4)
    third = data.index(b"PK\x01\x02", second + 4)
    # The third entry's local header offset is made to point at the second entry.
    struct.pack_into("<I", data, third + 42, struct.unpack_from("<I", data, second + 42)[0])
    _refused(bytes(data), "asic:overlapping-entries")


def test_not_a_zip() -> None:
    _refused(b"PK\x03\x04 this is no zip", "asic:not-a-zip")
    _refused(b"", "asic:not-a-zip")


def test_signer_certificate_swapped(package: bytes) -> None:
    signatures = read_zip(package)["META-INF/signatures.xml"]
    ours = pki.business_key("sender").certificate.public_bytes(Encoding.DER)
    other = pki.business_key("eboks").certificate.public_bytes(Encoding.DER)
    swapped = signatures.replace(base64.b64encode(ours), base64.b64encode(other))
    _refused(
        _replace_entry(package, "META-INF/signatures.xml", swapped),
        "xades:signing-certificate",
        SignatureError,
    )


def test_a_file_the_signature_does_not_cover(package: bytes, signer: LocalPrivateKey) -> None:
    entries = dict(read_zip(package))
    partial = xades.sign_files(
        [
            xades.SignedFile(name=n, mime="x/y", content=entries[n])
            for n in ("manifest.xml", "vedtak.pdf", "vedlegg.txt")
        ],
        signer,
        signing_time=NOW,
    )
    _refused(_replace_entry(package, "META-INF/signatures.xml", partial), "asic:unsigned-entry")


def test_mime_type_mismatch(package: bytes, signer: LocalPrivateKey) -> None:
    entries = dict(read_zip(package))
    names = ["manifest.xml", "vedtak.pdf", "vedlegg.txt", "Bilde av kvittering.png"]
    relabelled = xades.sign_files(
        [xades.SignedFile(name=n, mime="text/html", content=entries[n]) for n in names],
        signer,
        signing_time=NOW,
    )
    _refused(_replace_entry(package, "META-INF/signatures.xml", relabelled), "asic:mime-mismatch")


def test_untrusted_expired_and_not_yet_valid(package: bytes) -> None:
    _refused(package, "cert:untrusted", CertificateError, trust=pki.peppol_trust(), at=NOW)
    _refused(
        package,
        "cert:not-yet-valid",
        CertificateError,
        trust=pki.business_trust(),
        at=datetime(2023, 1, 1, tzinfo=UTC),
    )
    expired = pki.expired_key()
    signed = _builder().build(expired, signing_time=expired.certificate.not_valid_before_utc)
    _refused(signed, "cert:expired", CertificateError, trust=pki.peppol_trust(), at=NOW)
    assert read_package(signed).validated is None  # cryptography alone is fine


def test_manifest_that_is_not_sdp(package: bytes, signer: LocalPrivateKey) -> None:
    bad = b'<?xml version="1.0"?><manifest xmlns="urn:other"/>'
    entries = dict(read_zip(package))
    entries["manifest.xml"] = bad
    _refused(_rezip(list(entries.items())), "asic:manifest")
    doctype = b'<!DOCTYPE x [<!ENTITY a "b">]><manifest/>'
    entries["manifest.xml"] = doctype
    _refused(_rezip(list(entries.items())), "xml:dtd-forbidden", XmlSecurityError)


@pytest.mark.parametrize(
    "child_namespace",
    ["urn:other", f"{ns.SDP}x", ""],
    ids=["other", "sdp-namespace-prefix", "no-namespace"],
)
def test_manifest_elements_outside_the_sdp_namespace(package: bytes, child_namespace: str) -> None:
    manifest = read_zip(package)["manifest.xml"]
    assert SdpManifest.parse(manifest).sender.organisation == SENDER
    foreign = manifest.replace(b"<avsender>", f'<avsender xmlns="{child_namespace}">'.encode())
    with pytest.raises(PackageError) as caught:
        SdpManifest.parse(foreign)
    assert caught.value.rule == "asic:manifest"


def test_signing_time_is_recent(package: bytes) -> None:
    verified = read_package(package)
    assert abs(verified.signing_time - NOW) < timedelta(seconds=1)


def test_a_declared_size_beyond_the_limit_is_refused_before_inflating(package: bytes) -> None:
    data = bytearray(_rezip(_entries(package)))
    first = data.index(b"PK\x01\x02")
    second = data.index(b"PK\x01\x02", first + 4)
    struct.pack_into("<I", data, second + 24, 0xFFFFFFF0)  # claims almost 4 GiB
    _refused(bytes(data), "asic:too-large")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_zips_only_ever_raise_input_errors(data: st.DataObject) -> None:
    package = bytearray(_FUZZ_PACKAGE)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(package) - 1))
        package[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(package)))
    try:
        read_package(bytes(package[:cut]))
    except InputError:
        return


_FUZZ_PACKAGE = (
    AsicBuilder()
    .sender(SENDER)
    .main_document(Document(name="brev.txt", content=b"Hei"))
    .build(pki.business_key("sender"), signing_time=NOW)
)


def test_read_zip_gives_what_zipfile_reads(package: bytes) -> None:
    # The "mimetype" entry is read once, by open_zip's check, and not again.
    entries = read_zip(package)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        expected = {info.filename: archive.read(info) for info in archive.infolist()}
    assert list(entries.items()) == list(expected.items())
    assert entries["mimetype"] == b"application/vnd.etsi.asic-e+zip"


@pytest.mark.parametrize(
    ("authority", "accepted"),
    [(None, True), ("iso6523-actorid-upis", True), ("iso6523", False), ("", False)],
)
def test_manifest_organisation_authority(authority: str | None, accepted: bool) -> None:
    attribute = "" if authority is None else f' authority="{authority}"'
    manifest = (
        '<manifest xmlns="http://begrep.difi.no/sdp/schema_v10"><avsender>'
        f"<organisasjon{attribute}>0192:991825827</organisasjon></avsender>"
        '<hoveddokument href="brev.pdf" mime="application/pdf"/></manifest>'
    ).encode()
    if accepted:
        assert SdpManifest.parse(manifest).sender.organisation.value == "0192:991825827"
    else:
        with pytest.raises(PackageError) as caught:
            SdpManifest.parse(manifest)
        assert caught.value.rule == "asic:manifest"
