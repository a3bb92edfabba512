"""Where the tests find the project's real data (`../shared/data`, relative to the repository) and the original
GPT-1 encoder; tests that need the data skip where it is absent."""

import importlib.util
import sys
from pathlib import Path

import pytest

from modeling_gpt1.tokenization_gpt1 import ORIGINAL_FILES_NAMES

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
GPT1_DATA = DATA / "gpt1"
# the original release's vocabulary and merges
VOCAB = GPT1_DATA / ORIGINAL_FILES_NAMES["vocab_file"]
MERGES = GPT1_DATA / ORIGINAL_FILES_NAMES["merges_file"]
GOLDEN = GPT1_DATA / "golden_tokenization.jsonl"
STORY_CLOZE = DATA / "story_cloze" / "cloze_test_val__spring2016 - cloze_test_ALL_val.csv"
# GLUE's CoLA, MRPC, RTE and STS-B in the layout of its download script (`glue/RTE/train.tsv`)
GLUE = DATA / "glue"
# RACE's train and dev splits in the original layout (`race/RACE/dev/high/*.txt`)
RACE = DATA / "race"


def require(path: Path) -> Path:
    """`path`, or skip the test where the shared real data is absent."""
    if not path.exists():
        pytest.skip(f"{path} is absent; this test reads the project's real data in ../shared/data")
    return path


def load_script(path: str):
    """A script of the repository as a module, for tests that call its functions in this process: an example
    (`examples/train_tiny.py`) or a benchmark (`benchmarks/original_encoder.py`, the original GPT-1 encoder). It is
    registered under its file's name, as its sibling scripts import it when they run."""
    name = Path(path).stem
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
