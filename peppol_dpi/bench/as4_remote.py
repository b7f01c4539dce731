"""The PyPI ``as4`` package in its own interpreter, timed one run at a time.

``as4_driver.py`` runs in the ``as4`` package's virtual environment (its dependencies pin an
older cryptography) and answers each ``build`` or ``open`` line with the seconds that one run
took, so the benchmark can alternate its own runs with the other implementation's: both are
then timed in the same minutes of a shared machine.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

from cryptography.hazmat.primitives import serialization

from ..errors import UsageError
from .ops import BILLING, INVOICE_TYPE, RECEIVER, SENDER, load_keys

__all__ = ["As4Remote"]

_DRIVER = Path(__file__).with_name("as4_driver.py")
_OPERATIONS = {"as4_build": "build", "as4_open": "open"}


class As4Remote:
    """A running driver for one payload file; use it as a context manager."""

    def __init__(self, python: Path, payload_file: Path, pki_dir: Path) -> None:
        request_file = _write_request(payload_file, pki_dir)
        # Owned by this object and closed in close(), whatever happens to the driver.
        self._stderr: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [str(python), str(_DRIVER), str(request_file)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                text=True,
            )
        except OSError as exc:
            self._stderr.close()
            raise UsageError(f"the as4 package could not be timed with {python}: {exc}") from None
        if self._read_line() != "ready":
            with contextlib.suppress(subprocess.TimeoutExpired):  # close() kills it then
                self._process.wait(timeout=10)  # let it finish writing its error
            error = self._error
            self.close()
            raise UsageError(f"the as4 package could not be timed with {python}: {error}")
        self._python = python

    def seconds(self, op: str) -> float:
        """One run of ``op`` (``as4_build`` or ``as4_open``), as the driver timed it."""
        assert self._process.stdin is not None
        self._process.stdin.write(_OPERATIONS[op] + "\n")
        self._process.stdin.flush()
        answer = self._read_line()
        try:
            return float(answer)
        except ValueError:
            raise UsageError(
                f"the as4 package failed under {self._python}: {self._error}"
            ) from None

    def close(self) -> None:
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> As4Remote:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _read_line(self) -> str:
        assert self._process.stdout is not None
        return self._process.stdout.readline().strip()

    @property
    def _error(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        lines = self._stderr.read().strip().splitlines()
        return lines[-1] if lines else "no output"


def _write_request(payload_file: Path, pki_dir: Path) -> Path:
    keys = load_keys(pki_dir)
    for name, key in (("c2", keys.c2), ("c3", keys.c3)):
        (pki_dir / f"bench-{name}.key.pem").write_bytes(
            key.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    request = {
        "payload": str(payload_file),
        "sender_party": "POP000001",
        "receiver_party": "POP000002",
        "sender_key": str(pki_dir / "bench-c2.key.pem"),
        "sender_cert": str(pki_dir / "ap-c2.cert.pem"),
        "receiver_key": str(pki_dir / "bench-c3.key.pem"),
        "receiver_cert": str(pki_dir / "ap-c3.cert.pem"),
        "root": str(pki_dir / "root-ca.cert.pem"),
        "ap_ca": str(pki_dir / "ap-ca.cert.pem"),
        "sender": SENDER.value,
        "recipient": RECEIVER.value,
        "document_type": INVOICE_TYPE.value,
        "process": BILLING.value,
    }
    request_file = pki_dir / "as4-request.json"
    request_file.write_text(json.dumps(request))
    return request_file
