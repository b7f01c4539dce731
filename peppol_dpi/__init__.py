"""peppol-dpi: Norwegian digital post to citizens (DPI) over the Peppol eDelivery network.

The names here are the supported surface: the recipes most applications need, the value
types they take and the errors they raise. Everything else is reachable in the subpackages
(``peppol_dpi.as4``, ``peppol_dpi.dpi``, ``peppol_dpi.sbdh``, ``peppol_dpi.lookup``,
``peppol_dpi.transport``, ...), whose own ``__all__`` lists what they support.

* Identifiers: :class:`ParticipantId`, :class:`DocumentTypeId`, :class:`ProcessId`.
* Keys and trust: :func:`load_key_file`, :func:`load_certificates`, :class:`TrustPolicy`
  (nothing is trusted without one), :class:`RevocationMode`.
* Peppol envelope: :class:`SbdHeader`, :class:`XmlPayload`, :class:`BinaryContent`,
  :func:`build_sbd`, :func:`read_sbd`.
* Peppol AS4: :func:`build_message`, :func:`open_message`, :func:`receive`,
  :func:`read_answer`, :func:`check_receipt`, :func:`inspect_message`; for large payloads
  :func:`build_message_to` and :func:`open_message_from` work from files with flat memory
  (:func:`read_dump_from` reads a saved message's headers and finds its body in the file;
  :func:`inspect_message_from` inspects one where it lies).
* DPI: :func:`send_digital`, :func:`send_print` (the two parts of ``POST /messages/out``),
  :func:`sign_business_message`, :func:`verify_business_message`, :class:`AsicBuilder`,
  :func:`seal`, :func:`open_package` (:func:`open_package_to` writes the documents to
  files with flat memory),
  :func:`package_fingerprint`.
* Lookups: :class:`EndpointFinder`, :class:`SmpClient`, :class:`MaskinportenClient`,
  :class:`KrrClient`.
* Errors: :class:`PeppolDpiError` is the root; :class:`InputError` (bad input from outside,
  with ``rule`` and, for AS4 peers, ``ebms_code``) and :class:`UsageError` (caller misuse;
  :class:`ArgumentTypeError`, also a TypeError, when an argument has the wrong type: every
  function here checks the types of all its arguments before any work).
"""

from __future__ import annotations

from .as4 import (
    NotServicedError,
    ReceivedMessage,
    SentMessage,
    StreamedMessage,
    build_message,
    build_message_to,
    check_receipt,
    inspect_message,
    inspect_message_from,
    open_message,
    open_message_from,
    read_answer,
    read_dump_from,
    receive,
)
from .dpi.asic import AsicBuilder, Document
from .dpi.cms import package_fingerprint
from .dpi.identifiers import DpiProcess, MessageType
from .dpi.message import BusinessMessage, parse_business_message
from .dpi.package import open_package, open_package_from, open_package_to, seal
from .dpi.sender import DigitalRecipient, PrintRecipient, Sender, send_digital, send_print
from .dpi.signed import sign_business_message, verify_business_message
from .errors import (
    ArgumentTypeError,
    CertificateError,
    DecryptionError,
    EbmsError,
    InputError,
    PeppolDpiError,
    SignatureError,
    TransportError,
    UsageError,
    ValidationError,
)
from .ids import DocumentTypeId, ParticipantId, ProcessId
from .keys import LocalPrivateKey, PrivateKey, load_certificate, load_certificates
from .keystore import load_key_file, load_trust_store
from .limits import DEFAULT_LIMITS, Limits
from .lookup import EndpointFinder, KrrClient, MaskinportenClient, SmpClient
from .sbdh import BinaryContent, SbdHeader, TextContent, XmlPayload, build_sbd, read_sbd
from .trust import RevocationMode, TrustPolicy

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_LIMITS",
    "ArgumentTypeError",
    "AsicBuilder",
    "BinaryContent",
    "BusinessMessage",
    "CertificateError",
    "DecryptionError",
    "DigitalRecipient",
    "Document",
    "DocumentTypeId",
    "DpiProcess",
    "EbmsError",
    "EndpointFinder",
    "InputError",
    "KrrClient",
    "Limits",
    "LocalPrivateKey",
    "MaskinportenClient",
    "MessageType",
    "NotServicedError",
    "ParticipantId",
    "PeppolDpiError",
    "PrintRecipient",
    "PrivateKey",
    "ProcessId",
    "ReceivedMessage",
    "RevocationMode",
    "SbdHeader",
    "Sender",
    "SentMessage",
    "SignatureError",
    "SmpClient",
    "StreamedMessage",
    "TextContent",
    "TransportError",
    "TrustPolicy",
    "UsageError",
    "ValidationError",
    "XmlPayload",
    "build_message",
    "build_message_to",
    "build_sbd",
    "check_receipt",
    "inspect_message",
    "inspect_message_from",
    "load_certificate",
    "load_certificates",
    "load_key_file",
    "load_trust_store",
    "open_message",
    "open_message_from",
    "open_package",
    "open_package_from",
    "open_package_to",
    "package_fingerprint",
    "parse_business_message",
    "read_answer",
    "read_dump_from",
    "read_sbd",
    "receive",
    "seal",
    "send_digital",
    "send_print",
    "sign_business_message",
    "verify_business_message",
]
