"""Drives the PyPI ``as4`` package (0.2.0) as an independent AS4 peer.

Runs in its OWN virtual environment (``.venv-as4``: as4 pins cryptography < 47), never imported
by the project. One JSON object in (argv[1], a file), one JSON object out (stdout); bulk data
goes through files named in the request. Commands:

* ``receive``: parse a message we built, answer with its signal (receipt or error);
* ``send``: build a Peppol message, keep its signed references for ``check-receipt``;
* ``check-receipt``: verify a receipt we built against the references ``send`` kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from as4 import AS4LocalPrivateKey
from as4.models.dsig.reference import ComparableReferenceFields
from as4.peppol import (
    build_peppol_message,
    create_peppol_external_party,
    create_peppol_internal_party,
    parse_peppol_message,
    parse_peppol_receipt,
    peppol_security_policy,
)
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key


def _cert(path: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def _local(request: dict) -> object:
    key = load_pem_private_key(Path(request["key"]).read_bytes(), None)
    cert = _cert(request["cert"])
    return create_peppol_internal_party(request["party"], cert, AS4LocalPrivateKey(key))


def receive(request: dict) -> dict:
    policy = peppol_security_policy(
        _cert(request["root"]), intermediates=[_cert(p) for p in request["intermediates"]]
    )
    exchange = parse_peppol_message(
        request_headers=request["headers"],
        request_body=Path(request["body"]).read_bytes(),
        local_party=_local(request),
        security_policy=policy,
    )
    message = exchange.message
    error = message.parse_error
    headers, signal = exchange.build_signal()
    Path(request["signal_out"]).write_bytes(signal)
    payloads = dict(message.decrypted_data)
    if payloads:
        Path(request["payload_out"]).write_bytes(next(iter(payloads.values())))
    return {
        "successful": exchange.successful,
        "error": None if error is None else str(error),
        "signal_headers": headers,
        "payloads": len(payloads),
        "message_id": message.message_id,
    }


def send(request: dict) -> dict:
    remote = create_peppol_external_party(request["remote_party"], _cert(request["remote_cert"]))
    message = build_peppol_message(
        Path(request["payload"]).read_bytes(),
        local_party=_local(request),
        remote_party=remote,
        sender=request["sender"],
        recipient=request["recipient"],
        sender_country_id="NO",
        document_type_identifier_scheme="busdox-docid-qns",
        document_type_identifier_value=request["document_type"],
        process_identifier=request["process"],
    )
    body, boundary = message.get_request_data()
    Path(request["body_out"]).write_bytes(body)
    references = [r.model_dump(mode="json") for r in message.signed_references]
    Path(request["references_out"]).write_text(json.dumps(references))
    return {"headers": message.get_http_headers(boundary), "message_id": message.message_id}


def check_receipt(request: dict) -> dict:
    receipt = parse_peppol_receipt(Path(request["receipt"]).read_bytes(), _cert(request["signer"]))
    sent = [
        ComparableReferenceFields.model_validate(r)
        for r in json.loads(Path(request["references"]).read_text())
    ]
    try:
        receipt.verify_non_repudiation(sent)
    except Exception as exc:  # report, the test decides
        return {"verified": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"verified": True, "ref_to_message_id": receipt.original_message_id}


COMMANDS = {"receive": receive, "send": send, "check-receipt": check_receipt}

if __name__ == "__main__":
    command, request_file = sys.argv[1], sys.argv[2]
    result = COMMANDS[command](json.loads(Path(request_file).read_text()))
    sys.stdout.write(json.dumps(result, default=str))
