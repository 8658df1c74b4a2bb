"""Learned weights that ship inside the package: one JSON of metadata beside one ``.npz`` array.

The embedded and trajectory judges both keep their numbers this way; this reads them and refuses a
file of another format version with one clean line instead of a wrong model.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import numpy as np

from riskscope.errors import ConfigError

__all__ = ["read_weights"]


def read_weights(meta_name: str, weights_name: str, *, fmt: int, what: str) -> tuple[dict[str, Any], np.ndarray]:
    """(metadata, weights as float64) from ``riskscope/judges/data``; ConfigError on another format."""
    folder = resources.files("riskscope.judges").joinpath("data")
    meta: dict[str, Any] = json.loads(folder.joinpath(meta_name).read_text(encoding="utf-8"))
    if meta.get("format") != fmt:
        raise ConfigError(f"{what} weights have format {meta.get('format')!r}; this riskscope reads {fmt}")
    with folder.joinpath(weights_name).open("rb") as fh, np.load(fh) as npz:
        weights = np.asarray(npz["weights"], dtype=np.float64)
    return meta, weights
