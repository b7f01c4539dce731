"""Peppol identifiers: participants, document types and processes.

Rules from the Peppol Policy for use of Identifiers (PFUOI) 4.4 and the way peppol-commons
(``PeppolIdentifierHelper``) applies them:

* a scheme is at most 25 characters matching ``[a-z0-9]+-[a-z0-9]+-[a-z0-9]+`` (PFUOI 3.1);
* participant values (scheme ``iso6523-actorid-upis``) are ``<ICD>:<id>`` with a 4-digit ICD
  from the Peppol code list, at most 4+1+130 characters, compared case-insensitively
  (PFUOI 3.4, 4.4);
* document type values at most 500 characters, process values at most 200, both
  case-sensitive (PFUOI 4.2, 4.3);
* all values US-ASCII without control characters (PFUOI 3.2).

The Norwegian organisation number (ICD 0192, Enhetsregisteret) is additionally checked for
its 9 digits and modulus-11 check digit.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass, field
from typing import ClassVar, Self

from .errors import EbmsError, InputError

__all__ = [
    "DocumentTypeId",
    "DocumentTypeScheme",
    "IdentifierError",
    "ParticipantId",
    "ParticipantScheme",
    "ProcessId",
    "ProcessScheme",
    "is_valid_norwegian_org_number",
    "random_uuid",
]


class IdentifierError(InputError):
    """An identifier breaks a Peppol identifier rule; ``rule`` says which."""

    default_ebms_code = EbmsError.VALUE_NOT_RECOGNIZED


class ParticipantScheme(enum.StrEnum):
    ISO6523_ACTORID_UPIS = "iso6523-actorid-upis"


class DocumentTypeScheme(enum.StrEnum):
    BUSDOX_DOCID_QNS = "busdox-docid-qns"
    PEPPOL_DOCTYPE_WILDCARD = "peppol-doctype-wildcard"


class ProcessScheme(enum.StrEnum):
    CENBII_PROCID_UBL = "cenbii-procid-ubl"


# Peppol Code Lists - Participant identifier schemes v9.7: every ICD the list holds. Those in
# state "active"; then those "deprecated" or "removed", which are still read because they occur
# in older registrations and archived messages (tests/test_codelists.py checks both against
# the list itself).
_ACTIVE_ICDS = frozenset(
    [
        "0002",
        "0007",
        "0009",
        "0060",
        "0088",
        "0096",
        "0097",
        "0106",
        "0130",
        "0135",
        "0142",
        "0151",
        "0158",
        "0183",
        "0184",
        "0188",
        "0190",
        "0191",
        "0192",
        "0195",
        "0196",
        "0198",
        "0199",
        "0200",
        "0201",
        "0204",
        "0205",
        "0208",
        "0209",
        "0210",
        "0211",
        "0216",
        "0218",
        "0221",
        "0225",
        "0230",
        "0235",
        "0240",
        "0242",
        "0244",
        "0245",
        "0246",
        "0248",
        "9910",
        "9913",
        "9914",
        "9915",
        "9918",
        "9919",
        "9920",
        "9922",
        "9923",
        "9924",
        "9925",
        "9926",
        "9927",
        "9928",
        "9929",
        "9930",
        "9931",
        "9932",
        "9933",
        "9934",
        "9935",
        "9936",
        "9937",
        "9938",
        "9939",
        "9940",
        "9941",
        "9942",
        "9943",
        "9944",
        "9945",
        "9946",
        "9947",
        "9948",
        "9949",
        "9950",
        "9951",
        "9952",
        "9953",
        "9957",
        "9959",
    ]
)
_RETIRED_ICDS = frozenset(
    [
        "0037",
        "0193",
        "0212",
        "0213",
        "0215",
        "9901",
        "9902",
        "9904",
        "9905",
        "9906",
        "9907",
        "9908",
        "9909",
        "9912",
        "9916",
        "9917",
        "9921",
        "9954",
        "9955",
        "9956",
        "9958",
    ]
)
KNOWN_ICDS = _ACTIVE_ICDS | _RETIRED_ICDS

_SCHEME_RE = re.compile(r"[a-z0-9]+-[a-z0-9]+-[a-z0-9]+")  # PFUOI 3.1
_MAX_SCHEME = 25  # PFUOI 3.1
_MAX_PARTICIPANT = 4 + 1 + 130  # PFUOI 4.4 (since 4.4.0, November 2025)
_MAX_DOCUMENT_TYPE = 500  # PFUOI 4.2
_MAX_PROCESS = 200  # PFUOI 4.3
_PARTICIPANT_RE = re.compile(r"(?P<icd>[0-9]{4}):(?P<id>.+)", re.DOTALL)
_ORG_NUMBER_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")  # PFUOI 3.2: printable US-ASCII only


def is_valid_norwegian_org_number(number: str) -> bool:
    """Nine digits whose last is the modulus-11 check digit (Brønnøysundregistrene)."""
    if len(number) != 9 or not number.isascii() or not number.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(number, _ORG_NUMBER_WEIGHTS, strict=False)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(number[8])


def _check_scheme(scheme: str, kind: str) -> None:
    if len(scheme) > _MAX_SCHEME or not _SCHEME_RE.fullmatch(scheme):
        raise IdentifierError(
            f"{kind} scheme {scheme!r} is not a valid Peppol identifier scheme", rule="id:scheme"
        )


def _check_value(value: str, kind: str, max_length: int) -> None:
    if not value:
        raise IdentifierError(f"{kind} value is empty", rule="id:empty")
    if len(value) > max_length:
        raise IdentifierError(
            f"{kind} value has {len(value)} characters, more than {max_length}", rule="id:length"
        )
    if not value.isascii() or _CONTROL_RE.search(value):
        raise IdentifierError(
            f"{kind} value {value!r} has characters outside printable US-ASCII", rule="id:charset"
        )
    if value != value.strip():
        raise IdentifierError(f"{kind} value {value!r} has surrounding spaces", rule="id:charset")


def _split(text: str, kind: str) -> tuple[str | None, str]:
    if not isinstance(text, str):
        raise IdentifierError(f"{kind} must be text, got {type(text).__name__}", rule="id:type")
    scheme, sep, value = text.partition("::")
    if not sep:
        return None, text
    return scheme, value


@dataclass(frozen=True, kw_only=True, eq=False)
class ParticipantId:
    """A Peppol participant, for example ``iso6523-actorid-upis::0192:974761076``.

    Equality and hashing ignore case, as Peppol requires for participant values.
    """

    value: str
    scheme: ParticipantScheme = ParticipantScheme.ISO6523_ACTORID_UPIS
    kind: ClassVar[str] = "participant identifier"

    def __post_init__(self) -> None:
        if not isinstance(self.scheme, ParticipantScheme):
            _check_scheme(str(self.scheme), self.kind)
            try:
                object.__setattr__(self, "scheme", ParticipantScheme(self.scheme))
            except ValueError:
                raise IdentifierError(
                    f"participant scheme {self.scheme!r} is not supported", rule="id:scheme"
                ) from None
        _check_value(self.value, self.kind, _MAX_PARTICIPANT)
        match = _PARTICIPANT_RE.fullmatch(self.value)
        if match is None:
            raise IdentifierError(
                f"participant value {self.value!r} is not '<4-digit ICD>:<identifier>'",
                rule="id:participant-format",
            )
        if match["icd"] not in KNOWN_ICDS:
            raise IdentifierError(
                f"ICD {match['icd']} is not in the Peppol participant identifier scheme code list",
                rule="id:participant-icd",
            )
        # ICD 0192 = Norwegian organisation number (Enhetsregisteret): 9 digits, mod-11.
        if match["icd"] == "0192" and not is_valid_norwegian_org_number(match["id"]):
            raise IdentifierError(
                f"{match['id']!r} is not a valid Norwegian organisation number "
                "(9 digits, modulus-11 check digit)",
                rule="id:org-number",
            )

    @classmethod
    def parse(cls, text: str) -> Self:
        """``scheme::value`` or a bare value (scheme ``iso6523-actorid-upis`` implied)."""
        scheme, value = _split(text, cls.kind)
        if scheme is None:
            return cls(value=value)
        _check_scheme(scheme, cls.kind)
        try:
            return cls(value=value, scheme=ParticipantScheme(scheme.lower()))
        except ValueError:
            raise IdentifierError(
                f"participant scheme {scheme!r} is not supported", rule="id:scheme"
            ) from None

    @classmethod
    def norwegian(cls, org_number: str) -> Self:
        """The participant for a Norwegian organisation number (ICD 0192)."""
        return cls(value=f"0192:{org_number}")

    @property
    def icd(self) -> str:
        return self.value.split(":", 1)[0]

    @property
    def identifier(self) -> str:
        """The part after the ICD, e.g. the organisation number."""
        return self.value.split(":", 1)[1]

    @property
    def org_number(self) -> str | None:
        """The Norwegian organisation number, for ICD 0192; None otherwise."""
        return self.identifier if self.icd == "0192" else None

    def __str__(self) -> str:
        return f"{self.scheme.value}::{self.value}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParticipantId):
            return NotImplemented
        return self.scheme == other.scheme and self.value.lower() == other.value.lower()

    def __hash__(self) -> int:
        return hash((self.scheme, self.value.lower()))


@dataclass(frozen=True, kw_only=True)
class DocumentTypeId:
    """A Peppol document type, e.g. ``busdox-docid-qns::<root ns>::<local>##<customization>::<version>``."""

    value: str
    scheme: DocumentTypeScheme = DocumentTypeScheme.BUSDOX_DOCID_QNS
    _parts: tuple[str, str, str, str] = field(init=False, repr=False, compare=False)
    kind: ClassVar[str] = "document type identifier"

    def __post_init__(self) -> None:
        if not isinstance(self.scheme, DocumentTypeScheme):
            _check_scheme(str(self.scheme), self.kind)
            try:
                object.__setattr__(self, "scheme", DocumentTypeScheme(self.scheme))
            except ValueError:
                raise IdentifierError(
                    f"document type scheme {self.scheme!r} is not supported", rule="id:scheme"
                ) from None
        _check_value(self.value, self.kind, _MAX_DOCUMENT_TYPE)
        # PFUOI 4.2: <syntax specific id>##<customization>::<version>; for XML syntaxes the
        # syntax specific id is <root namespace>::<local name>. Non-XML document types (e.g.
        # urn:peppol:doctype:pdf+xml, Peppol code list 9.x) have a syntax id without "::".
        head, sep, tail = self.value.partition("##")
        namespace, sep1, local = head.rpartition("::")
        customization, sep2, version = tail.rpartition("::")
        if not (sep and head and sep2 and customization and version) or (
            sep1 and not (namespace and local)
        ):
            raise IdentifierError(
                f"document type {self.value!r} is not '<syntax id>##<customization>::<version>'"
                " (for XML: '<root ns>::<local name>##<customization>::<version>')",
                rule="id:document-type-format",
            )
        if not sep1:
            namespace, local = head, ""
        object.__setattr__(self, "_parts", (namespace, local, customization, version))

    @classmethod
    def parse(cls, text: str) -> Self:
        """``scheme::value`` (scheme one of the document type schemes) or a bare busdox-docid-qns value."""
        scheme, value = _split(text, cls.kind)
        if scheme is not None and scheme in DocumentTypeScheme.__members__.values():
            return cls(value=value, scheme=DocumentTypeScheme(scheme))
        # The value itself contains '::'; only a known scheme prefix is split off.
        return cls(value=text)

    @property
    def syntax_id(self) -> str:
        """The part before ``##``: ``<root ns>::<local name>`` for XML, else e.g. ``urn:peppol:doctype:pdf+xml``."""
        return self.value.partition("##")[0]

    @property
    def is_xml(self) -> bool:
        """True when the syntax id names an XML root element (``<root ns>::<local name>``)."""
        return bool(self._parts[1])

    @property
    def root_namespace(self) -> str:
        """The payload root namespace (XML syntaxes); the whole syntax id otherwise."""
        return self._parts[0]

    @property
    def local_name(self) -> str:
        """The payload root element name (XML syntaxes); empty for non-XML syntaxes."""
        return self._parts[1]

    @property
    def customization_id(self) -> str:
        return self._parts[2]

    @property
    def version(self) -> str:
        return self._parts[3]

    def __str__(self) -> str:
        return f"{self.scheme.value}::{self.value}"


