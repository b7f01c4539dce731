"""The Peppol Business Message Envelope 2.0.x rules, as checks that return problems.

Each check takes plain values and returns the :class:`~peppol_dpi.errors.Problem` objects it
finds (an empty list when all is well), so that the header model, the builder and the reader
apply the same rules and report every broken one together. Sources: Peppol Business Message
Envelope (SBDH) 2.0.1, section 2 and its element table ("Envelope 2.0 §2"); where the
specification is vague, what peppol-commons ``PeppolSBDHDataReader`` enforces.

Rule names (the ``rule`` of each problem) start with ``sbdh:``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import datetime

from ..errors import Problem
from ..ids import DocumentTypeId
from ..instants import is_aware
from ..xmltext import NOT_XML_CHAR

__all__ = [
    "DEDICATED_SCOPES",
    "HEADER_VERSION",
    "RESERVED_SCOPES",
    "ScopeType",
    "check_country_c1",
    "check_created",
    "check_extra_scopes",
    "check_not_empty",
    "check_xml_payload",
    "check_xml_text",
]

#: Envelope 2.0 §2: HeaderVersion is fixed to "1.0".
HEADER_VERSION = "1.0"

# Envelope 2.0 §2.5: the country of C1, ISO 3166-1 alpha-2; peppol-commons accepts
# [A-Z0-9][A-Z0-9] so that the user-assigned codes (XK for Kosovo, 1A) pass.
_COUNTRY_RE = re.compile(r"[A-Z0-9][A-Z0-9]")


class ScopeType(enum.StrEnum):
    """The ``Scope/Type`` keys the envelope gives a meaning to (Envelope 2.0 §2.3-2.5, MLS 1.0)."""

    DOCUMENTID = "DOCUMENTID"
    PROCESSID = "PROCESSID"
    COUNTRY_C1 = "COUNTRY_C1"
    MLS_TO = "MLS_TO"
    MLS_TYPE = "MLS_TYPE"
    # Reserved for future use (Envelope 2.0 §2.4); kept as extra scopes when read.
    COUNTRY_C4 = "COUNTRY_C4"
    TECHNICAL_VALIDATION_URL = "TECHNICAL_VALIDATION_URL"
    TECHNICAL_VALIDATION_REQUIRED = "TECHNICAL_VALIDATION_REQUIRED"


#: Keys that have their own field in the header model and cannot be extra scopes.
DEDICATED_SCOPES = frozenset(
    {
        ScopeType.DOCUMENTID,
        ScopeType.PROCESSID,
        ScopeType.COUNTRY_C1,
        ScopeType.MLS_TO,
        ScopeType.MLS_TYPE,
    }
)
#: Keys reserved by the specification without a meaning yet.
RESERVED_SCOPES = frozenset(
    {
        ScopeType.COUNTRY_C4,
        ScopeType.TECHNICAL_VALIDATION_URL,
        ScopeType.TECHNICAL_VALIDATION_REQUIRED,
    }
)


def check_not_empty(value: str, *, rule: str, what: str, location: str) -> list[Problem]:
    """Envelope 2.0 §2 element table: every header element Peppol uses has a value."""
    if not value.strip():
        return [Problem(rule=rule, message=f"{what} is empty", location=location)]
    return check_xml_text(value, rule=rule, what=what, location=location)


def check_xml_text(value: str, *, rule: str, what: str, location: str) -> list[Problem]:
    """XML 1.0 §2.2: only these characters can be written at all."""
    bad = NOT_XML_CHAR.search(value)
    if bad:
        return [
            Problem(
                rule=rule,
                message=f"{what} has character U+{ord(bad.group()):04X}, which XML cannot carry",
                location=location,
            )
        ]
    return []


def check_country_c1(value: str, *, location: str) -> list[Problem]:
    """Envelope 2.0 §2.5: COUNTRY_C1 is a two-character country code."""
    if not _COUNTRY_RE.fullmatch(value):
        return [
            Problem(
                rule="sbdh:country-c1",
                message=f"COUNTRY_C1 {value!r} is not a two-letter ISO 3166-1 country code",
                location=location,
            )
        ]
    return []


def check_created(value: datetime, *, location: str) -> list[Problem]:
    """Envelope 2.0 §2 (CreationDateAndTime): the value MUST include timezone information."""
    if not is_aware(value):
        return [
            Problem(
                rule="sbdh:creation-date-and-time",
                message=f"CreationDateAndTime {value.isoformat()!r} has no timezone",
                location=location,
            )
        ]
    return []


def check_extra_scopes(keys: Iterable[str], *, location: str) -> list[Problem]:
    """Envelope 2.0 §2.4: additional attributes use keys of their own, each once (case-sensitive)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for key in keys:
        if not key.strip():
            problems.append(
                Problem(rule="sbdh:scope", message="a Scope has an empty Type", location=location)
            )
        elif key in DEDICATED_SCOPES:
            problems.append(
                Problem(
                    rule="sbdh:scope-reserved",
                    message=f"{key} has its own header field and cannot be an extra scope",
                    location=location,
                )
            )
        if key in seen:
            problems.append(
                Problem(
                    rule="sbdh:duplicate-scope",
                    message=f"Scope Type {key!r} occurs more than once",
                    location=location,
                )
            )
        seen.add(key)
    return problems


def check_xml_payload(
    *,
    standard: str,
    type_: str,
    type_version: str,
    document_type: DocumentTypeId,
    namespace: str,
    local_name: str,
) -> list[Problem]:
    """The consistency rules between the header and an XML business message (Envelope 2.0 §2).

    Not applied to BinaryContent / TextContent payloads (peppol-commons does not either: a
    non-XML document type such as ``urn:peppol:doctype:pdf+xml`` has no root element).
    """
    problems: list[Problem] = []
    where = "StandardBusinessDocumentHeader/DocumentIdentification"
    # Standard: "the namespace of the root element of the business message"; peppol-commons
    # also requires the document type id to start with it.
    if standard != namespace:
        problems.append(
            Problem(
                rule="sbdh:standard",
                message=f"Standard {standard!r} is not the payload root namespace {namespace!r}",
                location=f"{where}/Standard",
            )
        )
    elif not document_type.value.startswith(standard):
        problems.append(
            Problem(
                rule="sbdh:standard",
                message=f"document type {document_type.value!r} does not start with Standard {standard!r}",
                location=f"{where}/Standard",
            )
        )
    # TypeVersion: "the version of the syntax"; the document type id ends with ":<TypeVersion>"
    # (the part after the last "::"), and the value itself has no ':'.
    if ":" in type_version or not document_type.value.endswith(":" + type_version):
        problems.append(
            Problem(
                rule="sbdh:type-version",
                message=f"TypeVersion {type_version!r} does not match the version of document type"
                f" {document_type.value!r}",
                location=f"{where}/TypeVersion",
            )
        )
    # Type: "the local name of the root element of the business message".
    if type_ != local_name:
        problems.append(
            Problem(
                rule="sbdh:type",
                message=f"Type {type_!r} is not the payload root element name {local_name!r}",
                location=f"{where}/Type",
            )
        )
    return problems
