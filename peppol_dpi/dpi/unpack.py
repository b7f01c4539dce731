"""Reading a document package into a directory, with memory that does not grow with the documents.

:func:`read_package_to` makes the checks :func:`~.asic.read_package` makes, in the same
order and with the same rules, but never holds a document: every zip entry is read to its end
in archive order, its size and CRC checked, before anything in the package is believed (as
:func:`~.container.read_zip` does); a document is inflated in 1 MiB chunks, digested (SHA-256)
and written to a temporary file in the destination directory, and only the package's own XML
files are held. The XAdES signature is then verified against those digests
(:class:`~peppol_dpi.xmldsig.ExternalDigest`; another digest method the signature names is
computed from the file). Only when the signature, every digest and the trust decision passed
are the temporary files renamed to the documents' names; on any failure they are removed, so
a refused package leaves nothing behind. On top of the in-memory reader's rules, a document
name must be a safe file name on disk (``asic:unsafe-name``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from ..errors import UsageError
from ..limits import DEFAULT_LIMITS, Limits
from ..trust import TrustPolicy
from ..xmldsig import DigestMethod, ExternalDigest
from ..xmlparse import check_size
from . import xades
from .asic import MANIFEST_ENTRY, PackageFacts, package_documents, package_files, verify_files
from .container import ASIC_E_MIME_TYPE, AsicZip, PackageError, open_zip

_SHA256 = DigestMethod.SHA256
_READ_CHUNK = 1024 * 1024

__all__ = ["UnpackedDocument", "UnpackedPackage", "destination", "read_package_to"]


@dataclass(frozen=True, kw_only=True)
class UnpackedDocument:
    """A verified file of the package, written to ``path``: name, MIME type, size and digest."""

    name: str
    mime: str
    title: str | None
    path: Path
    size: int
    #: Lowercase hex SHA-256 of the content.
    sha256: str
    metadata: UnpackedDocument | None = None


@dataclass(frozen=True, kw_only=True)
class UnpackedPackage(PackageFacts):
    """What :func:`read_package_to` verified; the documents are files, not bytes."""

    main: UnpackedDocument
    attachments: tuple[UnpackedDocument, ...]


@dataclass
class _Staged:
    temporary: Path
    size: int
    sha256: bytes


#: The longest file name, in bytes, that common file systems take (ext4, XFS, Btrfs, tmpfs, APFS:
#: 255; NTFS: 255 UTF-16 units). The manifest allows 100 characters (sdp-manifest.xsd), which
#: can be 400 bytes of UTF-8.
_NAME_MAX_BYTES = 255


def _disk_name_problem(name: str, name_max: int = _NAME_MAX_BYTES) -> str | None:
    # Beyond the zip rules (plain names, no '..', no control characters): names that would
    # hide the file, that Windows would alter or read as a device stream, or that the file
    # system cannot hold.
    if name.startswith("."):
        return "starts with '.'"
    if name.endswith((" ", ".")) or ":" in name:
        return "is not a portable file name"
    if len(name.encode("utf-8")) > name_max:
        return f"is longer than {name_max} bytes"
    return None


def _name_max(directory: Path) -> int:
    """The longest file name ``directory`` takes, at most :data:`_NAME_MAX_BYTES`."""
    try:
        return min(_NAME_MAX_BYTES, os.pathconf(directory, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or not answered
        return _NAME_MAX_BYTES


def _held(name: str) -> bool:
    """Entries read into memory: the package's own small XML files (bounded by the XML limits
    when they are parsed); everything else is a document, staged in a file."""
    return name == MANIFEST_ENTRY or name.startswith("META-INF/")


def _stage(archive: AsicZip, info: zipfile.ZipInfo, directory: Path) -> _Staged:
    """Entry ``info`` inflated into a temporary file in ``directory``, its size and CRC checked
    (:meth:`AsicZip.chunks`) and its SHA-256 computed on the way."""
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".unpack-", suffix=".part")
    hasher = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(handle, "wb") as sink:
            for piece in archive.chunks(info):
                hasher.update(piece)
                sink.write(piece)
                size += len(piece)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return _Staged(Path(temporary), size, hasher.digest())


def _digests(staged: _Staged, methods: frozenset[DigestMethod]) -> ExternalDigest:
    """The staged file's digest under each method the signature names: SHA-256 from staging,
    any other (rare: XAdES in DPI uses SHA-256) by reading the file once more."""
    others = {method: hashlib.new(method.name.lower()) for method in methods - {_SHA256}}
    if others:
        with staged.temporary.open("rb") as source:
            for piece in iter(lambda: source.read(_READ_CHUNK), b""):
                for hasher in others.values():
                    hasher.update(piece)
    return ExternalDigest(
        {_SHA256: staged.sha256, **{m: hasher.digest() for m, hasher in others.items()}}
    )


def destination(directory: str | os.PathLike[str]) -> Path:
    """``directory`` as a path, after checking it is an existing directory."""
    out = Path(directory)
    if not out.is_dir():
        raise UsageError(f"{out} is not a directory")
    return out


def read_package_to(
    data: bytes | IO[bytes],
    directory: str | os.PathLike[str],
    *,
    trust: TrustPolicy | None = None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> UnpackedPackage:
    """Check and verify a decrypted document package (the ASiC-E zip, as bytes or a seekable
    file holding only the zip) and write its documents into ``directory`` (which must exist)
    under their names in the package, replacing files of those names.

    Raises what :func:`~.asic.read_package` raises, and ``asic:unsafe-name`` for a document
    name that is not a safe file name on disk. Nothing is left in ``directory`` on failure.
    """
    out = destination(directory)
    name_max = _name_max(out)
    with open_zip(data, limits=limits) as archive:
        _, *rest = archive.infos  # "mimetype", read and checked by open_zip
        held: dict[str, bytes] = {}
        staged: dict[str, _Staged] = {}
        try:
            # Every entry read to its end, its size and CRC checked, in archive order before
            # anything in it is believed: what read_package does, so that both refuse a package
            # for the same first fault. Documents go to temporary files, never into memory.
            for info in rest:
                if _held(info.filename) and info.file_size <= limits.max_xml_bytes:
                    held[info.filename] = archive.read(info)
                else:  # a document, or a file too large to be one of the package's XML files
                    staged[info.filename] = _stage(archive, info, out)

            def xml_entry(name: str) -> bytes:
                if name not in held:  # staged for its size: refused as parsing it would be
                    check_size(staged[name].size, limits, name)
                return held[name]

            names = [info.filename for info in archive.infos]
            manifest, named = package_files(names, xml_entry, limits=limits)
            unsafe = [n for n in named[1:] if _disk_name_problem(n, name_max) is not None]
            if unsafe:
                raise PackageError(
                    f"manifest.xml names files that are unsafe on disk: {unsafe}",
                    rule="asic:unsafe-name",
                )
            signatures = xml_entry(xades.SIGNATURES_ENTRY)
            methods = xades.digest_methods(signatures, limits=limits)
            contents: dict[str, bytes | ExternalDigest] = {
                "mimetype": ASIC_E_MIME_TYPE.encode("ascii"),
                named[0]: xml_entry(named[0]),
            }
            for name in named[1:]:
                contents[name] = _digests(staged[name], methods)
            verified, validated = verify_files(
                named, signatures, contents, trust=trust, at=at, limits=limits
            )

            def make(
                name: str, mime: str, title: str | None, metadata: UnpackedDocument | None
            ) -> UnpackedDocument:
                file = staged[name]
                return UnpackedDocument(
                    name=name,
                    mime=mime,
                    title=title,
                    path=out / name,
                    size=file.size,
                    sha256=file.sha256.hex(),
                    metadata=metadata,
                )

            main, attachments = package_documents(manifest, verified.files, make)
            # Refused before any rename, so that a package is written whole or not at all.
            blocked = [n for n in named[1:] if (out / n).is_dir()]
            if blocked:
                raise UsageError(f"{out} holds directories named as documents: {blocked}")
            for name in named[1:]:
                os.replace(staged[name].temporary, out / name)
        finally:
            for file in staged.values():
                file.temporary.unlink(missing_ok=True)
    return UnpackedPackage(
        manifest=manifest,
        main=main,
        attachments=attachments,
        signer=verified.signer,
        chain=verified.chain,
        signing_time=verified.signing_time,
        validated=validated,
    )
