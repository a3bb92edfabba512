"""GPT-2's options of GPT1Config (pre-LN blocks with a final LayerNorm, scaled residual init) and
`convert.from_gpt2`, against transformers' own GPT2LMHeadModel under the same weights."""

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel, OpenAIGPTConfig, OpenAIGPTLMHeadModel

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel
from modeling_gpt1.convert import from_gpt2, to_openai_gpt


@pytest.fixture(scope="module")
def gpt2_small():
    """GPT-2 small (124M) with seeded random weights, and ours converted from it."""
    torch.manual_seed(0)
    gpt2 = GPT2LMHeadModel(GPT2Config()).eval()
    return gpt2, from_gpt2(gpt2).eval()


def test_gpt2_small_logits_equal_transformers(gpt2_small):
    gpt2, ours = gpt2_small
    input_ids = torch.randint(0, gpt2.config.vocab_size, (2, 64), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, actual = gpt2(input_ids).logits, ours(input_ids).logits
    assert (actual - expected).abs().max() < 1e-4
    assert ours.num_parameters() == gpt2.num_parameters() == 124_439_808


def test_gpt2_small_cached_generation_equals_transformers(gpt2_small):
    """Greedy decoding with the KV cache: the same tokens, and the same logits at every step."""
    gpt2, ours = gpt2_small
    prompt = torch.randint(0, gpt2.config.vocab_size, (1, 8), generator=torch.Generator().manual_seed(2))
    settings = {"max_new_tokens": 16, "do_sample": False, "return_dict_in_generate": True, "output_logits": True}
    with torch.no_grad():
        expected = gpt2.generate(prompt, pad_token_id=0, **settings)
        actual = ours.generate(prompt, pad_token_id=0, **settings)
    assert torch.equal(actual.sequences, expected.sequences)
    assert (torch.cat(actual.logits) - torch.cat(expected.logits)).abs().max() < 1e-4


def test_from_a_saved_folder_and_back_through_save_pretrained(tmp_path):
    torch.manual_seed(0)
    config = GPT2Config(n_layer=2, n_embd=32, n_head=4, n_positions=32, vocab_size=64, bos_token_id=0, eos_token_id=0)
    gpt2 = GPT2LMHeadModel(config).eval()
    gpt2.save_pretrained(tmp_path / "gpt2")
    ours = from_gpt2(tmp_path / "gpt2").eval()
    ours.save_pretrained(tmp_path / "ours")
    reloaded = GPT1LMHeadModel.from_pretrained(tmp_path / "ours").eval()
    assert reloaded.config.pre_layer_norm and reloaded.transformer.ln_f is not None
    input_ids = torch.randint(0, 64, (1, 16), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        assert torch.equal(reloaded(input_ids).logits, gpt2(input_ids).logits)


def test_gpt1_is_unchanged_by_default():
    model = GPT1LMHeadModel(GPT1Config(n_layer=2, n_embd=32, n_head=2, n_positions=16, vocab_size=50))
    assert not any("ln_f" in name for name in model.state_dict())
    assert model.transformer.ln_f is None


def test_scaled_residual_init():
    """The projections that end each residual branch get std 0.02 / sqrt(2 x layers); other weights 0.02."""
    torch.manual_seed(0)
    config = GPT1Config(n_layer=8, n_embd=256, n_head=4, n_positions=16, vocab_size=50, scale_residual_init=True)
    block = GPT1LMHeadModel(config).transformer.h[3]
    for weight in (block.attn.c_proj.weight, block.mlp.c_proj.weight):
        assert weight.std().item() == pytest.approx(0.02 / 4, rel=0.05)
    assert block.mlp.c_fc.weight.std().item() == pytest.approx(0.02, rel=0.05)
    plain = GPT1LMHeadModel(GPT1Config(n_layer=8, n_embd=256, n_head=4, n_positions=16, vocab_size=50))
    assert plain.transformer.h[3].attn.c_proj.weight.std().item() == pytest.approx(0.02, rel=0.05)


def test_gpt2_preset_is_gpt2_small():
    config = GPT1Config.from_preset("gpt2")
    gpt2 = GPT2Config()
    assert (config.vocab_size, config.max_position_embeddings, config.num_hidden_layers) == (
        gpt2.vocab_size,
        gpt2.n_positions,
        gpt2.n_layer,
    )
    assert config.pre_layer_norm and config.scale_residual_init


@pytest.mark.parametrize(
    "name, n_layer, n_embd, n_head",
    [("gpt2", 12, 768, 12), ("gpt2-medium", 24, 1024, 16), ("gpt2-large", 36, 1280, 20), ("gpt2-xl", 48, 1600, 25)],
)
def test_gpt2_size_presets_count_gpt2s_parameters(name, n_layer, n_embd, n_head):
    """Built on the meta device (no memory), each preset has the parameter count of transformers' GPT-2 of its
    shape, the tied output embedding counted once."""
    config = GPT1Config.from_preset(name)
    assert (config.n_layer, config.n_embd, config.n_head, config.n_positions) == (n_layer, n_embd, n_head, 1024)
    assert config.pre_layer_norm and config.scale_residual_init and config.layer_types is None
    with torch.device("meta"):
        ours = GPT1LMHeadModel(config)
        gpt2 = GPT2LMHeadModel(
            GPT2Config(n_layer=n_layer, n_embd=n_embd, n_head=n_head, n_positions=1024, vocab_size=50257)
        )
    assert ours.num_parameters() == gpt2.num_parameters()


def test_gpt1_preset_counts_transformers_openai_gpt_parameters():
    with torch.device("meta"):
        ours = GPT1LMHeadModel(GPT1Config.from_preset("gpt1"))
        openai_gpt = OpenAIGPTLMHeadModel(OpenAIGPTConfig())
    assert ours.num_parameters() == openai_gpt.num_parameters() == pytest.approx(116.5e6, rel=1e-3)


def test_bad_sources_are_refused(gpt2_small):
    with pytest.raises(ValueError, match="from_gpt2 takes a GPT2LMHeadModel or its folder, got GPT1LMHeadModel"):
        from_gpt2(gpt2_small[1])
    with pytest.raises(ValueError, match="post-LN blocks only"):
        to_openai_gpt(gpt2_small[1])
