"""GPT1Config: the paper's defaults, the paper's field names, round trips and validation."""

import pytest
from conftest import TINY_CONFIG

from modeling_gpt1 import GPT1Config


def test_defaults_are_the_papers_network_and_fine_tuning_settings():
    config = GPT1Config()
    network = (
        config.num_hidden_layers,
        config.hidden_size,
        config.num_attention_heads,
        config.intermediate_size,
        config.max_position_embeddings,
        config.vocab_size,
    )
    assert network == (12, 768, 12, 3072, 512, 40478)
    assert config.hidden_act == "gelu_pytorch_tanh"
    assert (config.embd_pdrop, config.attn_pdrop, config.resid_pdrop) == (0.1, 0.1, 0.1)
    assert config.layer_norm_epsilon == 1e-5
    assert config.initializer_range == 0.02
    assert config.lm_coef == 0.5
    assert config.classifier_dropout == 0.1
    assert (config.start_token_id, config.delimiter_token_id, config.extract_token_id) == (40478, 40479, 40480)
    assert config.tie_word_embeddings


@pytest.mark.parametrize(
    "paper_name, canonical_name",
    [
        ("n_embd", "hidden_size"),
        ("n_layer", "num_hidden_layers"),
        ("n_head", "num_attention_heads"),
        ("n_positions", "max_position_embeddings"),
    ],
)
def test_paper_names_read_and_write_the_canonical_fields(paper_name, canonical_name):
    # 48 and 24 keep 768 / 12 heads divisible whichever field they land in
    config = GPT1Config(**{paper_name: 48})
    assert getattr(config, canonical_name) == 48
    setattr(config, paper_name, 24)
    assert getattr(config, canonical_name) == 24
    assert getattr(config, paper_name) == 24


def test_to_dict_from_dict_round_trip(tiny_config):
    tiny_config.lm_coef = 0.25
    tiny_config.classifier_type = "pooled"
    restored = GPT1Config.from_dict(tiny_config.to_dict())
    assert restored.to_dict() == tiny_config.to_dict()


def test_save_pretrained_from_pretrained_round_trip(tiny_config, tmp_path):
    tiny_config.lm_coef = 0.25
    tiny_config.num_labels = 3
    tiny_config.save_pretrained(tmp_path)
    restored = GPT1Config.from_pretrained(tmp_path)
    assert restored.to_dict() == tiny_config.to_dict()


@pytest.mark.parametrize(
    "field, value",
    [("embd_pdrop", 0), ("attn_pdrop", 0), ("resid_pdrop", 0), ("classifier_dropout", 0), ("lm_coef", 1)],
)
def test_float_fields_accept_integers(field, value):
    # as transformers' own configs do (`float | int`): `attn_pdrop=0` or `"lm_coef": 1` in a config.json
    config = GPT1Config(**{**TINY_CONFIG, field: value})
    assert getattr(config, field) == value


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"n_head": 5}, "num_attention_heads"),
        ({"n_head": 0}, "num_attention_heads"),
        ({"vocab_size": 0}, "vocab_size"),
        ({"n_embd": -32}, "hidden_size"),
        ({"n_layer": 0}, "num_hidden_layers"),
        ({"n_positions": -1}, "max_position_embeddings"),
        ({"intermediate_size": 0}, "intermediate_size"),
        ({"embd_pdrop": 1.0}, "embd_pdrop"),
        ({"attn_pdrop": -0.1}, "attn_pdrop"),
        ({"resid_pdrop": 1.5}, "resid_pdrop"),
        ({"classifier_dropout": 1.0}, "classifier_dropout"),
        ({"layer_norm_epsilon": 0.0}, "layer_norm_epsilon"),
        ({"lm_coef": -0.5}, "lm_coef"),
        ({"classifier_type": "last_token"}, "classifier_type"),
        ({"delimiter_token_id": 97}, "delimiter_token_id"),
        ({"extract_token_id": 97}, "extract_token_id"),
        ({"pad_token_id": 100}, "pad_token_id"),
        ({"pad_token_id": -1}, "pad_token_id"),
    ],
)
def test_invalid_setting_raises_value_error_naming_the_field(overrides, field):
    with pytest.raises(ValueError, match=field):
        GPT1Config(**{**TINY_CONFIG, **overrides})


def test_intermediate_size_defaults_to_four_times_the_width():
    assert GPT1Config(n_embd=64, n_head=2).intermediate_size == 256
    assert GPT1Config(n_embd=64, n_head=2, intermediate_size=100).intermediate_size == 100
