"""CMS encryption of the document package: Digdir's samples, openssl both ways, bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pki
import pytest
from asn1crypto import cms as asn1_cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peppol_dpi.dpi import cms, cms_profile
from peppol_dpi.errors import DecryptionError, UsageError
from peppol_dpi.keys import LocalPrivateKey, PrivateKey, RsaPadding
from peppol_dpi.keystore import load_jks
from peppol_dpi.limits import Limits

SAMPLE_NAMES = ("digital", "utskrift")


@pytest.fixture(scope="module")
def samples(shared: Path) -> Path:
    return shared / "dpi" / "digdir-samples"


@pytest.fixture(scope="module")
def eksempel(samples: Path) -> LocalPrivateKey:
    """The recipient key of Digdir's samples (eksempel.jks, alias eksempel, password changeit)."""
    return load_jks((samples / "eksempel.jks").read_bytes(), b"changeit", alias="eksempel")


@pytest.fixture(scope="module")
def recipient() -> LocalPrivateKey:
    return pki.business_key("digipost")


def _pem_files(key: LocalPrivateKey, directory: Path) -> tuple[Path, Path]:
    key_file, cert_file = directory / "key.pem", directory / "cert.pem"
    key_file.write_bytes(key.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    cert_file.write_bytes(key.certificate.public_bytes(Encoding.PEM))
    return key_file, cert_file


def _openssl_decrypt(package: bytes, key: LocalPrivateKey, tmp_path: Path) -> bytes:
    key_file, cert_file = _pem_files(key, tmp_path)
    (tmp_path / "in.cms").write_bytes(package)
    subprocess.run(
        ["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", str(tmp_path / "in.cms"),
         "-recip", str(cert_file), "-inkey", str(key_file), "-out", str(tmp_path / "out.bin")],
        check=True, capture_output=True,
    )  # fmt: skip
    return (tmp_path / "out.bin").read_bytes()


# -- Digdir's samples --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_sample_decrypts_to_its_zip_byte_for_byte(
    samples: Path, eksempel: LocalPrivateKey, name: str
) -> None:
    package = (samples / f"{name}-dokumentpakke.cms").read_bytes()
    assert package[:2] == b"\x30\x80"  # BouncyCastle's streamed BER: indefinite lengths
    assert cms.decrypt(package, eksempel) == (samples / f"{name}-dokumentpakke.zip").read_bytes()


def test_every_sample_is_covered(samples: Path) -> None:
    assert sorted(p.name.split("-")[0] for p in samples.glob("*-dokumentpakke.cms")) == sorted(
        SAMPLE_NAMES
    )


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_fingerprint_matches_the_business_message(samples: Path, name: str) -> None:
    message = json.loads((samples / f"{name}-forretningsmelding.json").read_text("utf-8"))
    body = message["standardBusinessDocument"][name]
    fingerprint = body["dokumentpakkefingeravtrykk"]
    assert fingerprint["digestMethod"] == cms.FINGERPRINT_DIGEST_METHOD
    package = (samples / f"{name}-dokumentpakke.cms").read_bytes()
    assert cms.package_fingerprint(package) == fingerprint["digestValue"]


def test_decrypt_stream_writes_the_same_bytes(samples: Path, eksempel: LocalPrivateKey) -> None:
    sink = io.BytesIO()
    with (samples / "utskrift-dokumentpakke.cms").open("rb") as source:
        written = cms.decrypt_stream(source, eksempel, sink)
    expected = (samples / "utskrift-dokumentpakke.zip").read_bytes()
    assert written == len(expected) and sink.getvalue() == expected


# -- what we write -----------------------------------------------------------------------------


def test_der_package_has_the_profile_structure(recipient: LocalPrivateKey) -> None:
    package = cms.encrypt(b"zip bytes", recipient.certificate)
    info = asn1_cms.ContentInfo.load(package)
    assert info.dump(force=True) == package  # definite-length DER
    assert info["content_type"].native == "enveloped_data"
    enveloped = info["content"]
    assert enveloped["version"].native == "v0"
    assert not enveloped["originator_info"] and not enveloped["unprotected_attrs"]
    (recipient_info,) = enveloped["recipient_infos"]
    ktri = recipient_info.chosen
    assert recipient_info.name == "ktri" and ktri["version"].native == "v0"
    assert ktri["rid"].name == "issuer_and_serial_number"
    assert ktri["rid"].chosen["serial_number"].native == recipient.certificate.serial_number
    algorithm = ktri["key_encryption_algorithm"]
    assert algorithm["algorithm"].native == "rsaes_oaep"
    # As in Digdir's samples: explicit SHA-256 and MGF1-SHA-256, hash parameters NULL.
    assert algorithm["parameters"].dump().hex() == (
        "302fa00f300d06096086480165030402010500a11c301a06092a864886f70d010108"
        "300d06096086480165030402010500"
    )
    content = enveloped["encrypted_content_info"]
    assert content["content_type"].native == "data"
    assert content["content_encryption_algorithm"]["algorithm"].native == "aes256_cbc"
    assert len(content["content_encryption_algorithm"]["parameters"].native) == 16


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 65535, 65536, 65537, 300_001])
def test_round_trip_der_and_streamed_ber(recipient: LocalPrivateKey, size: int) -> None:
    content = os.urandom(size)
    assert cms.decrypt(cms.encrypt(content, recipient.certificate), recipient) == content
    sink = io.BytesIO()
    with cms.EnvelopedDataWriter(sink, recipient.certificate) as writer:
        for start in range(0, size, 7000):
            writer.write(content[start : start + 7000])
    assert sink.getvalue()[:2] == b"\x30\x80"
    assert cms.decrypt(sink.getvalue(), recipient) == content


