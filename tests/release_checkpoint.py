"""Checkpoints in the exact layout of GPT-1's original release, with random values, for the converter tests.

The shapes come from the real `params_shapes.json` in `../shared/data/gpt1/`; the release itself (466 MB)
is not there, so its ten `.npy` pieces are written here the way the original code read them: one flat
float32 array, cut into ten with `np.array_split`.
"""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from shared_data import GPT1_DATA, MERGES, VOCAB

needs_gpt1_data = pytest.mark.skipif(
    not (GPT1_DATA / "params_shapes.json").is_file(), reason=f"GPT-1's shapes and vocabulary are not in {GPT1_DATA}"
)
# the reduced release: 2 blocks of width 128 (2 heads), the real vocabulary and 512 positions
SMALL_LAYERS = 2
SMALL_SIZES = {768: 128, 2304: 384, 3072: 512}


def release_shapes() -> list[list[int]]:
    return json.loads((GPT1_DATA / "params_shapes.json").read_text())


def small_shapes() -> list[list[int]]:
    """The real shapes, first two blocks only, width 768 -> 128 (so 2304 -> 384, 3072 -> 512)."""
    return [[SMALL_SIZES.get(n, n) for n in shape] for shape in release_shapes()[: 2 + 12 * SMALL_LAYERS]]


def write_release(folder: Path, shapes: list[list[int]], seed: int = 0) -> list[np.ndarray]:
    """Write `shapes`, ten shards of random values and the real vocabulary files; return the arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    total = sum(math.prod(shape) for shape in shapes)
    # large enough values that attention is far from uniform, so that comparisons tell right from wrong
    flat = np.random.default_rng(seed).standard_normal(total, dtype=np.float32) * np.float32(0.2)
    (folder / "params_shapes.json").write_text(json.dumps(shapes))
    for index, piece in enumerate(np.array_split(flat, 10)):
        np.save(folder / f"params_{index}.npy", piece)
    for path in (VOCAB, MERGES):
        shutil.copy(path, folder / path.name)
    pieces = np.split(flat, np.cumsum([math.prod(shape) for shape in shapes])[:-1])
    return [piece.reshape(shape) for piece, shape in zip(pieces, shapes, strict=True)]
