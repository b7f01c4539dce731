"""The DPI document package (dokumentpakke) as an ASiC-E container: builder and reader.

:class:`AsicBuilder` is immutable, as ``cryptography``'s builders are: every setter returns a
new builder, setting a thing twice is refused, and everything is validated again when the
package is signed. Entry order is integrasjonspunkt's (dpi.md 3.1): ``mimetype``,
``manifest.xml``, the main document, the attachments (each followed by its ``data`` file, if
any), ``META-INF/signatures.xml``, ``META-INF/manifest.xml``.

:func:`read_package` checks the zip (see :mod:`.container`), reads the SDP manifest, verifies
the XAdES signature and every file digest, requires that exactly the files the manifest names
are present and signed, and optionally validates the signer with a
:class:`~peppol_dpi.trust.TrustPolicy`. It returns what it verified.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import IO, Final, TypeVar

from cryptography import x509
from lxml import etree

from .. import ns
from ..arguments import (
    require_instance,
    require_items,
    require_optional,
    require_sink,
    require_time,
)
from ..errors import UsageError
from ..ids import ParticipantId
from ..keys import PrivateKey, require_key
from ..limits import DEFAULT_LIMITS, Limits
from ..trust import TrustPolicy, ValidatedCertificate
from ..xmldsig import DigestMethod, ExternalDigest
from ..xmldsig.beside import digested_beside
from . import xades
from .container import (
    ASIC_E_MIME_TYPE,
    PackageError,
    Sink,
    ZipEntryWriter,
    check_entry_name,
    read_zip,
)
from .manifest import (
    MAX_ATTACHMENTS,
    ManifestDocument,
    ManifestRecipient,
    ManifestSender,
    MetadataFile,
    SdpManifest,
)
from .mime import DOCUMENT_MIME_TYPES, METADATA_MIME_TYPES, mime_type_for

__all__ = [
    "MANIFEST_ENTRY",
    "AsicBuilder",
    "Document",
    "PackageDocument",
    "PackageFacts",
    "VerifiedPackage",
    "package_documents",
    "package_files",
    "read_package",
    "verify_files",
]

#: The SDP manifest naming the package's documents (dpi.md 3.1).
MANIFEST_ENTRY: Final = "manifest.xml"
_META_MANIFEST: Final = "META-INF/manifest.xml"
_RESERVED: Final = frozenset({"mimetype", MANIFEST_ENTRY})


@dataclass(frozen=True, kw_only=True)
class Document:
    """A file to send: its name in the package, content, MIME type and title.

    ``mime`` defaults to the DPI type for the name's extension (:mod:`.mime`). ``metadata`` is
    an optional extension file (``application/vnd.difi.dpi.*+xml``) describing this document.
    """

    name: str
    content: bytes = field(repr=False)
    mime: str = ""
    title: str | None = None
    title_lang: str = "no"
    metadata: Document | None = None

    def __post_init__(self) -> None:
        require_instance(self.name, str, caller="Document", name="name")
        if not isinstance(self.content, bytes):
            raise UsageError("document content must be bytes")
        if not self.mime:
            guessed = mime_type_for(self.name)
            if guessed is None:
                raise UsageError(
                    f"no DPI MIME type for {self.name!r}: name one (allowed: dpi.md 3.1)"
                )
            object.__setattr__(self, "mime", guessed)
        problem = check_entry_name(self.name)
        # A package name is a plain file name, never a path (dpi.md 3.1; sdp href 4..100).
        if problem is None and ("/" in self.name or self.name in _RESERVED):
            problem = "is a path or a reserved name"
        if problem is not None:
            raise UsageError(f"document name {self.name!r} {problem}")
        if not 4 <= len(self.name) <= 100:
            raise UsageError(f"document name {self.name!r} must have 4 to 100 characters")


def _check_signing(caller: str, key: object, signing_time: object) -> None:
    require_key(key, caller=caller)
    require_time(signing_time, caller=caller, name="signing_time")


def _require_document(value: object, caller: str) -> None:
    require_instance(value, Document, caller=caller, name="document")


@dataclass(frozen=True, kw_only=True)
class AsicBuilder:
    """Builds and signs a DPI ASiC-E package. Start from ``AsicBuilder()``."""

    _sender: ManifestSender | None = None
    _recipient: ManifestRecipient | None = None
    _main: Document | None = None
    _attachments: tuple[Document, ...] = ()
    _chain: tuple[x509.Certificate, ...] | None = None

    def sender(
        self,
        organisation: ParticipantId,
        *,
        sender_identifier: str | None = None,
        invoice_reference: str | None = None,
    ) -> AsicBuilder:
        """The legal sender (behandlingsansvarlig), as in the business message's ``avsender``."""
        caller = "AsicBuilder.sender"
        require_optional(sender_identifier, str, caller=caller, name="sender_identifier")
        require_optional(invoice_reference, str, caller=caller, name="invoice_reference")
        if self._sender is not None:
            raise UsageError("the sender is already set")
        return replace(
            self,
            _sender=ManifestSender(
                organisation=organisation,
                sender_identifier=sender_identifier,
                invoice_reference=invoice_reference,
            ),
        )

    def mailbox(self, address: str, *, person_identifier: str | None = None) -> AsicBuilder:
        """The citizen's mailbox address (digital post; leave unset for print)."""
        require_instance(address, str, caller="AsicBuilder.mailbox", name="address")
        require_optional(
            person_identifier, str, caller="AsicBuilder.mailbox", name="person_identifier"
        )
        if self._recipient is not None:
            raise UsageError("the mailbox is already set")
        return replace(
            self,
            _recipient=ManifestRecipient(
                mailbox_address=address, person_identifier=person_identifier
            ),
        )

    def main_document(self, document: Document) -> AsicBuilder:
        _require_document(document, "AsicBuilder.main_document")
        if self._main is not None:
            raise UsageError("the main document is already set (a package has exactly one)")
        return replace(self, _main=document)

    def add_attachment(self, document: Document) -> AsicBuilder:
        _require_document(document, "AsicBuilder.add_attachment")
        if len(self._attachments) >= MAX_ATTACHMENTS:
            raise UsageError(f"a package has at most {MAX_ATTACHMENTS} attachments")
        return replace(self, _attachments=(*self._attachments, document))

    def certificate_chain(self, chain: tuple[x509.Certificate, ...]) -> AsicBuilder:
        """Certificates to embed after the signer's (default: the key's own chain)."""
        require_items(
            chain,
            x509.Certificate,
            caller="AsicBuilder.certificate_chain",
            name="chain",
            expected="a tuple of x509.Certificate",
        )
        if self._chain is not None:
            raise UsageError("the certificate chain is already set")
        return replace(self, _chain=tuple(chain))

    # -- building --------------------------------------------------------------------------

    def _validated(self, limits: Limits) -> tuple[SdpManifest, list[Document]]:
        if self._sender is None:
            raise UsageError("the package needs a sender")
        if self._main is None:
            raise UsageError("the package needs a main document")
        documents = [self._main, *self._attachments]
        files: list[Document] = []
        for document in documents:
            if document.mime not in DOCUMENT_MIME_TYPES:
                raise UsageError(f"{document.name}: MIME type {document.mime!r} is not allowed")
            files.append(document)
            if document.metadata is not None:
                if document.metadata.mime not in METADATA_MIME_TYPES:
                    raise UsageError(
                        f"{document.metadata.name}: {document.metadata.mime!r} is not a DPI "
                        "extension type"
                    )
                files.append(document.metadata)
        names = [f.name.casefold() for f in files]
        # e-Boks refuses duplicate names (dpi.md 9.10); case-insensitive, as on Windows.
        if len(set(names)) != len(names):
            raise UsageError("document names must be unique (also ignoring case)")
        total = sum(len(f.content) for f in files)
        if total > limits.max_dpi_package_bytes:
            raise UsageError(
                f"the documents are {total} bytes, more than {limits.max_dpi_package_bytes}"
            )
        manifest = SdpManifest(
            sender=self._sender,
            recipient=self._recipient,
            main=_manifest_entry(self._main),
            attachments=tuple(_manifest_entry(d) for d in self._attachments),
        )
        return manifest, files

    def write(
        self,
        sink: Sink,
        key: PrivateKey,
        *,
        signing_time: datetime,
        limits: Limits = DEFAULT_LIMITS,
        compression_level: int | None = None,
    ) -> None:
        """Sign the package with ``key`` and stream the zip to ``sink`` (need not seek)."""
        require_sink(sink, caller="AsicBuilder.write", name="sink")
        _check_signing("AsicBuilder.write", key, signing_time)
        self._write(
            sink, key, signing_time=signing_time, limits=limits, compression_level=compression_level
        )

    def build(
        self, key: PrivateKey, *, signing_time: datetime, limits: Limits = DEFAULT_LIMITS
    ) -> bytes:
        """The signed package as bytes (see :meth:`write`)."""
        _check_signing("AsicBuilder.build", key, signing_time)
        sink = io.BytesIO()
        self._write(sink, key, signing_time=signing_time, limits=limits, compression_level=None)
        return sink.getvalue()

    def _write(
        self,
        sink: Sink,
        key: PrivateKey,
        *,
        signing_time: datetime,
        limits: Limits,
        compression_level: int | None,
    ) -> None:
        # write() and build() after their argument checks.
        manifest, files = self._validated(limits)
        manifest_xml = manifest.to_xml()
        signed = [
            xades.SignedFile(name=MANIFEST_ENTRY, mime="application/xml", content=manifest_xml),
            *(xades.SignedFile(name=f.name, mime=f.mime, content=f.content) for f in files),
        ]
        signatures = xades.sign_files(
            signed,
            key,
            signing_time=signing_time,
            chain=self._chain if self._chain is not None else key.chain,
        )
        writer = ZipEntryWriter(sink, modified=signing_time, level=compression_level)
        writer.add_stored("mimetype", ASIC_E_MIME_TYPE.encode("ascii"))
        for file in signed:
            writer.add_deflated(file.name, file.content)
        writer.add_deflated(xades.SIGNATURES_ENTRY, signatures)
        writer.add_deflated(_META_MANIFEST, _oasis_manifest(signed))
        writer.close()


