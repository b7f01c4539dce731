"""Seat ids and organisation numbers read from the test PKI and from real certificates."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pki
import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from peppol_dpi.as4 import seat_id
from peppol_dpi.certinfo import common_name, norwegian_org_number, peppol_seat_id
from peppol_dpi.errors import UsageError
from peppol_dpi.keys import load_pkcs12

ORG_NUMBERS = {
    "sender": "991825827",
    "sender-seid2": "991825827",
    "processor": "810969342",
    "digipost": "984661185",
    "eboks": "922020175",
}


@pytest.mark.parametrize("party", sorted(ORG_NUMBERS))
def test_org_number_of_both_certificate_generations(party: str) -> None:
    assert norwegian_org_number(pki.business_key(party).certificate) == ORG_NUMBERS[party]


def test_seat_ids_of_the_test_access_points() -> None:
    assert peppol_seat_id(pki.ap_key("c2").certificate) == "POP000001"
    assert peppol_seat_id(pki.ap_key("c3").certificate) == "POP000002"
    assert norwegian_org_number(pki.ap_key("c2").certificate) is None


def test_real_peppol_ap_certificate(shared: Path) -> None:
    p12 = (shared / "peppol/keys/peppol-expired-ap-cert-pw-peppol.p12").read_bytes()
    assert peppol_seat_id(load_pkcs12(p12, b"peppol").certificate) == "POP000306"


def test_real_buypass_test_certificate_from_a_digdir_sample(shared: Path) -> None:
    jwt = (shared / "dpi/digdir-samples/digital-forretningsmelding.jwt").read_text()
    header = json.loads(base64.urlsafe_b64decode(jwt.split(".")[0] + "=="))
    cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    assert "Buypass" in cert.issuer.rfc4514_string()
    assert norwegian_org_number(cert) == "991825827"
    assert common_name(cert) == "Digdir test"


def _with_subject(*attrs: tuple[x509.ObjectIdentifier, str]) -> x509.Certificate:
    make = pki.factory()
    name = x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs])
    issued = make.issue(
        subject=name, serial=0x4243, issuer=pki.ca_issued("business-ca"), key=pki.spare_key()
    )
    cert: x509.Certificate = issued.cert
    return cert


@pytest.mark.parametrize(
    "attrs",
    [
        [(NameOID.SERIAL_NUMBER, "991825828")],  # fails the modulus-11 check
        [(NameOID.SERIAL_NUMBER, "9578-4505-00001pdEkL7")],  # a personal certificate's serial
        [(NameOID.ORGANIZATION_IDENTIFIER, "NTRNO-99182582")],  # eight digits
        [(NameOID.ORGANIZATION_IDENTIFIER, "VATSE-5560000000")],  # not Norwegian
        [(NameOID.SERIAL_NUMBER, "991825827"), (NameOID.SERIAL_NUMBER, "984661185")],  # ambiguous
        [(NameOID.COUNTRY_NAME, "NO")],
    ],
)
def test_no_org_number_when_there_is_none(attrs: list[tuple[x509.ObjectIdentifier, str]]) -> None:
    cert = _with_subject(*attrs)
    assert norwegian_org_number(cert) is None
    assert peppol_seat_id(cert) is None


def test_seid2_identifier_wins_over_the_serial_number() -> None:
    cert = _with_subject(
        (NameOID.SERIAL_NUMBER, "984661185"), (NameOID.ORGANIZATION_IDENTIFIER, "NTRNO-922020175")
    )
    assert norwegian_org_number(cert) == "922020175"


@pytest.mark.parametrize(
    ("cn", "seat"), [(" POP000306 ", "POP000306"), ("POP000306", "POP000306"), ("   ", None)]
)
def test_the_seat_id_is_the_cn_without_surrounding_spaces(cn: str, seat: str | None) -> None:
    # One reader for the AS4 sender's From PartyId and the receiver's signer check, which
    # compares it with the trimmed eb:PartyId text.
    cert = _with_subject((NameOID.COMMON_NAME, cn))
    assert common_name(cert) == cn
    assert peppol_seat_id(cert) == seat
    if seat is None:
        with pytest.raises(UsageError, match="no single CN"):
            seat_id(cert)
    else:
        assert seat_id(cert) == seat
