"""Running ``peppol-dpi`` as a child process and reading its own peak memory.

The ``ru_maxrss`` that ``wait4`` reports cannot tell it: Linux carries the RSS of the forked
test process (about 90 MB under pytest) into the child's, which would hide the growth the
memory tests bound. The child therefore writes its own high-water mark (``VmHWM`` from
``/proc/self/status``) to a file when it exits.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_OWN_PEAK = """
import atexit, runpy, sys
report, sys.argv = sys.argv[1], ["peppol-dpi", *sys.argv[2:]]
def write_peak():
    with open("/proc/self/status") as status, open(report, "w") as out:
        out.write(next(l for l in status if l.startswith("VmHWM:")).split()[1])
atexit.register(write_peak)
runpy.run_module("peppol_dpi", run_name="__main__")
"""


def run_cli(*argv: str, cwd: Path) -> tuple[int, bytes, bytes, int]:
    """Run ``peppol-dpi argv...`` in ``cwd``: exit status, stdout, stderr, its own peak RSS."""
    peak = cwd / "peak.kb"
    child = subprocess.run(
        [sys.executable, "-c", _OWN_PEAK, str(peak), *argv],
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return child.returncode, child.stdout, child.stderr, int(peak.read_text()) * 1024
