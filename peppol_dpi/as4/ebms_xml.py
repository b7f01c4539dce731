"""Reading eb:Messaging (ebMS3 core 5.2, with the OASIS errata ``Property/@type``); it is
written by :mod:`.ebms_write`.

Reading is strict about what ebMS3 requires and tolerant about what products add
(unknown properties, extra namespace declarations, missing ``mustUnderstand``); every problem is
an :class:`~peppol_dpi.as4.model.Ebms3HeaderError` (EBMS:0009) naming the rule.
"""

from __future__ import annotations

import binascii
import functools
from datetime import UTC, datetime

from lxml import etree

from .. import ns
from ..errors import EbmsError, SignatureError
from ..xmldsig.structure import reference_parts
from ..xmlparse import Element
from ..xmltext import base64_binary, date_time, xml_strip, xml_tokens
from .ebms_schema import check_header_schema
from .model import (
    Ebms3Error,
    Ebms3HeaderError,
    MessageInfo,
    PartInfo,
    Party,
    PartyId,
    Property,
    Receipt,
    SignalMessage,
    SignedReference,
    UserMessage,
)

__all__ = [
    "format_timestamp",
    "parse_messaging",
    "parse_timestamp",
]

_EB = ns.EB


def _q(local: str, namespace: str = _EB) -> str:
    return f"{{{namespace}}}{local}"


def format_timestamp(when: datetime) -> str:
    """UTC with milliseconds and ``Z``, as phase4 writes it (ebMS3 core 5.2.2.1)."""
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """An xs:dateTime (ebMS3 core 5.2.2.1); without a zone it is taken as UTC (ebMS3 says UTC;
    Oxalis adds offsets and writes nanoseconds, cut to microseconds)."""
    when = date_time(text)
    if when is None:
        raise Ebms3HeaderError(
            f"Timestamp {text[:60]!r} is not an xs:dateTime", rule="as4:timestamp"
        )
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# -- reading --------------------------------------------------------------------------------


def _bad(message: str, rule: str, code: EbmsError = EbmsError.INVALID_HEADER) -> Ebms3HeaderError:
    return Ebms3HeaderError(message, rule=rule, ebms_code=code)


@functools.cache
def _eb(local: str) -> str:
    return _q(local)


class _Kids:
    """The children of one element grouped by name in one pass (a reader asks for several)."""

    __slots__ = ("by_tag", "el")

    def __init__(self, el: Element) -> None:
        self.el = el
        by_tag: dict[object, list[Element]] = {}
        for child in el:
            same = by_tag.get(child.tag)
            if same is None:
                by_tag[child.tag] = [child]
            else:
                same.append(child)
        self.by_tag = by_tag

    def all(self, local: str) -> list[Element]:
        """Every eb:``local`` child, in document order."""
        return self.by_tag.get(_eb(local), [])

    def one(self, local: str) -> Element | None:
        """The eb:``local`` child, None without one; more than one is an error."""
        found = self.by_tag.get(_eb(local))
        if found is None:
            return None
        if len(found) > 1:
            raise _bad(
                f"eb:{local} occurs {len(found)} times in eb:{etree.QName(self.el).localname}",
                "as4:header-cardinality",
            )
        return found[0]

    def required(self, local: str) -> Element:
        found = self.one(local)
        if found is None:
            raise _bad(
                f"eb:{local} is missing in eb:{etree.QName(self.el).localname}",
                "as4:header-missing",
            )
        return found

    def text(self, local: str) -> str:
        """The trimmed text of the required eb:``local`` child, which must not be empty."""
        value = _text(self.required(local), local)
        assert value is not None
        return value


def _text(el: Element | None, what: str, *, required: bool = True) -> str | None:
    if el is not None and len(el):
        # A processing instruction inside a value (the schema sees none; the parser keeps
        # them): ``m1@c2.test<?pi?>.evil`` would be ``m1@c2.test`` here and the whole of it to
        # a reader that joins the text (the comment-truncation attack, by other means).
        raise _bad(f"eb:{what} holds markup inside its value", "as4:schema")
    # XML white space only (Java's trim() in phase4 and Oxalis): a value padded with U+00A0
    # or U+3000 keeps them, as it does for every other reader.
    value = xml_strip(el.text or "") if el is not None else ""
    if not value and required:
        raise _bad(f"eb:{what} is empty", "as4:header-missing")
    return value or None


