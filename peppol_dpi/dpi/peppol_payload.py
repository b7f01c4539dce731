"""The DPI message as a Peppol payload: Innbyggerpost XML in a Peppol SBDH (corner 2 to 3).

:func:`wrap` is what corner 2 does with the two parts it received on ``POST /messages/out``;
:func:`unwrap` what corner 3 does before handing them to the mailbox. The SBDH names:

* sender / receiver: the business message's SBDH sender (the legal sender or its data
  processor) and receiver (the mailbox or print provider), the parties the SMP lookup and the
  AS4 originalSender/finalRecipient use;
* DOCUMENTID: the DPI document type of the message's type (``MessageType.document_type``),
  PROCESSID: its process (``DpiProcess.process_id``), COUNTRY_C1: ``NO``;
* Standard and Type: the payload's root, ``http://digdir.no/dpi/innbyggerpost`` and
  ``Innbyggerpost`` (Envelope 2.0 section 2), TypeVersion ``1.0``.

DPI cannot meet one check peppol-commons adds to the envelope rules: that the document type
starts with Standard. Digdir's document type root namespace
(``urn:fdc:digdir.no:2020:innbyggerpost:xsd``) is not the namespace of its own XSD's element,
so this module writes and reads the envelope with every other rule of the SBDH module
(:func:`~peppol_dpi.sbdh.read_sbdh` for the header) and checks the payload fit itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from lxml import etree

from .. import ns
from ..base64text import Base64Decoder, encode_chunks
from ..errors import InputError, Problem, ValidationError
from ..limits import DEFAULT_LIMITS, Limits
from ..sbdh import SbdHeader, read_sbdh
from ..sbdh.build import header_element
from ..xmlparse import parse_xml
from ..xmlstream import parse_xml_from
from .innbyggerpost import (
    PACKAGE,
    ROOT,
    Innbyggerpost,
    InnbyggerpostError,
    check_package_size,
    check_shape,
    not_base64,
)
from .jws import decode_unverified
from .message import BusinessMessage, parse_business_message

__all__ = [
    "PeppolDpiPayload",
    "StreamedDpiPayload",
    "unwrap",
    "unwrap_from",
    "wrap",
    "wrap_to",
]

TYPE_VERSION = "1.0"


@dataclass(frozen=True, kw_only=True)
class PeppolDpiPayload:
    """A read DPI envelope: its header, the Innbyggerpost and the business message in it.

    The business message is read, not verified: corner 4 verifies it (``dpi.mailbox``).
    """

    header: SbdHeader
    innbyggerpost: Innbyggerpost
    message: BusinessMessage


def _sbd(
    innbyggerpost: Innbyggerpost,
    *,
    instance_id: str,
    created: datetime,
    country_c1: str,
    limits: Limits,
) -> etree._Element:
    message = parse_business_message(
        decode_unverified(innbyggerpost.forretningsmelding, limits=limits), limits=limits
    )
    header = SbdHeader(
        sender=message.sender,
        receiver=message.receiver,
        document_type=message.type.document_type,
        process=message.process.process_id,
        country_c1=country_c1,
        instance_id=instance_id,
        created=created,
        standard=ns.INNBYGGERPOST,
        type=ROOT,
        type_version=TYPE_VERSION,
    )
    root = etree.Element(ns.qname(ns.SBDH, "StandardBusinessDocument"), nsmap={"sh": ns.SBDH})
    root.append(header_element(header))
    root.append(innbyggerpost.to_element())
    return root


def wrap(
    innbyggerpost: Innbyggerpost,
    *,
    instance_id: str,
    created: datetime,
    country_c1: str = "NO",
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """The SBD (UTF-8 XML) carrying ``innbyggerpost``; identifiers from its business message."""
    root = _sbd(
        innbyggerpost,
        instance_id=instance_id,
        created=created,
        country_c1=country_c1,
        limits=limits,
    )
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _fit_problems(header: SbdHeader, message: BusinessMessage) -> list[Problem]:
    where = "StandardBusinessDocumentHeader"
    expected = {
        # Envelope 2.0 section 2: Standard/Type = the payload root, TypeVersion its version.
        "DocumentIdentification/Standard": (header.standard, ns.INNBYGGERPOST),
        "DocumentIdentification/Type": (header.type, ROOT),
        "DocumentIdentification/TypeVersion": (header.type_version, TYPE_VERSION),
        # The envelope must route what the business message says.
        "BusinessScope/DOCUMENTID": (header.document_type, message.type.document_type),
        "BusinessScope/PROCESSID": (header.process, message.process.process_id),
        "Sender": (header.sender, message.sender),
        "Receiver": (header.receiver, message.receiver),
    }
    return [
        Problem(
            rule="dpi:envelope",
            message=f"{path} is {found}, the DPI message needs {wanted}",
            location=f"{where}/{path}",
        )
        for path, (found, wanted) in expected.items()
        if found != wanted
    ]


def wrap_to(
    sink: IO[bytes],
    *,
    forretningsmelding: bytes,
    package: IO[bytes] | None,
    instance_id: str,
    created: datetime,
    country_c1: str = "NO",
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """:func:`wrap` written to ``sink`` in pieces, the package read from a file (from its
    position to its end; None: an empty ``Dokumentpakke``, as a receipt has) and base64
    encoded 1 MiB of text at a time: the same bytes as :func:`wrap`, never whole in memory."""
    # The document is serialized around a marker in place of the package's text; base64
    # needs no escaping in XML, so its pieces go where the marker was.
    marker = f"package-{uuid.uuid4().hex}"
    root = _sbd(
        Innbyggerpost(forretningsmelding=forretningsmelding, dokumentpakke=b""),
        instance_id=instance_id,
        created=created,
        country_c1=country_c1,
        limits=limits,
    )
    root[1][1].text = marker
    head, found, tail = etree.tostring(root, encoding="UTF-8", xml_declaration=True).partition(
        marker.encode("ascii")
    )
    assert found and marker.encode("ascii") not in tail
    sink.write(head)
    if package is not None:
        for piece in encode_chunks(package):
            sink.write(piece)
    sink.write(tail)


def unwrap(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> PeppolDpiPayload:
    """Read a DPI SBD: the header (every SBDH rule), the Innbyggerpost, the business message.

    Raises :class:`~peppol_dpi.errors.ValidationError` (envelope, message),
    :class:`~.innbyggerpost.InnbyggerpostError` or :class:`~peppol_dpi.errors.XmlSecurityError`.
    """
    header = read_sbdh(data, limits=limits)
    root = parse_xml(data, limits=limits, what="SBD")
    elements = [child for child in root if isinstance(child.tag, str)]
    if len(elements) != 2:
        raise InputError("a DPI SBD holds the header and one Innbyggerpost", rule="dpi:envelope")
    innbyggerpost = Innbyggerpost.from_element(elements[1], limits=limits, allow_empty_package=True)
    message = parse_business_message(
        decode_unverified(innbyggerpost.forretningsmelding, limits=limits), limits=limits
    )
    # A letter carries its package; a receipt (corner 3 back to corner 2) has none to carry.
    if not innbyggerpost.dokumentpakke and not message.type.is_receipt:
        raise InnbyggerpostError(
            f"the {message.type} message has an empty Dokumentpakke", rule="innbyggerpost:base64"
        )
    ValidationError.raise_if_any(_fit_problems(header, message), what="DPI SBD")
    return PeppolDpiPayload(header=header, innbyggerpost=innbyggerpost, message=message)


@dataclass(frozen=True, kw_only=True)
class StreamedDpiPayload:
    """A DPI envelope read from a file by :func:`unwrap_from`: its header, the signed business
    message (compact JWS, ASCII) and the business message read from it (not verified); the
    package went to the caller's sink."""

    header: SbdHeader
    forretningsmelding: bytes
    message: BusinessMessage
    package_bytes: int  # how many bytes of package were written to the sink


