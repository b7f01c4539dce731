"""The package's schemas compile whichever loader libxml2 uses for their imports.

libxml2 loads ``xs:import`` through one process-wide loader; lxml points it at its own around
every parse and points it back afterwards, so a parse ending in another thread while a schema
compiles hands the imports to libxml2's own loader. Found by
test_as4_checks_beside.py::test_several_threads_opening_large_messages_at_once_get_every_answer_right:
four threads opening their first message at once failed now and then (2 runs in 20 at
2336c35) with an XMLSchemaParseError raised out of ``receive``. The schema's base URL is now
its file, which libxml2's own loader reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lxml import etree

from peppol_dpi import xsd
from peppol_dpi.as4 import ebms_schema
from peppol_dpi.dpi import manifest
from peppol_dpi.sbdh import schema as sbdh_schema

ROOT = Path(__file__).resolve().parents[1]

SCHEMAS = {
    "ebMS 3.0 header": (ebms_schema._MAIN, ebms_schema._IMPORTS),
    "Peppol SBDH": (sbdh_schema._MAIN, sbdh_schema._IMPORTS),
    "SDP manifest": (manifest._SCHEMA, frozenset()),
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_a_schema_compiles_when_the_imports_reach_libxml2s_own_loader(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The package's resolver never asked (as when another thread's parse has put libxml2's
    # own loader back), and a working directory without the schemas in it.
    monkeypatch.setattr(xsd._PackageResolver, "resolve", lambda *_: None)
    monkeypatch.chdir(tmp_path)
    main, imports = SCHEMAS[name]
    compiled = xsd.compile_schema(main, imports)
    assert isinstance(compiled, etree.XMLSchema)


def test_the_imports_are_served_by_the_package_resolver_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    real = xsd._PackageResolver.resolve

    def resolve(self: xsd._PackageResolver, url: str, public_id: str, context: object) -> object:
        asked.append(url.rsplit("/", 1)[-1])
        return real(self, url, public_id, context)

    monkeypatch.setattr(xsd._PackageResolver, "resolve", resolve)
    xsd.compile_schema(ebms_schema._MAIN, ebms_schema._IMPORTS)
    assert set(asked) == set(ebms_schema._IMPORTS)


_FIRST_MESSAGES_AT_ONCE = textwrap.dedent(
    """
    import threading
    import pki
    from as4_support import NOW, make_sbd, trust
    from peppol_dpi.as4 import build_message, receive

    c2, c3, policy = pki.ap_key("c2"), pki.ap_key("c3"), trust()
    headers, body, _ = build_message(
        make_sbd(), key=c2, receiver_cert=c3.certificate, now=NOW, message_id="m1@c2.test"
    )
    outcomes = []

    def first_message():
        try:
            reception = receive(headers, body, key=c3, trust=policy, at=NOW)
            outcomes.append("ok" if reception.ok else reception.error.rule)
        except Exception as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=first_message) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(",".join(sorted(outcomes)))
    """
)


def test_threads_opening_their_first_message_at_once_all_succeed() -> None:
    # Each thread compiles its own ebMS schema on its first message (xsd.thread_schema),
    # while the others parse: the scenario that failed. A fresh process each time.
    for _ in range(4):
        run = subprocess.run(
            [sys.executable, "-c", _FIRST_MESSAGES_AT_ONCE],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"},
            check=False,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        assert run.stdout.strip() == ",".join(["ok"] * 6), run.stdout
