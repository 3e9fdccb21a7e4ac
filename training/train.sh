#!/usr/bin/env bash
# TinyMath pipeline entry: `npm run train` (full) and `npm run train:micro` (CI).
#   training/train.sh [full|micro|provisional] [extra pipeline args]
# The full run takes tens of minutes: run it in the background, e.g.
#   nohup npm run train > training/out/train.log 2>&1 &
# Rerunning the same command resumes from the last checkpoint of the unfinished stage.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-full}"
shift || true
exec /usr/bin/python3 -u training/pipeline.py --preset "$preset" "$@"
