"""Facts read from certificates: the Peppol seat id and the Norwegian organisation number.

These read names only; whether a certificate is trusted is for :mod:`peppol_dpi.trust`.
Validate first, then read the facts from the validated certificate.
"""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.x509.oid import NameOID

from .ids import is_valid_norwegian_org_number

__all__ = ["common_name", "norwegian_org_number", "peppol_seat_id"]

# SEID 2.0 (Norwegian profile for enterprise certificates, 2nd generation) section on the
# subject: organizationIdentifier = "NTRNO-" + the 9-digit organisation number (the ETSI EN
# 319 412-1 5.1.4 semantics identifier NTR = national trade register, country NO).
_SEID2 = re.compile(r"NTRNO-([0-9]{9})")
# SEID 1.x: subject serialNumber = the 9-digit organisation number.
_SEID1 = re.compile(r"[0-9]{9}")


def _attribute(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    values = cert.subject.get_attributes_for_oid(oid)
    if len(values) != 1:
        return None  # absent, or ambiguous: several of the same attribute
    value = values[0].value
    return value if isinstance(value, str) else None


def common_name(cert: x509.Certificate) -> str | None:
    """The subject CN, when there is exactly one."""
    return _attribute(cert, NameOID.COMMON_NAME)


def peppol_seat_id(cert: x509.Certificate) -> str | None:
    """The Peppol seat id of an access-point or SMP certificate: its subject CN.

    Peppol PKI certificate policy: the CN of an AP or SMP certificate is the seat id the
    service provider got from OpenPEPPOL (``POP000306`` in G2, ``PNO000104``-style in G3). The
    form is not checked here: test PKIs use other names, and the CN is what phase4 and Oxalis
    report. Surrounding spaces are not part of it (an eb:PartyId's text is compared trimmed
    too). None when the subject has no single, non-blank CN.
    """
    seat = (common_name(cert) or "").strip()
    return seat or None


def norwegian_org_number(cert: x509.Certificate) -> str | None:
    """The organisation number of a Norwegian enterprise certificate, or None.

    Reads both generations: SEID 2 ``organizationIdentifier=NTRNO-<9 digits>`` (checked
    first) and SEID 1 ``serialNumber=<9 digits>``. The number must pass the modulus-11 check;
    anything else (a personal certificate's serialNumber, a foreign identifier) gives None.
    """
    for oid, pattern in (
        (NameOID.ORGANIZATION_IDENTIFIER, _SEID2),
        (NameOID.SERIAL_NUMBER, _SEID1),
    ):
        value = _attribute(cert, oid)
        match = pattern.fullmatch(value) if value is not None else None
        if match is not None:
            number = match.group(1) if match.groups() else match.group(0)
            return number if is_valid_norwegian_org_number(number) else None
    return None
