"""Attention backends: the written-out eager attention and PyTorch's SDPA compute the same thing."""

import copy

import torch

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel
from modeling_gpt1.modeling_gpt1 import GPT1Attention, dropout_mask, eager_attention_forward

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
    # every slice of the 64-bit draws is uniform, so no position modulo 3 or 4 is favoured
    for step in (3, 4):
        for offset in range(step):
            rate = mask.flatten()[offset::step].float().mean().item()
            assert abs(rate - 0.1) < 0.005, (step, offset, rate)


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
