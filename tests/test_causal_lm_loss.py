"""The pretraining loss of `GPT1LMHeadModel`: transformers' `ForCausalLMLoss`, the same loss and gradients, computed
without the vocabulary-wide log-softmax it keeps for backward."""

import pytest
import torch
from transformers.loss.loss_utils import ForCausalLMLoss

from modeling_gpt1 import GPT1LMHeadModel
from modeling_gpt1 import modeling_gpt1 as modeling
from modeling_gpt1.modeling_gpt1 import IGNORE_INDEX, causal_lm_loss

VOCAB = 50


def logits_and_labels(dtype=torch.float32, seed=0):
    generator = torch.Generator().manual_seed(seed)
    logits = (3 * torch.randn(3, 40, VOCAB, generator=generator)).to(dtype).requires_grad_()
    labels = torch.randint(0, VOCAB, (3, 40), generator=generator)
    labels[0, :7] = IGNORE_INDEX  # left padding
    labels[2] = IGNORE_INDEX  # a sequence without a labelled token
    return logits, labels


@pytest.mark.parametrize("chunk_rows", [1, 7, 128])
@pytest.mark.parametrize(
    "options",
    [{}, {"num_items_in_batch": torch.tensor(51)}, {"num_items_in_batch": 51}, {"shift_labels": "random"}],
    ids=["mean", "num-items-tensor", "num-items-int", "shift-labels"],
)
def test_loss_and_gradient_are_transformers_ones(chunk_rows, options, monkeypatch):
    monkeypatch.setattr(modeling, "LOGITS_CHUNK_ROWS", chunk_rows)
    logits, labels = logits_and_labels()
    if options.get("shift_labels") == "random":
        shift_labels = torch.randint(-1, VOCAB, labels.shape, generator=torch.Generator().manual_seed(1))
        options = {"shift_labels": shift_labels.masked_fill(shift_labels < 0, IGNORE_INDEX)}
    expected = ForCausalLMLoss(logits, labels, VOCAB, **options)
    loss = causal_lm_loss(logits, labels, **options)
    torch.testing.assert_close(loss, expected, atol=1e-5, rtol=0)
    (expected_grad,) = torch.autograd.grad(expected, logits)
    (grad,) = torch.autograd.grad(loss, logits)
    torch.testing.assert_close(grad, expected_grad, atol=1e-6, rtol=0)


def test_bf16_logits_give_fp32_loss_and_bf16_gradient():
    logits, labels = logits_and_labels(torch.bfloat16)
    expected = ForCausalLMLoss(logits, labels, VOCAB)
    loss = causal_lm_loss(logits, labels)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, expected, atol=1e-5, rtol=0)
    (expected_grad,) = torch.autograd.grad(expected, logits)
    (grad,) = torch.autograd.grad(loss, logits)
    assert grad.dtype == torch.bfloat16
    torch.testing.assert_close(grad, expected_grad, atol=0, rtol=0)


def test_no_labelled_token_gives_nan_as_cross_entropy_does():
    logits, labels = logits_and_labels()
    labels[:] = IGNORE_INDEX
    assert torch.isnan(causal_lm_loss(logits, labels)) and torch.isnan(ForCausalLMLoss(logits, labels, VOCAB))


def test_backward_keeps_only_the_logits_themselves(tiny_config, make_ids):
    # F.cross_entropy keeps a log-softmax as large as the logits; this loss keeps the logits and a number a row
    model = GPT1LMHeadModel(tiny_config).train()
    ids = make_ids(2, 40)  # logits larger than the LM head's weight
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        output = model(ids, labels=ids)
    logits_sized = {
        t.data_ptr() for t in saved if t.shape[-1:] == (tiny_config.vocab_size,) and t.numel() >= output.logits.numel()
    }
    assert logits_sized == {output.logits.data_ptr()}
    output.loss.backward()
    assert model.lm_head.weight.grad is not None and model.lm_head.weight.grad.isfinite().all()
