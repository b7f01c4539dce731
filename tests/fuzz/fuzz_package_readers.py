"""Fuzz target (differential): every reader of one document package reaches the same outcome.

The readers: ``open_package`` (the CMS in memory), ``open_package_from`` (a file: the CMS
decrypted chunk by chunk into a spool) and ``open_package_to`` (the documents written to
files); below them ``read_package`` of bytes and of a file, ``read_package_to``, ``read_zip``
of bytes (an entry inflated in one call) and of a file (in chunks), ``cms.decrypt`` and
``cms.decrypt_stream``. The contract: for any input the readers of one layer give the same
documents (names, bytes, MIME types, titles, metadata, signer, signing time) or the same error
class, ``rule`` and ``ebms_code``. A disagreement raises AssertionError with every outcome; an
exception other than InputError raised alike by all is a finding as in any target.

The first byte of an input says what the rest is (``% 3``; an odd ``// 3`` has every
document digested on the offload worker, however small):

* ``0``: an ASiC-E zip (a decrypted package); the next byte picks one of :data:`LIMITS`. The
  zip readers, the package readers and, encrypted to the receiver, the ``open_package*``
  functions are compared.
* ``1``: a CMS EnvelopedData (a sealed package): the two decryptors and ``open_package*``.
* ``2``: a raw deflate stream, the one entry of a zip whose declared size and CRC-32 are what
  zlib inflates it to (next byte: bit 0 one more, bit 1 one less, bit 2 a wrong CRC): the two
  zip readers (ISA-L in one call, and in chunks).

``read_package_to`` also refuses document names that are unsafe on disk (asic:unsafe-name,
documented in :mod:`peppol_dpi.dpi.unpack`); where the others accept such a package, that
difference is not counted.
"""

from __future__ import annotations

import hashlib
import io
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from fuzzing import fuzz, instrumented

with instrumented():
    from peppol_dpi import offload
    from peppol_dpi.dpi import cms
    from peppol_dpi.dpi.asic import AsicBuilder, Document, read_package
    from peppol_dpi.dpi.container import read_zip
    from peppol_dpi.dpi.package import open_package, open_package_from, open_package_to
    from peppol_dpi.dpi.unpack import _disk_name_problem, read_package_to
    from peppol_dpi.ids import ParticipantId
    from peppol_dpi.limits import DEFAULT_LIMITS, Limits

import pki
import seeds
from differential import Crash, Failure, outcome

RECIPIENT = pki.business_key("digipost")
ZIP, CMS, DEFLATE = 0, 1, 2
#: What the second byte of a zip input picks: the defaults, and limits a small package meets.
LIMITS = (
    DEFAULT_LIMITS,
    Limits(max_zip_entries=5),
    Limits(max_package_bytes=8 * 1024),
    Limits(max_xml_bytes=4 * 1024),
    Limits(max_xml_elements=40, max_xml_depth=6),
    Limits(max_compression_ratio=2, max_package_bytes=256 * 1024),
)
MIMETYPE = b"application/vnd.etsi.asic-e+zip"


Outcome = object  # a tuple read, a Failure or a Crash


def _document(doc: Any, content: Callable[[Any], bytes]) -> tuple[object, ...] | None:
    if doc is None:
        return None
    digest = hashlib.sha256(content(doc)).hexdigest()
    return (doc.name, doc.mime, doc.title, digest, _document(doc.metadata, content))


def _package(package: Any, content: Callable[[Any], bytes]) -> tuple[object, ...]:
    p = package
    main = _document(p.main, content)
    attachments = tuple(_document(a, content) for a in p.attachments)
    certificates = [c.fingerprint(hashes.SHA256()).hex()[:16] for c in (p.signer, *p.chain)]
    return ("ok", main, attachments, repr(p.manifest), certificates, p.signing_time)


def _in_memory(doc: Any) -> bytes:
    content: bytes = doc.content
    return content


def _on_disk(doc: Any) -> bytes:
    # The file written must be what the package says it is (size and SHA-256 of the staging).
    data = Path(doc.path).read_bytes()
    assert len(data) == doc.size and hashlib.sha256(data).hexdigest() == doc.sha256, doc.name
    return data


