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
import os
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


#: Java libraries an oracle may need beyond the JDK, as Debian packages them (jar names in
#: ``/usr/share/java``, or in the folder ``PEPPOL_DPI_JAVA_LIBS`` names): the package that
#: installs them, and the jars. ``.ci/run`` installs them where it can.
JAVA_LIBRARIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "jakarta-mail": ("libjakarta-mail-java", ("jakarta-mail.jar", "jakarta-activation.jar")),
    "bouncycastle": ("libbcpkix-java", ("bcprov.jar", "bcpkix.jar", "bcutil.jar")),
    "jackson": (
        "libjackson2-databind-java",
        ("jackson-databind.jar", "jackson-core.jar", "jackson-annotations.jar"),
    ),
}


def _library_jars(libraries: tuple[str, ...]) -> list[Path]:
    folder = Path(os.environ.get("PEPPOL_DPI_JAVA_LIBS", "/usr/share/java"))
    jars = []
    for library in libraries:
        package, names = JAVA_LIBRARIES[library]
        for jar_name in names:
            jar = folder / jar_name
            if not jar.is_file():
                pytest.skip(
                    f"{library} is not installed ({jar} is missing; Debian: apt-get install "
                    f"{package}, or set PEPPOL_DPI_JAVA_LIBS to a folder holding {', '.join(names)})"
                )
            jars.append(jar)
    return jars


def _class_path(classes: Path, jars: list[Path]) -> str:
    return os.pathsep.join([str(classes), *map(str, jars)])


def compiled(name: str, libraries: tuple[str, ...] = ()) -> Path:
    """The class directory of ``tests/java/<name>.java``, compiled once per session (against
    ``libraries``, keys of :data:`JAVA_LIBRARIES`)."""
    javac, _ = _require_jdk()
    jars = _library_jars(libraries)
    source = JAVA_SOURCES / f"{name}.java"
    key = f"{name}-{hashlib.sha256(source.read_bytes()).hexdigest()[:16]}"
    if key not in _COMPILED:
        out = Path(tempfile.mkdtemp(prefix=f"peppol-dpi-{name}-"))
        atexit.register(shutil.rmtree, out, ignore_errors=True)
        result = subprocess.run(
            [javac, "-cp", _class_path(out, jars), "-d", str(out), str(source)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        _COMPILED[key] = out
    return _COMPILED[key]


def run_batch(
    name: str, documents: list[bytes], *args: str, libraries: tuple[str, ...] = ()
) -> list[JavaVerdict]:
    """Run ``tests/java/<name>.java`` over ``documents`` (written to files whose paths follow
    ``args`` on its command line); one verdict per document, in order. ``libraries``: the
    :data:`JAVA_LIBRARIES` it needs (the test skips, saying so, without them)."""
    _, java = _require_jdk()
    jars = _library_jars(libraries)
    classes = compiled(name, libraries)
    with tempfile.TemporaryDirectory(prefix="peppol-dpi-java-") as folder:
        paths = []
        for index, document in enumerate(documents):
            path = Path(folder) / f"{index:05d}.bin"
            path.write_bytes(document)
            paths.append(str(path))
        result = subprocess.run(
            [java, *JVM_OPTIONS, "-cp", _class_path(classes, jars), name, *args, *paths],
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
