"""The DPI side of the access points over :mod:`peppol_dpi.dpi`.

* :class:`DpiReader` (a :class:`~.ports.BusinessMessageReader`): verifies a business message
  or receipt JWS (signature, ``x5c`` certificate against the business-certificate trust policy,
  every schema and DPI rule, signer = SBDH sender: :func:`~peppol_dpi.dpi.signed.verify_business_message`)
  and reads the facts corner 2 and 3 route and check on.
* :class:`DpiPayloads` (a :class:`~.ports.PayloadCodec`): the Innbyggerpost XML in a Peppol SBDH
  (:mod:`peppol_dpi.dpi.peppol_payload`); a receipt travels with an empty ``Dokumentpakke``.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO

from ..dpi.bodies import Digital, Flyttet, Utskrift
from ..dpi.peppol_payload import unwrap_from, wrap_to
from ..dpi.signed import SignedBusinessMessage, verify_business_message
from ..errors import InputError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..limits import DEFAULT_LIMITS, Limits
from ..trust import TrustPolicy
from .ports import ReadBusinessMessage, ReadReceipt, UnwrappedPayload

__all__ = ["DpiPayloads", "DpiReader"]


class DpiReader:
    """Reads DPI business messages whose signers ``trust`` accepts (Norwegian business CAs)."""

    def __init__(self, *, trust: TrustPolicy, limits: Limits = DEFAULT_LIMITS) -> None:
        self.trust, self.limits = trust, limits

    def _verify(self, jws: str, now: datetime) -> SignedBusinessMessage:
        return verify_business_message(jws, trust=self.trust, at=now, limits=self.limits)

    def read_message(self, jws: str, *, now: datetime) -> ReadBusinessMessage:
        signed = self._verify(jws, now)
        message, body = signed.message, signed.message.body
        if not isinstance(body, Digital | Utskrift | Flyttet):
            # dpi.md 4: only letters are posted to corner 2 and carried to corner 3.
            raise InputError(
                f"a {message.type} is not a letter for a mailbox", rule="c2:not-a-letter"
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
            signer_org=signed.jws.signer_org_number,
            document_type=message.type.document_type,
            process=message.process.process_id,
        )

    def read_receipt(self, jws: str, *, now: datetime) -> ReadReceipt:
        signed = self._verify(jws, now)
        message = signed.message
        if not message.type.is_receipt:
            raise InputError(f"a {message.type} is not a receipt", rule="c3:not-a-receipt")
        mottaker = getattr(message.body, "mottaker", None)
        return ReadReceipt(
            message_id=str(message.message_id),
            conversation_id=str(message.conversation_id),
            type=message.type.value,
            sender=message.sender,
            receiver=message.receiver,
            motakeridentifikator=getattr(mottaker, "motakeridentifikator", None),
            document_type=message.type.document_type,
            process=message.process.process_id,
        )


class DpiPayloads:
    """The C2-C3 payload: Innbyggerpost (JWS + base64 CMS) in a Peppol SBDH (dpi.md 1.8)."""

    def __init__(self, *, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits

    def wrap(
        self,
        *,
        business_message: str,
        package: IO[bytes] | None,
        sender: ParticipantId,
        receiver: ParticipantId,
        document_type: DocumentTypeId,
        process: ProcessId,
        instance_id: str,
        now: datetime,
        sink: IO[bytes],
    ) -> None:
        # The SBDH's parties, DOCUMENTID and PROCESSID come from the business message itself
        # (peppol_payload.wrap_to); the ones the outbox routed on were read from it too.
        wrap_to(
            sink,
            forretningsmelding=business_message.encode("ascii"),
            package=package,
            instance_id=instance_id,
            created=now,
            limits=self.limits,
        )

    def unwrap(self, payload: IO[bytes], package_sink: IO[bytes]) -> UnwrappedPayload:
        read = unwrap_from(payload, package_sink, limits=self.limits)
        package_sink.seek(0)
        return UnwrappedPayload(
            business_message=read.forretningsmelding.decode("ascii"),
            package=package_sink if read.package_bytes else None,
        )
