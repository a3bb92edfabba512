"""Parity with transformers' own GPT-1 port (`OpenAIGPT*`) under the same random weights, tiny config."""

import pytest
import torch
from conftest import EXTRACT

from modeling_gpt1 import GPT1DoubleHeads, GPT1LMHeadModel, GPT1Model
from modeling_gpt1.convert import to_openai_gpt

TOLERANCE = 1e-4


def pair(model_class, config, seed=0):
    """One of our models in eval mode and the port's copy of it."""
    torch.manual_seed(seed)
    ours = model_class(config).eval()
    return ours, to_openai_gpt(ours).eval()


def test_lm_logits_match_the_port(tiny_config, make_ids):
    ours, port = pair(GPT1LMHeadModel, tiny_config)
    ids = make_ids(3, 20)
    with torch.no_grad():
        torch.testing.assert_close(ours(ids).logits, port(ids).logits, atol=TOLERANCE, rtol=0)


def test_trunk_last_hidden_state_matches_the_port(tiny_config, make_ids):
    ours, port = pair(GPT1Model, tiny_config)
    ids = make_ids(3, 20)
    with torch.no_grad():
        torch.testing.assert_close(ours(ids).last_hidden_state, port(ids).last_hidden_state, atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("model_class", [GPT1Model, GPT1LMHeadModel])
def test_all_hidden_states_match_the_port(model_class, tiny_config, make_ids):
    ours, port = pair(model_class, tiny_config)
    ids = make_ids(2, 20)
    with torch.no_grad():
        our_states = ours(ids, output_hidden_states=True).hidden_states
        port_states = port(ids, output_hidden_states=True).hidden_states
    # embeddings + one per block
    assert len(our_states) == len(port_states) == tiny_config.num_hidden_layers + 1
    for our_state, port_state in zip(our_states, port_states, strict=True):
        torch.testing.assert_close(our_state, port_state, atol=TOLERANCE, rtol=0)


def test_lm_loss_matches_the_port(tiny_config, make_ids):
    ours, port = pair(GPT1LMHeadModel, tiny_config)
    ids = make_ids(3, 20)
    labels = ids.clone()
    labels[:, :4] = -100
    with torch.no_grad():
        torch.testing.assert_close(ours(ids, labels=labels).loss, port(ids, labels=labels).loss, atol=1e-6, rtol=0)


def test_double_heads_mc_logits_match_the_port_given_mc_token_ids(tiny_config, make_ids):
    ours, port = pair(GPT1DoubleHeads, tiny_config)
    ids = make_ids(2, 3, 12)
    mc_token_ids = torch.tensor([[11, 7, 3], [5, 11, 0]])
    with torch.no_grad():
        our_out = ours(ids, mc_token_ids=mc_token_ids, output_logits=True)
        port_out = port(ids, mc_token_ids=mc_token_ids)
    assert our_out.mc_logits.shape == port_out.mc_logits.shape == (2, 3)
    torch.testing.assert_close(our_out.mc_logits, port_out.mc_logits, atol=TOLERANCE, rtol=0)
    torch.testing.assert_close(our_out.logits, port_out.logits, atol=TOLERANCE, rtol=0)


def test_double_heads_default_reads_the_first_extract_token(tiny_config, make_ids):
    ours, port = pair(GPT1DoubleHeads, tiny_config)
    ids = make_ids(2, 2, 12)
    first_extract = torch.tensor([[4, 9], [11, 6]])
    ids.scatter_(-1, first_extract[..., None], EXTRACT)
    ids[0, 0, 8] = EXTRACT  # a later extract token must not be read
    with torch.no_grad():
        our_logits = ours(ids).mc_logits
        port_logits = port(ids, mc_token_ids=first_extract).mc_logits
    torch.testing.assert_close(our_logits, port_logits, atol=TOLERANCE, rtol=0)
