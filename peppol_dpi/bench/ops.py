"""The operations ``peppol-dpi bench`` times: the package's own code paths on one payload.

Each operation is prepared once (keys loaded, inputs built) and returned as a zero-argument
callable doing only the measured work, exactly as an application would call the library.

``as4_build`` and ``as4_open`` are the bytes-in-memory path (:func:`build_message`,
:func:`open_message`); ``as4_build_stream`` and ``as4_open_stream`` the streaming path
(:func:`build_message_to` from an SBD file to a body file, :func:`open_message_from` from the
body file to a payload file), whose memory does not grow with the payload (issue 8: a 500 MB
payload under 100 MB above the interpreter's baseline). They work on an SBD file written by
:func:`write_sbd` in pieces, so that not even the benchmark holds the payload.
``dpi_unpack_stream`` is :func:`open_package_from` on the sealed package in a file (a DPI
package is built in memory, at most ``Limits.max_dpi_package_bytes``: its file is written by
the parent); ``dpi_unpack_to`` is :func:`open_package_to` on the same file, writing the
documents into a directory instead of returning them.
"""

from __future__ import annotations

import functools
import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..as4 import build_message, build_message_to, open_message, open_message_from
from ..dpi.asic import AsicBuilder, Document
from ..dpi.package import open_package, open_package_from, open_package_to, seal
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..jose import JwsAlgorithm, decode_compact, encode_compact
from ..keys import LocalPrivateKey, rsa_public_key
from ..sbdh import SbdHeader, XmlPayload, build_sbd, read_sbd
from ..testing.pki import parties
from ..trust import RevocationMode, TrustPolicy
from .payload import invoice, write_invoice

__all__ = [
    "OPERATIONS",
    "STREAM_OPERATIONS",
    "Keys",
    "StreamRun",
    "floor_name",
    "load_keys",
    "prepare",
    "prepare_stream",
    "sbd_around",
    "sbd_for",
    "write_sbd",
    "write_stream_input",
]

#: Operations on files: prepared by :func:`prepare_stream` from an SBD file.
STREAM_OPERATIONS = ("as4_build_stream", "as4_open_stream", "dpi_unpack_stream", "dpi_unpack_to")