def _unpacked(read: Callable[[Path], Any]) -> tuple[object, ...]:
    """What ``read`` (read_package_to or open_package_to) writes into a fresh directory,
    removed again before the outcomes are compared."""
    with tempfile.TemporaryDirectory(prefix="fuzz-package-readers-") as directory:
        return _package(read(Path(directory)), _on_disk)


def _names(result: tuple[object, ...]) -> list[str]:
    names = []
    for document in [result[1], *result[2]]:  # type: ignore[misc]
        doc = document
        while doc is not None:
            names.append(doc[0])
            doc = doc[4]
    return names


#: How read_package_to, and open_package_to, refuse a name that is unsafe on disk.
_DISK_REFUSALS = (
    Failure("PackageError", "asic:unsafe-name", None),
    Failure("DecryptionError", "decryption-failed", "EBMS:0102"),
)


def _by_design(outcomes: Mapping[str, Outcome], to_reader: str) -> bool:
    """read_package_to refusing names unsafe on disk where the others accept the package
    (documented in peppol_dpi.dpi.unpack)."""
    others = [o for name, o in outcomes.items() if name != to_reader]
    first = others[0]
    return (
        outcomes[to_reader] in _DISK_REFUSALS
        and isinstance(first, tuple)
        and all(o == first for o in others)
        and any(_disk_name_problem(name) is not None for name in _names(first))
    )


def check(outcomes: Mapping[str, Outcome], *, to_reader: str | None = None) -> None:
    """Raise AssertionError naming every outcome unless all are the same (``to_reader``: the
    one of them that writes files, see _by_design)."""
    values = list(outcomes.values())
    if all(v == values[0] for v in values):
        if isinstance(values[0], Crash):
            raise values[0].exc
        return
    if to_reader is not None and _by_design(outcomes, to_reader):
        return
    described = "\n".join(f"  {name}: {value!r}" for name, value in outcomes.items())
    raise AssertionError(f"the readers disagree:\n{described}")


# -- the readers, layer by layer ---------------------------------------------------------------


def zip_outcomes(data: bytes, limits: Limits = DEFAULT_LIMITS) -> dict[str, Outcome]:
    return {
        "read_zip(bytes)": outcome(lambda: ("ok", tuple(read_zip(data, limits=limits).items()))),
        "read_zip(file)": outcome(
            lambda: ("ok", tuple(read_zip(io.BytesIO(data), limits=limits).items()))
        ),
    }


def package_outcomes(data: bytes, limits: Limits = DEFAULT_LIMITS) -> dict[str, Outcome]:
    def to() -> tuple[object, ...]:
        return _unpacked(lambda out: read_package_to(io.BytesIO(data), out, limits=limits))

    return {
        "read_package(bytes)": outcome(
            lambda: _package(read_package(data, limits=limits), _in_memory)
        ),
        "read_package(file)": outcome(
            lambda: _package(read_package(io.BytesIO(data), limits=limits), _in_memory)
        ),
        "read_package_to": outcome(to),
    }


def cms_outcomes(sealed: bytes, limits: Limits = DEFAULT_LIMITS) -> dict[str, Outcome]:
    def streamed() -> tuple[object, ...]:
        sink = io.BytesIO()
        written = cms.decrypt_stream(io.BytesIO(sealed), RECIPIENT, sink, limits=limits)
        assert written == len(sink.getvalue())
        return ("ok", sink.getvalue())

    return {
        "cms.decrypt": outcome(lambda: ("ok", cms.decrypt(sealed, RECIPIENT, limits=limits))),
        "cms.decrypt_stream": outcome(streamed),
    }


def open_outcomes(sealed: bytes, limits: Limits = DEFAULT_LIMITS) -> dict[str, Outcome]:
    def to() -> tuple[object, ...]:
        return _unpacked(
            lambda out: open_package_to(io.BytesIO(sealed), RECIPIENT, out, limits=limits)
        )

    return {
        "open_package": outcome(
            lambda: _package(open_package(sealed, RECIPIENT, limits=limits), _in_memory)
        ),
        "open_package_from": outcome(
            lambda: _package(
                open_package_from(io.BytesIO(sealed), RECIPIENT, limits=limits), _in_memory
            )
        ),
        "open_package_to": outcome(to),
    }