def test_streamed_writes_of_any_sizes_make_one_ciphertext(
    recipient: LocalPrivateKey, tmp_path: Path
) -> None:
    # Small writes are collected into one segment, a large one is encrypted where it lies:
    # in any mix, the segments hold the same ciphertext, which openssl reads too.
    sizes = [1, 15, 70_000, 3, 0, 200_000, 65_535, 16, 131_072, 5]
    content = os.urandom(sum(sizes))
    sink = io.BytesIO()
    with cms.EnvelopedDataWriter(sink, recipient.certificate) as writer:
        offset = 0
        for size in sizes:
            assert writer.write(memoryview(content)[offset : offset + size]) == size
            offset += size
    assert cms.decrypt(sink.getvalue(), recipient) == content
    assert _openssl_decrypt(sink.getvalue(), recipient, tmp_path) == content


def test_encrypt_stream_checks_the_announced_length(recipient: LocalPrivateKey) -> None:
    with pytest.raises(UsageError):
        b"".join(cms.encrypt_stream([b"abc"], length=4, recipient=recipient.certificate))


def test_openssl_opens_our_der_and_ber_packages(recipient: LocalPrivateKey, tmp_path: Path) -> None:
    content = os.urandom(100_000)
    assert _openssl_decrypt(cms.encrypt(content, recipient.certificate), recipient, tmp_path) == (
        content
    )
    sink = io.BytesIO()
    with cms.EnvelopedDataWriter(sink, recipient.certificate) as writer:
        writer.write(content)
    assert _openssl_decrypt(sink.getvalue(), recipient, tmp_path) == content


def test_we_open_what_openssl_encrypts_with_the_dpi_parameters(
    recipient: LocalPrivateKey, tmp_path: Path
) -> None:
    _, cert_file = _pem_files(recipient, tmp_path)
    (tmp_path / "plain.bin").write_bytes(content := os.urandom(5000))
    subprocess.run(
        ["openssl", "cms", "-encrypt", "-binary", "-outform", "DER", "-aes-256-cbc",
         "-in", str(tmp_path / "plain.bin"), "-out", str(tmp_path / "env.der"),
         "-recip", str(cert_file), "-keyopt", "rsa_padding_mode:oaep",
         "-keyopt", "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha256"],
        check=True, capture_output=True,
    )  # fmt: skip
    assert cms.decrypt((tmp_path / "env.der").read_bytes(), recipient) == content


# -- bad input: always the one DecryptionError ---------------------------------------------------


def _refused(package: bytes, key: LocalPrivateKey, **kwargs: object) -> DecryptionError:
    with pytest.raises(DecryptionError) as caught:
        cms.decrypt(package, key, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value).startswith("EBMS:0102 FailedDecryption: decryption failed")
    return caught.value


def test_wrong_key_is_refused(recipient: LocalPrivateKey) -> None:
    package = cms.encrypt(b"secret", recipient.certificate)
    assert _refused(package, pki.business_key("eboks")).rule == "cms:no-recipient"


def test_a_key_that_does_not_match_its_certificate_fails_like_any_other(
    recipient: LocalPrivateKey,
) -> None:
    # Same certificate (so the recipient info matches), but the encrypted key is damaged.
    package = bytearray(cms.encrypt(b"secret", recipient.certificate))
    info = asn1_cms.ContentInfo.load(bytes(package))
    encrypted_key = info["content"]["recipient_infos"][0].chosen["encrypted_key"].native
    offset = bytes(package).index(encrypted_key)
    package[offset + 10] ^= 0x01
    assert _refused(bytes(package), recipient).rule == "decryption-failed"


def test_tampered_padding_is_refused(recipient: LocalPrivateKey) -> None:
    package = bytearray(cms.encrypt(b"x" * 32, recipient.certificate))
    package[-17] ^= 0xFF  # the last block's predecessor: garbles the padding of the last block
    _refused(bytes(package), recipient)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p[:-5],  # truncated
        lambda p: p + b"\x00",  # trailing data
        lambda p: b"\x31" + p[1:],  # not a SEQUENCE
        lambda p: b"",
        lambda p: b"not cms at all",
        lambda p: p[:40],
    ],
)
def test_malformed_packages_are_refused(recipient: LocalPrivateKey, mangle) -> None:  # type: ignore[no-untyped-def]
    _refused(mangle(cms.encrypt(b"secret" * 100, recipient.certificate)), recipient)