OPERATIONS = (
    "as4_build",
    "as4_open",
    "as4_build_stream",
    "as4_open_stream",
    "dpi_pack",
    "dpi_unpack",
    "dpi_unpack_stream",
    "dpi_unpack_to",
    "jws_sign",
    "jws_verify",
    "sbdh_wrap",
    "sbdh_read",
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
INVOICE_TYPE = DocumentTypeId.parse(
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
    "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
BILLING = ProcessId.parse("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")
SENDER = ParticipantId.norwegian("991825827")
RECEIVER = ParticipantId.norwegian("984661185")


@dataclass(frozen=True)
class Keys:
    c2: LocalPrivateKey
    c3: LocalPrivateKey
    sender: LocalPrivateKey
    mailbox: LocalPrivateKey

    def trust(self, key: LocalPrivateKey) -> TrustPolicy:
        return TrustPolicy(
            anchors=(key.chain[-1],), intermediates=key.chain[:-1], revocation=RevocationMode.OFF
        )


def load_keys(directory: Path | None = None) -> Keys:
    """The test PKI's parties (from ``directory`` if it holds one, else built in memory)."""
    found = parties(directory)
    return Keys(
        c2=found["ap-c2"], c3=found["ap-c3"], sender=found["sender"], mailbox=found["digipost"]
    )


def sbd_for(payload: bytes) -> bytes:
    header = SbdHeader.for_payload(
        XmlPayload(data=payload),
        sender=SENDER,
        receiver=RECEIVER,
        document_type=INVOICE_TYPE,
        process=BILLING,
        country_c1="NO",
        instance_id="4b9c1d2e-0000-4000-8000-000000000001",
        created=NOW,
    )
    return build_sbd(header, XmlPayload(data=payload))


@functools.cache
def _sbd_head_tail() -> tuple[bytes, bytes]:
    # What :func:`sbd_for` writes before and after an invoice's root element: an invoice of
    # the same root element and no content gives both.
    stub = invoice(1)
    head, tail = sbd_for(stub).split(stub.split(b"?>\n", 1)[1])
    return head, tail


def sbd_around(document: bytes) -> bytes:
    """:func:`sbd_for` of an :func:`invoice` document, at any size: put between the SBD's
    head and tail without being parsed (a 500 MB invoice has more elements than the parser
    takes)."""
    head, tail = _sbd_head_tail()
    body = memoryview(document)[document.index(b"?>\n") + 3 :]
    return b"".join((head, body, tail))


def write_sbd(path: Path, size: int) -> None:
    """The SBD of :func:`sbd_for` around ``invoice(size)``, written in pieces."""
    head, tail = _sbd_head_tail()
    with path.open("wb") as sink:
        sink.write(head)
        write_invoice(sink, size, declaration=False)
        sink.write(tail)


def floor_name(op: str) -> str:
    """The raw-floor entry a streaming ``op`` is compared with: its bytes twin's."""
    return "dpi_unpack" if op == "dpi_unpack_to" else op.removesuffix("_stream")


def write_stream_input(op: str, path: Path, size: int, keys: Keys) -> None:
    """The file a streaming ``op`` reads: the SBD around ``invoice(size)``, written in pieces,
    or for the ``dpi_unpack_*`` operations the sealed package of that invoice."""
    if op in ("dpi_unpack_stream", "dpi_unpack_to"):
        path.write_bytes(make_input("dpi_unpack", invoice(size), keys))
    else:
        write_sbd(path, size)


class StreamRun:
    """A streaming operation ready to run, each run writing to outputs of its own.

    Every run gets a fresh output path (:meth:`__call__` hands it to the operation); the
    outputs of earlier runs are removed by :meth:`clean`, which the benchmark calls between
    blocks, outside the timed runs. Writing over one output file would make every run also pay
    for freeing the blocks of the run before: on the benchmark machine (ext4 mounted with
    ``discard``) truncating a 1 MB file took 0.7 ms and a 50 MB one 24 ms, up to a quarter of
    what opening the message took. An application writes each payload to a new file, and
    frees old ones apart.
    """

    def __init__(self, run: Callable[[Path], object], directory: Path) -> None:
        self._run = run
        self._directory = directory
        self._outputs: list[Path] = []

    def __call__(self) -> object:
        output = self._directory / f"out-{uuid.uuid4().hex}"
        self._outputs.append(output)
        return self._run(output)

    def clean(self) -> None:
        """Remove every output written so far (a file, or a directory of files)."""
        for output in self._outputs:
            if output.is_dir():
                shutil.rmtree(output)
            else:
                output.unlink(missing_ok=True)
        self._outputs.clear()


def prepare_stream(op: str, sbd_file: Path, keys: Keys, work: Path) -> StreamRun:
    """The measured run of a streaming ``op`` on the file :func:`write_stream_input` wrote
    (``sbd_file``); its outputs go to ``work``, a new one for every run."""
    if op == "dpi_unpack_stream":
        trust = keys.trust(keys.sender)
        return StreamRun(
            lambda _: open_package_from(
                sbd_file, keys.mailbox, trust=trust, at=NOW, spool_dir=work
            ),
            work,
        )
    if op == "dpi_unpack_to":
        trust = keys.trust(keys.sender)

        def unpack_to(out_dir: Path) -> object:
            out_dir.mkdir()  # open_package_to writes into an existing directory
            return open_package_to(sbd_file, keys.mailbox, out_dir, trust=trust, at=NOW)

        return StreamRun(unpack_to, work)

    def build(body_file: Path) -> tuple[dict[str, str], object]:
        with body_file.open("wb") as sink:
            return build_message_to(
                sbd_file,
                sink,
                key=keys.c2,
                receiver_cert=keys.c3.certificate,
                now=NOW,
                message_id=_message_id(),
                spool_dir=work,
            )

    if op == "as4_build_stream":
        return StreamRun(build, work)
    if op == "as4_open_stream":
        body_file = work / f"{op}.body"
        headers, _ = build(body_file)
        trust = keys.trust(keys.c2)

        def open_(payload_file: Path) -> object:
            with payload_file.open("wb") as payload_sink:
                return open_message_from(
                    body_file,
                    headers,
                    key=keys.c3,
                    trust=trust,
                    payload_sink=payload_sink,
                    at=NOW,
                    spool_dir=work,
                )

        return StreamRun(open_, work)
    raise ValueError(f"unknown streaming operation {op!r}")


def prepare(op: str, payload: bytes, keys: Keys) -> Callable[[], object]:
    """The measured callable for ``op`` on ``payload`` (an XML business document)."""
    return from_input(op, make_input(op, payload, keys), keys)


def make_input(op: str, payload: bytes, keys: Keys) -> bytes:
    """What ``op`` consumes, as bytes (so a child process can measure ``op`` alone)."""
    if op in ("sbdh_wrap", "dpi_pack", "jws_sign"):
        return payload
    if op in ("sbdh_read", "as4_build"):
        return sbd_for(payload)
    if op == "as4_open":
        headers, body, _ = build_message(
            sbd_for(payload),
            key=keys.c2,
            receiver_cert=keys.c3.certificate,
            now=NOW,
            message_id=_message_id(),
        )
        return json.dumps(dict(headers)).encode() + b"\n" + body
    if op == "dpi_unpack":
        return seal(
            _package(payload, keys),
            keys.sender,
            recipient=keys.mailbox.certificate,
            signing_time=NOW,
        )
    if op == "jws_verify":
        return encode_compact(header=_jws_header(keys), payload=payload, key=keys.sender).encode()
    raise ValueError(f"unknown operation {op!r}")


def from_input(op: str, data: bytes, keys: Keys) -> Callable[[], object]:
    """The measured callable for ``op`` on what :func:`make_input` produced."""
    if op == "sbdh_wrap":
        return lambda: sbd_for(data)
    if op == "sbdh_read":
        return lambda: read_sbd(data)
    if op == "as4_build":
        return lambda: build_message(
            data, key=keys.c2, receiver_cert=keys.c3.certificate, now=NOW, message_id=_message_id()
        )
    if op == "as4_open":
        head, _, body = data.partition(b"\n")
        headers = json.loads(head)
        trust = keys.trust(keys.c2)
        return lambda: open_message(headers, body, key=keys.c3, trust=trust, at=NOW)
    if op == "dpi_pack":
        builder = _package(data, keys)
        return lambda: seal(
            builder, keys.sender, recipient=keys.mailbox.certificate, signing_time=NOW
        )
    if op == "dpi_unpack":
        trust = keys.trust(keys.sender)
        return lambda: open_package(data, keys.mailbox, trust=trust, at=NOW)
    if op == "jws_sign":
        header = _jws_header(keys)
        return lambda: encode_compact(header=header, payload=data, key=keys.sender)
    if op == "jws_verify":
        public = rsa_public_key(keys.sender.certificate)

        def verify() -> object:
            parsed = decode_compact(data)
            parsed.verify(public)
            return parsed

        return verify
    raise ValueError(f"unknown operation {op!r}")


def _message_id() -> str:
    return f"{uuid.uuid4()}@bench.peppol-dpi"


def _package(payload: bytes, keys: Keys) -> AsicBuilder:
    return (
        AsicBuilder()
        .sender(SENDER)
        .mailbox("ola.nordmann#9YDT")
        .main_document(Document(name="faktura.xml", content=payload))
    )  # KeyInfo: the signer's certificate and its own chain (leaf, CA, root; dpi.md 3.3)


def _jws_header(keys: Keys) -> dict[str, object]:
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    leaf = base64.b64encode(keys.sender.certificate.public_bytes(Encoding.DER)).decode()
    return {"x5c": [leaf], "alg": JwsAlgorithm.RS256.value}
