"""Shared fixtures: a tiny GPT-1 (vocab 100, width 32, 2 layers, 4 heads, 64 positions) and a tokenizer for it."""

import os
from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from modeling_gpt1 import GPT1Config

REPO = Path(__file__).resolve().parent.parent
# the scripts and fresh interpreters the tests start fail, as pytest itself does (pyproject.toml), on a deprecation
# raised by our own code: its package modules, the example scripts and the modules they import
OWN_MODULES = [
    "__main__",
    *(f"modeling_gpt1.{path.stem}".removesuffix(".__init__") for path in (REPO / "modeling_gpt1").glob("*.py")),
    *(path.stem for path in (REPO / "examples").rglob("*.py")),
]
os.environ["PYTHONWARNINGS"] = ",".join(
    f"error::{category}:{module}" for category in ("DeprecationWarning", "FutureWarning") for module in OWN_MODULES
)

# PyTorch 2.13's compiled CPU flex-attention kernel, vectorised for AVX2 (CPUs without AVX-512), gives wrong outputs
# for some sequence lengths (24 or 72 tokens at head size 8, not 16 or 64): reproduced with torch's own
# `flex_attention` and `create_block_mask` against its SDPA, no model code involved. The flex tests' comparisons
# with eager attention are expected to fail there; on AVX-512 CPUs they pass, as they must.
FLEX_KERNEL_WRONG_ON_AVX2 = pytest.mark.xfail(
    torch.backends.cpu.get_cpu_capability() == "AVX2",
    reason="PyTorch 2.13's compiled CPU flex attention is wrong for some lengths on AVX2-only CPUs",
    strict=False,
)

VOCAB_SIZE = 100
PAD, START, DELIMITER, EXTRACT = 0, 97, 98, 99
TOKEN_LOW, TOKEN_HIGH = 1, 97  # ordinary tokens: no pad and no fine-tuning token


TINY_CONFIG = dict(
    vocab_size=VOCAB_SIZE,
    n_embd=32,
    n_layer=2,
    n_head=4,
    n_positions=64,
    intermediate_size=128,
    pad_token_id=PAD,
    start_token_id=START,
    delimiter_token_id=DELIMITER,
    extract_token_id=EXTRACT,
    # weights large enough that attention is far from uniform and greedy decoding does not just repeat
    # the last token (at GPT-1's 0.02 it mostly does), so that comparisons can tell right from wrong
    initializer_range=0.3,
)


@pytest.fixture
def tiny_config():
    """A fresh tiny config with dropout on, as a model would be configured for training."""
    return GPT1Config(**TINY_CONFIG)


@pytest.fixture
def no_dropout_config(tiny_config):
    """The tiny config without any dropout, for train-mode comparisons."""
    for name in ("embd_pdrop", "attn_pdrop", "resid_pdrop", "classifier_dropout"):
        setattr(tiny_config, name, 0.0)
    return tiny_config


@pytest.fixture
def make_ids():
    """Factory of random ordinary token ids (never pad or a fine-tuning token), reproducible by seed."""

    def make(*shape, seed=0):
        generator = torch.Generator().manual_seed(seed)
        return torch.randint(TOKEN_LOW, TOKEN_HIGH, shape, generator=generator)

    return make


@pytest.fixture
def make_task_ids(make_ids):
    """Factory of `[batch, num_sequences, seq_len]` ids shaped like the paper's inputs: start ... extract."""

    def make(batch, num_sequences, seq_len, seed=0):
        ids = make_ids(batch, num_sequences, seq_len, seed=seed)
        ids[..., 0] = START
        ids[..., -1] = EXTRACT
        return ids

    return make


@pytest.fixture
def tiny_tokenizer():
    """A word-level tokenizer over the tiny vocabulary: 0 is `<pad>`, 1 `<unk>`, any other id i the word `w{i}`."""
    vocab = {"<pad>": PAD, "<unk>": 1, **{f"w{i}": i for i in range(2, VOCAB_SIZE)}}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", pad_token="<pad>", padding_side="left")
