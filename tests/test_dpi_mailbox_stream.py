"""Corner 4 with the package in a file (issue 8): ``dpi.mailbox.receive`` gives the same letter
and the same refusals as with the package in memory, and the reference mailbox takes a
delivery streamed (spooled request, package opened from a file) with the same answers."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pki
import pytest
import requests
from test_dpi_recipes import (
    DOCUMENTS,
    NOW,
    _builder,
    _repackaged,
    arrive,
    recipient,
    send,
    sender,
    token,
    trust,
)

from peppol_dpi.dpi.mailbox import OpenedPackage, receive
from peppol_dpi.dpi.package import open_package_from, open_package_to
from peppol_dpi.dpi.sender import OutgoingMessage, digital_message, outgoing
from peppol_dpi.errors import PeppolDpiError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.limits import Limits
from peppol_dpi.services.base import serve_wsgi_in_thread
from peppol_dpi.services.mailbox import MailboxService
from peppol_dpi.transport.delivery import encode_form_data

PREFIX = b"bytes before the package"
OTHER = ParticipantId.norwegian("974761076")
SENDER_KEY, PROCESSOR_KEY = pki.business_key("sender"), pki.business_key("processor")


def _in_file(parts: OutgoingMessage) -> IO[bytes]:
    """The package in a file, positioned after some other bytes (as in a spool of a request)."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    file.write(PREFIX + parts.dokumentpakke)
    file.seek(len(PREFIX))
    return file


def _from_file() -> Callable[[IO[bytes]], OpenedPackage]:
    key = pki.business_key("digipost")
    return lambda source: open_package_from(source, key, trust=trust(), at=NOW)


def arrive_from(
    parts: OutgoingMessage,
    file: IO[bytes],
    opener: Callable[[IO[bytes]], OpenedPackage] | None = None,
) -> Any:
    """``arrive`` (test_dpi_recipes) with the package read from ``file``."""
    return receive(
        parts.forretningsmelding,
        file,
        trust=trust(),
        open_package=opener or _from_file(),
        maskinporten_keys={"mp": pki.maskinporten_key().certificate.public_key()},
        maskinporten_issuer="https://test.maskinporten.no/",
        at=NOW,
    )


def test_the_file_path_gives_the_same_letter() -> None:
    parts = send()
    in_memory = arrive(parts)
    with _in_file(parts) as file:
        from_file = arrive_from(parts, file)
    assert from_file.message.message == in_memory.message.message == parts.message
    assert from_file.token == in_memory.token
    assert from_file.package == in_memory.package
    assert from_file.package.main.content == DOCUMENTS[0].content


def test_the_file_path_opens_the_documents_into_a_directory(tmp_path: Path) -> None:
    key = pki.business_key("digipost")
    parts = send()
    with _in_file(parts) as file:
        received = arrive_from(
            parts,
            file,
            lambda source: open_package_to(source, key, tmp_path, trust=trust(), at=NOW),
        )
    documents = [received.package.main, *received.package.attachments]
    assert [(d.name, d.path.read_bytes()) for d in documents] == [
        (d.name, d.content) for d in DOCUMENTS
    ]
    assert received.package.mailbox == arrive(parts).package.mailbox


def _swapped() -> OutgoingMessage:
    first, second = send(), send(title="another letter")
    return OutgoingMessage(
        forretningsmelding=first.forretningsmelding,
        dokumentpakke=second.dokumentpakke,
        message=first.message,
    )