@dataclass(frozen=True, kw_only=True)
class ProcessId:
    """A Peppol process, e.g. ``cenbii-procid-ubl::urn:fdc:peppol.eu:2017:poacc:billing:01:1.0``."""

    value: str
    scheme: ProcessScheme = ProcessScheme.CENBII_PROCID_UBL
    kind: ClassVar[str] = "process identifier"

    def __post_init__(self) -> None:
        if not isinstance(self.scheme, ProcessScheme):
            _check_scheme(str(self.scheme), self.kind)
            try:
                object.__setattr__(self, "scheme", ProcessScheme(self.scheme))
            except ValueError:
                raise IdentifierError(
                    f"process scheme {self.scheme!r} is not supported", rule="id:scheme"
                ) from None
        _check_value(self.value, self.kind, _MAX_PROCESS)

    @classmethod
    def parse(cls, text: str) -> Self:
        """``scheme::value`` or a bare value (scheme ``cenbii-procid-ubl`` implied)."""
        scheme, value = _split(text, cls.kind)
        if scheme is not None and scheme in ProcessScheme.__members__.values():
            return cls(value=value, scheme=ProcessScheme(scheme))
        return cls(value=text)

    def __str__(self) -> str:
        return f"{self.scheme.value}::{self.value}"


def random_uuid() -> str:
    """A random UUID (version 4, RFC 9562 section 5.4) in its canonical text form: the default
    for every id the package generates (message ids, wsu:Id values, content ids), which
    callers replace with their own generator for reproducible output."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # variant 10xx
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
