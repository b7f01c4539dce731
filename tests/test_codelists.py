"""The identifiers the package knows, against OpenPeppol's own code lists (v9.7, in
../shared/fixtures/peppol/codelists): every ICD of the list is accepted and no other; the DPI
document types and processes are the ones the list registers, each type in the processes the
list names for it; the transport profile the SMP client looks for is the one the list calls
active."""

from __future__ import annotations

from pathlib import Path

import pytest

from peppol_dpi.dpi.identifiers import DpiProcess, MessageType
from peppol_dpi.ids import _ACTIVE_ICDS, KNOWN_ICDS, IdentifierError, ParticipantId
from peppol_dpi.lookup.smp import TransportProfile
from peppol_dpi.xmlparse import Element, parse_xml

# A valid Norwegian organisation number (ICD 0192 also checks the modulus-11 digit).
_ORG_NUMBER = "974761076"


def _entries(shared: Path, name: str, tag: str) -> list[Element]:
    path = shared / "peppol" / "codelists" / f"Peppol Code Lists - {name} v9.7.xml"
    root = parse_xml(path.read_bytes(), what=path.name)
    entries = list(root.iterchildren(tag))
    assert len(entries) == int(root.get("entry-count") or -1)
    return entries


def test_the_known_icds_are_the_listed_ones(shared: Path) -> None:
    schemes = _entries(shared, "Participant identifier schemes", "participant-identifier-scheme")
    states = {scheme.get("iso6523"): scheme.get("state") for scheme in schemes}
    assert set(states.values()) == {"active", "deprecated", "removed"}
    # Deprecated and removed codes are still read: they occur in older registrations and
    # archived messages. The module keeps the active ones apart.
    assert set(states) == KNOWN_ICDS
    assert {icd for icd, state in states.items() if state == "active"} == _ACTIVE_ICDS
    for icd in states:
        value = f"{icd}:{_ORG_NUMBER}"
        assert ParticipantId(value=value).value == value


def test_an_icd_outside_the_list_is_refused(shared: Path) -> None:
    listed = {
        scheme.get("iso6523")
        for scheme in _entries(
            shared, "Participant identifier schemes", "participant-identifier-scheme"
        )
    }
    unlisted = next(f"{n:04d}" for n in range(10_000) if f"{n:04d}" not in listed)
    with pytest.raises(IdentifierError) as refused:
        ParticipantId(value=f"{unlisted}:{_ORG_NUMBER}")
    assert refused.value.rule == "id:participant-icd"


def test_the_transport_profiles_are_the_active_ones(shared: Path) -> None:
    profiles = _entries(shared, "Transport profiles", "transport-profile")
    active = {p.get("profile-id") for p in profiles if p.get("state") == "active"}
    assert {profile.value for profile in TransportProfile} == active


def test_dpi_document_types_and_their_processes_are_the_registered_ones(shared: Path) -> None:
    registered: dict[MessageType, set[str]] = {}
    for document_type in _entries(shared, "Document types", "document-type"):
        value = document_type.get("value") or ""
        if ":innbyggerpost:" not in value:
            continue
        assert document_type.get("scheme") == "busdox-docid-qns"
        assert document_type.get("state") == "active"
        message_type = MessageType.from_standard(value)
        assert message_type is not None, value
        assert message_type.standard == value  # the package writes the registered spelling
        registered[message_type] = {
            p.get("value") or "" for p in document_type.iterchildren("process-id")
        }
    assert set(registered) == set(MessageType)
    for message_type, processes in registered.items():
        assert {p.value for p in message_type.processes} == processes, message_type
    listed = {
        p.get("value"): (p.get("scheme"), p.get("state"))
        for p in _entries(shared, "Processes", "process")
    }
    for process in DpiProcess:
        assert listed[process.value] == ("cenbii-procid-ubl", "active")
