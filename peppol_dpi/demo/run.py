"""``peppol-dpi demo`` as a function: start the network, set it up, run the scenario, report.

The command and the test suite call :func:`run_demo`, so the test runs exactly what a user sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .flow import Outcome, run_scenario
from .network import CITIZENS, PARTIES, Network
from .transcript import Transcript

__all__ = ["DemoResult", "run_demo", "summary"]


@dataclass(frozen=True, kw_only=True)
class DemoResult:
    outcome: Outcome
    transcript: Transcript
    network: Network  # stopped unless keep_running
    seconds: float


def summary(result: DemoResult) -> str:
    """The closing table: each letter, where it went, its statuses and receipts."""
    providers = {p.participant.value: p.name for p in PARTIES.values()}
    lines = ["", "== summary"]
    for letter in result.outcome.letters:
        where = providers.get(letter.provider, letter.provider)
        fate = f"refused by {where} [{letter.refused}]" if letter.refused else f"at {where}"
        lines.append(
            f"  {letter.label}: {CITIZENS[letter.citizen][0]}, {fate}; "
            f"statuses {' -> '.join(letter.statuses)}; receipts {', '.join(letter.receipts)}"
        )
    steps = len(result.transcript.steps)
    lines.append(
        f"  {steps} steps, flow {result.outcome.seconds:.2f} s, "
        f"total {result.seconds:.2f} s (start, set-up, flow, stop)"
    )
    for problem in result.outcome.problems:
        lines.append(f"  PROBLEM: {problem}")
    lines.append(
        "  all letters delivered, the swapped one refused, every receipt at its sender"
        if result.outcome.ok
        else "  FAILED"
    )
    return "\n".join(lines) + "\n"


def run_demo(
    *,
    echo: Callable[[str], None] = lambda text: None,
    keep_running: bool = False,
    workdir: Path | None = None,
) -> DemoResult:
    """Run the whole flow; the network is stopped at the end unless ``keep_running``."""
    started = time.monotonic()
    transcript = Transcript(echo=echo)
    transcript.section("start and set-up")
    network = Network(transcript=transcript, workdir=workdir)
    network.start()
    try:
        clients = network.setup()
        outcome = run_scenario(network, clients)
    finally:
        if not keep_running:
            network.stop()
    return DemoResult(
        outcome=outcome,
        transcript=transcript,
        network=network,
        seconds=time.monotonic() - started,
    )
