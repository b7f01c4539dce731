"""One operation once, in a fresh interpreter, reporting its memory (``peppol-dpi bench``).

``python -m peppol_dpi.bench.child OP INPUT_FILE PKI_DIR`` reads the operation's input (made
by the parent with :func:`~.ops.make_input`, so the child holds nothing else), then resets the
kernel's peak-RSS mark (``/proc/self/clear_refs``, Linux) and runs the operation once. It
prints ``{"baseline": RSS before the operation, "peak": peak RSS during it}`` in bytes:
``peak - baseline`` is what the operation needs beyond its input.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
from pathlib import Path

from .ops import from_input, load_keys


def _status(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def main(argv: list[str]) -> int:
    op, input_file, pki_dir = argv
    keys = load_keys(Path(pki_dir))
    run = from_input(op, Path(input_file).read_bytes(), keys)
    gc.collect()
    baseline = _status("VmRSS")
    if baseline is None or not _reset_peak():
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    run()
    peak = _status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"baseline": baseline, "peak": max(peak, baseline)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
