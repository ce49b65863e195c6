"""`python -m bench chaos` runs end to end and prints its one JSON line (it once crashed after
the whole run, on a figure named twice)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_chaos_figure_prints_one_json_line_with_no_loss() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "chaos", "--n", "3", "--rounds", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (line,) = [json.loads(text) for text in done.stdout.splitlines() if text.startswith("{")]
    assert (line["figure"], line["n"], line["kills"], line["lost"]) == ("chaos", 3, 1, 0)
    assert line["seconds"] <= line["wall_seconds"]
    assert done.stdout.splitlines()[-1].startswith("# chaos n=3 sqlite: 0 lost after 1 kills")
