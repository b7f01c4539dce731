"""eb:Messaging written as XML text (ebMS3 core 5.2, with the OASIS errata ``Property/@type``).

phase4's layout: element order per the ebMS3 XSD, no ``mpc`` attribute for the default MPC,
``S12:mustUnderstand="true"`` and a ``wsu:Id`` on Messaging (the signature refers to it). The
text is written for the envelope of :func:`.soap.envelope_xml`, which declares the ``S12``
prefix; :func:`messaging_element` parses a standalone copy (tests, inspection).

The text is written in canonical form (C14N 1.0 section 2: no empty-element tags, namespace
declarations and attributes in canonical order, values escaped by :mod:`..xmltext`), so that
the signer knows the exclusive canonical form of eb:Messaging without parsing it
(:func:`messaging_texts`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

from .. import ns
from ..xmldsig.signing import inclusive_namespaces_xml
from ..xmlparse import Element, parse_xml
from ..xmltext import attr, text
from .ebms_xml import format_timestamp
from .model import (
    Ebms3Error,
    MessageInfo,
    Party,
    Property,
    SignalMessage,
    SignedReference,
    UserMessage,
)

__all__ = ["messaging_element", "messaging_texts", "messaging_xml"]


def _attributes(pairs: Iterable[tuple[str, str | None]]) -> str:
    # Callers list unqualified attributes by name: their canonical order (C14N 1.0 2.2).
    return "".join(f' {name}="{attr(value)}"' for name, value in pairs if value is not None)


def _leaf(local: str, value: str, *pairs: tuple[str, str | None]) -> str:
    return f"<eb:{local}{_attributes(pairs)}>{text(value)}</eb:{local}>"


def _message_info(info: MessageInfo) -> str:
    ref = info.ref_to_message_id
    return (
        "<eb:MessageInfo>"
        + _leaf("Timestamp", format_timestamp(info.timestamp))
        + _leaf("MessageId", info.message_id)
        + (_leaf("RefToMessageId", ref) if ref is not None else "")
        + "</eb:MessageInfo>"
    )


def _party(local: str, party: Party) -> str:
    ids = "".join(_leaf("PartyId", pid.value, ("type", pid.type)) for pid in party.ids)
    return f"<eb:{local}>{ids}{_leaf('Role', party.role)}</eb:{local}>"


def _properties(local: str, props: tuple[Property, ...]) -> str:
    if not props:
        return ""
    inner = "".join(_leaf("Property", p.value, ("name", p.name), ("type", p.type)) for p in props)
    return f"<eb:{local}>{inner}</eb:{local}>"


def _user_message(um: UserMessage) -> str:
    agreement = (
        _leaf(
            "AgreementRef",
            um.agreement,
            ("pmode", um.agreement_pmode),
            ("type", um.agreement_type),
        )
        if um.agreement is not None
        else ""
    )
    parts = ""
    if um.parts:
        infos = "".join(
            f"<eb:PartInfo{_attributes([('href', part.href)])}>"
            f"{_properties('PartProperties', part.properties)}</eb:PartInfo>"
            for part in um.parts
        )
        parts = f"<eb:PayloadInfo>{infos}</eb:PayloadInfo>"
    return (
        f"<eb:UserMessage{_attributes([('mpc', um.mpc)])}>"
        + _message_info(um.message_info)
        + f"<eb:PartyInfo>{_party('From', um.sender)}{_party('To', um.receiver)}</eb:PartyInfo>"
        + "<eb:CollaborationInfo>"
        + agreement
        + _leaf("Service", um.service, ("type", um.service_type))
        + _leaf("Action", um.action)
        + _leaf("ConversationId", um.conversation_id)
        + "</eb:CollaborationInfo>"
        + _properties("MessageProperties", um.properties)
        + parts
        + "</eb:UserMessage>"
    )


def _signed_reference(ref: SignedReference) -> str:
    """One ds:Reference of the receipt's NonRepudiationInformation (AS4 profile 5.1.8)."""
    transforms = ""
    if ref.transforms:
        inner = "".join(
            f'<ds:Transform Algorithm="{attr(algorithm)}">'
            f"{inclusive_namespaces_xml(p) if p else ''}</ds:Transform>"
            for algorithm, p in ref.transforms
        )
        transforms = f"<ds:Transforms>{inner}</ds:Transforms>"
    digest = base64.b64encode(ref.digest_value).decode("ascii")
    return (
        f'<ds:Reference xmlns:ds="{ns.DS}" URI="{attr(ref.uri)}">{transforms}'
        f'<ds:DigestMethod Algorithm="{attr(ref.digest_method)}"></ds:DigestMethod>'
        f"<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>"
    )


