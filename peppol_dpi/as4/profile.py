"""The Peppol AS4 profile (2.0.3) as data, and a validator that reports every violation.

The P-Mode values (Peppol AS4 2.0.3 section 5, "P-Mode parameters") are fixed; the header
rules are those phase4 (``PeppolCompatibilityValidator``, ``Phase4PeppolServletMessageProcessorSPI``)
and Oxalis-NG (``As4InboundHandler``) enforce. :func:`user_message_problems` lists every
problem found instead of stopping at the first; :func:`check_user_message` raises one
:class:`~peppol_dpi.errors.ValidationError` holding all of them with the EBMS code a peer must
be told (EBMS:0010 for P-Mode mismatches, EBMS:0003 for inconsistencies).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..arguments import require_instance, require_optional, wrong_type
from ..errors import EbmsError, InputError, Problem, ValidationError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from .compression import GZIP
from .model import PEPPOL_AGREEMENT, PEPPOL_PARTY_TYPE, Role, UserMessage, check_message_id

__all__ = [
    "DEFAULT_MPC",
    "PEPPOL_PROFILE",
    "PeppolProfile",
    "SbdRouting",
    "check_user_message",
    "routing_problems",
    "user_message_problems",
]

DEFAULT_MPC = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/defaultMPC"


@dataclass(frozen=True, kw_only=True)
class PeppolProfile:
    """The fixed P-Mode of Peppol AS4 2.0.3 (section 5) and the header rules built on it."""

    agreement: str = PEPPOL_AGREEMENT
    party_type: str = PEPPOL_PARTY_TYPE
    initiator_role: str = Role.INITIATOR.value
    responder_role: str = Role.RESPONDER.value
    mpc: str = DEFAULT_MPC
    compression_type: str = GZIP
    payload_count: int = 1
    #: phase4 requires seat ids like POP000306; None accepts any non-empty party id.
    party_id_pattern: re.Pattern[str] | None = None
    #: The From PartyId must be the CN (seat id) of the signing certificate (Peppol AS4 5:
    #: "the CN of the AP certificate"; Oxalis computes it so, the ``as4`` package enforces it).
    sender_is_signer: bool = True


PEPPOL_PROFILE = PeppolProfile()


@dataclass(frozen=True, kw_only=True)
class SbdRouting:
    """What the ebMS headers must agree with: the SBDH sender, receiver, document type, process."""

    sender: ParticipantId
    receiver: ParticipantId
    document_type: DocumentTypeId
    process: ProcessId


def _p(rule: str, message: str, location: str) -> Problem:
    return Problem(rule=rule, message=message, location=location)


def user_message_problems(
    um: UserMessage, *, attachment_count: int, profile: PeppolProfile = PEPPOL_PROFILE
) -> list[Problem]:
    """Every way ``um`` breaks the Peppol profile (the SBDH is compared separately)."""
    problems: list[Problem] = []
    try:  # ebMS3 core 5.2.2.1: an RFC 2822 msg-id (Oxalis-NG refuses others)
        check_message_id(um.message_id)
    except InputError as exc:
        problems.append(_p("as4:message-id", exc.message, "MessageInfo/MessageId"))
    # Peppol AS4 5: one PartyId per side, typed urn:fdc:peppol.eu:2017:identifiers:ap.
    for side, party, role in (
        ("From", um.sender, profile.initiator_role),
        ("To", um.receiver, profile.responder_role),
    ):
        where = f"PartyInfo/{side}"
        if len(party.ids) != 1:
            problems.append(_p("peppol:party-count", f"{len(party.ids)} PartyIds, need 1", where))
        for pid in party.ids:
            if pid.type != profile.party_type:
                problems.append(
                    _p(
                        "peppol:party-type",
                        f"PartyId type {pid.type!r}, need {profile.party_type}",
                        where,
                    )
                )
            if profile.party_id_pattern and not profile.party_id_pattern.fullmatch(pid.value):
                problems.append(
                    _p("peppol:party-id", f"PartyId {pid.value!r} is not a seat id", where)
                )
        if party.role != role:
            problems.append(_p("peppol:role", f"Role {party.role!r}, need {role}", where))
    # Peppol AS4 5: the one agreement, without type or pmode attributes.
    if um.agreement != profile.agreement:
        problems.append(
            _p(
                "peppol:agreement",
                f"AgreementRef {um.agreement!r}, need {profile.agreement}",
                "CollaborationInfo/AgreementRef",
            )
        )
    if um.agreement_type is not None or um.agreement_pmode is not None:
        problems.append(
            _p(
                "peppol:agreement-attributes",
                "AgreementRef must not carry type or pmode",
                "CollaborationInfo/AgreementRef",
            )
        )
    if not um.service_type:
        problems.append(
            _p(
                "peppol:service-type",
                "Service needs the process scheme as type",
                "CollaborationInfo/Service",
            )
        )
    if um.mpc not in (None, profile.mpc):
        problems.append(
            _p("peppol:mpc", f"MPC {um.mpc!r} is not the default MPC", "UserMessage/@mpc")
        )
    # Peppol AS4 5: originalSender and finalRecipient are required, with their scheme as type.
    for name in ("originalSender", "finalRecipient"):
        prop = um.find_property(name)
        if prop is None or not prop.value:
            problems.append(
                _p(
                    "peppol:property-missing",
                    f"MessageProperty {name} is missing",
                    "MessageProperties",
                )
            )
        elif not prop.type:
            problems.append(
                _p(
                    "peppol:property-type",
                    f"MessageProperty {name} has no type",
                    "MessageProperties",
                )
            )
    if um.find_property("trackingIdentifier") is not None:
        problems.append(
            _p(
                "peppol:tracking-identifier",
                "trackingIdentifier must not be used",
                "MessageProperties",
            )
        )
    # Peppol AS4 3: exactly one payload, a cid: attachment, gzip with its MimeType.
    if len(um.parts) != profile.payload_count or attachment_count != profile.payload_count:
        problems.append(
            _p(
                "peppol:payload-count",
                f"{len(um.parts)} PartInfo and {attachment_count} attachments, need exactly {profile.payload_count}",
                "PayloadInfo",
            )
        )
    for part in um.parts:
        where = f"PayloadInfo/PartInfo[@href={part.href!r}]"
        if part.content_id is None:
            problems.append(_p("peppol:part-href", "href must be a cid: reference", where))
        if part.compression_type is not None and part.compression_type != profile.compression_type:
            problems.append(
                _p("peppol:compression", f"CompressionType {part.compression_type!r}", where)
            )
        if part.compression_type is not None and not part.mime_type:
            problems.append(_p("peppol:mime-type", "a compressed part needs its MimeType", where))
    return problems


def routing_problems(um: UserMessage, routing: SbdRouting) -> list[Problem]:
    """Every disagreement between the ebMS headers and the SBDH (Peppol AS4 5; phase4 SPI)."""
    problems: list[Problem] = []
    for name, participant, where in (
        ("originalSender", routing.sender, "SBDH Sender"),
        ("finalRecipient", routing.receiver, "SBDH Receiver"),
    ):
        prop = um.find_property(name)
        if prop is None:
            continue  # reported by user_message_problems
        # Peppol ids compare ignoring ASCII case (PFUOI 4.4); str.lower() folds more than ASCII
        # (U+212A KELVIN SIGN lowers to "k"), and a participant id is ASCII only.
        same_value = prop.value.isascii() and prop.value.lower() == participant.value.lower()
        if not same_value or prop.type != participant.scheme.value:
            problems.append(
                _p(
                    "peppol:sbdh-mismatch",
                    f"{name} {prop.type}::{prop.value} differs from {where} {participant}",
                    "MessageProperties",
                )
            )
    if um.service != routing.process.value or um.service_type != routing.process.scheme.value:
        problems.append(
            _p(
                "peppol:sbdh-mismatch",
                f"Service {um.service_type}::{um.service} differs from the SBDH process {routing.process}",
                "CollaborationInfo/Service",
            )
        )
    if um.action != str(routing.document_type):
        problems.append(
            _p(
                "peppol:sbdh-mismatch",
                f"Action {um.action!r} differs from the SBDH document type {routing.document_type}",
                "CollaborationInfo/Action",
            )
        )
    return problems


def check_user_message(
    um: UserMessage,
    *,
    attachment_count: int,
    routing: SbdRouting | None = None,
    profile: PeppolProfile = PEPPOL_PROFILE,
) -> None:
    """Raise one ValidationError listing every profile violation (EBMS:0010 or EBMS:0003)."""
    caller = "check_user_message"
    require_instance(um, UserMessage, caller=caller, name="um")
    if isinstance(attachment_count, bool) or not isinstance(attachment_count, int):
        raise wrong_type(caller, "attachment_count", "an int", attachment_count)
    require_optional(routing, SbdRouting, caller=caller, name="routing")
    require_instance(profile, PeppolProfile, caller=caller, name="profile")
    header = user_message_problems(um, attachment_count=attachment_count, profile=profile)
    consistency = routing_problems(um, routing) if routing is not None else []
    problems = header + consistency
    if not problems:
        return
    pmode_rules = {
        "peppol:agreement",
        "peppol:agreement-attributes",
        "peppol:role",
        "peppol:party-type",
        "peppol:mpc",
    }
    code = (
        EbmsError.PROCESSING_MODE_MISMATCH
        if any(p.rule in pmode_rules for p in problems)
        else EbmsError.VALUE_INCONSISTENT
    )
    raise ValidationError(problems, what="Peppol AS4 user message", ebms_code=code)
