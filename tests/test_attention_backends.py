"""Attention backends: the written-out eager attention and PyTorch's SDPA compute the same thing."""

import copy

import pytest
import torch
from conftest import FLEX_KERNEL_WRONG_ON_AVX2
from transformers import DynamicCache

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel
from modeling_gpt1.modeling_gpt1 import (
    Dropout,
    DroppedAttention,
    GPT1Attention,
    create_attention_masks,
    dropout_mask,
    eager_attention_forward,
    runs_eager_kernel,
)

TOLERANCE = 1e-5


def eager_and_sdpa(config, train=False):
    torch.manual_seed(0)
    sdpa = GPT1LMHeadModel(config).train(train)
    eager = copy.deepcopy(sdpa)
    eager.set_attn_implementation("eager")
    sdpa.set_attn_implementation("sdpa")
    return eager, sdpa


def test_sdpa_is_the_default_backend(tiny_config):
    assert GPT1LMHeadModel(tiny_config).config._attn_implementation == "sdpa"


def test_backend_chosen_at_load_time(tiny_config, tmp_path):
    GPT1LMHeadModel(tiny_config).save_pretrained(tmp_path)
    model = GPT1LMHeadModel.from_pretrained(tmp_path, attn_implementation="eager")
    assert model.config._attn_implementation == "eager"
    assert model.transformer.config._attn_implementation == "eager"


def test_eager_and_sdpa_give_the_same_logits(tiny_config, make_ids):
    eager, sdpa = eager_and_sdpa(tiny_config)
    ids = make_ids(3, 24)
    with torch.no_grad():
        torch.testing.assert_close(eager(ids).logits, sdpa(ids).logits, atol=TOLERANCE, rtol=0)


def test_eager_and_sdpa_give_the_same_gradients(no_dropout_config, make_ids):
    eager, sdpa = eager_and_sdpa(no_dropout_config, train=True)
    ids = make_ids(3, 24)
    eager_loss = eager(ids, labels=ids).loss
    sdpa_loss = sdpa(ids, labels=ids).loss
    eager_loss.backward()
    sdpa_loss.backward()
    torch.testing.assert_close(eager_loss, sdpa_loss, atol=TOLERANCE, rtol=0)
    sdpa_params = dict(sdpa.named_parameters())
    for name, param in eager.named_parameters():
        torch.testing.assert_close(param.grad, sdpa_params[name].grad, atol=TOLERANCE, rtol=0, msg=name)


def test_eager_attention_probabilities_are_causal_and_normalised(tiny_config, make_ids):
    eager, _ = eager_and_sdpa(tiny_config)
    with torch.no_grad():
        attentions = eager(make_ids(2, 9), output_attentions=True).attentions
    assert len(attentions) == tiny_config.num_hidden_layers
    for probs in attentions:
        assert probs.shape == (2, tiny_config.num_attention_heads, 9, 9)
        torch.testing.assert_close(probs.sum(-1), torch.ones(2, tiny_config.num_attention_heads, 9))
        assert torch.all(probs.triu(diagonal=1) == 0)


def test_dropout_mask_drops_each_position_with_probability_p():
    shape = torch.Size((4, 3, 128, 129))  # an element count that does not divide by three
    mask = dropout_mask(shape, 0.1, torch.device("cpu"))
    assert mask.shape == shape and mask.dtype == torch.bool
    # every 16-bit slice of the 64-bit draws is uniform, so no position modulo 3 or 4 is favoured
    for step in (3, 4):
        for offset in range(step):
            rate = mask.flatten()[offset::step].float().mean().item()
            assert abs(rate - 0.1) < 0.005, (step, offset, rate)


def test_cpu_dropout_drops_with_probability_p_and_rescales():
    dropout = Dropout(0.2).train()
    hidden = (torch.rand(64, 1000) + 1.0).requires_grad_()  # no zero of its own
    torch.manual_seed(0)
    output = dropout(hidden)
    kept = output != 0
    assert abs(1 - kept.float().mean().item() - 0.2) < 0.01
    torch.testing.assert_close(output[kept], hidden[kept] / 0.8)
    output.sum().backward()
    # the gradient goes through the kept elements only, scaled as they were
    torch.testing.assert_close(hidden.grad, kept / 0.8)
    assert torch.equal(dropout.eval()(hidden), hidden)


@pytest.mark.parametrize(
    "implementation, training, attn_pdrop, device, expected",
    [
        ("sdpa", True, 0.1, "cpu", True),  # PyTorch's CPU SDPA has no fused dropout
        ("sdpa", True, 0.1, "cuda", False),
        ("sdpa", False, 0.1, "cpu", False),
        ("sdpa", True, 0.0, "cpu", False),
        ("eager", True, 0.1, "cpu", False),
        ("flex_attention", True, 0.1, "cpu", False),
    ],
)
def test_eager_kernel_for_sdpa_training_with_dropout_on_cpu(implementation, training, attn_pdrop, device, expected):
    config = GPT1Config(n_embd=64, n_head=4, attn_pdrop=attn_pdrop)
    config._attn_implementation = implementation
    assert runs_eager_kernel(config, training, torch.device(device)) is expected