def _error(err: Ebms3Error) -> str:
    inner = ""
    if err.description is not None:
        inner += f'<eb:Description xml:lang="en">{text(err.description)}</eb:Description>'
    if err.detail is not None:
        inner += _leaf("ErrorDetail", err.detail)
    head = "<eb:Error" + _attributes(
        [
            ("category", err.category),
            ("errorCode", err.code),
            ("origin", err.origin),
            ("refToMessageInError", err.ref_to_message_in_error),
            ("severity", err.severity),
            ("shortDescription", err.short_description),
        ]
    )
    return f"{head}>{inner}</eb:Error>"


def _signal_message(sm: SignalMessage) -> str:
    receipt = ""
    if sm.receipt is not None:
        parts = "".join(
            "<ebbp:MessagePartNRInformation>"
            + _signed_reference(ref)
            + "</ebbp:MessagePartNRInformation>"
            for ref in sm.receipt.references
        )
        receipt = (
            f'<eb:Receipt><ebbp:NonRepudiationInformation xmlns:ebbp="{ns.EBBP}">'
            f"{parts}</ebbp:NonRepudiationInformation></eb:Receipt>"
        )
    errors = "".join(_error(err) for err in sm.errors)
    return f"<eb:SignalMessage>{_message_info(sm.message_info)}{receipt}{errors}</eb:SignalMessage>"


def _messaging_start(wsu_id: str, *, declare_soap: bool) -> str:
    # Declarations sorted by prefix, then wsu:Id before S12:mustUnderstand (attributes sort by
    # namespace URI, C14N 1.0 2.2: WSS utility's before SOAP 1.2's).
    soap = f' xmlns:S12="{ns.SOAP12}"' if declare_soap else ""
    return (
        f'<eb:Messaging{soap} xmlns:eb="{ns.EB}" xmlns:wsu="{ns.WSU}"'
        f' wsu:Id="{attr(wsu_id)}" S12:mustUnderstand="true">'
    )


def _messaging_content(message: UserMessage | SignalMessage) -> str:
    body = _user_message(message) if isinstance(message, UserMessage) else _signal_message(message)
    return body + "</eb:Messaging>"


def messaging_xml(
    message: UserMessage | SignalMessage, *, wsu_id: str, declare_soap: bool = False
) -> str:
    """``eb:Messaging`` with ``S12:mustUnderstand="true"`` and ``wsu:Id``, as text for an
    envelope that declares ``S12`` (or declaring it, with ``declare_soap``)."""
    return _messaging_start(wsu_id, declare_soap=declare_soap) + _messaging_content(message)


def messaging_texts(message: UserMessage | SignalMessage, *, wsu_id: str) -> tuple[str, str]:
    """``eb:Messaging`` as text for the envelope, and its exclusive canonical form with the
    PrefixList ``S12`` (Exclusive C14N 1.0 section 3: the prefixes it uses and ``S12``, which
    the envelope declares), which is what the signature's reference digests."""
    content = _messaging_content(message)
    return (
        _messaging_start(wsu_id, declare_soap=False) + content,
        _messaging_start(wsu_id, declare_soap=True) + content,
    )


def messaging_element(message: UserMessage | SignalMessage, *, wsu_id: str) -> Element:
    """:func:`messaging_xml` parsed on its own (it declares every namespace it uses)."""
    return parse_xml(
        messaging_xml(message, wsu_id=wsu_id, declare_soap=True).encode(),
        what="an eb:Messaging header",
    )