def _read_message_info(el: _Kids) -> MessageInfo:
    mi = _Kids(el.required("MessageInfo"))
    ref = _text(mi.one("RefToMessageId"), "RefToMessageId", required=False)
    return MessageInfo(
        timestamp=parse_timestamp(mi.text("Timestamp")),
        message_id=mi.text("MessageId"),
        ref_to_message_id=ref,
    )


def _read_party(el: _Kids, local: str) -> Party:
    party = _Kids(el.required(local))
    ids = tuple(
        PartyId(value=_text(p, "PartyId") or "", type=p.get("type")) for p in party.all("PartyId")
    )
    if not ids:
        raise _bad(f"eb:{local} has no eb:PartyId", "as4:party-id")
    return Party(ids=ids, role=party.text("Role"))


def _read_properties(el: Element | None) -> tuple[Property, ...]:
    if el is None:
        return ()
    props = []
    for p in el.iterchildren(_eb("Property")):
        name = p.get("name")
        if not name:
            raise _bad("eb:Property without a name", "as4:property-name")
        props.append(Property(name=name, value=xml_strip(p.text or ""), type=p.get("type")))
    return tuple(props)


def _read_user_message(el: Element) -> UserMessage:
    um = _Kids(el)
    party_info = _Kids(um.required("PartyInfo"))
    collab = _Kids(um.required("CollaborationInfo"))
    agreement = collab.one("AgreementRef")
    service = collab.required("Service")
    info = _read_message_info(um)
    sender, receiver = _read_party(party_info, "From"), _read_party(party_info, "To")
    parts: list[PartInfo] = []
    payload_info = um.one("PayloadInfo")
    for pi in payload_info.iterchildren(_eb("PartInfo")) if payload_info is not None else []:
        parts.append(
            PartInfo(
                href=pi.get("href") or None,  # none: the payload is the SOAP Body (ebMS3 5.2.2.13)
                properties=_read_properties(_Kids(pi).one("PartProperties")),
            )
        )
    return UserMessage(
        message_info=info,
        sender=sender,
        receiver=receiver,
        agreement=_text(agreement, "AgreementRef", required=False),
        agreement_type=agreement.get("type") if agreement is not None else None,
        agreement_pmode=agreement.get("pmode") if agreement is not None else None,
        service=_text(service, "Service") or "",
        service_type=service.get("type"),
        action=collab.text("Action"),
        conversation_id=collab.text("ConversationId"),
        properties=_read_properties(um.one("MessageProperties")),
        parts=tuple(parts),
        mpc=el.get("mpc"),
    )


_DS_TRANSFORMS = _q("Transforms", ns.DS)
_DS_TRANSFORM = _q("Transform", ns.DS)
_DS_DIGEST_METHOD = _q("DigestMethod", ns.DS)
_DS_DIGEST_VALUE = _q("DigestValue", ns.DS)
_EXC_INCLUSIVE = _q("InclusiveNamespaces", ns.EXC_C14N)


def read_signed_reference(ref: Element) -> SignedReference:
    """A ds:Reference as a :class:`SignedReference` (no checking of its algorithms)."""
    # (iterchildren rather than find/iterfind: lxml's ElementPath runs in Python)
    transforms: list[tuple[str, tuple[str, ...]]] = []
    for container in ref.iterchildren(_DS_TRANSFORMS):
        for tr in container.iterchildren(_DS_TRANSFORM):
            incl = next(tr.iterchildren(_EXC_INCLUSIVE), None)
            prefixes = tuple(xml_tokens(incl.get("PrefixList") or "")) if incl is not None else ()
            transforms.append((tr.get("Algorithm") or "", prefixes))
    method = next(ref.iterchildren(_DS_DIGEST_METHOD), None)
    value = next(ref.iterchildren(_DS_DIGEST_VALUE), None)
    try:
        digest = base64_binary(value.text or "" if value is not None else "")
    except (binascii.Error, ValueError):
        raise _bad(
            "ds:DigestValue is not base64", "as4:receipt-reference", EbmsError.INVALID_RECEIPT
        ) from None
    return SignedReference(
        uri=ref.get("URI") or "",
        transforms=tuple(transforms),
        digest_method=(method.get("Algorithm") or "") if method is not None else "",
        digest_value=digest,
    )


