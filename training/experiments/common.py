"""What the experiment scripts share: the repository's paths (and `training/` on sys.path, so that
`tinymath` imports), the shipped generator's folder and a log line with the seconds since start.
Each script runs as `/usr/bin/python3 training/experiments/<name>.py`, so this imports as `common`."""
from __future__ import annotations

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if os.path.dirname(HERE) not in sys.path:
    sys.path.insert(0, os.path.dirname(HERE))

GENERATOR = os.path.join(ROOT, "public/models/tinymath-gen")
T0 = time.time()


def log(msg: str) -> None:
    print(f"[{time.time() - T0:6.0f}s] {msg}", flush=True)
