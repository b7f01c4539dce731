"""What happened in a demo run: steps (who, to whom, what, which checks passed, how long),
printed as they happen, and afterwards as text and as a Mermaid sequence diagram.

Steps come from several threads (corner 2's and corner 3's workers, the mailbox's receipt
sender); :class:`Transcript` numbers them in the order they were recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["ACTORS", "Notes", "Step", "Transcript"]

#: Mermaid participant id -> label, in the order the diagram shows them.
ACTORS: dict[str, str] = {
    "C1": "C1 sender's system",
    "MP": "Maskinporten",
    "ALTINN": "Altinn (delegations)",
    "KRR": "KRR",
    "C2": "C2 access point",
    "SML": "SML (DNS)",
    "SMP": "SMP (ELMA)",
    "C3": "C3 access point",
    "C4": "C4 mailbox / print",
}


@dataclass(frozen=True, kw_only=True)
class Step:
    number: int
    actor: str  # a key of ACTORS
    target: str  # a key of ACTORS (== actor for work done locally)
    what: str
    checks: tuple[str, ...] = ()
    ms: float | None = None
    phase: str = ""

    def line(self) -> str:
        arrow = (
            f"{self.actor:>6} -> {self.target:<6}"
            if self.target != self.actor
            else f"{self.actor:>6}    {'':6}"
        )
        took = f" ({self.ms:.0f} ms)" if self.ms is not None else ""
        text = f"{self.number:3}. {arrow} {self.what}{took}"
        for check in self.checks:
            text += f"\n{'':24}ok {check}"
        return text


@dataclass
class Notes:
    """What a timed step found: its outcome and the checks that passed."""

    result: str = ""
    checks: list[str] = field(default_factory=list)


@dataclass
class Transcript:
    """The steps of a run; ``echo`` gets each step's text as it is recorded."""

    echo: Callable[[str], None] = lambda text: None
    steps: list[Step] = field(default_factory=list)
    phase: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def section(self, title: str) -> None:
        with self._lock:
            self.phase = title
            self.echo(f"\n== {title}")

    def add(
        self,
        actor: str,
        target: str,
        what: str,
        *,
        checks: tuple[str, ...] = (),
        ms: float | None = None,
    ) -> Step:
        with self._lock:
            step = Step(
                number=len(self.steps) + 1,
                actor=actor,
                target=target,
                what=what,
                checks=checks,
                ms=ms,
                phase=self.phase,
            )
            self.steps.append(step)
            self.echo(step.line())
            return step

    @contextmanager
    def timed(self, actor: str, target: str, what: str) -> Iterator[Notes]:
        """Record a step, with its duration, when the block ends; the block fills in the
        :class:`Notes` it is given (the outcome, the checks that passed)."""
        notes = Notes()
        started = time.perf_counter()
        yield notes
        ms = (time.perf_counter() - started) * 1000
        text = what + (f": {notes.result}" if notes.result else "")
        self.add(actor, target, text, checks=tuple(notes.checks), ms=ms)

    def text(self) -> str:
        lines: list[str] = []
        phase = None
        for step in self.steps:
            if step.phase != phase:
                phase = step.phase
                lines.append(f"\n== {phase}")
            lines.append(step.line())
        return "\n".join(lines).lstrip("\n") + "\n"

    def mermaid(self) -> str:
        """The run as a Mermaid ``sequenceDiagram``."""
        used = {s.actor for s in self.steps} | {s.target for s in self.steps}
        lines = ["sequenceDiagram", "    autonumber"]
        lines += [
            f"    participant {key} as {label}" for key, label in ACTORS.items() if key in used
        ]
        phase = None
        for step in self.steps:
            if step.phase != phase:
                phase = step.phase
                lines.append(f"    Note over C1,C4: {_mermaid_text(phase)}")
            what = _mermaid_text(step.what)
            if step.actor == step.target:
                lines.append(f"    Note over {step.actor}: {what}")
            else:
                lines.append(f"    {step.actor}->>{step.target}: {what}")
        return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    # Mermaid ends a message at a newline and treats ';' and '#' specially.
    cleaned = text.replace(";", ",").replace("#", "#35;").replace("\n", " ")
    return cleaned if len(cleaned) <= 110 else cleaned[:107] + "..."