def _with_recipient_infos(package: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    info = asn1_cms.ContentInfo.load(package)
    infos = list(info["content"]["recipient_infos"])
    change(infos)
    info["content"]["recipient_infos"] = asn1_cms.RecipientInfos(infos)
    return bytes(info.dump(force=True))


def test_the_usual_recipient_info_is_read_without_a_full_parse(
    recipient: LocalPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One KeyTransRecipientInfo exactly as integrasjonspunkt and we write it: compared byte
    # for byte with what this key's certificate expects, not parsed.
    package = cms.encrypt(b"secret", recipient.certificate)
    monkeypatch.setattr(asn1_cms.RecipientInfos, "load", None)
    assert cms.decrypt(package, recipient) == b"secret"
    with pytest.raises(DecryptionError):  # anything else does need the parser
        cms.decrypt(package, pki.business_key("eboks"))


def test_recipient_structures_are_kept_per_certificate_and_bounded(
    recipient: LocalPrivateKey,
) -> None:
    # The recipient's key and KeyTransRecipientInfo head are built once per certificate (equal
    # by DER) and serve both writing and the byte comparison when reading.
    again = x509.load_der_x509_certificate(recipient.certificate.public_bytes(Encoding.DER))
    head = cms_profile.recipient_info_head
    head(recipient.certificate)
    hits = head.cache_info().hits
    assert cms.decrypt(cms.encrypt(b"x", again), recipient) == b"x"
    assert head.cache_info().hits > hits
    assert head.cache_info().maxsize == cms._usual_recipient_infos.cache_info().maxsize
    assert head(pki.business_key("eboks").certificate) != head(again)


def test_other_recipient_infos_are_parsed_and_checked(recipient: LocalPrivateKey) -> None:
    other = pki.business_key("eboks")
    package = cms.encrypt(b"secret", recipient.certificate)
    theirs = asn1_cms.ContentInfo.load(cms.encrypt(b"x", other.certificate))
    their_info = theirs["content"]["recipient_infos"][0]
    two = _with_recipient_infos(package, lambda infos: infos.insert(0, their_info))
    # dpi.md 3.4: exactly one RecipientInfo (Digdir's client decrypts with the first).
    assert _refused(two, recipient).rule == "cms:recipient-count"
    assert (
        _refused(
            _with_recipient_infos(package, lambda infos: infos.__setitem__(0, their_info)),
            recipient,
        ).rule
        == "cms:no-recipient"
    )

    def sha1_oaep(infos) -> None:  # type: ignore[no-untyped-def]
        params = infos[0].chosen["key_encryption_algorithm"]["parameters"]
        params["hash_algorithm"] = {"algorithm": "sha1"}

    assert _refused(_with_recipient_infos(package, sha1_oaep), recipient).rule == (
        "cms:unsupported-key-transport"
    )


def test_pkcs1_v15_key_transport_is_refused(recipient: LocalPrivateKey, tmp_path: Path) -> None:
    _, cert_file = _pem_files(recipient, tmp_path)
    (tmp_path / "plain.bin").write_bytes(b"hello")
    subprocess.run(
        ["openssl", "cms", "-encrypt", "-binary", "-outform", "DER", "-aes-256-cbc",
         "-in", str(tmp_path / "plain.bin"), "-out", str(tmp_path / "env.der"),
         "-recip", str(cert_file)],
        check=True, capture_output=True,
    )  # fmt: skip
    error = _refused((tmp_path / "env.der").read_bytes(), recipient)
    assert error.rule == "cms:unsupported-key-transport"


def test_size_limit(recipient: LocalPrivateKey) -> None:
    package = cms.encrypt(os.urandom(200_000), recipient.certificate)
    _refused(package, recipient, limits=Limits(max_package_bytes=100_000))


def test_encrypting_to_a_non_rsa_certificate_is_a_usage_error() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2049, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(UsageError):
        cms.encrypt(b"x", cert)


def test_the_rsa_step_goes_through_the_private_key_protocol(
    samples: Path, eksempel: LocalPrivateKey
) -> None:
    key = pki.CountingKey(eksempel)
    assert isinstance(key, PrivateKey)
    expected = (samples / "digital-dokumentpakke.zip").read_bytes()
    assert cms.decrypt((samples / "digital-dokumentpakke.cms").read_bytes(), key) == expected
    assert len(key.decryptions) == 1
    assert key.paddings == [RsaPadding.OAEP_SHA256_MGF1_SHA256]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_packages_only_ever_raise_decryption_error(data: st.DataObject) -> None:
    key = pki.business_key("digipost")
    package = bytearray(_FUZZ_PACKAGES[data.draw(st.integers(0, 1))])
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(package) - 1))
        package[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(package)))
    try:
        result = cms.decrypt(bytes(package[:cut]), key)
    except DecryptionError:
        return
    assert isinstance(result, bytes)  # a change in the IV or a middle block can still decrypt


def _fuzz_packages() -> tuple[bytes, bytes]:
    certificate = pki.business_key("digipost").certificate
    sink = io.BytesIO()
    with cms.EnvelopedDataWriter(sink, certificate) as writer:
        writer.write(b"streamed content " * 10)
    return cms.encrypt(b"content " * 40, certificate), sink.getvalue()


_FUZZ_PACKAGES = _fuzz_packages()
