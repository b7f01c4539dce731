"""Reading a package digests its large documents on a second core: the answers are the same.

``read_package`` (and so ``open_package``) starts the SHA-256 of every entry of at least
``offload.MIN_BYTES`` on the worker thread as soon as the zip is read, while it reads the
manifest and the signature; a reference naming another method is digested in line when it
asks. Every case is read three ways, which must agree: the digests on the worker (made
certain: begun there before the reader goes on), taken back by the caller (the worker busy),
and in line as before (MIN_BYTES out of reach).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from differential import outcome
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
from peppol_dpi.xmldsig import DigestMethod

pytestmark = needs_two_cores

_BIG = b"".join(b"%%PDF %08x\n" % (i * 2654435761 % 2**32) for i in range(60_000))
_OTHER = _BIG.replace(b"PDF", b"PDX", 1)
MAIN, EXTRA = "brev.pdf", "vedlegg.pdf"
FILES = {MAIN: ("application/pdf", _BIG), EXTRA: ("application/pdf", _BIG[::-1])}
MANIFEST = _manifest((MAIN, "application/pdf"), (EXTRA, "application/pdf"))
assert len(_BIG) >= 4 * offload.MIN_BYTES


def _valid() -> bytes:
    return _signed_zip(MANIFEST, FILES)


def _swapped(name: str, content: bytes, manifest: bytes = MANIFEST) -> Callable[[], bytes]:
    """Signed over the files of FILES, carrying ``content`` as ``name``."""

    def build() -> bytes:
        signed = [xades.SignedFile(name="manifest.xml", mime="application/xml", content=MANIFEST)]
        signed += [xades.SignedFile(name=n, mime=m, content=c) for n, (m, c) in FILES.items()]
        signatures = xades.sign_files(signed, SIGNER, signing_time=NOW)
        files = {**FILES, name: (FILES[name][0], content)}
        return _signed_zip(manifest, files, signatures=signatures)

    return build


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
    "a document changed after signing": (_swapped(MAIN, _OTHER), "dsig:digest-mismatch"),
    "the attachment changed after signing": (_swapped(EXTRA, _OTHER), "dsig:digest-mismatch"),
    "changed, and a manifest naming another file": (
        _swapped(MAIN, _OTHER, _manifest(("annen.pdf", "application/pdf"))),
        "asic:missing-entry",  # the manifest is read before any digest is compared
    ),
    "a SHA-512 reference": (_sha512_reference(_BIG), "ok"),
    "a SHA-512 reference of other content": (
        _sha512_reference(_OTHER),
        "dsig:digest-mismatch",
    ),
}


def _read(data: bytes) -> object:
    return outcome(lambda: _package(read_package(data), _in_memory))


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
    assert (getattr(found, "rule", None) or "ok") == expected, found
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
