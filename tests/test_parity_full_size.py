"""Parity with transformers' port at GPT-1's real size (12 x 768, 40,478 tokens), fp32, random weights."""

import torch

from modeling_gpt1 import GPT1Config, GPT1DoubleHeads, GPT1LMHeadModel
from modeling_gpt1.convert import to_openai_gpt

TOLERANCE = 1e-4


def test_full_size_lm_logits_hidden_states_and_loss_match_the_port():
    torch.manual_seed(0)
    ours = GPT1LMHeadModel(GPT1Config()).eval()
    port = to_openai_gpt(ours).eval()
    ids = torch.randint(0, 40478, (1, 24), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        our_out = ours(ids, labels=ids, output_hidden_states=True)
        port_out = port(ids, labels=ids, output_hidden_states=True)
        # the trunks alone: GPT1Model against OpenAIGPTModel
        our_trunk, port_trunk = ours.transformer(ids), port.transformer(ids)
    print(f"largest |logit difference|: {(our_out.logits - port_out.logits).abs().max().item():.1e}")  # pytest -s
    torch.testing.assert_close(our_out.logits, port_out.logits, atol=TOLERANCE, rtol=0)
    torch.testing.assert_close(our_out.loss, port_out.loss, atol=TOLERANCE, rtol=0)
    assert len(our_out.hidden_states) == len(port_out.hidden_states) == 13
    for ours_state, port_state in zip(our_out.hidden_states, port_out.hidden_states, strict=True):
        torch.testing.assert_close(ours_state, port_state, atol=TOLERANCE, rtol=0)
    torch.testing.assert_close(our_trunk.last_hidden_state, port_trunk.last_hidden_state, atol=TOLERANCE, rtol=0)


def test_full_size_double_heads_match_the_port():
    # the port's embedding has no room for the fine-tuning tokens either; both read mc_token_ids
    torch.manual_seed(0)
    ours = GPT1DoubleHeads(GPT1Config()).eval()
    port = to_openai_gpt(ours).eval()
    ids = torch.randint(0, 40478, (1, 2, 16), generator=torch.Generator().manual_seed(0))
    mc_token_ids = torch.tensor([[15, 9]])
    with torch.no_grad():
        our_out = ours(ids, mc_token_ids=mc_token_ids, output_logits=True)
        port_out = port(ids, mc_token_ids=mc_token_ids)
    torch.testing.assert_close(our_out.mc_logits, port_out.mc_logits, atol=TOLERANCE, rtol=0)
    torch.testing.assert_close(our_out.logits, port_out.logits, atol=TOLERANCE, rtol=0)
