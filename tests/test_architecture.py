"""The network's size and initialisation are the paper's; the fine-tuning tokens can be added."""

import torch
from conftest import TINY_CONFIG

from modeling_gpt1 import GPT1Config, GPT1DoubleHeads, GPT1LMHeadModel


def test_released_lm_size_has_116_534_784_parameters():
    with torch.device("meta"):
        model = GPT1LMHeadModel(GPT1Config())
    # the tied LM head adds nothing
    assert sum(param.numel() for param in model.parameters()) == 116_534_784


def test_init_is_normal_0_02_with_zero_biases_and_no_residual_scaling():
    torch.manual_seed(0)
    model = GPT1LMHeadModel(GPT1Config(vocab_size=1000, n_embd=256, n_layer=4, n_head=4, n_positions=64))
    for name, param in model.named_parameters():
        if ".ln_" in name:
            expected = 1.0 if name.endswith("weight") else 0.0
            assert torch.all(param == expected), name
        elif name.endswith("bias"):
            assert torch.all(param == 0), name
        else:
            # GPT-2 would scale the residual projections (c_proj) by 1 / sqrt(2 * n_layer); GPT-1 does not
            assert abs(param.std().item() - 0.02) < 0.001, name
            assert abs(param.mean().item()) < 0.001, name


def test_resizing_adds_the_fine_tuning_tokens_and_keeps_the_head_tied(make_task_ids):
    # a plain LM's vocabulary, then the three fine-tuning tokens appended as the original code does
    config = GPT1Config(**{**TINY_CONFIG, "vocab_size": 97})
    torch.manual_seed(0)
    model = GPT1DoubleHeads(config)
    model.resize_token_embeddings(100)
    assert model.config.vocab_size == 100
    assert model.lm_head.weight.data_ptr() == model.transformer.tokens_embed.weight.data_ptr()
    ids = make_task_ids(2, 2, 8)
    with torch.no_grad():
        out = model(ids, mc_labels=torch.tensor([0, 1]), output_logits=True)
    assert out.logits.shape == (2, 2, 8, 100)
    assert torch.isfinite(out.loss)
