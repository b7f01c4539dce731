"""Reading a document package into a directory, with memory that does not grow with the documents.

:func:`read_package_to` makes the checks :func:`~.asic.read_package` makes, in the same
order and with the same rules, but never holds a document: each zip entry is inflated in
1 MiB chunks, digested (SHA-256, and whatever else the signature names) and written to a
temporary file in the destination directory; the XAdES signature is then verified against
those digests (:class:`~peppol_dpi.xmldsig.ExternalDigest`). Only when the signature, every
digest and the trust decision passed are the temporary files renamed to the documents' names;
on any failure they are removed, so a refused package leaves nothing behind.
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
from . import xades
from .asic import PackageFacts, package_documents, package_files, verify_files
from .container import ASIC_E_MIME_TYPE, AsicZip, PackageError, open_zip

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
    sha256: str


def _disk_name_problem(name: str) -> str | None:
    # Beyond the zip rules (plain names, no '..', no control characters): names that would
    # hide the file, or that Windows would alter or read as a device stream.
    if name.startswith("."):
        return "starts with '.'"
    if name.endswith((" ", ".")) or ":" in name:
        return "is not a portable file name"
    return None


def _stage(
    archive: AsicZip,
    info: zipfile.ZipInfo,
    directory: Path,
    methods: frozenset[DigestMethod],
) -> tuple[_Staged, ExternalDigest]:
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".unpack-", suffix=".part")
    hashers = {method: hashlib.new(method.name.lower()) for method in methods}
    size = 0
    try:
        with os.fdopen(handle, "wb") as sink:
            for piece in archive.chunks(info):
                for hasher in hashers.values():
                    hasher.update(piece)
                sink.write(piece)
                size += len(piece)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    digests = {method: hasher.digest() for method, hasher in hashers.items()}
    staged = _Staged(Path(temporary), size, digests[DigestMethod.SHA256].hex())
    return staged, ExternalDigest(digests)


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
    with open_zip(data, limits=limits) as archive:
        infos = {info.filename: info for info in archive.infos}

        def read(name: str) -> bytes:
            return archive.read(infos[name])

        manifest, named = package_files(infos.keys(), read, limits=limits)
        unsafe = [n for n in named[1:] if _disk_name_problem(n) is not None]
        if unsafe:
            raise PackageError(
                f"manifest.xml names files that are unsafe on disk: {unsafe}",
                rule="asic:unsafe-name",
            )
        signatures = read(xades.SIGNATURES_ENTRY)
        methods = xades.digest_methods(signatures, limits=limits)
        contents: dict[str, bytes | ExternalDigest] = {
            "mimetype": ASIC_E_MIME_TYPE.encode("ascii"),
            named[0]: read(named[0]),
        }
        staged: dict[str, _Staged] = {}
        try:
            for name in named[1:]:
                staged[name], contents[name] = _stage(archive, infos[name], out, methods)
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
                    sha256=file.sha256,
                    metadata=metadata,
                )

            main, attachments = package_documents(manifest, verified.files, make)
            # Refused before any rename, so that a package is written whole or not at all.
            blocked = [n for n in staged if (out / n).is_dir()]
            if blocked:
                raise UsageError(f"{out} holds directories named as documents: {blocked}")
            for name, file in staged.items():
                os.replace(file.temporary, out / name)
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
