"""The vendored test data under tests/data (small public subsets with their licences, tests/data/README.md)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"  # small public data subsets with their licences (tests/data/README.md)


def unpack_data(name: str, into: Path) -> Path:
    """``tests/data/<name>`` as the tests read it, copied under ``into``: each ``X.gz`` unpacked to ``X``
    (the vendored files are stored compressed to keep the clone small), everything else copied as is."""
    source, target = DATA / name, into / name
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as packed, out.with_suffix("").open("wb") as plain:
                shutil.copyfileobj(packed, plain)
        else:
            shutil.copyfile(path, out)
    return target
