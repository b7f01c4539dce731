"""Our eb:Messaging reader is never laxer than the official ebMS 3.0 header schema.

A differential test. An eb:Messaging header (a Peppol user message, a receipt and an error
signal, written by :mod:`peppol_dpi.as4.ebms_write`) is changed as a hostile sender would
change it, then judged twice:

* by the OASIS ebMS 3.0 header schema (``ebms-header-3_0-200704.xsd`` with the errata's
  ``Property/@type``, from ../shared/fixtures/xsd), compiled as tests/test_as4_xsd.py
  compiles it, eb:Messaging validated as the root of a document by libxml2 and by the
  pure-Python ``xmlschema`` (``differential.SchemaOracle``): invalid when either refuses;
* by our reader, in the sequence that meets the header in practice. For a user message that
  is the receiver's (``receiving.Opening.envelope_of``: the SOAP envelope, ``parse_messaging``,
  the PartInfo matched to the attachments, then ``check_user_message`` with the default Peppol
  profile, as ``Opening.authenticate`` applies it); what comes after (the signature, "From is
  the signer", decryption, the SBDH comparison) can only refuse more and is left out. For a
  signal it is the sender reading the answer (``signals.read_answer``: the envelope, then
  ``parse_messaging``).

When the schema says the header is invalid, we must refuse it too, and each refusal of ours
must be an InputError: any other exception escaping is a crash, a finding of its own. A header
the schema refuses is one a schema-validating peer refuses or reads differently: accepting it
is where two readers of the same bytes part ways.

When it was written, this file found that ``parse_messaging`` checked only what it read: 113
headers the schema refuses were accepted. Each is kept as a case with what was ``found``:

* the order of children (every xs:sequence of the schema), since ``_Kids`` looks children up
  by name;
* elements the schema does not allow (eb: or foreign where no wildcard allows them), character
  content in element-only content, element children in simple content, attributes the schema
  does not declare, ``xsi:nil`` on a type that is not nillable;
* the attributes of eb:Messaging (``S12:mustUnderstand`` is not an xs:boolean, ``S11:
  mustUnderstand`` not 0 or 1, ``id`` not an xs:ID);
* empty values of optional elements and attributes that must be non-empty (RefToMessageId,
  eb:Description, a Property's value and ``type``), read as absent;
* eb:Schema and eb:Description of a PartInfo, and eb:PullRequest, not read at all;
* an eb:Receipt or eb:PartProperties without children, and ebbp:NonRepudiationInformation
  whose content breaks the ebbp schema;
* xs:dateTime read after ``str.strip()``, which strips Unicode spaces (U+00A0, U+3000) that are
  not XML white space (XSD 1.0 part 2, 4.3.6), and text after a processing instruction not
  read at all, so that the Timestamp ``2026-11-01T12:00:00Z<?pi?>junk`` was accepted.

All are refused now: ``parse_messaging`` validates eb:Messaging against the project's own
ebMS 3.0 header schema (``as4/ebms_schema.py``, ``peppol_dpi/xsd/ebms-header-3.0.xsd``;
EBMS:0009, as phase4 answers), and the receipt reader checks ebbp:NonRepudiationInformation.
One difference the schema cannot see is refused by the reader: ``m1@c2.test<?pi?>.evil`` is
valid to the schema, but was ``m1@c2.test`` to us where other products join the text; a value
holding a processing instruction is now refused (``as4:schema``).

Several values the schema refuses are refused by the Peppol profile instead of the reader
(an empty ``PartyId/@type``, ``Service/@type``, ``AgreementRef``, ``AgreementRef/@pmode``,
an empty MessageProperties or PayloadInfo, an ``mpc`` that is no xs:anyURI): the receiver is not
laxer there, but ``parse_messaging`` alone (as ``inspection`` uses it) is.

Each engine has faults the other covers. libxml2 refuses an xs:dateTime with white space before
it, although the type's whiteSpace is ``collapse`` (XSD 1.0 part 2, 3.2.7 and 4.3.6); we accept
it, rightly, and that value is not among the cases (trailing white space is, and both accept
it). libxml2 accepts a ##other element before eb:UserMessage, or between two eb:Error, though
the wildcard comes last in both sequences. Judged by libxml2 alone, this file let us accept both
too; with ``xmlschema`` beside it they failed, and ``ebms_schema`` now checks that extensions
come last. ``xmlschema`` accepts a Timestamp followed by U+00A0, U+2028 or U+3000 (it strips
with Python's ``str.strip()``, which takes them for white space); libxml2 and we refuse it.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from as4_support import trust
from differential import SchemaOracle, Verdict, schema_driver
from hypothesis import given, note, settings
from hypothesis import strategies as st
from lxml import etree
from test_as4_xsd import SOAP11_STUB

from peppol_dpi import ns
from peppol_dpi.as4.ebms_write import messaging_xml
from peppol_dpi.as4.mime import Headers, MimeMessage, MimePart
from peppol_dpi.as4.model import (
    Ebms3Error,
    MessageInfo,
    PartInfo,
    Party,
    Property,
    Receipt,
    Role,
    SignalMessage,
    SignedReference,
    UserMessage,
)
from peppol_dpi.as4.profile import DEFAULT_MPC, check_user_message
from peppol_dpi.as4.receiving import Opening
from peppol_dpi.as4.signals import SIGNAL_CONTENT_TYPE, read_answer
from peppol_dpi.as4.soap import body_xml, envelope_xml
from peppol_dpi.errors import EbmsError, InputError
from peppol_dpi.limits import DEFAULT_LIMITS
from peppol_dpi.trust import TrustPolicy

EB, S12 = ns.EB, ns.SOAP12
S11 = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
FOREIGN = "urn:example:foreign"
# The prefixes mutations write (fragments declare them all; xml is always in scope).
_PREFIXES = {"eb": EB, "ebbp": ns.EBBP, "ds": ns.DS, "x": FOREIGN, "S12": S12, "S11": S11}
_PREFIXES |= {"xsi": XSI}

# -- the official schema, compiled as tests/test_as4_xsd.py compiles it -------------------------

# The ebMS schema imports the SOAP 1.1 schema only for S11:mustUnderstand; that schema is not
# among the fixtures, and a stub declares just the attribute (the same as test_as4_xsd.py's).

# eb:Receipt holds ebbp:NonRepudiationInformation under a lax wildcard (ebMS3 5.2.3.3, AS4
# 5.1.8): ebbp-signals and the XML Signature schema are loaded, so that it is validated too.
_IMPORTS = {
    ns.XML: "w3/xml.xsd",
    "http://www.w3.org/1999/xlink": "w3/xlink.xsd",
    ns.DS: "w3/xmldsig-core-schema.xsd",
    ns.EXC_C14N: "w3/exc-c14n.xsd",
    S11: "ebms/soap11.xsd",
    S12: "ebms/soap12.xsd",
    EB: "ebms/ebms-header-3_0-200704.xsd",
    ns.EBBP: "ebms/ebbp-signals-2.0.4.xsd",
}


@pytest.fixture(scope="module")
def schema(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> SchemaOracle:
    folder = tmp_path_factory.mktemp("ebms-xsd")
    shutil.copytree(shared / "xsd" / "ebms", folder / "ebms")
    shutil.copytree(shared / "xsd" / "w3", folder / "w3")
    (folder / "ebms" / "soap11.xsd").write_text(SOAP11_STUB)
    return SchemaOracle.compiled(schema_driver(folder, _IMPORTS, "urn:peppol-dpi:test:ebms-xsd"))


# -- the messages -------------------------------------------------------------------------------

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CID = "payload@c2.test"


def peppol_user_message() -> UserMessage:
    # What a Peppol sender writes (Peppol AS4 2.0.3 section 5): one gzip payload, cid: href.
    return UserMessage(
        message_info=MessageInfo(timestamp=T0, message_id="m1@c2.test"),
        sender=Party.peppol("POP000001", Role.INITIATOR),
        receiver=Party.peppol("POP000002", Role.RESPONDER),
        service="urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
        service_type="cenbii-procid-ubl",
        action="busdox-docid-qns::urn:x::Invoice##c::2.1",
        conversation_id="c1",
        properties=(
            Property(name="originalSender", value="0192:991825827", type="iso6523-actorid-upis"),
            Property(name="finalRecipient", value="0192:810969342", type="iso6523-actorid-upis"),
        ),
        parts=(
            PartInfo(
                href=f"cid:{CID}",
                properties=(
                    Property(name="MimeType", value="application/xml"),
                    Property(name="CompressionType", value="application/gzip"),
                ),
            ),
        ),
    )


def _receipt() -> SignalMessage:
    reference = SignedReference(
        uri="#body",
        transforms=(("http://www.w3.org/2001/10/xml-exc-c14n#", ("S12",)),),
        digest_method="http://www.w3.org/2001/04/xmlenc#sha256",
        digest_value=b"\x01" * 32,
    )
    return SignalMessage(
        message_info=MessageInfo(
            timestamp=T0, message_id="r1@c3.test", ref_to_message_id="m1@c2.test"
        ),
        receipt=Receipt(references=(reference,)),
    )


def _error() -> SignalMessage:
    return SignalMessage(
        message_info=MessageInfo(
            timestamp=T0, message_id="e1@c3.test", ref_to_message_id="m1@c2.test"
        ),
        errors=(
            Ebms3Error.of(
                EbmsError.FAILED_DECRYPTION,
                ref_to_message_in_error="m1@c2.test",
                description="decryption failed",
                detail="wss:decryption",
            ),
        ),
    )


_MESSAGES: dict[str, Callable[[], UserMessage | SignalMessage]] = {
    "user": peppol_user_message,
    "receipt": _receipt,
    "error": _error,
}


@cache
def envelope(kind: str) -> bytes:
    messaging = messaging_xml(_MESSAGES[kind](), wsu_id="messaging")
    if kind == "user":
        # An empty wsse:Security header: the receiver refuses a message without one before it
        # looks at the signature, and the signature is not what is compared here.
        return envelope_xml(security="", messaging=messaging, body=body_xml("body")).encode()
    # A signal without wsse:Security, which read_answer reads without verifying anything.
    return (
        f'<S12:Envelope xmlns:S12="{S12}"><S12:Header>{messaging}</S12:Header>'
        f"{body_xml('body')}</S12:Envelope>"
    ).encode()


Mutation = Callable[[etree._Element], None]


def _messaging(root: etree._Element) -> etree._Element | None:
    return root.find(f"{{{S12}}}Header/{{{EB}}}Messaging")


def document(kind: str, mutation: Mutation | None = None) -> bytes:
    """The envelope of ``kind`` with ``mutation`` applied to its eb:Messaging."""
    root = etree.fromstring(envelope(kind))
    messaging = _messaging(root)
    assert messaging is not None
    if mutation is not None:
        mutation(messaging)
    return etree.tostring(root)


# -- the two verdicts ---------------------------------------------------------------------------


def xsd_verdict(schema: SchemaOracle, messaging: etree._Element | None) -> Verdict:
    """The schema's verdict on eb:Messaging as the root of a document of its own (as the
    child of S12:Header it would only be matched by a lax wildcard), by both engines."""
    if messaging is None:
        return Verdict(False, "no eb:Messaging")
    objections = schema.objections(etree.tostring(messaging))
    return Verdict(not objections, objections[0] if objections else "valid")


@cache
def _trust() -> TrustPolicy:
    return trust()


def _attachment() -> MimePart:
    headers = {"Content-ID": f"<{CID}>", "Content-Type": "application/octet-stream"}
    return MimePart(Headers.of(headers), b"\x00")


def ours(kind: str, data: bytes) -> Verdict:
    """Our verdict: the receiver's on a user message, the sender's on the answer (a signal)."""
    try:
        if kind == "user":
            # The one attachment the unmutated PartInfo names (the root part is the envelope).
            root = MimePart(Headers.of({"Content-Type": "application/soap+xml"}), data)
            mime = MimeMessage(root=root, attachments=(_attachment(),))
            opening = Opening(DEFAULT_LIMITS, _trust(), caller="test_ebms_never_laxer")
            _, user_message = opening.envelope_of(mime)
            check_user_message(user_message, attachment_count=len(mime.attachments))
        else:
            answer = read_answer(200, {"Content-Type": SIGNAL_CONTENT_TYPE}, data, trust=None)
            if answer.signal is None:
                return Verdict(False, "no signal")
    except InputError as exc:
        return Verdict(False, f"{type(exc).__name__} [{exc.rule}] {exc}")
    except Exception as exc:  # a crash: reported by the caller's assertion
        return Verdict(False, f"{type(exc).__name__}: {exc}", crashed=True)
    return Verdict(True, "accepted")


def verdicts(schema: SchemaOracle, kind: str, data: bytes) -> tuple[Verdict, Verdict]:
    return xsd_verdict(schema, _messaging(etree.fromstring(data))), ours(kind, data)


# -- mutations ----------------------------------------------------------------------------------


def _path(path: str) -> str:
    """``a/b/ebbp:c`` (eb: by default) in lxml's Clark notation; ``[n]`` predicates are kept."""
    steps = []
    for step in path.split("/"):
        prefix, _, local = step.partition(":") if ":" in step else ("eb", "", step)
        steps.append(f"{{{_PREFIXES[prefix]}}}{local}")
    return "/".join(steps)