class _PackageText:
    """Takes the ``Dokumentpakke`` text as the parser hands it out and decodes it into the
    sink; a failure is kept, not raised, so that the checks run in :func:`unwrap`'s order."""

    def __init__(self, sink: IO[bytes], limits: Limits) -> None:
        self.decoder = Base64Decoder(sink)
        self.limits = limits
        self.length = 0
        self.failed = False

    def __call__(self, text: str) -> None:
        self.length += len(text)
        if self.failed or self.length // 4 * 3 > self.limits.max_package_bytes + 3:
            return  # refused later (not base64, too large): nothing more is decoded
        try:
            self.decoder.feed(text)
        except ValueError:
            self.failed = True

    def finish(self) -> int:
        if not self.failed:
            try:
                return self.decoder.close()
            except ValueError:
                self.failed = True
        raise not_base64()


_PACKAGE_PATH = (
    ns.qname(ns.SBDH, "StandardBusinessDocument"),
    ns.qname(ns.INNBYGGERPOST, ROOT),
    ns.qname(ns.INNBYGGERPOST, PACKAGE),
)


def unwrap_from(
    source: IO[bytes], package_sink: IO[bytes], *, limits: Limits = DEFAULT_LIMITS
) -> StreamedDpiPayload:
    """:func:`unwrap` for an SBD in a seekable file: the package is decoded into
    ``package_sink`` in pieces as the document is parsed, so neither the base64 text nor the
    package is held in memory. The same checks in the same order, with the same errors; on an
    error, what was written to ``package_sink`` is to be thrown away."""
    header = read_sbdh(source, limits=limits)
    text = _PackageText(package_sink, limits)
    root = parse_xml_from(source, divert=_PACKAGE_PATH, text_sink=text, limits=limits, what="SBD")
    elements = [child for child in root if isinstance(child.tag, str)]
    if len(elements) != 2:
        raise InputError("a DPI SBD holds the header and one Innbyggerpost", rule="dpi:envelope")
    jws, package = check_shape(elements[1])
    check_package_size(package, text.length, limits)
    written = text.finish()
    message = parse_business_message(decode_unverified(jws, limits=limits), limits=limits)
    if not written and not message.type.is_receipt:
        raise InnbyggerpostError(
            f"the {message.type} message has an empty Dokumentpakke", rule="innbyggerpost:base64"
        )
    ValidationError.raise_if_any(_fit_problems(header, message), what="DPI SBD")
    return StreamedDpiPayload(
        header=header, forretningsmelding=jws, message=message, package_bytes=written
    )
