"""The whole DPI flow on one machine (``peppol-dpi demo``) and one role at a time
(``peppol-dpi serve``); docs/flow.md and docs/serve.md.

* :mod:`.network` starts every service on 127.0.0.1 and performs the set-up;
* :mod:`.flow` is corner 1 (the sender's system) and the scenario;
* :mod:`.run` runs both and reports (the command and the test suite call :func:`run_demo`);
* :mod:`.transcript` and :mod:`.observe` record and print what happens;
* :mod:`.serve` starts one role from its configuration.
"""

from __future__ import annotations

from .run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
