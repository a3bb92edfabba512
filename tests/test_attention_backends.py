"""Attention backends: the written-out eager attention and PyTorch's SDPA compute the same thing."""

import copy

import torch

from modeling_gpt1 import GPT1LMHeadModel

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