def _manifest_entry(document: Document) -> ManifestDocument:
    metadata = document.metadata
    return ManifestDocument(
        href=document.name,
        mime=document.mime,
        title=document.title,
        title_lang=document.title_lang,
        data=MetadataFile(href=metadata.name, mime=metadata.mime) if metadata else None,
    )


def _oasis_manifest(files: list[xades.SignedFile]) -> bytes:
    """META-INF/manifest.xml (OpenDocument manifest), as integrasjonspunkt writes it (dpi.md 3.1)."""
    m = ns.ODF_MANIFEST
    root = etree.Element(f"{{{m}}}manifest", nsmap={"ns1": m})
    etree.SubElement(
        root,
        f"{{{m}}}file-entry",
        {f"{{{m}}}full-path": "/", f"{{{m}}}media-type": ASIC_E_MIME_TYPE},
    )
    for file in files:
        etree.SubElement(
            root,
            f"{{{m}}}file-entry",
            {f"{{{m}}}full-path": file.name, f"{{{m}}}media-type": file.mime},
        )
    etree.indent(root, space="    ")
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + etree.tostring(root, encoding="UTF-8")
        + b"\n"
    )


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PackageDocument:
    """A verified file of the package: name, MIME type (from the manifest), size and digest."""

    name: str
    mime: str
    title: str | None
    content: bytes = field(repr=False)
    metadata: PackageDocument | None = None

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        """Lowercase hex SHA-256 of the content."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True, kw_only=True)
class PackageFacts:
    """What was verified about a package, apart from its documents."""

    manifest: SdpManifest
    signer: x509.Certificate
    #: The other certificates the signature carried (intermediates, root).
    chain: tuple[x509.Certificate, ...]
    #: The signing time the signer claims (XAdES SigningTime).
    signing_time: datetime
    #: The trust decision: the validated path, or None when no trust policy was given.
    validated: ValidatedCertificate | None

    @property
    def sender(self) -> ParticipantId:
        return self.manifest.sender.organisation

    @property
    def mailbox(self) -> str | None:
        return self.manifest.recipient.mailbox_address if self.manifest.recipient else None


@dataclass(frozen=True, kw_only=True)
class VerifiedPackage(PackageFacts):
    """What :func:`read_package` verified, with the documents' content."""

    main: PackageDocument
    attachments: tuple[PackageDocument, ...]


