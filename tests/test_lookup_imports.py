"""The lookup clients and services do no I/O at import time (issue 5, item 6)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

MODULES = [
    "peppol_dpi.lookup",
    "peppol_dpi.lookup.sml",
    "peppol_dpi.lookup.smp_client",
    "peppol_dpi.lookup.smp_write",
    "peppol_dpi.lookup.maskinporten",
    "peppol_dpi.lookup.krr",
    "peppol_dpi.services.dns",
    "peppol_dpi.services.smp",
    "peppol_dpi.services.maskinporten",
    "peppol_dpi.services.krr",
    "peppol_dpi.cli.lookup_cmd",
]

_PROBE = """
import socket, sys
def refuse(*args, **kwargs):
    raise SystemExit("socket opened at import time")
# (binding is allowed: urllib3 probes IPv6 support by binding ::1 at import)
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.socket.sendto = refuse
socket.getaddrinfo = refuse
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
"""


def test_no_io_at_import() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *MODULES], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