@pytest.mark.parametrize("past_length", [0, 3])
@pytest.mark.parametrize("left_padding", [0, 2])
def test_masks_for_the_eager_kernel_are_eagers_own(tiny_config, make_ids, past_length, left_padding):
    # where SDPA is configured but the eager kernel runs, the trunk builds SDPA's masks, never None (SDPA's
    # `is_causal`), made additive: the masks transformers builds for eager, with cached keys and padding too
    model = GPT1LMHeadModel(tiny_config).eval()
    cache = None
    if past_length:
        cache = DynamicCache(config=tiny_config)
        model(make_ids(2, past_length, seed=1), cache=cache, use_cache=True)
    attention_mask = torch.ones(2, past_length + 6, dtype=torch.long)
    attention_mask[0, :left_padding] = 0
    inputs_embeds = torch.zeros(2, 6, tiny_config.n_embd)
    for padding in (attention_mask, None if left_padding == 0 else attention_mask):
        tiny_config._attn_implementation = "sdpa"
        for_eager_kernel = create_attention_masks(tiny_config, inputs_embeds, padding, cache, None, eager_kernel=True)
        tiny_config._attn_implementation = "eager"
        eager = create_attention_masks(tiny_config, inputs_embeds, padding, cache, None)
        assert for_eager_kernel.keys() == eager.keys()
        for layer_type, mask in eager.items():
            assert mask is not None and for_eager_kernel[layer_type].dtype == mask.dtype
            torch.testing.assert_close(for_eager_kernel[layer_type].expand_as(mask), mask, atol=0, rtol=0)


def test_default_model_trains_on_cpu_through_the_eager_kernel_with_the_same_numbers(tiny_config, make_ids):
    # built with defaults the model says sdpa; with dropout on CPU it runs the eager kernel: same draws, same loss
    default = GPT1LMHeadModel(tiny_config).train()
    eager = copy.deepcopy(default)
    eager.set_attn_implementation("eager")
    assert default.config._attn_implementation == "sdpa"
    ids = make_ids(2, 16)
    left_padded = torch.ones_like(ids)
    left_padded[0, :5] = 0
    for attention_mask in (None, left_padded):
        losses = []
        for model in (eager, default):
            torch.manual_seed(1)
            losses.append(model(ids, attention_mask=attention_mask, labels=ids).loss)
        # SDPA's masks (None for plain causal, boolean with padding) mean what eager's additive ones do
        torch.testing.assert_close(losses[1], losses[0], atol=1e-6, rtol=0)


def test_dropped_attention_gradients_are_those_of_the_dropped_out_matmul():
    # backward recomputes the dropped-out probabilities instead of keeping them: the same gradients, in float64
    generator = torch.Generator().manual_seed(0)
    probabilities = torch.rand(2, 3, 6, 6, dtype=torch.float64, generator=generator).requires_grad_()
    value = torch.rand(2, 3, 6, 4, dtype=torch.float64, generator=generator).requires_grad_()
    dropped = torch.rand(2, 3, 6, 6, generator=generator) < 0.3
    assert torch.autograd.gradcheck(lambda p, v: DroppedAttention.apply(p, dropped, v)[0], (probabilities, value))
    output, kept = DroppedAttention.apply(probabilities, dropped, value)
    torch.testing.assert_close(output, torch.where(dropped, 0.0, probabilities) @ value, atol=0, rtol=0)
    assert not kept.requires_grad and torch.equal(kept, torch.where(dropped, 0.0, probabilities))


def test_dropped_attention_keeps_no_dropped_out_copy_for_backward():
    attention = GPT1Attention(GPT1Config(n_embd=64, n_head=4, attn_pdrop=0.1), 0).train()
    query, key, value = (torch.randn(2, 4, 24, 16, requires_grad=True) for _ in range(3))
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        eager_attention_forward(attention, query, key, value, None, scaling=0.25, dropout=0.1)
    scores_sized = [t for t in saved if t.shape == (2, 4, 24, 24) and t.is_floating_point()]
    # the softmax's probabilities only: the dropped-out copy is made again in backward
    assert len({t.data_ptr() for t in scores_sized}) == 1


def test_eager_dropout_zeroes_probabilities_and_rescales_the_output():
    torch.manual_seed(0)
    attention = GPT1Attention(GPT1Config(n_embd=64, n_head=4, attn_pdrop=0.25, resid_pdrop=0.0), 0).train()
    query, key, value = (torch.randn(2, 4, 64, 16) for _ in range(3))
    mask = torch.full((64, 64), float("-inf")).triu(1)
    output, weights = eager_attention_forward(attention, query, key, value, mask, scaling=0.25, dropout=0.25)
    probabilities = torch.softmax((query @ key.transpose(2, 3)) * 0.25 + mask, dim=-1)
    kept = weights != 0
    # kept probabilities are untouched, about a quarter of the attended ones are dropped
    torch.testing.assert_close(weights[kept], probabilities[kept])
    assert abs(1 - kept[probabilities > 0].float().mean().item() - 0.25) < 0.02
    # [batch, heads, seq, head_dim] -> [batch, seq, heads, head_dim], scaled by 1 / (1 - p)
    torch.testing.assert_close(output, (weights @ value / 0.75).transpose(1, 2))


@FLEX_KERNEL_WRONG_ON_AVX2
def test_flex_attention_matches_eager_with_and_without_padding(tiny_config, make_ids):
    eager, flex = eager_and_sdpa(tiny_config)
    flex.set_attn_implementation("flex_attention")
    ids = make_ids(2, 24)
    left_padded = torch.ones_like(ids)
    left_padded[0, :5] = 0
    # PyTorch has no CPU backward for flex attention, so only inference is compared here
    with torch.no_grad():
        torch.testing.assert_close(eager(ids).logits, flex(ids).logits, atol=TOLERANCE, rtol=0)
        real = left_padded.bool()
        torch.testing.assert_close(
            eager(ids, attention_mask=left_padded).logits[real],
            flex(ids, attention_mask=left_padded).logits[real],
            atol=TOLERANCE,
            rtol=0,
        )
