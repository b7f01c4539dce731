"""open_package_to / read_package_to (issue 8): documents streamed into a directory, verified first."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pki
import pytest

from peppol_dpi.dpi import cms, xades
from peppol_dpi.dpi.asic import AsicBuilder, Document, read_package
from peppol_dpi.dpi.container import read_zip
from peppol_dpi.dpi.package import open_package, open_package_to, seal
from peppol_dpi.dpi.unpack import read_package_to
from peppol_dpi.errors import CertificateError, DecryptionError, InputError, UsageError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.keystore import load_jks
from peppol_dpi.trust import RevocationMode, TrustPolicy
from peppol_dpi.xmldsig import DigestMethod

RECIPIENT = pki.business_key("digipost")
SENDER_KEY = pki.business_key("sender")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _builder(*names: str) -> AsicBuilder:
    builder = (
        AsicBuilder()
        .sender(ParticipantId.norwegian("991825827"))
        .mailbox("ola.nordmann#9YDT")
        .main_document(
            Document(name=names[0], content=b"%PDF-1.4 " + bytes(range(256)) * 300, title="Vedtak")
        )
    )
    for name in names[1:]:
        builder = builder.add_attachment(
            Document(name=name, content=b"%PDF-1.4 " + b"v" * 9_000, mime="application/pdf")
        )
    return builder


@cache
def _asic() -> bytes:
    return _builder("vedtak.pdf", "vedlegg.pdf").build(SENDER_KEY, signing_time=NOW)


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


def test_same_facts_and_bytes_as_open_package(tmp_path: Path) -> None:
    sealed = seal(
        _builder("vedtak.pdf", "vedlegg.pdf"),
        SENDER_KEY,
        recipient=RECIPIENT.certificate,
        signing_time=NOW,
    )
    expected = open_package(sealed, RECIPIENT, trust=pki.business_trust(), at=NOW)
    out = tmp_path / "out"
    out.mkdir()
    got = open_package_to(
        io.BytesIO(sealed), RECIPIENT, out, trust=pki.business_trust(), at=NOW, spool_dir=tmp_path
    )
    assert got.manifest == expected.manifest and got.validated == expected.validated
    assert (got.signer, got.chain, got.signing_time) == (
        expected.signer,
        expected.chain,
        expected.signing_time,
    )
    assert got.sender == expected.sender and got.mailbox == expected.mailbox
    pairs = list(
        zip((got.main, *got.attachments), (expected.main, *expected.attachments), strict=True)
    )
    assert len(pairs) == 2
    for document, held in pairs:
        assert (document.name, document.mime, document.title) == (held.name, held.mime, held.title)
        assert (document.size, document.sha256) == (held.size, held.sha256)
        assert document.path == out / held.name
    assert _files(out) == {d.name: d.content for d in (expected.main, *expected.attachments)}


def test_the_cms_spools_in_the_destination_by_default(tmp_path: Path) -> None:
    sealed = seal(
        _builder("brev.pdf"), SENDER_KEY, recipient=RECIPIENT.certificate, signing_time=NOW
    )
    (tmp_path / "package.cms").write_bytes(sealed)
    out = tmp_path / "out"
    out.mkdir()
    got = open_package_to(tmp_path / "package.cms", RECIPIENT, out)
    assert got.attachments == () and sorted(_files(out)) == ["brev.pdf"]


def _tampered(asic: bytes, name: str) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for entry, content in read_zip(asic).items():
            archive.writestr(entry, content + b"\n" if entry == name else content)
    return sink.getvalue()


@pytest.mark.parametrize("name", ["vedtak.pdf", "vedlegg.pdf", "manifest.xml"])
def test_a_tampered_file_leaves_nothing_behind(tmp_path: Path, name: str) -> None:
    tampered = _tampered(_asic(), name)
    (tmp_path / "kept.txt").write_bytes(b"already here")
    with pytest.raises(InputError) as raised:
        read_package_to(tampered, tmp_path)
    assert raised.value.rule == "dsig:digest-mismatch"
    assert _files(tmp_path) == {"kept.txt": b"already here"}
    sealed = cms.encrypt(tampered, RECIPIENT.certificate)
    with pytest.raises(DecryptionError):  # one answer for every failure: no padding oracle
        open_package_to(io.BytesIO(sealed), RECIPIENT, tmp_path)
    assert _files(tmp_path) == {"kept.txt": b"already here"}


def test_an_untrusted_signer_leaves_nothing_behind(tmp_path: Path) -> None:
    trust = TrustPolicy(anchors=(pki.wrong_ca_key().chain[-1],), revocation=RevocationMode.OFF)
    with pytest.raises(CertificateError):
        read_package_to(_asic(), tmp_path, trust=trust, at=NOW)
    assert _files(tmp_path) == {}


@pytest.mark.parametrize("name", [".skjult.pdf", "vedtak:1.pdf", "vedtak.pdf."])
def test_names_unsafe_on_disk_are_refused(tmp_path: Path, name: str) -> None:
    asic = _builder("vedtak.pdf", name).build(SENDER_KEY, signing_time=NOW)
    assert read_package(asic).attachments[0].name == name  # fine as a package name
    with pytest.raises(InputError) as raised:
        read_package_to(asic, tmp_path)
    assert raised.value.rule == "asic:unsafe-name" and _files(tmp_path) == {}


def test_a_path_in_the_zip_is_refused(tmp_path: Path) -> None:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for entry, content in read_zip(_asic()).items():
            archive.writestr("../vedlegg.pdf" if entry == "vedlegg.pdf" else entry, content)
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError) as raised:
        read_package_to(sink.getvalue(), tmp_path / "out")
    assert raised.value.rule == "asic:unsafe-name"
    assert _files(tmp_path / "out") == {}
    assert not (tmp_path / "vedlegg.pdf").exists()


def test_the_destination_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        read_package_to(_asic(), tmp_path / "missing")
    with pytest.raises(UsageError):  # before anything is decrypted or spooled
        open_package_to(io.BytesIO(b"not even CMS"), RECIPIENT, tmp_path / "missing")


@pytest.mark.parametrize("name", ["digital", "utskrift"])
def test_digdir_samples_unpack_to_their_zip_entries(
    shared: Path, tmp_path: Path, name: str
) -> None:
    samples = shared / "dpi" / "digdir-samples"
    key = load_jks((samples / "eksempel.jks").read_bytes(), b"changeit", alias="eksempel")
    held = open_package((samples / f"{name}-dokumentpakke.cms").read_bytes(), key)
    anchors = (held.chain[-1],) if held.chain else (held.signer,)
    trust = TrustPolicy(
        anchors=anchors, intermediates=held.chain[:-1], revocation=RevocationMode.OFF
    )
    got = open_package_to(
        samples / f"{name}-dokumentpakke.cms", key, tmp_path, trust=trust, at=held.signing_time
    )
    assert got.validated is not None and got.signing_time == held.signing_time
    entries = read_zip((samples / f"{name}-dokumentpakke.zip").read_bytes())
    written = _files(tmp_path)
    assert written and written == {n: entries[n] for n in written}
    assert sorted(written) == sorted(d.name for d in (got.main, *got.attachments))


def test_a_directory_in_the_way_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "vedlegg.pdf").mkdir()
    with pytest.raises(UsageError):
        read_package_to(_asic(), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vedlegg.pdf"]


def test_digests_are_computed_for_every_method_the_signature_names() -> None:
    signatures = read_zip(_asic())["META-INF/signatures.xml"]
    assert xades.digest_methods(signatures) == {DigestMethod.SHA256}
    sha512 = signatures.replace(
        DigestMethod.SHA256.value.encode(), DigestMethod.SHA512.value.encode(), 1
    )
    assert xades.digest_methods(sha512) == {DigestMethod.SHA256, DigestMethod.SHA512}
