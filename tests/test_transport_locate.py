"""Corner 2 finds corner 3 through the SML (DNS) and the SMP, both real servers on loopback."""

from __future__ import annotations

from datetime import UTC, datetime

import pki
import pytest
from transport_network import Network

from peppol_dpi.errors import InputError, UsageError
from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
from peppol_dpi.transport.locate import FixedLocator

DIGITAL = DocumentTypeId.parse(
    "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0"
)
PROCESS = ProcessId.parse("urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0")


def _now() -> datetime:
    return datetime.now(UTC)


def test_smp_locator_finds_the_registered_endpoint_and_refuses_the_unknown():
    network = Network()
    try:
        c3 = pki.ap_key("c3").certificate
        network.register(
            "0192:984661185", url="https://c3.test/as4", certificate=c3, types=["digital"]
        )
        found = network.locator(_now).locate(
            ParticipantId.parse("0192:984661185"), DIGITAL, PROCESS
        )
        assert found.url == "https://c3.test/as4" and found.certificate == c3
        with pytest.raises(InputError):
            network.locator(_now).locate(ParticipantId.parse("0192:922020175"), DIGITAL, PROCESS)
    finally:
        network.stop()


def test_fixed_locator():
    cert = pki.ap_key("c3").certificate
    locator = FixedLocator(urls={"0192:984661185": "http://127.0.0.1:1/as4"}, certificate=cert)
    assert (
        locator.locate(ParticipantId.parse("0192:984661185"), DIGITAL, PROCESS).certificate == cert
    )
    with pytest.raises(InputError):
        locator.locate(ParticipantId.parse("0192:922020175"), DIGITAL, PROCESS)


def test_fixed_locator_keys_are_participant_identifiers():
    cert = pki.ap_key("c3").certificate
    locator = FixedLocator(
        urls={"iso6523-actorid-upis::0192:984661185": "http://127.0.0.1:1/as4"}, certificate=cert
    )
    found = locator.locate(ParticipantId.parse("0192:984661185"), DIGITAL, PROCESS)
    assert found.url == "http://127.0.0.1:1/as4"
    with pytest.raises(UsageError, match="a fixed endpoint: '984661185' is not a participant"):
        FixedLocator(urls={"984661185": "http://127.0.0.1:1/as4"}, certificate=cert)
