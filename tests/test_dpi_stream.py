"""open_package_from (issue 8): a dokumentpakke opened from a file, decrypted into a spool."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pki
import pytest
from asn1crypto import cms as asn1_cms

from peppol_dpi import spool
from peppol_dpi.dpi.asic import AsicBuilder, Document
from peppol_dpi.dpi.package import open_package, open_package_from, seal
from peppol_dpi.errors import CertificateError, DecryptionError, InputError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.trust import RevocationMode, TrustPolicy

RECIPIENT = pki.business_key("digipost")
SENDER_KEY = pki.business_key("sender")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@cache
def _sealed() -> bytes:
    builder = (
        AsicBuilder()
        .sender(ParticipantId.norwegian("991825827"), sender_identifier="991825827:avsender")
        .mailbox("ola.nordmann#9YDT")
        .main_document(Document(name="vedtak.pdf", content=b"%PDF-1.4 " + b"v" * 30_000))
        .add_attachment(Document(name="vedlegg.pdf", content=b"%PDF-1.4 " + bytes(range(256)) * 40))
    )
    return seal(builder, SENDER_KEY, recipient=RECIPIENT.certificate, signing_time=NOW)


@pytest.fixture(params=[1024, 8 * 1024 * 1024], ids=["spool on disk", "spool in memory"])
def spool_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    size: int = request.param
    monkeypatch.setattr(spool, "SPOOL_IN_MEMORY_BYTES", size)
    return size


def test_from_a_file_is_what_open_package_gives(tmp_path: Path, spool_size: int) -> None:
    sealed = _sealed()
    (tmp_path / "package.cms").write_bytes(sealed)
    expected = open_package(sealed, RECIPIENT, at=NOW)
    for source in (tmp_path / "package.cms", io.BytesIO(sealed)):
        opened = open_package_from(source, RECIPIENT, at=NOW, spool_dir=tmp_path)
        assert opened.main == expected.main and opened.attachments == expected.attachments
        assert opened.manifest == expected.manifest
        assert opened.signer == expected.signer and opened.signing_time == expected.signing_time
    assert opened.main.content.startswith(b"%PDF") and len(opened.attachments) == 1


def test_no_padding_oracle_through_the_file_path(spool_size: int) -> None:
    sealed = _sealed()
    info = asn1_cms.ContentInfo.load(sealed)
    ciphertext = info["content"]["encrypted_content_info"]["encrypted_content"].native
    start = sealed.index(ciphertext[:64])
    answers = set()
    for offset in range(start, start + len(ciphertext), 16 * 37):
        damaged = bytearray(sealed)
        damaged[offset] ^= 0x01
        try:
            open_package_from(io.BytesIO(bytes(damaged)), RECIPIENT, at=NOW)
            answers.add("opened")  # a flip inside the unsigned zip comment changes nothing
        except InputError as err:
            answers.add((type(err).__name__, err.rule))
    assert answers - {"opened"} == {("DecryptionError", "decryption-failed")}


def test_truncated_file_and_wrong_key_are_decryption_errors() -> None:
    sealed = _sealed()
    for source, key in (
        (sealed[: len(sealed) // 2], RECIPIENT),
        (sealed, pki.business_key("eboks")),
    ):
        with pytest.raises(DecryptionError):
            open_package_from(io.BytesIO(source), key, at=NOW)


def test_untrusted_signer_is_a_certificate_error() -> None:
    other_root = pki.wrong_ca_key()
    trust = TrustPolicy(anchors=(other_root.chain[-1],), revocation=RevocationMode.OFF)
    with pytest.raises(CertificateError):
        open_package_from(io.BytesIO(_sealed()), RECIPIENT, trust=trust, at=NOW)
