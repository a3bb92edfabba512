"""Padded batches: each sequence's real tokens get the logits they get alone, on either side, either backend."""

import pytest
import torch
from conftest import PAD

from modeling_gpt1 import GPT1LMHeadModel

LENGTHS = (11, 4, 8)


def padded_batch(make_ids, side):
    """Sequences of LENGTHS, padded to the longest on `side`, with their attention mask."""
    sequences = [make_ids(length, seed=i) for i, length in enumerate(LENGTHS)]
    width = max(LENGTHS)
    ids = torch.full((len(LENGTHS), width), PAD)
    mask = torch.zeros(len(LENGTHS), width, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        span = slice(width - len(sequence), width) if side == "left" else slice(0, len(sequence))
        ids[row, span] = sequence
        mask[row, span] = 1
    return sequences, ids, mask


@pytest.mark.parametrize("backend", ["eager", "sdpa"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_padded_batch_equals_each_sequence_alone(side, backend, tiny_config, make_ids):
    torch.manual_seed(0)
    model = GPT1LMHeadModel(tiny_config).eval()
    model.set_attn_implementation(backend)
    sequences, ids, mask = padded_batch(make_ids, side)
    with torch.no_grad():
        batch_logits = model(ids, attention_mask=mask).logits
        assert torch.isfinite(batch_logits).all()
        for row, sequence in enumerate(sequences):
            alone = model(sequence[None]).logits[0]
            torch.testing.assert_close(batch_logits[row][mask[row].bool()], alone, atol=1e-5, rtol=0)


@pytest.mark.parametrize("backend", ["eager", "sdpa"])
def test_generation_from_a_left_padded_batch_equals_each_prompt_alone(backend, tiny_config, make_ids):
    torch.manual_seed(0)
    model = GPT1LMHeadModel(tiny_config).eval()
    model.set_attn_implementation(backend)
    sequences, ids, mask = padded_batch(make_ids, "left")
    new_tokens = 10
    with torch.no_grad():
        batch_out = model.generate(
            ids, attention_mask=mask, max_new_tokens=new_tokens, do_sample=False, pad_token_id=PAD
        )
        for row, sequence in enumerate(sequences):
            alone = model.generate(sequence[None], max_new_tokens=new_tokens, do_sample=False, pad_token_id=PAD)
            assert torch.equal(batch_out[row, -new_tokens:], alone[0, -new_tokens:]), row
