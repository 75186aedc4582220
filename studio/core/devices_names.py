"""Names of devices and precisions, importable without torch (for forms and flags)."""

from __future__ import annotations

import json
import subprocess
import sys

PRECISIONS = ("fp32", "bf16", "fp16")

_PROBE = (
    "import json; from studio.core.devices import available_devices; "
    "print(json.dumps(available_devices()))"
)


def probe_devices(timeout: float = 120.0) -> list[str]:
    """The devices torch sees, asked of a child process.

    The window lists devices before any run starts; importing torch for that would
    keep half a gigabyte of CUDA libraries resident in the GUI process from the start.
    Raises ``RuntimeError`` with torch's own message if torch cannot load.
    """
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        lines = (done.stderr or "").strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])
