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


def distinct_attempts(samples: list[str], ok: list[bool], n: int, wrong_cap: int, right_cap: int):
    """From `n` samples per problem (in order) and their grades: up to `wrong_cap` distinct wrong and
    `right_cap` distinct right samples of each problem, as (problem index, text) lists."""
    wrong, right = [], []
    for pi in range(len(samples) // n):
        w, r = [], []
        for j in range(n):
            t = samples[pi * n + j]
            lst = r if ok[pi * n + j] else w
            if t not in lst:
                lst.append(t)
        wrong += [(pi, t) for t in w[:wrong_cap]]
        right += [(pi, t) for t in r[:right_cap]]
    return wrong, right