def at(messaging: etree._Element, path: str) -> etree._Element:
    if path == ".":
        return messaging
    found = messaging.find(_path(path))
    assert found is not None, path
    return found


def _fragment(xml: str) -> list[etree._Element]:
    declarations = " ".join(f'xmlns:{p}="{n}"' for p, n in _PREFIXES.items())
    return list(etree.fromstring(f"<w {declarations}>{xml}</w>"))


def drop(path: str) -> Mutation:
    def mutate(messaging: etree._Element) -> None:
        element = at(messaging, path)
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)

    return mutate


def dup(path: str) -> Mutation:
    """A copy of ``path`` right after it."""

    def mutate(messaging: etree._Element) -> None:
        element = at(messaging, path)
        element.addnext(copy.deepcopy(element))

    return mutate


def move(path: str, *, before: str) -> Mutation:
    def mutate(messaging: etree._Element) -> None:
        at(messaging, before).addprevious(at(messaging, path))

    return mutate


def text(path: str, value: str | None) -> Mutation:
    def mutate(messaging: etree._Element) -> None:
        at(messaging, path).text = value

    return mutate


def attr(path: str, name: str, value: str | None) -> Mutation:
    """Attribute ``name`` (``prefix:local`` or unqualified) set to ``value``, or removed."""
    prefix, _, local = name.rpartition(":")
    qualified = f"{{{(_PREFIXES | {'xml': ns.XML})[prefix]}}}{local}" if prefix else local

    def mutate(messaging: etree._Element) -> None:
        element = at(messaging, path)
        if value is None:
            del element.attrib[qualified]
        else:
            element.set(qualified, value)

    return mutate


