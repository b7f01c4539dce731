"""The harness shared by the atheris fuzz targets in this folder (see tests/fuzz/README.md).

A target is a script ``fuzz_<name>.py`` that imports the parser under :func:`instrumented`
and calls :func:`fuzz` with a function of one input and a function returning seed inputs.
The contract it checks: a parser given any bytes returns or raises an
:class:`~peppol_dpi.errors.InputError`. Any other exception (a ``KeyError``, an lxml or
cryptography error, ``MemoryError``, ``RecursionError``) is a finding; libFuzzer reports
hangs (``-timeout``) and memory blow-ups (``-rss_limit_mb``) itself.

Seeds are built from the project's own fixtures at run time, plus every file under
``tests/fuzz/regressions/<name>/`` (the inputs of past findings), and written into the
corpus directory given on the command line when it is empty.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, suppress
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
for _path in (str(ROOT), str(ROOT / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

# Everything of the package is imported under instrumentation, here, before anything else
# imports it: peppol_dpi/__init__.py imports most modules, and a module imported once outside
# an instrument_imports block is never instrumented (the fuzzer would run blind).
with atheris.instrument_imports(include=["peppol_dpi"]):
    import peppol_dpi  # noqa: F401
    from peppol_dpi.errors import InputError

REGRESSIONS = Path(__file__).resolve().parent / "regressions"

__all__ = ["REGRESSIONS", "fuzz", "instrumented", "regression_inputs"]


def instrumented() -> AbstractContextManager[None]:
    """Import the package's modules inside this block to give the fuzzer their coverage."""
    return atheris.instrument_imports(include=["peppol_dpi"])  # type: ignore[no-any-return]


def regression_inputs(name: str) -> list[bytes]:
    folder = REGRESSIONS / name
    return [p.read_bytes() for p in sorted(folder.iterdir())] if folder.is_dir() else []


def _write_seeds(name: str, seeds: Callable[[], Iterable[bytes]]) -> None:
    corpora = [Path(a) for a in sys.argv[1:] if not a.startswith("-")]
    if not corpora or (corpora[0].exists() and not corpora[0].is_dir()):
        return  # no corpus, or replaying single inputs
    corpus = corpora[0]
    corpus.mkdir(parents=True, exist_ok=True)
    if any(corpus.iterdir()):
        return
    for data in [*seeds(), *regression_inputs(name)]:
        (corpus / hashlib.sha1(data).hexdigest()).write_bytes(data)


def fuzz(
    name: str, target: Callable[[bytes], object], seeds: Callable[[], Iterable[bytes]]
) -> None:
    """Run libFuzzer over ``target`` with the command line's options."""
    _write_seeds(name, seeds)

    def one_input(data: bytes) -> None:
        with suppress(InputError):
            target(data)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
