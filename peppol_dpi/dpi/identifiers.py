"""The DPI message types and their Peppol identifiers.

Sources: Digdir ``nyinf/oversikt/identifiers.md`` and ``prosesser_og_dokumenttyper.md``, and
the reference client (efm-integrasjonspunkt ``DpiMessageType``); see docs/dpi.md.

* document type (busdox-docid-qns) and JSON ``documentIdentification.standard``:
  ``urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:<type>::1.0``;
* process (cenbii-procid-ubl) and JSON ConversationId scope ``identifier``:
  ``urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:<digital|utskrift|flyttet>:ver1.0``.
  Receipts travel in the process of the message they answer.
"""

from __future__ import annotations

import enum

from ..errors import UsageError
from ..ids import DocumentTypeId, ProcessId

__all__ = ["DpiProcess", "MessageType"]

_STANDARD = (
    "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost"
    "##urn:fdc:digdir.no:2020:innbyggerpost:schema:{}::1.0"
)


class MessageType(enum.StrEnum):
    """``documentIdentification.type``, also the JSON key of the message body."""

    DIGITAL = "digital"
    UTSKRIFT = "utskrift"
    FLYTTET = "flyttet"
    LEVERINGSKVITTERING = "leveringskvittering"
    AAPNINGSKVITTERING = "aapningskvittering"
    VARSLINGFEILETKVITTERING = "varslingfeiletkvittering"
    MOTTAKSKVITTERING = "mottakskvittering"
    RETURPOSTKVITTERING = "returpostkvittering"
    FEIL = "feil"

    @property
    def standard(self) -> str:
        """The ``documentIdentification.standard`` (= the Peppol document type value)."""
        return _STANDARD.format(self.value)

    @property
    def document_type(self) -> DocumentTypeId:
        return DocumentTypeId(value=self.standard)

    @property
    def is_receipt(self) -> bool:
        """Sent by a mailbox or print provider back to the sender."""
        return self not in _OUTGOING

    @property
    def processes(self) -> frozenset[DpiProcess]:
        """The processes this type may travel in (identifiers.md, per process)."""
        return frozenset(p for p in DpiProcess if self in p.message_types)

    @classmethod
    def from_standard(cls, standard: str) -> MessageType | None:
        """The type whose ``standard`` this is. Case-insensitive: Digipost's receipts write
        ``xsd::Innbyggerpost`` with a capital I."""
        if not standard.isascii():  # casefold() would also match "ſ" (U+017F) to "s"
            return None
        folded = standard.lower()
        return next((t for t in cls if t.standard.lower() == folded), None)


_OUTGOING = frozenset({MessageType.DIGITAL, MessageType.UTSKRIFT, MessageType.FLYTTET})


class DpiProcess(enum.StrEnum):
    """The three DPI processes (Peppol process identifiers, scheme cenbii-procid-ubl)."""

    DIGITAL = "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0"
    UTSKRIFT = "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:utskrift:ver1.0"
    FLYTTET = "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:flyttet:ver1.0"

    @property
    def process_id(self) -> ProcessId:
        return ProcessId(value=self.value)

    @property
    def message_types(self) -> frozenset[MessageType]:
        return _PROCESS_TYPES[self]

    @classmethod
    def for_message(cls, message_type: MessageType) -> DpiProcess:
        """The process an outgoing message of this type starts (receipts: see ``processes``)."""
        if message_type.is_receipt:
            raise UsageError(f"a {message_type} travels in the process of the message it answers")
        return cls[message_type.name]


_T = MessageType
_PROCESS_TYPES: dict[DpiProcess, frozenset[MessageType]] = {
    # identifiers.md: INNBYGGERPOST_DIGITAL_1_0
    DpiProcess.DIGITAL: frozenset(
        {_T.DIGITAL, _T.FEIL, _T.LEVERINGSKVITTERING, _T.AAPNINGSKVITTERING}
        | {_T.VARSLINGFEILETKVITTERING}
    ),
    # identifiers.md: INNBYGGERPOST_UTSKRIFT_1_0
    DpiProcess.UTSKRIFT: frozenset(
        {_T.UTSKRIFT, _T.FEIL, _T.LEVERINGSKVITTERING, _T.MOTTAKSKVITTERING}
        | {_T.RETURPOSTKVITTERING}
    ),
    # identifiers.md: INNBYGGERPOST_FLYTTETPOST_1_0. The eGovernment page names
    # mottakskvittering instead of leveringskvittering; the Peppol code list (Document types
    # v9.7) registers mottakskvittering for utskrift only, as identifiers.md does.
    DpiProcess.FLYTTET: frozenset({_T.FLYTTET, _T.FEIL, _T.LEVERINGSKVITTERING}),
}
