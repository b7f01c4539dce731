"""The DPI side of the access points: :mod:`peppol_dpi.transport.ports` over :mod:`peppol_dpi.dpi`.

* :class:`DpiPayloads` (a ``PayloadCodec``): the Innbyggerpost XML in a Peppol SBDH
  (dpi.md 1.8, :mod:`peppol_dpi.dpi.peppol_payload`). A receipt travels in the same envelope
  with an empty ``Dokumentpakke`` (it has no package).
* :class:`DpiReader` (a ``BusinessMessageReader``): verifies the JWS of a business message or
  receipt (signature, signer certificate against the business CA, every schema and profile
  rule, signer = SBDH sender; :func:`peppol_dpi.dpi.signed.verify_business_message`) and reads
  the routing facts corner 2 and corner 3 need.
* :func:`formats` puts them together with :class:`~peppol_dpi.transport.peppol_as4.PeppolAs4`
  and a locator into the transport's ``Formats``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..certinfo import norwegian_org_number
from ..dpi.bodies import Digital, Feil, Kvittering, Utskrift, VarslingfeiletKvittering
from ..dpi.innbyggerpost import Innbyggerpost
from ..dpi.peppol_payload import unwrap, wrap
from ..dpi.signed import verify_business_message
from ..errors import EbmsError, InputError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..keys import PrivateKey
from ..limits import DEFAULT_LIMITS, Limits
from ..transport.build import Formats
from ..transport.peppol_as4 import PeppolAs4
from ..transport.ports import (
    EndpointLocator,
    ReadBusinessMessage,
    ReadReceipt,
    UnwrappedPayload,
)
from ..trust import TrustPolicy

__all__ = ["DpiPayloads", "DpiReader", "formats"]


@dataclass(frozen=True, kw_only=True)
class DpiPayloads:
    """The C2-C3 payload: Innbyggerpost in a Peppol SBDH (``PayloadCodec``)."""

    limits: Limits = DEFAULT_LIMITS

    def wrap(
        self,
        *,
        business_message: str,
        package: bytes | None,
        sender: ParticipantId,
        receiver: ParticipantId,
        document_type: DocumentTypeId,
        process: ProcessId,
        instance_id: str,
        now: datetime,
    ) -> bytes:
        innbyggerpost = Innbyggerpost(
            forretningsmelding=business_message.encode("ascii"), dokumentpakke=package or b""
        )
        # The envelope's routing is read from the business message itself (dpi.md 1.8);
        # peppol_payload.unwrap refuses an envelope that disagrees with it.
        return wrap(innbyggerpost, instance_id=instance_id, created=now, limits=self.limits)

    def unwrap(self, payload: bytes) -> UnwrappedPayload:
        try:
            read = unwrap(payload, limits=self.limits)
        except InputError as exc:
            code = exc.ebms_code or EbmsError.VALUE_INCONSISTENT
            raise InputError(exc.message, rule=exc.rule, ebms_code=code) from None
        innbyggerpost = read.innbyggerpost
        return UnwrappedPayload(
            business_message=innbyggerpost.forretningsmelding.decode("ascii"),
            package=innbyggerpost.dokumentpakke or None,
        )


@dataclass(frozen=True, kw_only=True)
class DpiReader:
    """Verifies business messages and receipts against the business CA (``trust``)."""

    trust: TrustPolicy
    limits: Limits = DEFAULT_LIMITS

    def read_message(self, jws: str, *, now: datetime) -> ReadBusinessMessage:
        signed = verify_business_message(jws, trust=self.trust, at=now, limits=self.limits)
        message, body = signed.message, signed.message.body
        if not isinstance(body, Digital | Utskrift):
            raise InputError(
                f"a {message.type} is not a letter a sender posts", rule="c2:message-type"
            )
        return ReadBusinessMessage(
            message_id=str(message.message_id),
            conversation_id=str(message.conversation_id),
            type=message.type.value,
            sender=message.sender,
            receiver=message.receiver,
            avsender=body.avsender.virksomhetsidentifikator,
            avsenderidentifikator=body.avsender.avsenderidentifikator,
            fingerprint=body.dokumentpakkefingeravtrykk.digest_value,
            maskinportentoken=body.maskinportentoken,
            signer_org=norwegian_org_number(signed.signer),
            document_type=message.type.document_type,
            process=message.process.process_id,
        )

    def read_receipt(self, jws: str, *, now: datetime) -> ReadReceipt:
        signed = verify_business_message(jws, trust=self.trust, at=now, limits=self.limits)
        message, body = signed.message, signed.message.body
        if not isinstance(body, Kvittering | VarslingfeiletKvittering | Feil):
            raise InputError(f"a {message.type} is not a receipt", rule="c3:not-a-receipt")
        return ReadReceipt(
            message_id=str(message.message_id),
            conversation_id=str(message.conversation_id),
            type=message.type.value,
            sender=message.sender,
            receiver=message.receiver,
            motakeridentifikator=body.mottaker.motakeridentifikator,
            document_type=message.type.document_type,
            process=message.process.process_id,
        )


def _new_as4_id() -> str:
    return f"{uuid.uuid4()}@peppol-dpi"


def formats(
    *,
    ap_key: PrivateKey,
    ap_trust: TrustPolicy,
    business_trust: TrustPolicy,
    locator: EndpointLocator,
    clock: Callable[[], datetime],
    limits: Limits = DEFAULT_LIMITS,
) -> Formats:
    """The transport's ``Formats`` for one access point with the package's real formats."""
    return Formats(
        as4=PeppolAs4(
            key=ap_key, trust=ap_trust, clock=clock, new_message_id=_new_as4_id, limits=limits
        ),
        payloads=DpiPayloads(limits=limits),
        reader=DpiReader(trust=business_trust, limits=limits),
        locator=locator,
    )
