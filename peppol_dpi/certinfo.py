"""What a Norwegian business certificate says about its holder.

Norwegian enterprise certificates ("virksomhetssertifikat") carry the organisation number in
one of two places (docs/dpi.md, certificates; Digdir and the reference client handle both):

* SEID 1 (Buypass/Commfides before 2023): the subject ``serialNumber`` (2.5.4.5) is the
  9-digit organisation number, e.g. ``serialNumber=991825827``;
* SEID 2 (ETSI EN 319 412-1 5.1.4): the subject ``organizationIdentifier`` (2.5.4.97) is
  ``NTRNO-<organisation number>``.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

from .ids import is_valid_norwegian_org_number

__all__ = ["norwegian_org_number"]

_NTR_PREFIX = "NTRNO-"  # EN 319 412-1 5.1.4: "NTR" + ISO 3166 country code + "-"


def _attributes(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> list[str]:
    try:
        return [str(a.value) for a in cert.subject.get_attributes_for_oid(oid)]
    except ValueError:  # a subject cryptography cannot decode names no organisation
        return []


def norwegian_org_number(cert: x509.Certificate) -> str | None:
    """The organisation number of a Norwegian business certificate, or None.

    SEID 2's ``organizationIdentifier`` wins over SEID 1's ``serialNumber``; the number must
    pass the modulus-11 check, so a personal serial number is never mistaken for one.
    """
    for value in _attributes(cert, NameOID.ORGANIZATION_IDENTIFIER):
        number = value.removeprefix(_NTR_PREFIX)
        if value.startswith(_NTR_PREFIX) and is_valid_norwegian_org_number(number):
            return number
    for value in _attributes(cert, NameOID.SERIAL_NUMBER):
        if is_valid_norwegian_org_number(value):
            return value
    return None
