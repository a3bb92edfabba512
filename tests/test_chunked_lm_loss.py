"""The fine-tuning LM loss without a logits wall: computed a chunk of rows at a time, the same loss and gradients as
from full logits, nothing kept per vocabulary entry for backward, and the LM head run only when asked."""

import pytest
import torch
import torch.nn.functional as F
from conftest import PAD

from modeling_gpt1 import GPT1DoubleHeads
from modeling_gpt1 import modeling_gpt1 as modeling
from modeling_gpt1.modeling_gpt1 import IGNORE_INDEX, chunked_lm_loss


def full_logits_lm_loss(logits, labels):
    """The loss as written before chunking: every position's logits at once, a mean per sequence, then over
    sequences that have a labelled token."""
    targets = F.pad(labels[:, 1:], (0, 1), value=IGNORE_INDEX)
    losses = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), reduction="none").view_as(targets)
    counts = (targets != IGNORE_INDEX).sum(-1)
    per_sequence = losses.sum(-1) / counts.clamp(min=1)
    return per_sequence[counts > 0].mean()


def states_and_labels(seed=0):
    generator = torch.Generator().manual_seed(seed)
    hidden = torch.randn(6, 20, 32, generator=generator, requires_grad=True)
    weight = torch.randn(100, 32, generator=generator, requires_grad=True)
    labels = torch.randint(0, 100, (6, 20), generator=generator)
    labels[1, 5:] = IGNORE_INDEX  # right padding
    labels[2] = IGNORE_INDEX  # a sequence without a labelled token
    labels[3, :3] = IGNORE_INDEX  # left padding
    return hidden, weight, labels


@pytest.mark.parametrize("chunk_rows", [1, 7, 1024])
def test_chunked_loss_and_gradients_equal_the_full_logits_ones(chunk_rows, monkeypatch):
    monkeypatch.setattr(modeling, "LM_LOSS_CHUNK_ROWS", chunk_rows)
    hidden, weight, labels = states_and_labels()
    expected = full_logits_lm_loss(F.linear(hidden, weight), labels)
    expected_grads = torch.autograd.grad(expected, (hidden, weight))
    loss = chunked_lm_loss(hidden, weight, labels)
    grads = torch.autograd.grad(loss, (hidden, weight))
    torch.testing.assert_close(loss, expected, atol=1e-5, rtol=0)
    for grad, expected_grad in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(grad, expected_grad, atol=1e-6, rtol=1e-5)


def test_chunked_loss_under_bf16_autocast_matches_the_full_logits_one(monkeypatch):
    monkeypatch.setattr(modeling, "LM_LOSS_CHUNK_ROWS", 16)
    hidden, weight, labels = states_and_labels(seed=1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        expected = full_logits_lm_loss(F.linear(hidden, weight), labels)
        loss = chunked_lm_loss(hidden, weight, labels)
    expected_grads = torch.autograd.grad(expected, (hidden, weight))
    grads = torch.autograd.grad(loss, (hidden, weight))
    assert loss.dtype == torch.float32
    # the same bf16 matmuls: only the order in which the weight's gradient is summed differs
    torch.testing.assert_close(loss, expected, atol=1e-5, rtol=0)
    for grad, expected_grad in zip(grads, expected_grads, strict=True):
        assert grad.dtype == torch.float32
        torch.testing.assert_close(grad, expected_grad, atol=2e-3, rtol=1e-2)


def test_no_gradient_wanted_gives_the_same_loss():
    hidden, weight, labels = states_and_labels()
    with torch.no_grad():
        loss = chunked_lm_loss(hidden, weight, labels)
        expected = full_logits_lm_loss(F.linear(hidden, weight), labels)
    torch.testing.assert_close(loss, expected, atol=1e-5, rtol=0)


def test_a_frozen_head_gets_no_gradient_and_the_states_theirs():
    hidden, weight, labels = states_and_labels()
    frozen = weight.detach()
    (grad,) = torch.autograd.grad(chunked_lm_loss(hidden, frozen, labels), hidden)
    (expected,) = torch.autograd.grad(full_logits_lm_loss(F.linear(hidden, frozen), labels), hidden)
    torch.testing.assert_close(grad, expected, atol=1e-6, rtol=1e-5)


def training_model(config):
    torch.manual_seed(0)
    return GPT1DoubleHeads(config).train()


def padded_batch(make_task_ids):
    ids = make_task_ids(2, 3, 12)
    mask = torch.ones_like(ids)
    ids[0, 1, 8:], mask[0, 1, 8:] = PAD, 0
    ids[0, 1, 7] = ids[0, 0, -1]  # the extract token moves in front of the padding
    return ids, mask, torch.tensor([2, 0])


def test_double_heads_training_step_has_the_full_logits_losses_and_gradients(no_dropout_config, make_task_ids):
    model = training_model(no_dropout_config)
    ids, mask, mc_labels = padded_batch(make_task_ids)
    out = model(ids, attention_mask=mask, mc_labels=mc_labels, output_logits=True)
    out.loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters()}
    model.zero_grad()

    reference = model(ids, attention_mask=mask, mc_labels=mc_labels, output_logits=True)
    real = mask.bool() & F.pad(mask.bool()[..., :-1], (1, 0), value=False)  # a target and the token before it real
    labels = ids.masked_fill(~real, IGNORE_INDEX)
    lm_loss = full_logits_lm_loss(reference.logits.flatten(0, 1), labels.flatten(0, 1))
    (reference.mc_loss + no_dropout_config.lm_coef * lm_loss).backward()

    torch.testing.assert_close(out.lm_loss, lm_loss, atol=1e-5, rtol=0)
    torch.testing.assert_close(out.loss, reference.mc_loss + no_dropout_config.lm_coef * lm_loss, atol=1e-5, rtol=0)
    for name, param in model.named_parameters():
        torch.testing.assert_close(grads[name], param.grad, atol=1e-6, rtol=1e-4, msg=name)


