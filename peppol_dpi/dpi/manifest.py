"""The SDP manifest (``manifest.xml``) of a DPI document package (dpi.md 3.2).

Namespace ``http://begrep.difi.no/sdp/schema_v10``, schema ``sdp-manifest.xsd`` +
``sdp-felles.xsd`` (Digdir). Sequence: ``mottaker?`` (person: ``personidentifikator?``,
``postkasseadresse``), ``avsender`` (``organisasjon`` with ``authority``,
``avsenderidentifikator?``, ``fakturaReferanse?``), ``hoveddokument``, ``vedlegg`` 0..200,
``lenke?``. Written as integrasjonspunkt writes it: UTF-8, ``standalone="yes"``, no
indentation; for print (utskrift) without ``mottaker``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from lxml import etree

from .. import ns
from ..errors import InputError, UsageError
from ..ids import ParticipantId, ParticipantScheme
from ..limits import DEFAULT_LIMITS, Limits
from ..xmlparse import Element, parse_xml
from ..xmltext import xml_strip
from ..xsd import thread_schema
from .container import PackageError

__all__ = [
    "MAX_ATTACHMENTS",
    "ManifestDocument",
    "ManifestRecipient",
    "ManifestSender",
    "MetadataFile",
    "SdpManifest",
]

#: sdp-manifest.xsd: ``vedlegg`` maxOccurs 200 (also DOCS dokumentpakke: 0..200 attachments).
MAX_ATTACHMENTS: Final = 200
_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_ORGANISATION = re.compile(r"[0-9]{4}:\w{1,35}")  # sdp-felles.xsd Iso6523Identitet
_PERSON = re.compile(r"[0-9]{11}")  # sdp-felles.xsd Person/personidentifikator
_SCHEMES: Final = frozenset(ParticipantScheme)


def _q(local: str) -> str:
    return f"{{{ns.SDP}}}{local}"


_SDP_PREFIX: Final = _q("")
_SCHEMA: Final = "sdp-manifest-1.0.xsd"  # the project's own, after Digdir's


def _local(element: Element) -> str:
    """The local name of an element :func:`_children` returned (so in the SDP namespace)."""
    return element.tag[len(_SDP_PREFIX) :]


def _length(value: str, what: str, low: int, high: int) -> None:
    if not low <= len(value) <= high:
        raise UsageError(f"{what} must have {low} to {high} characters, not {len(value)}")


@dataclass(frozen=True, kw_only=True)
class MetadataFile:
    """A document's ``data`` extension file (e.g. ``application/vnd.difi.dpi.lenke+xml``)."""

    href: str
    mime: str

    def __post_init__(self) -> None:
        _length(self.href, "a data href", 4, 100)  # sdp-manifest.xsd DokumentData/@href
        _length(self.mime, "a data mime type", 1, 100)


@dataclass(frozen=True, kw_only=True)
class ManifestDocument:
    """``hoveddokument`` or one ``vedlegg``: the zip entry name, its MIME type and title."""

    href: str
    mime: str
    title: str | None = None
    title_lang: str = "no"
    data: MetadataFile | None = None

    def __post_init__(self) -> None:
        _length(self.href, "a document href", 4, 100)  # sdp-manifest.xsd Dokument/@href
        _length(self.mime, "a document mime type", 1, 100)
        if self.title is not None:
            _length(self.title, "a title", 1, 255)  # sdp-felles.xsd TittelString
        _length(self.title_lang, "a title language", 2, 2)  # Spraakkode (ISO 639-1)


@dataclass(frozen=True, kw_only=True)
class ManifestSender:
    """``avsender``: the legal sender (behandlingsansvarlig), as in the business message."""

    organisation: ParticipantId
    sender_identifier: str | None = None  # avsenderidentifikator
    invoice_reference: str | None = None  # fakturaReferanse

    def __post_init__(self) -> None:
        if not isinstance(self.organisation, ParticipantId):
            raise UsageError("organisation must be a ParticipantId")
        if not _ORGANISATION.fullmatch(self.organisation.value):
            raise UsageError(f"{self.organisation.value!r} is not '<ICD>:<up to 35 characters>'")
        if self.sender_identifier is not None:
            _length(self.sender_identifier, "avsenderidentifikator", 0, 100)
        if self.invoice_reference is not None:
            _length(self.invoice_reference, "fakturaReferanse", 0, 40)


