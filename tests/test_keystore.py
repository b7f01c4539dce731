"""JKS, PKCS#12 and PEM key files: the real samples, keytool as the independent oracle, hostile input."""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

import pki
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from peppol_dpi.errors import InputError
from peppol_dpi.keys import KeyFileError, LocalPrivateKey, RsaPadding, SignatureHash
from peppol_dpi.keystore import load_jks, load_key_file, load_trust_store, parse_jks
from peppol_dpi.limits import Limits

# Digdir's eksempel certificate has C=Unknown, which cryptography loads with a UserWarning.
pytestmark = pytest.mark.filterwarnings("ignore:Attribute's length must be:UserWarning")

KEYTOOL = shutil.which("keytool")
needs_keytool = pytest.mark.skipif(KEYTOOL is None, reason="keytool (a JDK) is not installed")

SAMPLES = {  # file under ../shared/fixtures: (store password, alias, subject CN)
    "dpi/digdir-samples/eksempel.jks": (b"changeit", "eksempel", "Unknown"),
    "peppol/keys/phase4-dummy-pw-test.jks": (b"test", "ph-as4", "ph-as4"),
}


def _keytool(*args: str) -> str:
    assert KEYTOOL is not None
    # A small, quick-starting JVM: these are one-shot conversions.
    fast = ["-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto"]
    done = subprocess.run([KEYTOOL, *fast, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _keytool_to_pkcs12(jks: Path, password: str, alias: str, out: Path) -> LocalPrivateKey:
    """keytool's own reading of a JKS entry, exported to PKCS#12 and read by cryptography."""
    _keytool(
        "-importkeystore", "-srckeystore", str(jks), "-srcstoretype", "JKS",
        "-srcstorepass", password, "-srcalias", alias, "-destkeystore", str(out),
        "-deststoretype", "PKCS12", "-deststorepass", "exported", "-noprompt",
    )  # fmt: skip
    key, cert, extra = pkcs12.load_key_and_certificates(out.read_bytes(), b"exported")
    assert key is not None and cert is not None
    return LocalPrivateKey(key=key, certificate=cert, chain=tuple(extra))  # type: ignore[arg-type]


def _same_key(a: LocalPrivateKey, b: LocalPrivateKey) -> None:
    assert a.key.private_numbers() == b.key.private_numbers()
    assert a.certificate == b.certificate


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_real_jks_samples_load(shared: Path, name: str) -> None:
    password, alias, cn = SAMPLES[name]
    data = (shared / name).read_bytes()
    key = load_jks(data, password, alias=alias)
    assert key.certificate.subject.rfc4514_string().startswith(f"CN={cn}")
    _same_key(load_jks(data, password), key)  # the only entry, without naming it
    _same_key(load_key_file(data, password), key)
    signature = key.sign(b"data", SignatureHash.SHA256)
    public = key.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"data", padding.PKCS1v15(), hashes.SHA256())


@needs_keytool
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_real_jks_samples_agree_with_keytool(shared: Path, name: str, tmp_path: Path) -> None:
    password, alias, _ = SAMPLES[name]
    ours = load_jks((shared / name).read_bytes(), password, alias=alias)
    theirs = _keytool_to_pkcs12(shared / name, password.decode(), alias, tmp_path / "x.p12")
    _same_key(ours, theirs)
    listed = _keytool(
        "-list", "-rfc", "-keystore", str(shared / name), "-storepass", password.decode()
    )
    assert x509.load_pem_x509_certificates(listed.encode())[0] == ours.certificate


def test_the_eksempel_key_decrypts_what_its_certificate_encrypts(shared: Path) -> None:
    key = load_jks((shared / "dpi/digdir-samples/eksempel.jks").read_bytes(), b"changeit")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    wrapped = key.certificate.public_key().encrypt(b"content key", oaep)  # type: ignore[union-attr]
    assert key.decrypt(wrapped, RsaPadding.OAEP_SHA256_MGF1_SHA256) == b"content key"


@pytest.mark.parametrize("number", ["1", "2"])
def test_oxalis_keystores_are_pkcs12_despite_their_name(shared: Path, number: str) -> None:
    data = (shared / f"peppol/keys/oxalis-app_000000000{number}.jks").read_bytes()
    key = load_key_file(data, b"changeit")
    assert (
        key.certificate.subject.rfc4514_string()
        == f"CN=APP_000000000{number},O=Oxalis Testing 01,C=NO"
    )
    assert [c.subject.rfc4514_string() for c in key.chain] == [
        "CN=Dummy ACCESS POINT CA,C=NO",
        "CN=Dummy Root CA,C=NO",
    ]


def test_wrong_passwords_give_a_clear_key_file_error(shared: Path) -> None:
    data = (shared / "peppol/keys/phase4-dummy-pw-test.jks").read_bytes()
    with pytest.raises(KeyFileError) as err:
        load_jks(data, b"wrong")
    assert err.value.rule == "keys:jks-password"
    with pytest.raises(KeyFileError) as err:
        load_jks(data, b"test", key_password=b"wrong")
    assert err.value.rule == "keys:jks-key-password"
    with pytest.raises(KeyFileError) as err:
        load_jks(data, b"test", alias="nope")
    assert err.value.rule == "keys:jks-alias" and "ph-as4" in str(err.value)
    with pytest.raises(KeyFileError):
        load_key_file(pki.path("ap-c2.p12").read_bytes(), b"wrong")


@pytest.fixture(scope="session")
def made_jks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JKS made by keytool: the ap-c2 key (own key password, full chain) and two trusted CAs."""
    if KEYTOOL is None:
        pytest.skip("keytool (a JDK) is not installed")
    out = tmp_path_factory.mktemp("jks") / "made.jks"
    _keytool(
        "-importkeystore", "-srckeystore", str(pki.path("ap-c2.p12")), "-srcstoretype", "PKCS12",
        "-srcstorepass", "changeit", "-srcalias", "ap-c2", "-destalias", "Corner2",
        "-destkeystore", str(out), "-deststoretype", "JKS", "-deststorepass", "storepass",
        "-destkeypass", "keypass-æøå", "-noprompt",
    )  # fmt: skip
    for alias in ("root-ca", "business-root-ca"):
        _keytool(
            "-importcert", "-noprompt", "-alias", alias, "-file", str(pki.path(f"{alias}.cert.pem")),
            "-keystore", str(out), "-storetype", "JKS", "-storepass", "storepass",
        )  # fmt: skip
    return out


def test_keytool_made_jks_with_key_password_chain_and_trusted_entries(made_jks: Path) -> None:
    data = made_jks.read_bytes()
    key = load_jks(data, b"storepass", "keypass-æøå".encode(), alias="CORNER2")
    _same_key(key, pki.ap_key("c2"))
    assert key.chain == pki.ap_key("c2").chain
    store = parse_jks(data, b"storepass")
    assert store.version == 2
    assert {e.alias for e in store.trusted_certificates} == {"root-ca", "business-root-ca"}
    assert set(load_trust_store(data, b"storepass")) == {pki.root_ca(), pki.business_root_ca()}
    with pytest.raises(KeyFileError) as err:
        load_jks(data, b"storepass")  # the key password differs from the store password
    assert err.value.rule == "keys:jks-key-password"


def test_load_key_file_sniffs_every_format() -> None:
    expected = pki.ap_key("c3")
    combined = pki.path("ap-c3.key.pem").read_bytes() + pki.path("ap-c3.chain.pem").read_bytes()
    reversed_order = (
        pki.path("ap-c3.chain.pem").read_bytes() + pki.path("ap-c3.key.pem").read_bytes()
    )
    encrypted = expected.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    for data, password in (
        (pki.path("ap-c3.p12").read_bytes(), pki.PASSWORD),
        (combined, None),
        (reversed_order, None),
        (encrypted + pki.path("ap-c3.chain.pem").read_bytes(), b"pw"),
    ):
        loaded = load_key_file(data, password)
        _same_key(loaded, expected)
        assert loaded.chain == expected.chain
    with pytest.raises(KeyFileError) as err:
        load_key_file(pki.path("ap-c3.key.pem").read_bytes())
    assert err.value.rule == "keys:certificate"
    with pytest.raises(KeyFileError) as err:
        load_key_file(pki.path("ap-c3.cert.pem").read_bytes())
    assert err.value.rule == "keys:private-key"
    with pytest.raises(KeyFileError) as err:  # a key with somebody else's certificate
        load_key_file(
            pki.path("ap-c3.key.pem").read_bytes() + pki.path("ap-c2.cert.pem").read_bytes()
        )
    assert err.value.rule == "keys:certificate"


def test_load_trust_store_reads_pem_der_and_pkcs12() -> None:
    bundle = pki.path("ap-c2.chain.pem").read_bytes()
    assert load_trust_store(bundle) == (pki.ap_key("c2").certificate, *pki.ap_key("c2").chain)
    der = pki.root_ca().public_bytes(serialization.Encoding.DER)
    assert load_trust_store(der) == (pki.root_ca(),)
    assert set(load_trust_store(pki.path("ap-c2.p12").read_bytes(), pki.PASSWORD)) == set(
        load_trust_store(bundle)
    )


# -- hostile and broken keystores ------------------------------------------------------------


def _jks(body_after_magic: bytes, password: bytes) -> bytes:
    """A keystore with a correct integrity digest around an arbitrary body."""
    body = b"\xfe\xed\xfe\xed" + body_after_magic
    digest = hashlib.sha1(password.decode().encode("utf-16-be") + b"Mighty Aphrodite" + body)
    return body + digest.digest()


def _v1_trusted_entry(alias: str, cert: x509.Certificate) -> bytes:
    der = cert.public_bytes(serialization.Encoding.DER)
    name = alias.encode()
    return struct.pack(">IH", 2, len(name)) + name + struct.pack(">QI", 0, len(der)) + der


def test_version_1_keystores_are_read() -> None:
    entry = _v1_trusted_entry("root", pki.root_ca())
    data = _jks(struct.pack(">II", 1, 1) + entry, b"pw")
    assert load_trust_store(data, b"pw") == (pki.root_ca(),)


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (struct.pack(">II", 3, 0), "keys:jks"),  # unknown version
        (struct.pack(">II", 2, 0xFFFFFFFF), "keys:too-many-entries"),
        (struct.pack(">II", 2, 1) + struct.pack(">IH", 2, 5000), "keys:jks"),  # truncated alias
        (struct.pack(">II", 2, 1) + struct.pack(">IHQ", 9, 0, 0), "keys:jks"),  # unknown tag
        (struct.pack(">II", 2, 1) + struct.pack(">IHQH", 2, 0, 0, 5) + b"X.510", "keys:jks"),
        (struct.pack(">II", 2, 1) + struct.pack(">IHQI", 1, 0, 0, 0xFFFFFFF0), "keys:jks"),
        (struct.pack(">II", 1, 0) + b"trailing", "keys:jks"),
        (
            struct.pack(">II", 1, 1) + struct.pack(">IHQI", 2, 0, 0, 4) + b"\x30\x02\x01\x01",
            "keys:jks",
        ),  # not a certificate
    ],
)
def test_hostile_keystores_fail_with_a_named_rule(body: bytes, rule: str) -> None:
    with pytest.raises(KeyFileError) as err:
        parse_jks(_jks(body, b"pw"), b"pw")
    assert err.value.rule == rule


def test_protected_keys_with_other_algorithms_or_garbage_are_refused() -> None:
    chain_part = (
        struct.pack(">I", 1) + _v1_trusted_entry("x", pki.root_ca())[4 + 2 + 1 + 8 :]
    )  # u32 length + DER of one certificate, version 1 form
    for protected in (b"\x30\x03\x02\x01\x00", b"garbage", _pbes2_protected()):
        entry = struct.pack(">IH", 1, 1) + b"k" + struct.pack(">QI", 0, len(protected)) + protected
        data = _jks(struct.pack(">II", 1, 1) + entry + chain_part, b"pw")
        with pytest.raises(InputError) as err:
            load_jks(data, b"pw")
        assert err.value.rule == "keys:jks"


def _pbes2_protected() -> bytes:
    pem = pki.ap_key("c2").key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    return pem


def test_size_limits_apply_before_parsing() -> None:
    with pytest.raises(KeyFileError) as err:
        load_key_file(
            b"\xfe\xed\xfe\xed" + bytes(2000), b"pw", limits=Limits(max_key_file_bytes=1000)
        )
    assert err.value.rule == "keys:too-large"
    with pytest.raises(KeyFileError) as err:
        load_jks(b"\xce\xce\xce\xce" + bytes(40), b"pw")
    assert "JCEKS" in str(err.value)
    with pytest.raises(KeyFileError):
        parse_jks(b"\xfe\xed\xfe\xed", b"pw")


def test_every_truncation_of_a_real_keystore_gives_a_key_file_error(shared: Path) -> None:
    data = (shared / "peppol/keys/phase4-dummy-pw-test.jks").read_bytes()
    body = data[4:-20]  # between the magic and the digest
    for end in range(0, len(body), 7):
        with pytest.raises(KeyFileError):  # re-digested: the parser itself must cope
            load_jks(_jks(body[:end], b"test"), b"test")


def test_other_inputs_give_key_file_errors() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(KeyFileError) as err:
        load_key_file(ec_key + pki.path("ap-c2.cert.pem").read_bytes())
    assert "RSA" in str(err.value)
    p12 = bytearray(pki.path("ap-c2.p12").read_bytes())
    p12[len(p12) // 2] ^= 0xFF
    for data in (b"", b"\x30\x80", bytes(p12), b"-----BEGIN CERTIFICATE-----\nnot base64\n"):
        with pytest.raises(KeyFileError):
            load_key_file(data, pki.PASSWORD)
        with pytest.raises(KeyFileError):
            load_trust_store(data, pki.PASSWORD)
    bundle = pki.path("ap-c2.chain.pem").read_bytes()
    with pytest.raises(KeyFileError) as err:
        load_trust_store(bundle, limits=Limits(max_keystore_entries=2))
    assert err.value.rule == "keys:too-many-entries"