def add(path: str, xml: str, *, index: int | None = None) -> Mutation:
    """The elements of ``xml`` added as children of ``path``, at ``index`` (or last)."""

    def mutate(messaging: etree._Element) -> None:
        element = at(messaging, path)
        for offset, child in enumerate(_fragment(xml)):
            if index is None:
                element.append(child)
            else:
                element.insert(index + offset, child)

    return mutate


def after_pi(path: str, tail: str) -> Mutation:
    """A processing instruction after the text of ``path``, followed by ``tail``."""

    def mutate(messaging: etree._Element) -> None:
        pi = etree.ProcessingInstruction("pi")
        pi.tail = tail
        at(messaging, path).append(pi)

    return mutate


def rename(path: str, tag: str) -> Mutation:
    def mutate(messaging: etree._Element) -> None:
        at(messaging, path).tag = tag

    return mutate


def empty(path: str) -> Mutation:
    def mutate(messaging: etree._Element) -> None:
        element = at(messaging, path)
        for child in list(element):
            element.remove(child)
        element.text = None

    return mutate


def chain(*mutations: Mutation) -> Mutation:
    def mutate(messaging: etree._Element) -> None:
        for mutation in mutations:
            mutation(messaging)

    return mutate


UM, SM = "UserMessage", "SignalMessage"
MI_U, MI_S = f"{UM}/MessageInfo", f"{SM}/MessageInfo"
FROM, TO = f"{UM}/PartyInfo/From", f"{UM}/PartyInfo/To"
COLLAB = f"{UM}/CollaborationInfo"
PROPS = f"{UM}/MessageProperties"
PAYLOAD = f"{UM}/PayloadInfo"
PART = f"{PAYLOAD}/PartInfo"
RECEIPT, ERROR = f"{SM}/Receipt", f"{SM}/Error"
NRI = f"{RECEIPT}/ebbp:NonRepudiationInformation"
DS_REF = f"{NRI}/ebbp:MessagePartNRInformation/ds:Reference"
EXTRA, EB_EXTRA = "<x:extra/>", "<eb:Extra/>"

# What we accepted and the schema refused when this file was written (all fixed since).
ORDER = "child order not checked (_Kids looks children up by name; XSD xs:sequence)"
UNEXPECTED = "an element the XSD does not allow there is ignored (no wildcard for it)"
TEXT = "character content in element-only content is ignored"
ATTRIBUTE = "an attribute the XSD does not declare is ignored"
SIMPLE = "an element child of a simple-content element is ignored (only .text is read)"
EMPTY = "an empty value the XSD types non-empty-string (minLength 1) is read as absent"
NOT_READ = "not read at all by parse_messaging"
NRI_NOT_READ = "ebbp:NonRepudiationInformation is not checked against the ebbp schema"
STRIP = "str.strip() removes a Unicode space that is no XML white space (XSD 1.0 part 2 4.3.6)"
PI_SPLIT = "text after a processing instruction is not read (el.text stops at it)"


def P(kind: str, name: str, mutation: Mutation, *, found: str | None = None) -> Any:
    """One case; ``found``: how we accepted what the XSD refuses when this file was written
    (fixed since: the case keeps it from coming back)."""
    return pytest.param(kind, mutation, id=f"{kind}: {name}")