_NRI, _PART_NRI = _q("NonRepudiationInformation", ns.EBBP), _q("MessagePartNRInformation", ns.EBBP)
_PART_IDENTIFIER, _DS_REFERENCE = _q("MessagePartIdentifier", ns.EBBP), _q("Reference", ns.DS)


def _receipt_references(receipt: Element) -> list[Element]:
    """The ds:Reference elements of the receipt's ebbp:NonRepudiationInformation, which must
    follow its schema (ebBP Signals 2.0.4: MessagePartNRInformation+, each one
    MessagePartIdentifier or one ds:Reference, itself as XMLDSig 4.4.3 has it); EBMS:0302."""
    found: list[Element] = []
    for nri in receipt.iterchildren(_NRI):
        parts = [child for child in nri if isinstance(child.tag, str)]
        if not parts:
            raise _receipt_fault(
                "the receipt has no NonRepudiationInformation references", "receipt:nri-missing"
            )
        for part in parts:
            inner = [child for child in part if isinstance(child.tag, str)]
            if part.tag != _PART_NRI or len(inner) != 1:
                raise _receipt_fault(
                    "ebbp:NonRepudiationInformation must hold MessagePartNRInformation, each "
                    "with one ds:Reference or MessagePartIdentifier",
                    "receipt:nri-malformed",
                )
            if inner[0].tag == _DS_REFERENCE:
                try:
                    reference_parts(inner[0])
                except SignatureError as exc:
                    raise _receipt_fault(
                        f"a receipt's ds:Reference: {exc.message}", "receipt:nri-malformed"
                    ) from None
                found.append(inner[0])
            elif inner[0].tag != _PART_IDENTIFIER:
                raise _receipt_fault(
                    "ebbp:MessagePartNRInformation must hold a ds:Reference or "
                    "MessagePartIdentifier",
                    "receipt:nri-malformed",
                )
    return found


def _receipt_fault(message: str, rule: str) -> Ebms3HeaderError:
    return _bad(message, rule, EbmsError.INVALID_RECEIPT)


def _read_signal(el: Element) -> SignalMessage:
    signal = _Kids(el)
    info = _read_message_info(signal)
    receipt_el = signal.one("Receipt")
    receipt = None
    if receipt_el is not None:
        refs = [read_signed_reference(r) for r in _receipt_references(receipt_el)]
        receipt = Receipt(references=tuple(refs))
    errors = []
    for e in signal.all("Error"):
        code = e.get("errorCode")
        severity = e.get("severity")
        if not code or not severity:
            raise _bad("eb:Error needs errorCode and severity", "as4:error-signal")
        error = _Kids(e)
        desc, detail = error.one("Description"), error.one("ErrorDetail")
        errors.append(
            Ebms3Error(
                code=code,
                severity=severity,
                category=e.get("category"),
                short_description=e.get("shortDescription"),
                ref_to_message_in_error=e.get("refToMessageInError") or None,
                origin=e.get("origin"),
                description=_text(desc, "Description", required=False),
                detail=_text(detail, "ErrorDetail", required=False),
            )
        )
    if (receipt is None) == (not errors):
        raise _bad(
            "eb:SignalMessage must carry an eb:Receipt or eb:Error (and not both)",
            "as4:signal-content",
        )
    return SignalMessage(message_info=info, receipt=receipt, errors=tuple(errors))


def parse_messaging(messaging: Element) -> UserMessage | SignalMessage:
    """The one UserMessage or SignalMessage in ``eb:Messaging`` (phase4 rejects more than one)."""
    if messaging.tag != _q("Messaging"):
        raise _bad("the header is not eb:Messaging", "as4:header-missing")
    users = list(messaging.iterchildren(_eb("UserMessage")))
    signals = list(messaging.iterchildren(_eb("SignalMessage")))
    if len(users) + len(signals) != 1:
        raise _bad(
            f"eb:Messaging must hold exactly one UserMessage or SignalMessage, "
            f"found {len(users)} and {len(signals)}",
            "as4:one-message",
            EbmsError.VALUE_INCONSISTENT,  # phase4 answers EBMS:0003 (UserMessageFailureForgeryTest)
        )
    message = _read_user_message(users[0]) if users else _read_signal(signals[0])
    # What the reader does not look at must still follow the schema (ebMS 3.0 Core 5.2).
    check_header_schema(messaging)
    return message
