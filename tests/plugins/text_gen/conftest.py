"""Set-up for the text generation tests."""

from __future__ import annotations

import os

# As the app does (studio/app.py): OpenMP threads that spin while waiting make every
# torch op crawl when other processes share the two cores (seen here: a 10 s training
# took minutes under load). It must be set before torch is first imported, which is
# the case when this folder runs on its own.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