def _damaged_package() -> OutgoingMessage:
    """A package whose ciphertext was altered, with a message made for the altered bytes: the
    fingerprint and token pass, the package does not decrypt and verify."""
    package = bytearray(send().dokumentpakke)
    package[len(package) // 2] ^= 0x01  # inside the encrypted zip
    message = digital_message(
        sender=sender(), recipient=recipient(), package=bytes(package), token=token(), title="t", created=NOW
    )  # fmt: skip
    return outgoing(message, bytes(package), sender())


def _bad_jws_signature() -> OutgoingMessage:
    parts = send()
    head, payload, signature = parts.forretningsmelding.split(b".")
    flipped = signature[:10] + (b"A" if signature[10:11] != b"A" else b"B") + signature[11:]
    return OutgoingMessage(
        forretningsmelding=b".".join((head, payload, flipped)),
        dokumentpakke=parts.dokumentpakke,
        message=parts.message,
    )


#: Each refusal and the rule both paths must give.
REFUSED: dict[str, tuple[Callable[[], OutgoingMessage], str]] = {
    "swapped package": (_swapped, "dpi:fingerprint"),
    "damaged package": (_damaged_package, "decryption-failed"),
    "bad message signature": (_bad_jws_signature, "jws:signature"),
    "token of another consumer": (lambda: send(token=token(consumer=OTHER)), "dpi:token-consumer"),
    "token not signed by Maskinporten": (
        lambda: send(token=token(key=SENDER_KEY.key)),
        "jws:signature",
    ),
    "package signed by another": (
        lambda: _repackaged(_builder(), SENDER_KEY),
        "dpi:package-signer",
    ),
    "package for another mailbox": (
        lambda: _repackaged(_builder(mailbox="kari#1"), PROCESSOR_KEY),
        "dpi:package-mailbox",
    ),
}


def _refusal(run: Callable[[], Any]) -> tuple[type[BaseException], str | None]:
    with pytest.raises(PeppolDpiError) as caught:
        run()
    return type(caught.value), getattr(caught.value, "rule", None)


@pytest.mark.parametrize("case", REFUSED)
def test_the_file_path_refuses_what_the_bytes_path_refuses(case: str) -> None:
    make, rule = REFUSED[case]
    parts = make()
    in_memory = _refusal(lambda: arrive(parts))
    with _in_file(parts) as file:
        from_file = _refusal(lambda: arrive_from(parts, file))
    assert in_memory[1] == rule
    assert from_file == in_memory


def test_the_fingerprint_is_of_the_file_from_its_position() -> None:
    parts = send()
    with _in_file(parts) as file:
        file.seek(0)  # the prefix is now part of "the package"
        rule = _refusal(lambda: arrive_from(parts, file))[1]
    assert rule == "dpi:fingerprint"
    wrapped = io.BytesIO(parts.dokumentpakke)
    wrapped.seek(0)
    assert arrive_from(parts, wrapped).message


# -- the reference mailbox (services.mailbox): POST /deliveries streamed ---------------------
class _Maskinporten:
    def keys(self, *, refresh: bool = False) -> dict[str, Any]:
        return {"mp": pki.maskinporten_key().certificate.public_key()}


def _mailbox_service(spool_dir: Path | None = None) -> MailboxService:
    package_limit = len(send().dokumentpakke) + 100  # the test letters are all about this size
    return MailboxService(
        organisation=ParticipantId.norwegian("984661185"),
        key=pki.business_key("digipost"),
        trust=trust(),
        maskinporten=_Maskinporten(),
        maskinporten_issuer="https://test.maskinporten.no/",
        receipts_url="",  # the receipt sender is not started: receipts stay queued
        clock=lambda: NOW,
        limits=Limits(max_dpi_package_bytes=package_limit, max_jws_bytes=64 * 1024),
        spool_dir=spool_dir,
    )


@pytest.fixture
def mailbox() -> Iterator[tuple[MailboxService, str]]:
    service = _mailbox_service()
    running = serve_wsgi_in_thread(service.app)
    yield service, running.url + "/deliveries"
    running.stop()


def _post(url: str, parts: OutgoingMessage, message_id: str, package: bytes | None = None) -> requests.Response:  # fmt: skip
    content_type, body = encode_form_data(
        [
            ("forretningsmelding", "sbd.jwt", "application/jwt", parts.forretningsmelding),
            ("dokumentpakke", "asic.cms", "application/cms", package or parts.dokumentpakke),
        ]
    )
    headers = {"Content-Type": content_type, "Idempotency-Key": message_id}
    return requests.post(url, data=body, headers=headers, timeout=10)


def test_the_mailbox_keeps_a_streamed_delivery(mailbox: tuple[MailboxService, str]) -> None:
    service, url = mailbox
    parts = send()
    message_id = str(parts.message_id)
    answer = _post(url, parts, message_id)
    assert answer.status_code == 201, answer.text
    letter = service.store.letter(message_id)
    assert letter is not None and letter.mailbox == "ola.nordmann#9YDT"
    assert [(name, size) for name, _, size in letter.documents] == [
        (d.name, len(d.content)) for d in DOCUMENTS
    ]
    assert [r.type.value for r in service.store.receipts()] == ["leveringskvittering"]
    assert _post(url, parts, message_id).status_code == 200  # a repeated delivery


def test_the_mailbox_refuses_a_swapped_package(mailbox: tuple[MailboxService, str]) -> None:
    service, url = mailbox
    swapped = _swapped()
    answer = _post(url, swapped, str(swapped.message.message_id))
    assert answer.status_code == 400
    assert service.store.refused() == {str(swapped.message.message_id): "dpi:fingerprint"}
    assert [r.type.value for r in service.store.receipts()] == ["feil"]


def test_the_mailbox_refuses_a_package_beyond_its_limit(mailbox: tuple[MailboxService, str]) -> None:  # fmt: skip
    service, url = mailbox
    parts = send()
    answer = _post(url, parts, "x", package=parts.dokumentpakke + b"\0" * 200)
    assert answer.status_code == 413
    assert service.store.letters() == [] and service.store.refused() == {}


class _Unreadable(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")


def test_the_mailbox_refuses_a_body_beyond_its_limit_unread(mailbox: tuple[MailboxService, str]) -> None:  # fmt: skip
    service, _ = mailbox
    largest = service.limits.max_dpi_package_bytes + service.limits.max_jws_bytes + 64 * 1024
    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/deliveries",
        "CONTENT_TYPE": "multipart/form-data; boundary=b",
        "CONTENT_LENGTH": str(largest + 1),
        "wsgi.input": _Unreadable(),
    }
    service.app(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["413 Content Too Large"]
    # At the limit the body is read: this one is short, and refused as a broken form.
    environ.update(CONTENT_LENGTH=str(largest), **{"wsgi.input": io.BytesIO(b"--b--")})
    service.app(environ, lambda status, headers: statuses.append(status))
    assert statuses[1] == "400 Bad Request"


def test_the_mailbox_spools_in_its_spool_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The request body, the package part and the opened documents all go to spool_dir.
    folders: list[object] = []
    spooled, directory = tempfile.SpooledTemporaryFile, tempfile.TemporaryDirectory

    def recording_spool(*args: Any, **kwargs: Any) -> Any:
        folders.append(kwargs.get("dir"))
        return spooled(*args, **kwargs)

    def recording_directory(*args: Any, **kwargs: Any) -> Any:
        folders.append(kwargs.get("dir"))
        return directory(*args, **kwargs)

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", recording_spool)
    monkeypatch.setattr(tempfile, "TemporaryDirectory", recording_directory)
    service = _mailbox_service(spool_dir=tmp_path)
    running = serve_wsgi_in_thread(service.app)
    try:
        parts = send()
        answer = _post(running.url + "/deliveries", parts, str(parts.message_id))
        assert answer.status_code == 201, answer.text
    finally:
        running.stop()
    assert len(folders) >= 3
    for folder in map(Path, map(str, folders)):  # the documents' own spools sit in the opened one
        assert folder == tmp_path or tmp_path in folder.parents, folder