@dataclass(frozen=True, kw_only=True)
class ManifestRecipient:
    """``mottaker/person``: the citizen's mailbox address (and, optionally, national id)."""

    mailbox_address: str
    person_identifier: str | None = None

    def __post_init__(self) -> None:
        if not self.mailbox_address:
            raise UsageError("the mailbox address is empty")
        if self.person_identifier is not None and not _PERSON.fullmatch(self.person_identifier):
            raise UsageError("personidentifikator must be 11 digits")


@dataclass(frozen=True, kw_only=True)
class SdpManifest:
    sender: ManifestSender
    main: ManifestDocument
    attachments: tuple[ManifestDocument, ...] = ()
    recipient: ManifestRecipient | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "attachments", tuple(self.attachments))
        if len(self.attachments) > MAX_ATTACHMENTS:
            raise UsageError(f"at most {MAX_ATTACHMENTS} attachments (sdp-manifest.xsd)")

    @property
    def documents(self) -> tuple[ManifestDocument, ...]:
        return (self.main, *self.attachments)

    def to_xml(self) -> bytes:
        root = etree.Element(_q("manifest"), nsmap={None: ns.SDP})  # type: ignore[dict-item]
        if self.recipient is not None:
            person = etree.SubElement(etree.SubElement(root, _q("mottaker")), _q("person"))
            if self.recipient.person_identifier is not None:
                etree.SubElement(
                    person, _q("personidentifikator")
                ).text = self.recipient.person_identifier
            etree.SubElement(person, _q("postkasseadresse")).text = self.recipient.mailbox_address
        sender = etree.SubElement(root, _q("avsender"))
        organisation = etree.SubElement(
            sender, _q("organisasjon"), authority=self.sender.organisation.scheme.value
        )
        organisation.text = self.sender.organisation.value
        if self.sender.sender_identifier is not None:
            etree.SubElement(
                sender, _q("avsenderidentifikator")
            ).text = self.sender.sender_identifier
        if self.sender.invoice_reference is not None:
            etree.SubElement(sender, _q("fakturaReferanse")).text = self.sender.invoice_reference
        _document(root, "hoveddokument", self.main)
        for attachment in self.attachments:
            _document(root, "vedlegg", attachment)
        return _DECLARATION + etree.tostring(root, encoding="UTF-8")

    @classmethod
    def parse(cls, data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> SdpManifest:
        """Read a manifest; raises :class:`PackageError` (rule ``asic:manifest``)."""
        root = parse_xml(data, limits=limits, what="manifest.xml")
        try:
            manifest = _parse(root)
        except (UsageError, InputError) as exc:
            raise PackageError(
                f"manifest.xml is not a valid SDP manifest: {exc}", rule="asic:manifest"
            ) from None
        schema = thread_schema(_SCHEMA, frozenset())
        if not schema.validate(root):
            # sdp-manifest.xsd (dpi.md 3.2): what the reader above does not look at, too:
            # order, cardinality, patterns, lengths, no undeclared attribute or element, no
            # text where only elements go.
            reason = schema.error_log.last_error.message  # type: ignore[attr-defined]
            raise PackageError(
                f"manifest.xml is not a valid SDP manifest: {reason.replace(_SDP_PREFIX, '')}",
                rule="asic:manifest",
            )
        return manifest


def _document(parent: Element, tag: str, document: ManifestDocument) -> None:
    element = etree.SubElement(parent, _q(tag), href=document.href, mime=document.mime)
    if document.title is not None:
        etree.SubElement(element, _q("tittel"), lang=document.title_lang).text = document.title
    if document.data is not None:
        etree.SubElement(element, _q("data"), href=document.data.href, mime=document.data.mime)


def _children(element: Element) -> list[Element]:
    children = [c for c in element if isinstance(c.tag, str)]
    if not all(c.tag.startswith(_SDP_PREFIX) for c in children):
        raise UsageError(f"<{etree.QName(element).localname}> has a foreign element")
    return children


def _text(element: Element, *, strip: bool = True) -> str:
    if len(element):
        # A processing instruction splitting a value (the schema sees none): the text before it
        # here, all of it to a reader that joins the text.
        raise UsageError(f"<{_local(element)}> holds markup inside its value")
    text = element.text or ""
    return xml_strip(text) if strip else text


def _parse_document(element: Element) -> ManifestDocument:
    title: str | None = None
    title_lang = "no"
    data: MetadataFile | None = None
    for child in _children(element):
        local = _local(child)
        if local == "tittel" and title is None and data is None:
            title, title_lang = _text(child, strip=False), child.get("lang") or ""
        elif local == "data" and data is None:
            data = MetadataFile(href=child.get("href") or "", mime=child.get("mime") or "")
        else:
            raise UsageError(f"unexpected <{local}> in a document")
    return ManifestDocument(
        href=element.get("href") or "",
        mime=element.get("mime") or "",
        title=title,
        title_lang=title_lang,
        data=data,
    )


def _parse(root: Element) -> SdpManifest:
    if root.tag != _q("manifest"):
        raise UsageError(f"the root element is {root.tag}, not sdp:manifest")
    children = _children(root)
    recipient: ManifestRecipient | None = None
    if children and _local(children[0]) == "mottaker":
        person = _children(children.pop(0))
        if len(person) != 1 or _local(person[0]) != "person":
            raise UsageError("<mottaker> must hold one <person>")
        fields = {_local(c): _text(c) for c in _children(person[0])}
        if set(fields) - {"personidentifikator", "postkasseadresse"}:
            raise UsageError("unexpected element in <person>")
        recipient = ManifestRecipient(
            mailbox_address=fields.get("postkasseadresse", ""),
            person_identifier=fields.get("personidentifikator"),
        )
    if not children or _local(children[0]) != "avsender":
        raise UsageError("<avsender> is missing")
    sender_fields = _children(children.pop(0))
    values = {_local(c): c for c in sender_fields}
    if len(values) != len(sender_fields) or "organisasjon" not in values:
        raise UsageError("<avsender> needs exactly one <organisasjon>")
    if set(values) - {"organisasjon", "avsenderidentifikator", "fakturaReferanse"}:
        raise UsageError("unexpected element in <avsender>")
    authority = values["organisasjon"].get("authority", ParticipantScheme.ISO6523_ACTORID_UPIS)
    if authority not in _SCHEMES:
        raise UsageError(f"authority {authority!r} is not iso6523-actorid-upis")
    sender = ManifestSender(
        organisation=ParticipantId(
            value=_text(values["organisasjon"]), scheme=ParticipantScheme(authority)
        ),
        sender_identifier=_text(values["avsenderidentifikator"])
        if "avsenderidentifikator" in values
        else None,
        invoice_reference=_text(values["fakturaReferanse"])
        if "fakturaReferanse" in values
        else None,
    )
    if not children or _local(children[0]) != "hoveddokument":
        raise UsageError("<hoveddokument> is missing")
    main = _parse_document(children.pop(0))
    attachments = []
    while children and _local(children[0]) == "vedlegg":
        attachments.append(_parse_document(children.pop(0)))
    if children and _local(children[0]) == "lenke":
        children.pop(0)  # a link shown beside the letter; nothing in the package refers to it
    if children:
        raise UsageError(f"unexpected <{_local(children[0])}>")
    return SdpManifest(
        sender=sender, main=main, attachments=tuple(attachments), recipient=recipient
    )