# Refused by us and accepted by the XSD, by design (not asserted on; the XSD says nothing):
# - eb:Messaging with no message, two user messages, or a user message and a signal: the schema
#   allows them for ebMS3 part 2; ebMS3 core 5.2 and phase4 allow exactly one; an eb:Messaging
#   whose only message is a UserMessage in another namespace (the ##other wildcard takes it);
# - a MessageId, PartyId, Role, Service or AgreementRef that is white space only (the XSD's
#   non-empty-string is xs:string, whose white space counts; U+3000 too, stripped by str.strip),
#   and an empty or white-space-only Action or ConversationId (xs:token, which may be empty):
#   ebMS3 5.2.2 requires a value;
# - the Peppol profile (Peppol AS4 2.0.3 section 5): a MessageId that is no RFC 2822 msg-id,
#   an mpc other than the default, not one PartyId typed urn:fdc:peppol.eu:2017:identifiers:ap,
#   roles other than initiator/responder, AgreementRef missing or with type/pmode, Service
#   without type, MessageProperties without originalSender/finalRecipient, PayloadInfo missing
#   or with other than one PartInfo with a cid: href that names the attachment (an href
#   "cid:", or " cid:x ", which the XSD's xs:token collapses to "cid:x");
# - a signal with neither eb:Receipt nor eb:Error (a PullRequest alone), or with both; an
#   eb:Error whose errorCode or severity is empty (xs:token allows it, ebMS3 6.2 does not);
# - a receipt's ds:DigestValue that is not base64 (libxml2 accepts "%%%" as xs:base64Binary);
# - an xs:dateTime with a year outside 0001-9999 (Python's datetime holds no other), also
#   9999-12-31T24:00:00Z (the next midnight), and a Timestamp split by a processing
#   instruction whose first piece is no xs:dateTime.
CASES = [
    # eb:Messaging (ebMS3 5.2.1; the schema's Messaging type and headerExtension attributes)
    P("user", "Messaging empty", empty(".")),
    P("user", "two UserMessages", dup(UM)),
    P(
        "user",
        "SignalMessage before UserMessage",
        add(
            ".",
            "<eb:SignalMessage><eb:MessageInfo><eb:Timestamp>2026-11-01T12:00:00Z</eb:Timestamp>"
            "<eb:MessageId>s@x</eb:MessageId></eb:MessageInfo><eb:Receipt><x:r/></eb:Receipt>"
            "</eb:SignalMessage>",
            index=0,
        ),
    ),
    P("user", "foreign element after UserMessage", add(".", EXTRA)),
    # libxml2 accepts a ##other element here, and between two eb:Error below, though the
    # wildcard comes last in the sequence (xmlschema refuses both; so do we, since).
    P("user", "foreign element before UserMessage", add(".", EXTRA, index=0)),
    P(
        "user",
        "eb:Extra in Messaging",
        add(".", EB_EXTRA),
        found=f"{UNEXPECTED}: eb:Extra in eb:Messaging (its wildcard is ##other)",
    ),
    P("user", "text in Messaging", text(".", "junk"), found=f"{TEXT}: eb:Messaging"),
    P("user", "S12:mustUnderstand false", attr(".", "S12:mustUnderstand", "false")),
    P("user", "S12:mustUnderstand 1", attr(".", "S12:mustUnderstand", "1")),
    P("user", "S12:mustUnderstand spaced", attr(".", "S12:mustUnderstand", " true ")),
    P("user", "S12:mustUnderstand absent", attr(".", "S12:mustUnderstand", None)),
    *(
        P(
            "user",
            f"S12:mustUnderstand {value!r}",
            attr(".", "S12:mustUnderstand", value),
            found=f"{NOT_READ}: S12:mustUnderstand={value!r} on eb:Messaging is no xs:boolean "
            "(SOAP 1.2 part 1 5.2.3)",
        )
        for value in ("yes", "TRUE", "")
    ),
    P("user", "S11:mustUnderstand 1", attr(".", "S11:mustUnderstand", "1")),
    P(
        "user",
        "S11:mustUnderstand true",
        attr(".", "S11:mustUnderstand", "true"),
        found=f"{NOT_READ}: S11:mustUnderstand='true' on eb:Messaging (SOAP 1.1: 0 or 1)",
    ),
    P("user", "id an NCName", attr(".", "id", "m1")),
    P(
        "user",
        "id not an NCName",
        attr(".", "id", "1 m"),
        found=f"{NOT_READ}: eb:Messaging/@id='1 m' is no xs:ID",
    ),
    P(
        "user",
        "unqualified attribute on Messaging",
        attr(".", "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:Messaging (anyAttribute is ##other)",
    ),
    P(
        "user",
        "eb:foo on Messaging",
        attr(".", "eb:foo", "bar"),
        found=f"{ATTRIBUTE}: eb:foo on eb:Messaging (anyAttribute is ##other)",
    ),
    P("user", "foreign attribute on Messaging", attr(".", "x:foo", "bar")),
    # eb:UserMessage (ebMS3 5.2.2)
    P(
        "user",
        "attribute on UserMessage",
        attr(UM, "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:UserMessage",
    ),
    P(
        "user",
        "foreign attribute on UserMessage",
        attr(UM, "x:foo", "bar"),
        found=f"{ATTRIBUTE}: x:foo on eb:UserMessage (no anyAttribute)",
    ),
    P(
        "user",
        "foreign element in UserMessage",
        add(UM, EXTRA),
        found=f"{UNEXPECTED}: x:extra last in eb:UserMessage",
    ),
    P(
        "user",
        "eb:Extra in UserMessage",
        add(UM, EB_EXTRA),
        found=f"{UNEXPECTED}: eb:Extra last in eb:UserMessage",
    ),
    P("user", "text in UserMessage", text(UM, "junk"), found=f"{TEXT}: eb:UserMessage"),
    P("user", "mpc the default MPC", attr(UM, "mpc", DEFAULT_MPC)),
    P("user", "mpc another MPC", attr(UM, "mpc", "urn:x:mpc")),
    P("user", "mpc empty", attr(UM, "mpc", "")),
    P("user", "mpc no anyURI", attr(UM, "mpc", "http://a b/%zz[")),
    P("user", "mpc no anyURI (2)", attr(UM, "mpc", "::")),
    P("user", "UserMessage in no namespace", rename(UM, "UserMessage")),
    P(
        "user",
        "UserMessage in a foreign namespace",
        rename(UM, f"{{{FOREIGN}}}UserMessage"),
    ),
    # eb:MessageInfo (ebMS3 5.2.2.1)
    P("user", "no MessageInfo", drop(MI_U)),
    P("user", "two MessageInfo", dup(MI_U)),
    P(
        "user",
        "MessageInfo last",
        move(MI_U, before=PAYLOAD),
        found=f"{ORDER}: eb:MessageInfo after eb:CollaborationInfo",
    ),
    P(
        "user",
        "PartyInfo before MessageInfo",
        move(f"{UM}/PartyInfo", before=MI_U),
        found=f"{ORDER}: eb:PartyInfo before eb:MessageInfo",
    ),
    P("user", "no Timestamp", drop(f"{MI_U}/Timestamp")),
    P("user", "two Timestamps", dup(f"{MI_U}/Timestamp")),
    P(
        "user",
        "MessageId before Timestamp",
        move(f"{MI_U}/MessageId", before=f"{MI_U}/Timestamp"),
        found=f"{ORDER}: eb:MessageId before eb:Timestamp",
    ),
    P(
        "user",
        "attribute on Timestamp",
        attr(f"{MI_U}/Timestamp", "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:Timestamp",
    ),
    P(
        "user",
        "Timestamp with xsi:nil",
        attr(f"{MI_U}/Timestamp", "xsi:nil", "true"),
        found=f"{ATTRIBUTE}: xsi:nil on eb:Timestamp, which is not nillable",
    ),
    P("user", "no MessageId", drop(f"{MI_U}/MessageId")),
    P("user", "two MessageIds", dup(f"{MI_U}/MessageId")),
    P("user", "MessageId empty", text(f"{MI_U}/MessageId", None)),
    P("user", "MessageId a space", text(f"{MI_U}/MessageId", " ")),
    P("user", "MessageId U+3000", text(f"{MI_U}/MessageId", "\u3000")),
    P("user", "MessageId no RFC 2822 msg-id", text(f"{MI_U}/MessageId", "not a message id")),
    P(
        "user",
        "MessageId with an element child",
        add(f"{MI_U}/MessageId", EXTRA),
        found=f"{SIMPLE}: x:extra in eb:MessageId",
    ),
    # Valid to the XSD; we read "m1@c2.test" where phase4 reads "m1@c2.test.evil": refused now.
    P("user", "MessageId split by a PI", after_pi(f"{MI_U}/MessageId", ".evil")),
    P(
        "user",
        "foreign element in MessageInfo",
        add(MI_U, EXTRA),
        found=f"{UNEXPECTED}: x:extra last in eb:MessageInfo",
    ),
    P(
        "user",
        "eb:Extra in MessageInfo",
        add(MI_U, EB_EXTRA),
        found=f"{UNEXPECTED}: eb:Extra last in eb:MessageInfo",
    ),
    P("user", "text in MessageInfo", text(MI_U, "junk"), found=f"{TEXT}: eb:MessageInfo"),
    P("user", "RefToMessageId", add(MI_U, "<eb:RefToMessageId>m0@c2.test</eb:RefToMessageId>")),
    P(
        "user",
        "RefToMessageId empty",
        add(MI_U, "<eb:RefToMessageId></eb:RefToMessageId>"),
        found=f"{EMPTY}: eb:RefToMessageId",
    ),
    P("user", "RefToMessageId a space", add(MI_U, "<eb:RefToMessageId> </eb:RefToMessageId>")),
    P(
        "user",
        "two RefToMessageIds",
        add(MI_U, "<eb:RefToMessageId>a@b</eb:RefToMessageId>" * 2),
    ),
    P(
        "user",
        "RefToMessageId first",
        add(MI_U, "<eb:RefToMessageId>a@b</eb:RefToMessageId>", index=0),
        found=f"{ORDER}: eb:RefToMessageId before eb:Timestamp",
    ),
    # eb:PartyInfo, eb:From, eb:To (ebMS3 5.2.2.2-5.2.2.5)
    P("user", "no PartyInfo", drop(f"{UM}/PartyInfo")),
    P("user", "two PartyInfo", dup(f"{UM}/PartyInfo")),
    P("user", "no From", drop(FROM)),
    P("user", "no To", drop(TO)),
    P("user", "two From", dup(FROM)),
    P("user", "two To", dup(TO)),
    P("user", "To before From", move(TO, before=FROM), found=f"{ORDER}: eb:To before eb:From"),
    P(
        "user",
        "foreign element in PartyInfo",
        add(f"{UM}/PartyInfo", EXTRA),
        found=f"{UNEXPECTED}: x:extra last in eb:PartyInfo",
    ),
    P("user", "text in PartyInfo", text(f"{UM}/PartyInfo", "junk"), found=f"{TEXT}: eb:PartyInfo"),
    P("user", "From without PartyId", drop(f"{FROM}/PartyId")),
    P("user", "From with two PartyIds", dup(f"{FROM}/PartyId")),
    P("user", "From without Role", drop(f"{FROM}/Role")),
    P("user", "From with two Roles", dup(f"{FROM}/Role")),
    P(
        "user",
        "From: Role first",
        move(f"{FROM}/Role", before=f"{FROM}/PartyId"),
        found=f"{ORDER}: eb:Role before eb:PartyId in eb:From",
    ),
    P(
        "user",
        "To: Role first",
        move(f"{TO}/Role", before=f"{TO}/PartyId"),
        found=f"{ORDER}: eb:Role before eb:PartyId in eb:To",
    ),
    P(
        "user",
        "From: PartyId after Role",
        chain(dup(f"{FROM}/PartyId"), move(f"{FROM}/Role", before=f"{FROM}/PartyId[2]")),
    ),
    P(
        "user",
        "foreign element in From",
        add(FROM, EXTRA),
        found=f"{UNEXPECTED}: x:extra last in eb:From",
    ),
    P(
        "user",
        "eb:Extra in From",
        add(FROM, EB_EXTRA),
        found=f"{UNEXPECTED}: eb:Extra last in eb:From",
    ),
    P("user", "PartyId empty", text(f"{FROM}/PartyId", None)),
    P("user", "PartyId a space", text(f"{FROM}/PartyId", " ")),
    P("user", "PartyId type empty", attr(f"{FROM}/PartyId", "type", "")),
    P("user", "PartyId without type", attr(f"{FROM}/PartyId", "type", None)),
    P(
        "user",
        "attribute on PartyId",
        attr(f"{FROM}/PartyId", "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:PartyId",
    ),
    P(
        "user",
        "PartyId with an element child",
        add(f"{FROM}/PartyId", EXTRA),
        found=f"{SIMPLE}: x:extra in eb:PartyId",
    ),
    P("user", "Role empty", text(f"{FROM}/Role", None)),
    P("user", "Role a space", text(f"{FROM}/Role", " ")),
    P("user", "Role another role", text(f"{FROM}/Role", "urn:x:role")),
    P(
        "user",
        "attribute on Role",
        attr(f"{TO}/Role", "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:Role",
    ),
    # eb:CollaborationInfo (ebMS3 5.2.2.6-5.2.2.10)
    P("user", "no CollaborationInfo", drop(COLLAB)),
    P("user", "two CollaborationInfo", dup(COLLAB)),
    P(
        "user",
        "CollaborationInfo first",
        move(COLLAB, before=MI_U),
        found=f"{ORDER}: eb:CollaborationInfo before eb:MessageInfo",
    ),
    P(
        "user",
        "foreign element in CollaborationInfo",
        add(COLLAB, EXTRA),
        found=f"{UNEXPECTED}: x:extra last in eb:CollaborationInfo",
    ),
    P(
        "user",
        "text in CollaborationInfo",
        text(COLLAB, "junk"),
        found=f"{TEXT}: eb:CollaborationInfo",
    ),
    P("user", "no AgreementRef", drop(f"{COLLAB}/AgreementRef")),
    P("user", "two AgreementRefs", dup(f"{COLLAB}/AgreementRef")),
    P(
        "user",
        "Service before AgreementRef",
        move(f"{COLLAB}/Service", before=f"{COLLAB}/AgreementRef"),
        found=f"{ORDER}: eb:Service before eb:AgreementRef",
    ),
    P(
        "user",
        "AgreementRef after Action",
        move(f"{COLLAB}/AgreementRef", before=f"{COLLAB}/ConversationId"),
        found=f"{ORDER}: eb:AgreementRef after eb:Action",
    ),
    P("user", "AgreementRef empty", text(f"{COLLAB}/AgreementRef", None)),
    P("user", "AgreementRef a space", text(f"{COLLAB}/AgreementRef", " ")),
    P("user", "AgreementRef with type", attr(f"{COLLAB}/AgreementRef", "type", "t")),
    P("user", "AgreementRef pmode empty", attr(f"{COLLAB}/AgreementRef", "pmode", "")),
    P(
        "user",
        "attribute on AgreementRef",
        attr(f"{COLLAB}/AgreementRef", "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:AgreementRef",
    ),
    P("user", "no Service", drop(f"{COLLAB}/Service")),
    P("user", "two Services", dup(f"{COLLAB}/Service")),
    P("user", "Service empty", text(f"{COLLAB}/Service", None)),
    P("user", "Service a space", text(f"{COLLAB}/Service", " ")),
    P("user", "Service type empty", attr(f"{COLLAB}/Service", "type", "")),
    P("user", "Service without type", attr(f"{COLLAB}/Service", "type", None)),
    P(
        "user",
        "attribute on Service",
        attr(f"{COLLAB}/Service", "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:Service",
    ),
    P(
        "user",
        "Service with an element child",
        add(f"{COLLAB}/Service", EXTRA),
        found=f"{SIMPLE}: x:extra in eb:Service",
    ),
    P("user", "no Action", drop(f"{COLLAB}/Action")),
    P("user", "two Actions", dup(f"{COLLAB}/Action")),
    P(
        "user",
        "Action before Service",
        move(f"{COLLAB}/Action", before=f"{COLLAB}/Service"),
        found=f"{ORDER}: eb:Action before eb:Service",
    ),
    P("user", "Action empty", text(f"{COLLAB}/Action", None)),
    P("user", "Action a space", text(f"{COLLAB}/Action", " ")),
    P(
        "user",
        "attribute on Action",
        attr(f"{COLLAB}/Action", "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:Action",
    ),
    P(
        "user",
        "Action with an element child",
        add(f"{COLLAB}/Action", EXTRA),
        found=f"{SIMPLE}: x:extra in eb:Action",
    ),
    P("user", "no ConversationId", drop(f"{COLLAB}/ConversationId")),
    P("user", "two ConversationIds", dup(f"{COLLAB}/ConversationId")),
    P(
        "user",
        "ConversationId before Action",
        move(f"{COLLAB}/ConversationId", before=f"{COLLAB}/Action"),
        found=f"{ORDER}: eb:ConversationId before eb:Action",
    ),
    P("user", "ConversationId empty", text(f"{COLLAB}/ConversationId", None)),
    P("user", "ConversationId white space", text(f"{COLLAB}/ConversationId", "\t ")),
    # eb:MessageProperties (ebMS3 5.2.2.11; the errata's Property/@type)
    P("user", "no MessageProperties", drop(PROPS)),
    P("user", "two MessageProperties", dup(PROPS)),
    P("user", "MessageProperties empty", empty(PROPS)),
    P(
        "user",
        "PayloadInfo before MessageProperties",
        move(PAYLOAD, before=PROPS),
        found=f"{ORDER}: eb:PayloadInfo before eb:MessageProperties",
    ),
    P(
        "user",
        "MessageProperties first",
        move(PROPS, before=MI_U),
        found=f"{ORDER}: eb:MessageProperties before eb:MessageInfo",
    ),
    P(
        "user",
        "foreign element in MessageProperties",
        add(PROPS, EXTRA),
        found=f"{UNEXPECTED}: x:extra last in eb:MessageProperties",
    ),
    P(
        "user",
        "eb:Extra in MessageProperties",
        add(PROPS, EB_EXTRA),
        found=f"{UNEXPECTED}: eb:Extra last in eb:MessageProperties",
    ),
    P(
        "user",
        "text in MessageProperties",
        text(PROPS, "junk"),
        found=f"{TEXT}: eb:MessageProperties",
    ),
    P("user", "another Property", add(PROPS, '<eb:Property name="extra">v</eb:Property>')),
    P("user", "Property without name", add(PROPS, "<eb:Property>v</eb:Property>")),
    P("user", "Property name empty", add(PROPS, '<eb:Property name="">v</eb:Property>')),
    P(
        "user",
        "Property value empty",
        add(PROPS, '<eb:Property name="extra"></eb:Property>'),
        found=f"{EMPTY}: the value of eb:Property 'extra' in MessageProperties",
    ),
    P("user", "Property value a space", add(PROPS, '<eb:Property name="extra"> </eb:Property>')),
    P(
        "user",
        "Property type empty",
        add(PROPS, '<eb:Property name="extra" type="">v</eb:Property>'),
        found=f"{EMPTY}: type='' of eb:Property 'extra' in MessageProperties",
    ),
    P(
        "user",
        "attribute on Property",
        add(PROPS, '<eb:Property name="extra" foo="bar">v</eb:Property>'),
        found=f"{ATTRIBUTE}: foo on eb:Property",
    ),
    P(
        "user",
        "Property with an element child",
        add(PROPS, '<eb:Property name="extra">v<x:extra/></eb:Property>'),
        found=f"{SIMPLE}: x:extra in eb:Property",
    ),
    P("user", "originalSender empty", text(f"{PROPS}/Property", None)),
    P("user", "two originalSenders", dup(f"{PROPS}/Property")),
    # eb:PayloadInfo, eb:PartInfo (ebMS3 5.2.2.12-5.2.2.13)
    P("user", "no PayloadInfo", drop(PAYLOAD)),
    P("user", "two PayloadInfo", dup(PAYLOAD)),
    P("user", "PayloadInfo empty", empty(PAYLOAD)),
    P(
        "user",
        "foreign element in PayloadInfo",
        add(PAYLOAD, EXTRA),
        found=f"{UNEXPECTED}: x:extra last in eb:PayloadInfo",
    ),
    P("user", "text in PayloadInfo", text(PAYLOAD, "junk"), found=f"{TEXT}: eb:PayloadInfo"),
    P("user", "two PartInfo", dup(PART)),
    P("user", "PartInfo without href", attr(PART, "href", None)),
    P("user", "PartInfo href empty", attr(PART, "href", "")),
    P("user", "PartInfo href spaced", attr(PART, "href", f" cid:{CID} ")),
    P("user", "PartInfo href cid: only", attr(PART, "href", "cid:")),
    P(
        "user",
        "attribute on PartInfo",
        attr(PART, "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:PartInfo",
    ),
    P(
        "user",
        "foreign element in PartInfo",
        add(PART, EXTRA),
        found=f"{UNEXPECTED}: x:extra last in eb:PartInfo",
    ),
    P(
        "user",
        "eb:Extra in PartInfo",
        add(PART, EB_EXTRA),
        found=f"{UNEXPECTED}: eb:Extra last in eb:PartInfo",
    ),
    P("user", "text in PartInfo", text(PART, "junk"), found=f"{TEXT}: eb:PartInfo"),
    P("user", "PartInfo with Schema", add(PART, '<eb:Schema location="urn:x"/>', index=0)),
    P(
        "user",
        "Schema without location",
        add(PART, "<eb:Schema/>", index=0),
        found=f"{NOT_READ}: eb:Schema of eb:PartInfo without its required location",
    ),
    P(
        "user",
        "Schema version empty",
        add(PART, '<eb:Schema location="urn:x" version=""/>', index=0),
        found=f"{NOT_READ}: eb:Schema of eb:PartInfo with version='' (non-empty-string)",
    ),
    P(
        "user",
        "Schema with text",
        add(PART, '<eb:Schema location="urn:x">junk</eb:Schema>', index=0),
        found=f"{NOT_READ}: eb:Schema of eb:PartInfo with text (its type is empty)",
    ),
    P(
        "user",
        "Schema after PartProperties",
        add(PART, '<eb:Schema location="urn:x"/>'),
        found=f"{ORDER}: eb:Schema after eb:PartProperties",
    ),
    P(
        "user",
        "PartInfo with Description",
        add(PART, '<eb:Description xml:lang="en">d</eb:Description>', index=0),
    ),
    P(
        "user",
        "PartInfo Description without xml:lang",
        add(PART, "<eb:Description>d</eb:Description>", index=0),
        found=f"{NOT_READ}: eb:Description of eb:PartInfo without its required xml:lang",
    ),
    P(
        "user",
        "PartInfo Description empty",
        add(PART, '<eb:Description xml:lang="en"></eb:Description>', index=0),
        found=f"{NOT_READ}: eb:Description of eb:PartInfo empty (non-empty-string)",
    ),
    P(
        "user",
        "PartInfo with two Descriptions",
        add(PART, '<eb:Description xml:lang="en">d</eb:Description>' * 2, index=0),
        found=f"{NOT_READ}: two eb:Description in eb:PartInfo (at most one)",
    ),
    P("user", "no PartProperties", drop(f"{PART}/PartProperties")),
    P("user", "two PartProperties", dup(f"{PART}/PartProperties")),
    P(
        "user",
        "PartProperties empty",
        empty(f"{PART}/PartProperties"),
        found="eb:PartProperties without eb:Property is read as no properties (XSD: at least one)",
    ),
    P(
        "user",
        "foreign element in PartProperties",
        add(f"{PART}/PartProperties", EXTRA),
        found=f"{UNEXPECTED}: x:extra last in eb:PartProperties",
    ),
    P(
        "user",
        "part Property without name",
        add(f"{PART}/PartProperties", "<eb:Property>v</eb:Property>"),
    ),
    P(
        "user",
        "part Property value empty",
        add(f"{PART}/PartProperties", '<eb:Property name="extra"></eb:Property>'),
        found=f"{EMPTY}: the value of eb:Property 'extra' in PartProperties",
    ),
    P(
        "user",
        "part Property type empty",
        add(f"{PART}/PartProperties", '<eb:Property name="extra" type="">v</eb:Property>'),
        found=f"{EMPTY}: type='' of eb:Property 'extra' in PartProperties",
    ),
    P("user", "MimeType empty", text(f"{PART}/PartProperties/Property", None)),
    # eb:SignalMessage (ebMS3 5.2.3) with eb:Receipt (5.2.3.3; AS4 profile 5.1.8)
    P("receipt", "Messaging empty", empty(".")),
    P("receipt", "two SignalMessages", dup(SM)),
    P(
        "receipt",
        "attribute on SignalMessage",
        attr(SM, "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:SignalMessage",
    ),
    P("receipt", "foreign element last in SignalMessage", add(SM, EXTRA)),
    P(
        "receipt",
        "foreign element first in SignalMessage",
        add(SM, EXTRA, index=0),
        found=f"{ORDER}: a ##other element before eb:MessageInfo in eb:SignalMessage",
    ),
    P(
        "receipt",
        "foreign element before Receipt",
        add(SM, EXTRA, index=1),
        found=f"{ORDER}: a ##other element before eb:Receipt in eb:SignalMessage",
    ),
    P(
        "receipt",
        "eb:Extra in SignalMessage",
        add(SM, EB_EXTRA),
        found=f"{UNEXPECTED}: eb:Extra last in eb:SignalMessage (its wildcard is ##other)",
    ),
    P("receipt", "text in SignalMessage", text(SM, "junk"), found=f"{TEXT}: eb:SignalMessage"),
    P("receipt", "no MessageInfo", drop(MI_S)),
    P("receipt", "two MessageInfo", dup(MI_S)),
    P(
        "receipt",
        "Receipt before MessageInfo",
        move(RECEIPT, before=MI_S),
        found=f"{ORDER}: eb:Receipt before eb:MessageInfo",
    ),
    P("receipt", "no Timestamp", drop(f"{MI_S}/Timestamp")),
    P("receipt", "Timestamp a date", text(f"{MI_S}/Timestamp", "2026-11-01")),
    P("receipt", "no MessageId", drop(f"{MI_S}/MessageId")),
    P("receipt", "MessageId empty", text(f"{MI_S}/MessageId", None)),
    P("receipt", "no RefToMessageId", drop(f"{MI_S}/RefToMessageId")),
    P(
        "receipt",
        "RefToMessageId empty",
        text(f"{MI_S}/RefToMessageId", None),
        found=f"{EMPTY}: eb:RefToMessageId of a receipt",
    ),
    P("receipt", "two RefToMessageIds", dup(f"{MI_S}/RefToMessageId")),
    P(
        "receipt",
        "RefToMessageId first",
        move(f"{MI_S}/RefToMessageId", before=f"{MI_S}/Timestamp"),
        found=f"{ORDER}: eb:RefToMessageId before eb:Timestamp in a receipt",
    ),
    P("receipt", "no Receipt", drop(RECEIPT)),
    P("receipt", "two Receipts", dup(RECEIPT)),
    P(
        "receipt",
        "Receipt empty",
        empty(RECEIPT),
        found="eb:Receipt without children is read as a receipt of no references "
        "(XSD: at least one ##other element)",
    ),
    P(
        "receipt",
        "eb:Extra in Receipt",
        add(RECEIPT, EB_EXTRA),
        found=f"{UNEXPECTED}: eb:Extra in eb:Receipt (its wildcard is ##other)",
    ),
    P(
        "receipt",
        "Receipt holding only eb:Extra",
        chain(empty(RECEIPT), add(RECEIPT, EB_EXTRA)),
        found=f"{UNEXPECTED}: eb:Extra alone in eb:Receipt (its wildcard is ##other)",
    ),
    P(
        "receipt",
        "Receipt holding only a foreign element",
        chain(empty(RECEIPT), add(RECEIPT, EXTRA)),
    ),
    P("receipt", "text in Receipt", text(RECEIPT, "junk"), found=f"{TEXT}: eb:Receipt"),
    P(
        "receipt",
        "attribute on Receipt",
        attr(RECEIPT, "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:Receipt",
    ),
    P(
        "receipt",
        "Receipt and Error",
        add(SM, '<eb:Error errorCode="EBMS:0004" severity="failure"/>'),
    ),
    P("receipt", "PullRequest before Receipt", add(SM, "<eb:PullRequest/>", index=1)),
    P("receipt", "PullRequest alone", chain(drop(RECEIPT), add(SM, "<eb:PullRequest/>"))),
    P(
        "receipt",
        "PullRequest after Receipt",
        add(SM, "<eb:PullRequest/>", index=2),
        found=f"{NOT_READ}: eb:PullRequest after eb:Receipt (XSD order: before)",
    ),
    P(
        "receipt",
        "PullRequest mpc no anyURI",
        add(SM, '<eb:PullRequest mpc="::"/>', index=1),
        found=f"{NOT_READ}: eb:PullRequest with mpc='::' (no xs:anyURI)",
    ),
    P(
        "receipt",
        "NonRepudiationInformation empty",
        empty(NRI),
        found=f"{NRI_NOT_READ}: no ebbp:MessagePartNRInformation",
    ),
    P(
        "receipt",
        "ds:Reference without DigestValue",
        drop(f"{DS_REF}/ds:DigestValue"),
        found=f"{NRI_NOT_READ}: ds:Reference without ds:DigestValue",
    ),
    P(
        "receipt",
        "ds:Reference without DigestMethod",
        drop(f"{DS_REF}/ds:DigestMethod"),
        found=f"{NRI_NOT_READ}: ds:Reference without ds:DigestMethod",
    ),
    P(
        "receipt",
        "MessagePartNRInformation empty",
        drop(DS_REF),
        found=f"{NRI_NOT_READ}: ebbp:MessagePartNRInformation without ds:Reference",
    ),
    P("receipt", "DigestValue not base64", text(f"{DS_REF}/ds:DigestValue", "%%%")),
    P(
        "receipt",
        "eb:Extra in NonRepudiationInformation",
        add(NRI, EB_EXTRA),
        found=f"{NRI_NOT_READ}: eb:Extra in ebbp:NonRepudiationInformation",
    ),
    # eb:SignalMessage with eb:Error (ebMS3 6.2)
    P("error", "Messaging empty", empty(".")),
    P("error", "no MessageInfo", drop(MI_S)),
    P(
        "error",
        "Error before MessageInfo",
        move(ERROR, before=MI_S),
        found=f"{ORDER}: eb:Error before eb:MessageInfo",
    ),
    P("error", "no Error", drop(ERROR)),
    P("error", "two Errors", dup(ERROR)),
    P("error", "Error then Receipt", add(SM, "<eb:Receipt><x:r/></eb:Receipt>")),
    P("error", "Receipt then Error", add(SM, "<eb:Receipt><x:r/></eb:Receipt>", index=1)),
    P("error", "no errorCode", attr(ERROR, "errorCode", None)),
    P("error", "errorCode empty", attr(ERROR, "errorCode", "")),
    P("error", "errorCode spaces", attr(ERROR, "errorCode", "  ")),
    P("error", "no severity", attr(ERROR, "severity", None)),
    P("error", "severity empty", attr(ERROR, "severity", "")),
    P("error", "severity unknown", attr(ERROR, "severity", "catastrophic")),
    P("error", "no category", attr(ERROR, "category", None)),
    P(
        "error",
        "attribute on Error",
        attr(ERROR, "foo", "bar"),
        found=f"{ATTRIBUTE}: foo on eb:Error",
    ),
    P(
        "error",
        "foreign attribute on Error",
        attr(ERROR, "x:foo", "bar"),
        found=f"{ATTRIBUTE}: x:foo on eb:Error (no anyAttribute)",
    ),
    P(
        "error",
        "foreign element in Error",
        add(ERROR, EXTRA),
        found=f"{UNEXPECTED}: x:extra last in eb:Error",
    ),
    P(
        "error",
        "eb:Extra in Error",
        add(ERROR, EB_EXTRA),
        found=f"{UNEXPECTED}: eb:Extra last in eb:Error",
    ),
    P("error", "text in Error", text(ERROR, "junk"), found=f"{TEXT}: eb:Error"),
    P("error", "no Description", drop(f"{ERROR}/Description")),
    P("error", "two Descriptions", dup(f"{ERROR}/Description")),
    P(
        "error",
        "Description empty",
        text(f"{ERROR}/Description", None),
        found=f"{EMPTY}: eb:Description of eb:Error",
    ),
    P(
        "error",
        "Description with an element child",
        add(f"{ERROR}/Description", EXTRA),
        found=f"{SIMPLE}: x:extra in eb:Description",
    ),
    P("error", "no ErrorDetail", drop(f"{ERROR}/ErrorDetail")),
    P("error", "two ErrorDetails", dup(f"{ERROR}/ErrorDetail")),
    P("error", "ErrorDetail empty", text(f"{ERROR}/ErrorDetail", None)),
    P(
        "error",
        "ErrorDetail before Description",
        move(f"{ERROR}/ErrorDetail", before=f"{ERROR}/Description"),
        found=f"{ORDER}: eb:ErrorDetail before eb:Description",
    ),
    P(
        "error",
        "ErrorDetail with an element child",
        add(f"{ERROR}/ErrorDetail", EXTRA),
        found=f"{SIMPLE}: x:extra in eb:ErrorDetail",
    ),
    P("error", "foreign element between two Errors", chain(dup(ERROR), add(SM, EXTRA, index=2))),
    P("error", "no RefToMessageId", drop(f"{MI_S}/RefToMessageId")),
    P(
        "error",
        "RefToMessageId empty",
        text(f"{MI_S}/RefToMessageId", None),
        found=f"{EMPTY}: eb:RefToMessageId of an error signal",
    ),
]

# eb:Timestamp is an xs:dateTime (ebMS3 5.2.2.1; XSD 1.0 part 2 3.2.7): lexical forms, given
# to a user message and to an error signal.
TIMESTAMPS: list[tuple[str, str | None]] = [
    ("2026-11-01T12:00:00Z", None),
    ("2026-11-01T12:00:00", None),
    ("2026-11-01T12:00:00.123456789+02:00", None),
    ("2026-11-01T12:00:00-00:00", None),
    ("2026-11-01T12:00:00+14:00", None),
    ("2026-11-01T12:00:00-14:00", None),
    ("2026-11-01T12:00:00Z\n", None),
    ("2026-11-01T24:00:00Z", None),
    ("9999-12-31T24:00:00Z", None),
    ("-2026-11-01T12:00:00Z", None),
    ("12026-11-01T12:00:00Z", None),
    ("0001-01-01T00:00:00+14:00", None),
    ("0000-11-01T12:00:00Z", None),
    ("2026-11-01 12:00:00Z", None),
    ("2026-11-01t12:00:00Z", None),
    ("2026-11-01T12:00:00z", None),
    ("2026-11-01", None),
    ("12:00:00", None),
    ("2026-11-01T12:00Z", None),
    ("2026-11-01T12:00:00.Z", None),
    ("2026-11-01T12:00:00+0200", None),
    ("2026-11-01T12:00:00+02", None),
    ("2026-11-01T12:00:00+14:01", None),
    ("2026-11-01T12:00:00+15:00", None),
    ("2026-11-01T12:00:00+02:60", None),
    ("2026-13-01T12:00:00Z", None),
    ("2026-00-01T12:00:00Z", None),
    ("2026-02-29T12:00:00Z", None),
    ("2024-02-29T12:00:00Z", None),
    ("2026-04-31T12:00:00Z", None),
    ("2026-11-00T12:00:00Z", None),
    ("2026-11-01T25:00:00Z", None),
    ("2026-11-01T24:00:01Z", None),
    ("2026-11-01T12:60:00Z", None),
    ("2026-11-01T12:00:60Z", None),
    ("2026-1-01T12:00:00Z", None),
    ("+2026-11-01T12:00:00Z", None),
    ("\u0662\u0660\u0662\u0666-11-01T12:00:00Z", None),
    ("2026-11-01T12:00:00ZZ", None),
    ("2026-11-01T12:00:00 Z", None),
    ("2026-11-01T1 2:00:00Z", None),
    ("", None),
    ("2026-11-01T12:00:00Z\xa0", f"{STRIP}: U+00A0 after the Timestamp"),
    ("2026-11-01T12:00:00Z\u3000", f"{STRIP}: U+3000 after the Timestamp"),
    ("2026-11-01T12:00:00Z\u2028", f"{STRIP}: U+2028 after the Timestamp"),
]
CASES += [
    P(kind, f"Timestamp {value!r}", text(f"{where}/Timestamp", value), found=laxer)
    for kind, where in (("user", MI_U), ("error", MI_S))
    for value, laxer in TIMESTAMPS
]
CASES += [
    P(
        "user",
        "Timestamp 'Z<?pi?>junk'",
        after_pi(f"{MI_U}/Timestamp", "junk"),
        found=f"{PI_SPLIT}: the Timestamp '2026-11-01T12:00:00.000Z<?pi?>junk'",
    ),
    P(
        "error",
        "Timestamp 'Z<?pi?>junk'",
        after_pi(f"{MI_S}/Timestamp", "junk"),
        found=f"{PI_SPLIT}: the Timestamp '2026-11-01T12:00:00.000Z<?pi?>junk'",
    ),
    P(
        "user",
        "Timestamp split by a PI",
        chain(text(f"{MI_U}/Timestamp", "2026-11-01"), after_pi(f"{MI_U}/Timestamp", "T12:00:00Z")),
    ),
]


# -- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(_MESSAGES))
def test_unmutated_messages_are_valid_and_accepted(schema: SchemaOracle, kind: str) -> None:
    xsd, mine = verdicts(schema, kind, document(kind))
    assert xsd.accepted, xsd.detail
    assert mine.accepted, mine.detail


def assert_never_laxer(xsd: Verdict, mine: Verdict) -> None:
    assert not mine.crashed, f"our reader crashed: {mine.detail}"
    assert not (mine.accepted and not xsd.accepted), f"we accept what the XSD refuses: {xsd.detail}"


@pytest.mark.parametrize(("kind", "mutation"), CASES)
def test_never_laxer_than_the_xsd(schema: SchemaOracle, kind: str, mutation: Mutation) -> None:
    assert_never_laxer(*verdicts(schema, kind, document(kind, mutation)))


def test_an_error_description_without_xml_lang_is_taken_on_purpose(schema: SchemaOracle) -> None:
    # The one place we are laxer, by choice (peppol_dpi/xsd/ebms-header-3.0.xsd): the PyPI as4
    # package's error signals leave out eb:Error/eb:Description's required xml:lang, and an
    # error signal only ever makes a message fail (tests/test_as4_interop.py reads one).
    data = document("error", attr(f"{ERROR}/Description", "xml:lang", None))
    xsd, mine = verdicts(schema, "error", data)
    assert not xsd.accepted and mine.accepted, (xsd, mine)


# The content models of the schema's xs:sequence types, by element (the ##other wildcards of
# Messaging and SignalMessage come last).
@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, bytes]:
    """A message with 1 to 3 of its eb: elements (or eb:Receipt's children) deleted,
    duplicated or moved among their siblings."""
    kind = draw(st.sampled_from(list(_MESSAGES)))
    root = etree.fromstring(envelope(kind))
    messaging = _messaging(root)
    assert messaging is not None
    for _ in range(draw(st.integers(1, 3))):
        targets = [
            (parent, child)
            for parent in messaging.iter(etree.Element)
            for child in parent.iterchildren(etree.Element)
            if etree.QName(child).namespace == EB or parent.tag == f"{{{EB}}}Receipt"
        ]
        if not targets:
            break
        parent, target = targets[draw(st.integers(0, len(targets) - 1))]
        operation = draw(st.sampled_from(["delete", "duplicate", "move"]))
        if operation == "delete":
            parent.remove(target)
        else:
            moved = copy.deepcopy(target) if operation == "duplicate" else target
            if operation == "move":
                parent.remove(target)
            parent.insert(draw(st.integers(0, len(parent))), moved)
        note(f"{operation} {etree.QName(target).localname}")
    return kind, etree.tostring(root)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(mutated_documents())
def test_random_structure_never_laxer(schema: SchemaOracle, mutated: tuple[str, bytes]) -> None:
    kind, data = mutated
    xsd, mine = verdicts(schema, kind, data)
    note(data.decode())
    assert_never_laxer(xsd, mine)
