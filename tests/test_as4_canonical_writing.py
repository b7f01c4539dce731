"""The AS4 signer writes eb:Messaging, the Body and SignedInfo as text in canonical form and
digests and signs that text without parsing it: here, for any values, each of the three is
checked against libxml2's canonicalization of the envelope a receiver parses."""

from __future__ import annotations

from datetime import UTC, datetime

import pki
from as4_support import counter_ids
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xml_support import MARKUP_TEXT

from peppol_dpi import ns
from peppol_dpi.as4.ebms_write import messaging_texts
from peppol_dpi.as4.model import (
    Ebms3Error,
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
from peppol_dpi.as4.soap import body_xml, parse_envelope
from peppol_dpi.as4.wss_sign import SIGNED_INFO_PREFIXES, write_signed_envelope
from peppol_dpi.as4.wss_verify import verify_envelope
from peppol_dpi.xmlparse import c14n, first_child

C2 = pki.ap_key("c2")
T0 = datetime(2026, 11, 27, 3, 0, 0, 500000, tzinfo=UTC)

_VALUE = MARKUP_TEXT.filter(str.strip)
_OPTIONAL = st.none() | _VALUE
_PROPERTIES = st.lists(
    st.builds(Property, name=_VALUE, value=_VALUE, type=_OPTIONAL), max_size=3
).map(tuple)
_PARTY = st.builds(
    Party,
    ids=st.lists(st.builds(PartyId, value=_VALUE, type=_OPTIONAL), min_size=1, max_size=2).map(
        tuple
    ),
    role=_VALUE,
)
_INFO = st.builds(
    MessageInfo, timestamp=st.just(T0), message_id=_VALUE, ref_to_message_id=_OPTIONAL
)
_USER_MESSAGES = st.builds(
    UserMessage,
    message_info=_INFO,
    sender=_PARTY,
    receiver=_PARTY,
    service=_VALUE,
    service_type=_OPTIONAL,
    action=_VALUE,
    conversation_id=_VALUE,
    agreement=_OPTIONAL,
    agreement_type=_OPTIONAL,
    agreement_pmode=_OPTIONAL,
    properties=_PROPERTIES,
    parts=st.lists(st.builds(PartInfo, href=_OPTIONAL, properties=_PROPERTIES), max_size=2).map(
        tuple
    ),
    mpc=_OPTIONAL,
)
_REFERENCES = st.builds(
    SignedReference,
    uri=_VALUE,
    transforms=st.lists(
        st.tuples(_VALUE, st.lists(st.from_regex(r"[A-Za-z]{1,4}", fullmatch=True)).map(tuple)),
        max_size=2,
    ).map(tuple),
    digest_method=_VALUE,
    digest_value=st.binary(min_size=1, max_size=40),
)
_ERRORS = st.builds(
    Ebms3Error,
    code=_VALUE,
    severity=_VALUE,
    category=_OPTIONAL,
    short_description=_OPTIONAL,
    ref_to_message_in_error=_OPTIONAL,
    origin=_OPTIONAL,
    description=_OPTIONAL,
    detail=_OPTIONAL,
)
_SIGNALS = st.one_of(
    st.builds(
        SignalMessage,
        message_info=_INFO,
        receipt=st.builds(Receipt, references=st.lists(_REFERENCES, max_size=2).map(tuple)),
    ),
    st.builds(SignalMessage, message_info=_INFO, errors=st.lists(_ERRORS, min_size=1).map(tuple)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=st.one_of(_USER_MESSAGES, _SIGNALS), attachment=st.binary(max_size=64))
def test_what_is_signed_is_the_canonical_form_of_what_is_sent(
    message: UserMessage | SignalMessage, attachment: bytes
) -> None:
    document, references = write_signed_envelope(
        message,
        key=C2,
        attachments=(("a@x", "application/gzip", attachment),),
        new_id=counter_ids(),
    )
    envelope = parse_envelope(document)
    assert envelope.messaging is not None and envelope.security is not None
    messaging_id = envelope.messaging.get(f"{{{ns.WSU}}}Id")
    body_id = envelope.body.get(f"{{{ns.WSU}}}Id")
    assert messaging_id is not None and body_id is not None
    # The octets digested, written without a parse, equal libxml2's C14N of the parsed tree.
    _, canonical = messaging_texts(message, wsu_id=messaging_id)
    assert c14n(envelope.messaging, inclusive_prefixes=SIGNED_INFO_PREFIXES) == canonical.encode()
    assert c14n(envelope.body) == body_xml(body_id, declare_soap=True).encode()
    # And the verifier, which canonicalizes the parsed SignedInfo, accepts the signature.
    verification = verify_envelope(
        envelope, attachments={"a@x": ("application/gzip", attachment)}, trust=None
    )
    assert verification.attachments_checked
    assert verification.references == references
    signature = first_child(envelope.security, f"{{{ns.DS}}}Signature")
    assert signature is not None and signature.get("Id") is not None
