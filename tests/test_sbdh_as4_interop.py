"""Interop with another Python implementation: the PyPI ``as4`` package, in its own venv.

``as4`` (0.2) writes the SBD its Peppol profile sends and reads the SBD it receives with its
own pydantic SBDH model and its own copy of the SBDH schema. Both directions are checked:
what it writes, ``read_sbd`` reads with the same values; what ``build_sbd`` writes, it
accepts and reads with the same values.

The venv is ``$AS4_PYTHON`` when set, else ``.venv-as4`` in the checkout (made on first use).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sbdh_support import BILLING, BIS3_INVOICE, INVOICE, RECEIVER, SENDER, header_for

from peppol_dpi.sbdh import XmlPayload, build_sbd, read_sbd
from peppol_dpi.xmlparse import c14n, parse_xml

ROOT = Path(__file__).resolve().parents[1]

# Runs in the as4 venv: argv = mode, input file, output file.
_AS4_SCRIPT = r"""
import json, sys
from lxml import etree
from as4.models.unece import sbdh
from as4.profiles.peppol.document_identifier import BusdoxDocidQnsDocumentIdentifier
from as4.profiles.peppol.message import PeppolAS4Message, PeppolAS4MessageBuilderArgs
from as4.resources.schemas.vendor.sbdh import SBDHSchema
from as4.utils.xml_parser import parse_xml

mode, source, target = sys.argv[1:4]
SH = "{http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader}"
if mode == "read":
    # The steps of PeppolAS4Message.process_sbdh, without the AS4 message around them.
    root = parse_xml(open(source, "rb").read())
    header = root.find(SH + "StandardBusinessDocumentHeader")
    error = SBDHSchema.validation_error(header)
    doc = sbdh.StandardBusinessDocument.model_validate_etree(root)
    h = doc.standard_business_document_header
    di = h.document_identification
    scopes = {
        s.scope_type.value: [s.instance_identifier.value, s.identifier.value if s.identifier else None]
        for s in h.business_scope.scopes
    }
    result = {
        "schema_error": error,
        "sender": h.sender.identifier.value,
        "sender_authority": h.sender.identifier.authority,
        "receiver": h.receiver.identifier.value,
        "standard": di.standard.value,
        "type_version": di.type_version.value,
        "type": di.document_identification_type.value,
        "instance_id": di.instance_identifier.value,
        "created": di.creation_date_and_time.value.isoformat(),
        "scopes": scopes,
    }
    open(target, "w").write(json.dumps(result))
else:
    spec = json.loads(open(source).read())
    args = PeppolAS4MessageBuilderArgs(
        sender=spec["sender"],
        recipient=spec["receiver"],
        document_type_identifier=BusdoxDocidQnsDocumentIdentifier.from_identifier_value(spec["doctype"]),
        document_identification_instance_identifier=spec["instance_id"],
        process_identifier=spec["process"],
        c1_country_id=spec["country"],
    )
    # What PeppolAS4Message.build_message puts in the first attachment.
    sbd = PeppolAS4Message.get_standard_business_document(args, None).dump_to_xml(
        SH + "StandardBusinessDocument"
    )
    sbd.append(parse_xml(spec["payload"].encode()))
    open(target, "wb").write(etree.tostring(sbd))
"""


@pytest.fixture(scope="module")
def as4_python() -> Path:
    """The Python of a venv holding the PyPI ``as4`` package (made on first use)."""
    configured = os.environ.get("AS4_PYTHON")
    if configured:
        return Path(configured)
    venv = ROOT / ".venv-as4"
    python = venv / "bin" / "python"
    if not python.exists():
        made = subprocess.run(
            f'"{sys.executable}" -m venv "{venv}" && "{python}" -m pip install -q "as4>=0.2,<0.3"',
            shell=True,
            capture_output=True,
            timeout=600,
        )
        if made.returncode != 0:
            if os.environ.get("CI"):
                pytest.fail(f"cannot install the as4 package: {made.stderr.decode()[-500:]}")
            pytest.skip(f"the as4 package cannot be installed here: {made.stderr.decode()[-200:]}")
    return python


def _run_as4(python: Path, mode: str, source: Path, target: Path) -> None:
    done = subprocess.run(
        [str(python), "-c", _AS4_SCRIPT, mode, str(source), str(target)],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]


def test_as4_reads_what_we_write(as4_python: Path, tmp_path: Path) -> None:
    payload = XmlPayload(data=INVOICE)
    header = header_for(payload)
    source, target = tmp_path / "sbd.xml", tmp_path / "read.json"
    source.write_bytes(build_sbd(header, payload))
    _run_as4(as4_python, "read", source, target)
    seen = json.loads(target.read_text())
    assert seen == {
        "schema_error": None,
        "sender": SENDER.value,
        "sender_authority": "iso6523-actorid-upis",
        "receiver": RECEIVER.value,
        "standard": header.standard,
        "type_version": "2.1",
        "type": "Invoice",
        "instance_id": header.instance_id,
        "created": header.created.isoformat(),
        "scopes": {
            "DOCUMENTID": [BIS3_INVOICE.value, "busdox-docid-qns"],
            "PROCESSID": [BILLING.value, "cenbii-procid-ubl"],
            "COUNTRY_C1": ["NO", None],
        },
    }


def test_we_read_what_as4_writes(as4_python: Path, tmp_path: Path) -> None:
    spec = {
        "sender": SENDER.value,
        "receiver": RECEIVER.value,
        "doctype": BIS3_INVOICE.value,
        "instance_id": "0b7c2f64-5a0d-4d4e-8f77-3f1c1f0d2a9e",
        "process": BILLING.value,
        "country": "NO",
        "payload": INVOICE.decode(),
    }
    source, target = tmp_path / "spec.json", tmp_path / "sbd.xml"
    source.write_text(json.dumps(spec))
    _run_as4(as4_python, "build", source, target)
    doc = read_sbd(target.read_bytes())
    h = doc.header
    assert (h.sender, h.receiver) == (SENDER, RECEIVER)
    assert (h.document_type, h.process) == (BIS3_INVOICE, BILLING)
    assert (h.instance_id, h.country_c1) == (spec["instance_id"], "NO")
    assert (h.standard, h.type, h.type_version) == (
        "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
        "Invoice",
        "2.1",
    )
    assert h.created.tzinfo is not None
    assert c14n(parse_xml(doc.payload.data)) == c14n(parse_xml(INVOICE))