def test_backward_keeps_nothing_the_size_of_the_logits(no_dropout_config, make_task_ids, monkeypatch):
    monkeypatch.setattr(modeling, "LM_LOSS_CHUNK_ROWS", 8)
    model = training_model(no_dropout_config)
    ids, mask, mc_labels = padded_batch(make_task_ids)
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(tuple(t.shape)) or t, lambda t: t):
        model(ids, attention_mask=mask, mc_labels=mc_labels).loss.backward()
    # logits, their log-softmax or probabilities would end in the vocabulary; the head's own gradient is kept as
    # [vocab, hidden], the states' as [rows, hidden]
    assert (no_dropout_config.vocab_size, no_dropout_config.hidden_size) in saved
    assert [shape for shape in saved if shape[-1:] == (no_dropout_config.vocab_size,)] == []


@pytest.fixture
def lm_head_calls(monkeypatch):
    """How often the LM loss and the LM head's full logits were computed."""
    calls = {"loss": 0, "logits": 0}
    loss_function = modeling.chunked_lm_loss

    def counted_loss(*args):
        calls["loss"] += 1
        return loss_function(*args)

    monkeypatch.setattr(modeling, "chunked_lm_loss", counted_loss)
    return calls


def count_logits(model, calls):
    model.lm_head.register_forward_hook(lambda *_: calls.__setitem__("logits", calls["logits"] + 1))


@pytest.mark.parametrize(
    "mode, lm_coef, expect_loss", [("train", 0.5, True), ("train", 0.0, False), ("eval", 0.5, False)]
)
def test_the_lm_head_runs_only_for_the_auxiliary_loss_in_training(
    mode, lm_coef, expect_loss, tiny_config, make_task_ids, lm_head_calls
):
    tiny_config.lm_coef = lm_coef
    model = training_model(tiny_config).train(mode == "train")
    count_logits(model, lm_head_calls)
    ids, mask, mc_labels = padded_batch(make_task_ids)
    out = model(ids, attention_mask=mask, mc_labels=mc_labels)
    assert lm_head_calls == {"loss": int(expect_loss), "logits": 0}
    assert (out.lm_loss is not None) == expect_loss
    assert out.logits is None


def test_explicit_lm_labels_and_logits_are_computed_when_asked(tiny_config, make_task_ids, lm_head_calls):
    model = training_model(tiny_config).eval()
    count_logits(model, lm_head_calls)
    ids, mask, _ = padded_batch(make_task_ids)
    with torch.no_grad():
        out = model(ids, attention_mask=mask, labels=ids, output_logits=True)
    assert lm_head_calls == {"loss": 1, "logits": 1}
    torch.testing.assert_close(
        out.lm_loss, full_logits_lm_loss(out.logits.flatten(0, 1), ids.flatten(0, 1)), atol=1e-5, rtol=0
    )