def _fail(message: str, rule: str) -> PackageError:
    return PackageError(message, rule=f"asic:{rule}")


def package_files(
    names: Collection[str], read: Callable[[str], bytes], *, limits: Limits = DEFAULT_LIMITS
) -> tuple[SdpManifest, list[str]]:
    """Parse ``manifest.xml`` (``read`` gives an entry's content) and check that the zip entry
    ``names`` are exactly the files it names plus the ASiC-E ones. Returns the manifest and the
    signed files' names, ``manifest.xml`` first. Raises :class:`~.container.PackageError`."""
    if MANIFEST_ENTRY not in names:
        raise _fail("the package has no manifest.xml", "missing-entry")
    if xades.SIGNATURES_ENTRY not in names:
        raise _fail(f"the package has no {xades.SIGNATURES_ENTRY}", "missing-entry")
    manifest = SdpManifest.parse(read(MANIFEST_ENTRY), limits=limits)
    named = [MANIFEST_ENTRY]
    for document in manifest.documents:
        named.append(document.href)
        if document.data is not None:
            named.append(document.data.href)
    unsafe = [n for n in named[1:] if "/" in n or n in _RESERVED]
    if unsafe:  # DPI packages are flat: documents are plain file names (dpi.md 3.1)
        raise _fail(f"manifest.xml names unsafe document paths: {unsafe}", "unsafe-name")
    if len({n.casefold() for n in named}) != len(named):
        raise _fail("manifest.xml names a file more than once", "duplicate-entry")
    missing = [n for n in named if n not in names]
    if missing:
        raise _fail(f"files named in manifest.xml are missing: {missing}", "missing-entry")
    # ETSI TS 102 918: only mimetype, the data files and META-INF content; DOCS: one signature file.
    allowed = {"mimetype", xades.SIGNATURES_ENTRY, _META_MANIFEST, *named}
    extra = [n for n in names if n not in allowed]
    if extra:
        raise _fail(f"the package holds files manifest.xml does not name: {extra}", "extra-entry")
    return manifest, named