def one_entry_zip(stream: bytes, *, size: int, crc: int) -> bytes:
    """``mimetype`` and one DEFLATED entry ``a.txt`` holding ``stream`` (APPNOTE 4.3.7, 4.3.12,
    4.3.16), its declared ``size`` and ``crc``."""
    out, central = b"", b""
    for name, method, data, entry_crc, entry_size in (
        (b"mimetype", 0, MIMETYPE, zlib.crc32(MIMETYPE), len(MIMETYPE)),
        (b"a.txt", 8, stream, crc, size),
    ):
        fields = (method, 0, 0x5C61, entry_crc, len(data), entry_size, len(name))
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, *fields, 0, 0, 0, 0, 0, len(out)
        )
        central += name
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, *fields, 0) + name + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(central), len(out), 0)
    return out + central + end


_MIN_BYTES = offload.MIN_BYTES


def target(data: bytes) -> None:
    if len(data) < 2:
        return
    # An odd data[0] // 3: documents of any size are digested on the offload worker, their
    # references checked after the rest (as from 128 KiB).
    offload.MIN_BYTES = 0 if data[0] // 3 % 2 else _MIN_BYTES
    try:
        read(data)
    finally:
        offload.MIN_BYTES = _MIN_BYTES


def read(data: bytes) -> None:
    mode, rest = data[0] % 3, data[1:]
    if mode == ZIP:
        limits, plain = LIMITS[rest[0] % len(LIMITS)], rest[1:]
        check(zip_outcomes(plain, limits))
        check(package_outcomes(plain, limits), to_reader="read_package_to")
        sealed = cms.encrypt(plain, RECIPIENT.certificate)
        check(open_outcomes(sealed, limits), to_reader="open_package_to")
    elif mode == CMS:
        check(cms_outcomes(rest))
        check(open_outcomes(rest), to_reader="open_package_to")
    else:
        flags, stream = rest[0], rest[1:]
        inflater = zlib.decompressobj(-15)
        try:
            content = inflater.decompress(stream, 1 << 20)
        except zlib.error:
            content = b""
        size = max(len(content) + (flags & 1) - (flags >> 1 & 1), 0)
        crc = zlib.crc32(content) ^ (flags >> 2 & 1)
        check(zip_outcomes(one_entry_zip(stream, size=size, crc=crc)))


def corpus() -> Iterable[bytes]:
    package = seeds.asic_package()
    yield bytes([ZIP, 0]) + package
    yield bytes([ZIP, 3]) + package
    yield bytes([ZIP + 3, 0]) + package  # on the offload worker
    lenke = Document(
        name="lenke.xml", content=b"<lenke/>", mime="application/vnd.difi.dpi.lenke+xml"
    )
    with_metadata = (
        AsicBuilder()
        .sender(ParticipantId.norwegian("991825827"))
        .main_document(Document(name="brev.txt", content=b"Brev " * 50, metadata=lenke))
        .build(pki.business_key("sender"), signing_time=datetime(2026, 3, 1, tzinfo=UTC))
    )
    yield bytes([ZIP, 0]) + with_metadata
    yield bytes([CMS]) + cms.encrypt(package, RECIPIENT.certificate)
    streamed = io.BytesIO()
    with cms.EnvelopedDataWriter(streamed, RECIPIENT.certificate) as writer:
        writer.write(package)
    yield bytes([CMS]) + streamed.getvalue()
    for text in (b"", b"Vedlegg\n", b"abc" * 300, bytes(range(256)) * 8):
        for level, strategy in ((0, 0), (1, 0), (9, 0), (6, zlib.Z_FIXED), (6, zlib.Z_RLE)):
            compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
            yield bytes([DEFLATE, 0]) + compressor.compress(text) + compressor.flush()


if __name__ == "__main__":
    fuzz("package_readers", target, corpus)
