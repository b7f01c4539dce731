"""Java's own readers as oracles: the JDK's zip, XML Schema (Xerces) and XML Signature
(Santuario's) implementations, which phase4, Oxalis and Digdir's clients build on.

A test hands a batch of documents to one small Java program (``tests/java/<Name>.java``,
compiled once per session) and gets one verdict line per document back: ``OK <detail>`` or
``REFUSED <detail>``. One JVM per batch keeps a few hundred cases to a second or two.

Without a JDK (``javac`` and ``java`` on the PATH) the tests that need it skip, saying so.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

JAVA_SOURCES = Path(__file__).resolve().parent / "java"
_COMPILED: dict[str, Path] = {}
#: Every JVM: schemas and DTDs from files only (JAXP refuses any other protocol, so a schema
#: reaching for the network fails the run instead of fetching), verdicts written in UTF-8
#: (JDK 17 and 18+ name the property differently), and a short-lived JVM's faster start (the
#: client compiler, the serial collector).
JVM_OPTIONS = (
    "-Djavax.xml.accessExternalSchema=file",
    "-Djavax.xml.accessExternalDTD=file",
    "-Dsun.stdout.encoding=UTF-8",
    "-Dstdout.encoding=UTF-8",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-Xss4m",
)


@dataclass(frozen=True)
class JavaVerdict:
    """One document's verdict from a Java oracle."""

    accepted: bool
    detail: str


def _require_jdk() -> tuple[str, str]:
    javac, java = shutil.which("javac"), shutil.which("java")
    if javac is None or java is None:
        pytest.skip("no JDK on this machine (javac and java are needed for the Java oracles)")
    return javac, java


def compiled(name: str) -> Path:
    """The class directory of ``tests/java/<name>.java``, compiled once per session."""
    javac, _ = _require_jdk()
    source = JAVA_SOURCES / f"{name}.java"
    key = f"{name}-{hashlib.sha256(source.read_bytes()).hexdigest()[:16]}"
    if key not in _COMPILED:
        out = Path(tempfile.mkdtemp(prefix=f"peppol-dpi-{name}-"))
        atexit.register(shutil.rmtree, out, ignore_errors=True)
        result = subprocess.run(
            [javac, "-d", str(out), str(source)], capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        _COMPILED[key] = out
    return _COMPILED[key]


def run_batch(name: str, documents: list[bytes], *args: str) -> list[JavaVerdict]:
    """Run ``tests/java/<name>.java`` over ``documents`` (written to files whose paths follow
    ``args`` on its command line); one verdict per document, in order."""
    _, java = _require_jdk()
    classes = compiled(name)
    with tempfile.TemporaryDirectory(prefix="peppol-dpi-java-") as folder:
        paths = []
        for index, document in enumerate(documents):
            path = Path(folder) / f"{index:05d}.bin"
            path.write_bytes(document)
            paths.append(str(path))
        result = subprocess.run(
            [java, *JVM_OPTIONS, "-cp", str(classes), name, *args, *paths],
            capture_output=True,
            timeout=600,
        )
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, stderr[-2000:]
    # One verdict a line: split at line feeds only (a detail may quote U+2028 or U+0085).
    lines = result.stdout.decode("utf-8", "replace").rstrip("\n").split("\n")
    if lines == [""]:
        lines = []
    assert len(lines) == len(documents), (len(lines), len(documents), stderr[-2000:])
    verdicts = []
    for line in lines:
        status, _, detail = line.partition(" ")
        assert status in ("OK", "REFUSED"), line
        verdicts.append(JavaVerdict(status == "OK", detail))
    return verdicts