def verify_files(
    named: Sequence[str],
    signatures: bytes,
    contents: Mapping[str, bytes | ExternalDigest],
    *,
    trust: TrustPolicy | None,
    at: datetime | None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[xades.VerifiedXades, ValidatedCertificate | None]:
    """Verify ``signatures`` (``META-INF/signatures.xml``) against the entries' ``contents``
    (bytes, or their digests), require that it signs exactly the ``named`` files, then decide
    trust when a policy is given."""
    verified = xades.verify_signatures(signatures, contents, limits=limits)
    unsigned = sorted(set(named) - set(verified.files))
    if unsigned or set(verified.files) - set(named):
        raise _fail(
            f"the signature must cover exactly the package's files; not signed: {unsigned}",
            "unsigned-entry",
        )
    validated = (
        trust.validate(verified.signer, chain=verified.chain, at=at) if trust is not None else None
    )
    return verified, validated


_D = TypeVar("_D")


def package_documents(
    manifest: SdpManifest,
    signed: Mapping[str, str],
    make: Callable[[str, str, str | None, _D | None], _D],
) -> tuple[_D, tuple[_D, ...]]:
    """The main document and the attachments, each made by ``make(name, mime, title,
    metadata)``, after checking the manifest's MIME types against the signed ones."""

    def one(entry: ManifestDocument) -> _D:
        metadata = None
        if entry.data is not None:
            metadata = make(entry.data.href, entry.data.mime, None, None)
        declared = signed.get(entry.href, "")
        if declared and declared != entry.mime:
            raise _fail(
                f"{entry.href}: manifest.xml says {entry.mime}, the signature says {declared}",
                "mime-mismatch",
            )
        return make(entry.href, entry.mime, entry.title, metadata)

    return one(manifest.main), tuple(one(a) for a in manifest.attachments)


#: The digest method DPI's XAdES references use (dpi.md 3.3): a large entry's digest under it
#: is taken on a second core while the manifest and the signature are read.
_EXPECTED_METHODS = frozenset({DigestMethod.SHA256})


def _digesting_beside(entries: Mapping[str, bytes]) -> dict[str, bytes | ExternalDigest]:
    """The entries, each large file the signature may reference given by its digests taken
    beside (:mod:`~peppol_dpi.xmldsig.beside`); those of ``META-INF/`` are never referenced."""
    return {
        name: content
        if name.startswith("META-INF/")
        else digested_beside(content, _EXPECTED_METHODS)
        for name, content in entries.items()
    }


def read_package(
    data: bytes | IO[bytes],
    *,
    trust: TrustPolicy | None = None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> VerifiedPackage:
    """Check and verify a decrypted document package (the ASiC-E zip, as bytes or a seekable
    file holding only the zip).

    ``trust``: validate the signer's certificate (with the chain the signature carries) at
    ``at`` (default now); without it only the cryptography is checked. Raises
    :class:`~.container.PackageError` (zip, manifest, entry rules),
    :class:`~peppol_dpi.errors.SignatureError` (signature, digests) or
    :class:`~peppol_dpi.errors.CertificateError` (trust).
    """
    entries = read_zip(data, limits=limits)
    signed = _digesting_beside(entries)
    manifest, named = package_files(entries.keys(), entries.__getitem__, limits=limits)
    verified, validated = verify_files(
        named, entries[xades.SIGNATURES_ENTRY], signed, trust=trust, at=at, limits=limits
    )

    def make(
        name: str, mime: str, title: str | None, metadata: PackageDocument | None
    ) -> PackageDocument:
        return PackageDocument(
            name=name, mime=mime, title=title, content=entries[name], metadata=metadata
        )

    main, attachments = package_documents(manifest, verified.files, make)
    return VerifiedPackage(
        manifest=manifest,
        main=main,
        attachments=attachments,
        signer=verified.signer,
        chain=verified.chain,
        signing_time=verified.signing_time,
        validated=validated,
    )
