"""The Python examples in README.md and docs/*.md run as written.

Each ```python block is executed, the blocks of one file in order in one namespace (later
blocks use earlier ones' names), in a temporary directory holding the files they open (the
test PKI's keys under the names the examples use). The few names an example leaves to the
reader (the SBD to send, the receiver's key, a PDF) are given from the test PKI. Nothing goes
to the network: the lookup examples run up to their first DNS query or HTTP request, which is
stopped; everything before it (imports, constructors, the argument checks) must pass.
"""

from __future__ import annotations

import ast
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import as4_support
import dns.resolver
import pki
import pytest
import requests
import test_dpi_recipes as recipes
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, pkcs12

from peppol_dpi.bench.payload import invoice
from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
from peppol_dpi.lookup.sml import naptr_name
from peppol_dpi.revocation import revocation_checker

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]  # fmt: skip
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


class _NetworkBlocked(Exception):
    """Raised instead of any DNS query, HTTP request or connection."""


def _blocks(document: str) -> list[str]:
    return _BLOCK.findall((ROOT / document).read_text(encoding="utf-8"))


def _with_blocks() -> list[str]:
    return [d for d in DOCUMENTS if _blocks(d)]


def _pem(cert: Any) -> bytes:
    return bytes(cert.public_bytes(Encoding.PEM))


def _p12(key: Any, password: bytes) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"key", key.key, key.certificate, list(key.chain), BestAvailableEncryption(password)
    )


def _scene(tmp: Path) -> dict[str, Any]:
    """The files the examples open (written to ``tmp``) and the names they leave to the reader."""
    c2, c3 = pki.ap_key("c2"), pki.ap_key("c3")
    sbd = as4_support.make_sbd()
    files = {
        "ap.p12": _p12(c2, b"password"),
        "peppol-ap-ca.pem": _pem(pki.ap_ca()),
        "ap-c2.p12": pki.path("ap-c2.p12").read_bytes(),
        "ap-c3.cert.pem": pki.path("ap-c3.cert.pem").read_bytes(),
        "invoice-sbd.xml": sbd,
    }
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    stored: list[bytes] = []
    session = requests.Session()
    return {
        # README
        "sbd_bytes": sbd,
        "their_cert": c3.certificate,
        "their_key": c3,
        # docs/as4.md
        "peppol_ap_ca": pki.ap_ca(),
        "checker": revocation_checker(session),
        "c3_key": c3,
        "store": stored.append,
        "stored": stored,
        "now": as4_support.NOW,
        "mid": "streamed-1@ap.example.com",
        # docs/dpi.md
        "pdf": b"%PDF-1.4 vedtak",
        "text": b"vedlegg",
        "signing_key": pki.business_key("processor"),
        "processor_key": pki.business_key("processor"),
        "krr_certificate": pki.business_key("digipost").certificate,
        "mailbox_key": pki.business_key("digipost"),
        "business_trust_policy": recipes.trust(),
        "maskinporten_token": recipes.token(),
        # docs/sbdh.md
        "invoice_bytes": invoice(2_000),
        "doctype": as4_support.DOCTYPE,
        "process": as4_support.PROCESS,
        # docs/lookup.md (everything after the first query or request is stopped)
        "smp_ca": pki.smp_ca(),
        "session": session,
        "business_key": pki.business_key("sender"),
    }


#: Names one document uses otherwise than another.
_LEFT_TO_THE_READER: dict[str, dict[str, Any]] = {
    "docs/lookup.md": {
        "smp_url": "http://127.0.0.1:9",  # what the stopped DNS lookup would have given
        "document_type": DocumentTypeId.parse(as4_support.DOCTYPE),
        "process": ProcessId.parse(as4_support.PROCESS),
    },
}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def blocked(*args: Any, **kwargs: Any) -> Any:
        raise _NetworkBlocked(f"{args[1:3]}")

    monkeypatch.setattr(requests.Session, "request", blocked)
    monkeypatch.setattr(dns.resolver.Resolver, "resolve", blocked)
    monkeypatch.setattr(socket.socket, "connect", blocked)
    yield


def _run(document: str, namespace: dict[str, Any]) -> list[str]:
    """Run the document's blocks statement by statement; a statement stopped at the network
    ends its block. Returns the statements that were stopped."""
    stopped: list[str] = []
    for number, block in enumerate(_blocks(document), 1):
        tree = ast.parse(block, filename=f"{document} block {number}")
        for statement in tree.body:
            code = compile(ast.Module(body=[statement], type_ignores=[]), f"{document} block {number}", "exec")  # fmt: skip
            try:
                exec(code, namespace)  # the project's own documentation
            except _NetworkBlocked:
                stopped.append(ast.get_source_segment(block, statement) or "")
                break
    return stopped


@pytest.mark.parametrize("document", _with_blocks())
def test_the_examples_run_as_written(document: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    namespace = _scene(tmp_path) | _LEFT_TO_THE_READER.get(document, {})
    stopped = _run(document, namespace)
    if document == "docs/lookup.md":
        # Each of its four blocks asks a registry (DNS, an SMP, Maskinporten, KRR) at once.
        assert len(stopped) == 4, stopped
        return
    assert stopped == [], f"{document} reached the network: {stopped}"
    if document == "README.md":
        assert namespace["received"].payload == namespace["sbd_bytes"]
    elif document == "docs/as4.md":
        sbd = (tmp_path / "invoice-sbd.xml").read_bytes()
        assert namespace["stored"] == [sbd]  # corner 3 stored what corner 2 sent
        # (the second block rebinds ``sent``; check_receipt compared the first one's id)
        receipt = namespace["receipt"]
        assert receipt.signal.message_info.ref_to_message_id.endswith("@ap.example.com")
        assert namespace["message"].message_id == namespace["mid"]
        assert (tmp_path / "sbd.xml").read_bytes() == sbd  # the streamed pair
    elif document == "docs/dpi.md":
        assert namespace["verified"].main.content == namespace["pdf"]
        assert namespace["parts"].dokumentpakke
    elif document == "docs/sbdh.md":
        assert namespace["header_only"] == namespace["header"]


def test_the_naptr_name_in_the_lookup_docs_is_what_the_code_computes() -> None:
    text = (ROOT / "docs/lookup.md").read_text(encoding="utf-8")
    shown = re.search(r"naptr_name\(participant, \"([^\"]+)\"\)\n# '([^']+)'", text)
    assert shown is not None, "the example changed shape: update this test"
    participant = ParticipantId.parse(re.search(r'ParticipantId.parse\("([^"]+)"\)', text).group(1))  # type: ignore[union-attr]  # fmt: skip
    assert naptr_name(participant, shown.group(1)) == shown.group(2)
