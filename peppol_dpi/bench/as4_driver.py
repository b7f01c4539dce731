"""Times the PyPI ``as4`` package (0.2.0) for ``peppol-dpi bench --as4-python``.

Runs in the ``as4`` package's OWN virtual environment (it pins cryptography < 47), so it
imports nothing from peppol_dpi. ``python as4_driver.py REQUEST.json`` prepares both operations
(the request names the payload file, the PEM keys and certificates of the two access points and
the trust anchors), prints ``ready`` and then serves one run per line read from stdin: ``build``
or ``open`` is answered with the seconds that one run took (timed here, so the pipe is not
counted). The benchmark asks for one run between two of its own, so that ``as4`` and the
package are timed in the same minutes.

``as4``'s build takes the business document and wraps it in its SBDH itself (its API has no
other way), so its build time includes that wrap.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]


def main(request_file: str) -> int:
    from as4 import AS4LocalPrivateKey
    from as4.peppol import (
        build_peppol_message,
        create_peppol_external_party,
        create_peppol_internal_party,
        parse_peppol_message,
        peppol_security_policy,
    )
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    request = json.loads(Path(request_file).read_text())

    def cert(name: str) -> Any:
        return x509.load_pem_x509_certificate(Path(request[name]).read_bytes())

    def key(name: str) -> Any:
        return AS4LocalPrivateKey(load_pem_private_key(Path(request[name]).read_bytes(), None))

    payload = Path(request["payload"]).read_bytes()
    sender = create_peppol_internal_party(
        request["sender_party"], cert("sender_cert"), key("sender_key")
    )
    receiver_remote = create_peppol_external_party(request["receiver_party"], cert("receiver_cert"))
    receiver = create_peppol_internal_party(
        request["receiver_party"], cert("receiver_cert"), key("receiver_key")
    )
    policy = peppol_security_policy(cert("root"), intermediates=[cert("ap_ca")])

    def build() -> Any:
        # as4 signs and encrypts lazily: the wire bytes exist only after get_request_data().
        built = build_peppol_message(
            payload,
            local_party=sender,
            remote_party=receiver_remote,
            sender=request["sender"],
            recipient=request["recipient"],
            sender_country_id="NO",
            document_type_identifier_scheme="busdox-docid-qns",
            document_type_identifier_value=request["document_type"],
            process_identifier=request["process"],
        )
        body, boundary = built.get_request_data()
        return built.get_http_headers(boundary), body

    headers, body = build()

    def open_() -> Any:
        exchange = parse_peppol_message(
            request_headers=headers, request_body=body, local_party=receiver, security_policy=policy
        )
        if not exchange.successful:
            raise RuntimeError(f"as4 refused its own message: {exchange.message.parse_error}")
        return exchange

    operations = {"build": build, "open": open_}
    print("ready", flush=True)
    for line in sys.stdin:
        run = operations[line.strip()]
        started = time.perf_counter()
        run()
        print(time.perf_counter() - started, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
