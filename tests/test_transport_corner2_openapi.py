"""Corner 2's API against Digdir's own OpenAPI description of it (``dpi/corner2-openapi.yaml``
in ../shared/fixtures, from felleslosninger/docs).

Every answer the running corner 2 gives on loopback is checked against the operation the
document describes: a status the document lists comes with the media type it names and a body
its schema accepts (``statuses``, ``messages``, ``problem``); a status it does not list (404 for
someone else's message, 405, 409 for a reused id, 413, a 400 for bad paging) is one of the package's documented
refusals and is an RFC 7807 problem the document's ``problem`` schema accepts. The reference
client's own recorded status list must pass the same schema, which shows the schema is read
as Digdir's client reads it.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import requests
import test_transport_corner2
import yaml
from transport_doubles import OTHER_ORG, letter, utcnow

from peppol_dpi.transport.delivery import encode_form_data
from peppol_dpi.transport.store import InboundRecord, IncomingReceipt

# The package's refusals beyond the document's list (docs/transport.md, corner 2's API): a bad
# page or page size (400 on GET /messages/in), someone else's or an unknown message (404), a
# wrong method (405), a reused message id (409), a body beyond the limit (413).
_EXTENSIONS = {400, 404, 405, 409, 413}


@pytest.fixture(scope="module")
def spec(shared: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((shared / "dpi" / "corner2-openapi.yaml").read_text())
    return loaded


def _validator(spec: dict[str, Any], component: str) -> jsonschema.Draft4Validator:
    # OpenAPI 3.0 schemas are JSON Schema draft 4 with extensions (``exclusiveMaximum: true``
    # is draft 4's boolean form). The whole document is the root, so $refs resolve in it.
    return jsonschema.Draft4Validator({**spec, "$ref": f"#/components/schemas/{component}"})


def _check_formats(value: Any, schema_name: str) -> None:
    # The two formats the document uses in answers that jsonschema leaves unchecked without
    # optional packages: date-time (RFC 3339, with its offset) and uri.
    if schema_name == "statuses":
        for entry in value:
            assert datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00")).tzinfo
    if schema_name == "problem":
        assert urlsplit(value["type"]).scheme, value["type"]


# The API tests' corner 2, which has no corner 3 to send to: its API alone is tested.
keys, c2 = test_transport_corner2.keys, test_transport_corner2.c2


class Contract:
    """Checks each answer against the document's operation for its path and method."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.seen: set[tuple[str, str, int]] = set()

    def check(self, response: requests.Response, path: str, method: str) -> None:
        operation = self.spec["paths"][path][method]
        status = response.status_code
        self.seen.add((path, method, status))
        media_type = response.headers.get("Content-Type", "").partition(";")[0].strip()
        described = operation["responses"].get(status) or operation["responses"].get(str(status))
        if described is None:
            assert status in _EXTENSIONS, (path, method, status, response.text)
            assert media_type == "application/problem+json", media_type
            self._validate(response.json(), "problem")
            return
        content = described.get("content")
        if content is None:  # 201, 200 (read), 204: the document describes no body
            if status == 204:
                assert response.content == b""
            return
        assert media_type in content, (path, method, status, media_type, list(content))
        schema_ref = content[media_type]["schema"]["$ref"]
        self._validate(response.json(), schema_ref.rsplit("/", 1)[1])

    def _validate(self, value: Any, component: str) -> None:
        _validator(self.spec, component).validate(value)
        _check_formats(value, component)


def _post_letter(c2, token: str | None, jws: str, package: bytes = b"CMS") -> requests.Response:
    content_type, body = encode_form_data(
        [
            ("forretningsmelding", "sbd.jwt", "application/jwt", jws.encode()),
            ("dokumentpakke", "asic.cms", "application/cms", package),
        ]
    )
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(f"{c2.url}/messages/out", data=body, headers=headers, timeout=10)


def test_the_reference_clients_status_list_passes_the_schema(spec, shared: Path) -> None:
    recorded = json.loads(
        (shared / "dpi" / "reference-client" / "message_statuses.json").read_text()
    )
    _validator(spec, "statuses").validate(recorded)
    _check_formats(recorded, "statuses")
    with pytest.raises(jsonschema.ValidationError):
        _validator(spec, "statuses").validate([{"status": "LEVERT"}])


