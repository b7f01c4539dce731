"""Reading a package digests its large documents on a second core: the answers are the same.

``read_package`` (and so ``open_package``) starts the SHA-256 of every entry of at least
``offload.MIN_BYTES`` on the worker thread as soon as the zip is read, while it reads the
manifest and the signature; a reference naming another method is digested in line when it
asks. The signature checks those references after the rest (the other references and the
SignatureValue), and still reports the first failure in SignedInfo's order. Every case is
read three ways, which must agree, down to the reference named: the digests on the worker
(made certain: begun there before the reader goes on), taken back by the caller (the worker
busy), and in line as before (MIN_BYTES out of reach).
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from differential import Failure, outcome
from offload_support import needs_two_cores
from signed_samples import resigned_xades
from test_package_readers_agree import (
    NOW,
    SIGNER,
    _in_memory,
    _manifest,
    _package,
    _signed_zip,
)

from peppol_dpi import ns, offload
from peppol_dpi.dpi import xades
from peppol_dpi.dpi.asic import read_package
from peppol_dpi.dpi.container import read_zip
from peppol_dpi.xmldsig import DigestMethod, ExternalDigest, verifying
from peppol_dpi.xmldsig.model import DigestsUnderWay
from peppol_dpi.xmlparse import parse_xml

pytestmark = needs_two_cores

_BIG = b"".join(b"%%PDF %08x\n" % (i * 2654435761 % 2**32) for i in range(60_000))
_OTHER = _BIG.replace(b"PDF", b"PDX", 1)
MAIN, EXTRA = "brev.pdf", "vedlegg.pdf"
FILES = {MAIN: ("application/pdf", _BIG), EXTRA: ("application/pdf", _BIG[::-1])}
MANIFEST = _manifest((MAIN, "application/pdf"), (EXTRA, "application/pdf"))
assert len(_BIG) >= 4 * offload.MIN_BYTES


def _valid() -> bytes:
    return _signed_zip(MANIFEST, FILES)


def _tampered(
    *,
    swap: dict[str, bytes] | None = None,
    manifest: bytes = MANIFEST,
    signatures: Callable[[bytes], bytes] = lambda signed: signed,
) -> Callable[[], bytes]:
    """Signed over MANIFEST and FILES; then carrying the contents in ``swap`` instead, this
    ``manifest``, and signatures.xml as ``signatures`` edits it (not signed again)."""

    def build() -> bytes:
        signed = [xades.SignedFile(name="manifest.xml", mime="application/xml", content=MANIFEST)]
        signed += [xades.SignedFile(name=n, mime=m, content=c) for n, (m, c) in FILES.items()]
        written = xades.sign_files(signed, SIGNER, signing_time=NOW)
        files = {n: (m, (swap or {}).get(n, c)) for n, (m, c) in FILES.items()}
        return _signed_zip(manifest, files, signatures=signatures(written))

    return build


def _edit(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def edit(signatures: bytes) -> bytes:
        assert signatures.count(old) == 1
        return signatures.replace(old, new)

    return edit


def _value_broken(signatures: bytes) -> bytes:
    """The SignatureValue's first base64 character changed."""
    start = signatures.index(b"<SignatureValue>") + len(b"<SignatureValue>")
    first = signatures[start : start + 1]
    return signatures[:start] + (b"B" if first == b"A" else b"A") + signatures[start + 1 :]


#: SignedProperties changed after signing (its reference comes last in SignedInfo).
_SIGNING_TIME = _edit(b"<SigningTime>2026-03-01", b"<SigningTime>2026-03-02")
#: manifest.xml changed after signing, still a valid manifest (its reference comes first).
_MANIFEST_SPACED = MANIFEST.replace(b"<avsender>", b" <avsender>", 1)


def _sha512_reference(of: bytes) -> Callable[[], bytes]:
    """The valid package, its main document's reference SHA-512 with the digest of ``of``."""

    def edit(signed_info: object) -> None:
        (reference,) = [r for r in signed_info if r.get("URI") == MAIN]  # type: ignore[attr-defined]
        reference.find(f"{{{ns.DS}}}DigestMethod").set("Algorithm", DigestMethod.SHA512.value)
        digest = base64.b64encode(hashlib.sha512(of).digest()).decode()
        reference.find(f"{{{ns.DS}}}DigestValue").text = digest

    def build() -> bytes:
        signatures = resigned_xades(dict(read_zip(_valid()))[xades.SIGNATURES_ENTRY], edit, SIGNER)
        return _signed_zip(MANIFEST, FILES, signatures=signatures)

    return build


CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "valid": (_valid, "ok"),
    "a document changed after signing": (_tampered(swap={MAIN: _OTHER}), "dsig:digest-mismatch"),
    "the attachment changed after signing": (
        _tampered(swap={EXTRA: _OTHER}),
        "dsig:digest-mismatch",
    ),
    "both documents changed after signing": (
        _tampered(swap={MAIN: _OTHER, EXTRA: _OTHER}),
        "dsig:digest-mismatch",
    ),
    "changed, and a manifest naming another file": (
        _tampered(swap={MAIN: _OTHER}, manifest=_manifest(("annen.pdf", "application/pdf"))),
        "asic:missing-entry",  # the manifest is read before any digest is compared
    ),
    "a SHA-512 reference": (_sha512_reference(_BIG), "ok"),
    "a SHA-512 reference of other content": (
        _sha512_reference(_OTHER),
        "dsig:digest-mismatch",
    ),
    # The large documents' references are checked after the rest while their digests are
    # taken; a failure is still reported in SignedInfo's order, then the SignatureValue.
    "the signature value broken": (_tampered(signatures=_value_broken), "dsig:bad-signature-value"),
    "the signature value broken, a document changed": (
        _tampered(swap={MAIN: _OTHER}, signatures=_value_broken),
        "dsig:digest-mismatch",
    ),
    "the signed properties changed": (
        _tampered(signatures=_SIGNING_TIME),
        "dsig:digest-mismatch",
    ),
    "the signed properties changed, the attachment too": (
        _tampered(swap={EXTRA: _OTHER}, signatures=_SIGNING_TIME),
        "dsig:digest-mismatch",
    ),
    "manifest.xml changed, a document too": (
        _tampered(swap={MAIN: _OTHER}, manifest=_MANIFEST_SPACED),
        "dsig:digest-mismatch",
    ),
}


#: The file whose reference must be the one reported, where several fail alike.
REPORTED = {
    "both documents changed after signing": MAIN,
    "the signature value broken, a document changed": MAIN,
    "the signed properties changed, the attachment too": EXTRA,
    "manifest.xml changed, a document too": "manifest.xml",
}


def _read(data: bytes) -> object:
    found = outcome(lambda: _package(read_package(data), _in_memory))
    # Several references may fail with one rule: the message names the one reported.
    return (found, found.message) if isinstance(found, Failure) else found


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    return {name: build() for name, (build, _) in CASES.items()}


@pytest.fixture(scope="module")
def in_line(built: dict[str, bytes]) -> dict[str, object]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(offload, "MIN_BYTES", 2**62)
        return {name: _read(data) for name, data in built.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_in_line_the_outcome_is_the_expected_one(name: str, in_line: dict[str, object]) -> None:
    found, expected = in_line[name], CASES[name][1]
    if isinstance(found, tuple) and isinstance(found[0], Failure):
        failure, message = found
        assert failure.rule == expected, message
        if name in REPORTED:
            assert repr(REPORTED[name]) in message, message
    else:
        assert expected == "ok", found
    if name == "valid":
        assert found[1][3] == _BIG  # type: ignore[index]  # the main document's bytes


@pytest.mark.parametrize("name", sorted(CASES))
def test_on_the_worker_the_outcome_is_the_in_line_one(
    name: str, built: dict[str, bytes], in_line: dict[str, object], on_the_worker: list[str]
) -> None:
    assert _read(built[name]) == in_line[name]
    assert len(on_the_worker) == 2  # the two large documents, each on the worker
    assert all(t.startswith("peppol-dpi-offload") for t in on_the_worker)


@pytest.mark.parametrize("name", sorted(CASES))
def test_with_the_worker_busy_the_outcome_is_the_in_line_one(
    name: str, built: dict[str, bytes], in_line: dict[str, object], worker_busy: None
) -> None:
    assert _read(built[name]) == in_line[name]


class _Recorded(DigestsUnderWay):
    """Digests still under way that note when they are read."""

    def __init__(self, digests: dict[DigestMethod, bytes], events: list[str]) -> None:
        self._digests, self._events = digests, events

    @property
    def under_way(self) -> bool:
        return True

    def __getitem__(self, method: DigestMethod) -> bytes:
        self._events.append("digest read")
        return self._digests[method]

    def __iter__(self) -> Iterator[DigestMethod]:
        return iter(self._digests)

    def __len__(self) -> int:
        return len(self._digests)


@pytest.mark.parametrize("under_way", [True, False])
def test_references_under_way_are_checked_after_the_signature_value(
    under_way: bool, built: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_c14n = verifying.c14n

    def noted(element: object, **options: object) -> bytes:
        if getattr(element, "tag", "") == f"{{{ns.DS}}}SignedInfo":
            events.append("SignedInfo canonicalized")
        return real_c14n(element, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(verifying, "c14n", noted)
    entries = dict(read_zip(built["valid"]))
    digests = {DigestMethod.SHA256: hashlib.sha256(_BIG).digest()}
    held = _Recorded(digests, events) if under_way else dict(digests)
    contents = {**entries, MAIN: ExternalDigest(held)}
    verified = xades.verify_signatures(entries[xades.SIGNATURES_ENTRY], contents)
    assert set(verified.files) == {"manifest.xml", MAIN, EXTRA}
    expected = ["SignedInfo canonicalized", "digest read"]
    assert events == (expected if under_way else ["SignedInfo canonicalized"])


def test_the_resolver_is_asked_once_for_each_uri(built: dict[str, bytes]) -> None:
    # verify() resolves the references' URIs to order its checks: each once, as before.
    entries = dict(read_zip(built["valid"]))
    signature = parse_xml(entries[xades.SIGNATURES_ENTRY])[0]
    asked: Counter[str] = Counter()

    def resolver(uri: str) -> bytes | None:
        asked[uri] += 1
        return entries.get(uri)

    public_key = SIGNER.certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    verifying.verify(signature, public_key=public_key, resolver=resolver, policy=xades._POLICY)
    assert asked == {"manifest.xml": 1, MAIN: 1, EXTRA: 1}
