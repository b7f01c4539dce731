"""One operation once, in a fresh interpreter, reporting its memory (``peppol-dpi bench``).

``python -m peppol_dpi.bench.child OP PAYLOAD_FILE PKI_DIR`` prepares the operation's inputs
(for a streaming operation PAYLOAD_FILE is the SBD file, never read into memory),
then resets the kernel's peak-RSS mark (``/proc/self/clear_refs``, Linux) and runs the
operation once. It prints ``{"baseline": RSS before the operation, "peak": peak RSS during
it}`` in bytes: ``peak - baseline`` is what the operation needs beyond its inputs.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .ops import STREAM_OPERATIONS, load_keys, prepare, prepare_stream


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
    op, payload_file, pki_dir = argv
    keys = load_keys(Path(pki_dir))
    with tempfile.TemporaryDirectory(dir=Path(payload_file).parent) as work:
        if op in STREAM_OPERATIONS:
            run = prepare_stream(op, Path(payload_file), keys, Path(work))
        else:
            run = prepare(op, Path(payload_file).read_bytes(), keys)
        baseline, peak = _measure(run)
    print(json.dumps({"baseline": baseline, "peak": peak}))
    return 0


def _measure(run: Callable[[], object]) -> tuple[int, int]:
    gc.collect()
    baseline = _status("VmRSS")
    if baseline is None or not _reset_peak():
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    run()
    peak = _status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return baseline, max(peak, baseline)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