def test_every_answer_is_the_one_the_document_describes(spec, keys, c2) -> None:
    contract = Contract(spec)
    mp = keys.maskinporten
    out, statuses = "/messages/out", "/messages/out/{id}/statuses"
    incoming, read = "/messages/in", "/messages/in/{id}/read"

    # POST /messages/out: 201, then 400, 401, 403 and the package's own 409.
    token = mp.token()
    sent = letter(keys.sender, token=token, package=b"CMS")
    accepted = _post_letter(c2, token, sent.jws)
    assert accepted.status_code == 201
    contract.check(accepted, out, "post")
    contract.check(_post_letter(c2, None, sent.jws), out, "post")
    contract.check(
        _post_letter(c2, mp.token(scope="krr:global/digitalpost.read"), sent.jws), out, "post"
    )
    contract.check(_post_letter(c2, token, "not a jws"), out, "post")
    contract.check(_post_letter(c2, token, sent.jws), out, "post")
    contract.check(
        requests.get(f"{c2.url}{out}", headers={"Authorization": f"Bearer {token}"}, timeout=10),
        out,
        "post",
    )

    # GET /messages/out/{id}/statuses: the list, and its refusals.
    auth = {"Authorization": f"Bearer {mp.token()}"}
    listed = requests.get(
        f"{c2.url}/messages/out/{sent.message_id}/statuses", headers=auth, timeout=10
    )
    assert listed.status_code == 200 and listed.json()[0]["status"] == "OPPRETTET"
    assert re.fullmatch(r"[0-9a-f-]{36}", sent.message_id) and uuid.UUID(sent.message_id)
    contract.check(listed, statuses, "get")
    contract.check(
        requests.get(f"{c2.url}/messages/out/{sent.message_id}/statuses", timeout=10),
        statuses,
        "get",
    )
    contract.check(
        requests.get(f"{c2.url}/messages/out/{uuid.uuid4()}/statuses", headers=auth, timeout=10),
        statuses,
        "get",
    )

    # GET /messages/in: 204 with nothing unread, then the receipts, then a bad page size.
    owner_auth = {"Authorization": f"Bearer {mp.token(OTHER_ORG)}"}
    empty = requests.get(f"{c2.url}{incoming}", headers=owner_auth, timeout=10)
    assert empty.status_code == 204
    contract.check(empty, incoming, "get")
    receipt_id = str(uuid.uuid4())
    c2.store.accept_inbound(
        InboundRecord(
            as4_message_id="openapi@t", from_party="c3", receipt=b"\r\nr", received_at=utcnow()
        ),
        receipt=IncomingReceipt(
            id=receipt_id,
            owner=f"0192:{OTHER_ORG}",
            conversation_id="c",
            business_message="header.payload.signature",
            kanal=None,
            received_at=utcnow(),
        ),
    )
    found = requests.get(f"{c2.url}{incoming}", headers=owner_auth, timeout=10)
    assert found.status_code == 200 and found.json()[0]["forretningsmelding"]
    contract.check(found, incoming, "get")
    contract.check(
        requests.get(
            f"{c2.url}{incoming}", params={"page_size": "0"}, headers=owner_auth, timeout=10
        ),
        incoming,
        "get",
    )
    contract.check(requests.get(f"{c2.url}{incoming}", timeout=10), incoming, "get")

    # POST /messages/in/{id}/read: 200, then 404 for an id that is not (or no longer) unread.
    marked = requests.post(
        f"{c2.url}/messages/in/{receipt_id}/read", headers=owner_auth, timeout=10
    )
    assert marked.status_code == 200
    contract.check(marked, read, "post")
    contract.check(
        requests.post(f"{c2.url}/messages/in/{uuid.uuid4()}/read", headers=owner_auth, timeout=10),
        read,
        "post",
    )
    contract.check(
        requests.post(f"{c2.url}/messages/in/{receipt_id}/read", timeout=10), read, "post"
    )

    # A token without the DPI scope is refused with 403 everywhere.
    unscoped = {"Authorization": f"Bearer {mp.token(scope='krr:global/digitalpost.read')}"}
    for path, method, url in [
        (statuses, "get", f"{c2.url}/messages/out/{sent.message_id}/statuses"),
        (incoming, "get", f"{c2.url}{incoming}"),
        (read, "post", f"{c2.url}/messages/in/{receipt_id}/read"),
    ]:
        contract.check(requests.request(method, url, headers=unscoped, timeout=10), path, method)

    # Every status the document lists for these operations was seen, and checked.
    listed_statuses = {
        (out, "post"): {201, 400, 401, 403},
        (statuses, "get"): {200, 401, 403},
        (incoming, "get"): {200, 204, 401, 403},
        (read, "post"): {200, 401, 403, 404},
    }
    for (path, method), codes in listed_statuses.items():
        assert {int(code) for code in spec["paths"][path][method]["responses"]} == codes
        assert {(path, method, code) for code in codes} <= contract.seen, (path, method)
