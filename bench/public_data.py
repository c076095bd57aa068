"""Where the benchmarks find the public data sets they measure on: the folder named by ``VIGIL_DATA``.

The one setting, read here and nowhere else. ``VIGIL_DATA`` names a folder holding one sub-folder per data
set, laid out as its publisher ships it:

    $VIGIL_DATA/nab/      NAB (https://github.com/numenta/NAB, MIT): data/<category>/<file>.csv,
                          labels/combined_windows.json, profiles.json
    $VIGIL_DATA/loghub/   loghub (https://github.com/logpai/loghub; keep its LICENSE and cite it):
                          <System>/<System>_2k.log and <System>_2k.log_structured.csv for the ten systems

When it is missing, a benchmark says what to set and how to get the data, and exits with ``MISSING_DATA``
rather than a traceback. The tests never need it: their small subsets are vendored under tests/data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SETTING = "VIGIL_DATA"
MISSING_DATA = 3  # exit status of a benchmark whose data set is not there (argparse uses 2 for bad flags)

HOW_TO_GET = {
    "nab": "git clone https://github.com/numenta/NAB and copy its data/, labels/ and config/profiles.json "
           "into $VIGIL_DATA/nab/ (profiles.json at the top of nab/)",
    "loghub": "git clone https://github.com/logpai/loghub and copy each system's folder (its X_2k.log and "
              "X_2k.log_structured.csv) with LICENSE and CITATION into $VIGIL_DATA/loghub/",
}


def data_set(name: str, *required: str) -> Path:
    """``$VIGIL_DATA/<name>``, checked to hold every ``required`` path; otherwise a clear message on stderr
    and exit status ``MISSING_DATA``."""
    root = os.environ.get(SETTING)
    if not root:
        _missing(name, f"{SETTING} is not set")
    folder = Path(root) / name
    absent = [path for path in required if not (folder / path).exists()]
    if not folder.is_dir() or absent:
        _missing(name, f"{folder} does not hold the {name} data set"
                       + (f" (missing: {', '.join(absent)})" if folder.is_dir() else ""))
    return folder


def _missing(name: str, problem: str) -> None:
    print(f"error: {problem}.\n"
          f"Set {SETTING} to a folder with a {name}/ sub-folder. To get it: {HOW_TO_GET[name]}.",
          file=sys.stderr)
    raise SystemExit(MISSING_DATA)
