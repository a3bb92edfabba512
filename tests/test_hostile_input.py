"""Hostile input at the package's boundary: each is refused before any computation with a TypeError, ValueError or
OSError whose message names the argument (what was expected and what came), and the legal inputs next to them
still work.

Rows by category: tensors at the model boundary (trunk, LM head, fine-tuning heads), config settings, the
tokenizer's task formats, model files.
"""

import pytest
import torch
from conftest import EXTRACT, TINY_CONFIG
from transformers import AutoModelForCausalLM

from modeling_gpt1 import (
    GPT1Config,
    GPT1DoubleHeads,
    GPT1ForMultipleChoice,
    GPT1ForSequenceClassification,
    GPT1LMHeadModel,
    GPT1Model,
    GPT1Tokenizer,
)


def lm_ids(batch=2, seq=8):
    return torch.randint(1, 97, (batch, seq), generator=torch.Generator().manual_seed(0))


def task_ids(batch=2, num_sequences=3, seq=8):
    ids = torch.randint(1, 97, (batch, num_sequences, seq), generator=torch.Generator().manual_seed(0))
    ids[..., -1] = EXTRACT
    return ids


def model_of(cls, config):
    torch.manual_seed(0)
    return cls(config).eval()


# ---------------------------------------------------------------------------------------------------------------
# tensors at the model boundary

# (name, inputs, error, what the message says); the trunk and the LM head take [batch, seq_len]
TRUNK_ROWS = [
    ("float ids", lambda: {"input_ids": lm_ids().float()}, TypeError, r"input_ids must be a tensor of torch.int64"),
    ("ids as a list", lambda: {"input_ids": lm_ids().tolist()}, TypeError, r"input_ids must be a tensor.*got list"),
    ("bool ids", lambda: {"input_ids": lm_ids() > 50}, TypeError, r"input_ids .*got a torch.bool tensor"),
    (
        "1-D ids",
        lambda: {"input_ids": lm_ids()[0]},
        ValueError,
        r"input_ids must be \[batch, seq_len\], got shape \(8,\)",
    ),
    ("3-D ids", lambda: {"input_ids": lm_ids()[None]}, ValueError, r"input_ids must be \[batch, seq_len\]"),
    ("no tokens", lambda: {"input_ids": lm_ids()[:, :0]}, ValueError, r"input_ids is empty \(shape \(2, 0\)\)"),
    ("no examples", lambda: {"input_ids": lm_ids()[:0]}, ValueError, r"input_ids is empty \(shape \(0, 8\)\)"),
    (
        "4-D mask with too many keys",
        lambda: {"input_ids": lm_ids(), "attention_mask": torch.ones(2, 1, 8, 9, dtype=torch.bool)},
        ValueError,
        r"attention_mask has shape \(2, 1, 8, 9\), expected a 4-D mask .*keys=8",
    ),
    (
        "4-D mask of another batch",
        lambda: {"input_ids": lm_ids(), "attention_mask": torch.zeros(3, 1, 8, 8)},
        ValueError,
        r"attention_mask has shape \(3, 1, 8, 8\)",
    ),
    (
        "4-D integer mask",
        lambda: {"input_ids": lm_ids(), "attention_mask": torch.ones(2, 1, 8, 8, dtype=torch.long)},
        TypeError,
        r"4-D attention_mask must be bool .* or float .*got torch.int64",
    ),
    (
        "3-D mask",
        lambda: {"input_ids": lm_ids(), "attention_mask": torch.ones(2, 8, 8)},
        ValueError,
        r"attention_mask must be 2-D .* or a prepared 4-D mask .*got shape \(2, 8, 8\)",
    ),
    (
        "mask of 2s",
        lambda: {"input_ids": lm_ids(), "attention_mask": torch.full((2, 8), 2)},
        ValueError,
        r"attention_mask must hold only 0 .* and 1 .*found values in \[2, 2\]",
    ),
    (
        "mask with -1",
        lambda: {"input_ids": lm_ids(), "attention_mask": torch.tensor([[1] * 8, [-1] + [1] * 7])},
        ValueError,
        r"attention_mask must hold only 0",
    ),
    (
        "float mask of halves",
        lambda: {"input_ids": lm_ids(), "attention_mask": torch.full((2, 8), 0.5)},
        ValueError,
        r"attention_mask must hold only 0 .*found values in \[0.5, 0.5\]",
    ),
    (
        "mask as a list",
        lambda: {"input_ids": lm_ids(), "attention_mask": [[1] * 8] * 2},
        TypeError,
        r"attention_mask must be a tensor .*got list",
    ),
    (
        "complex mask",
        lambda: {"input_ids": lm_ids(), "attention_mask": torch.ones(2, 8, dtype=torch.complex64)},
        TypeError,
        r"attention_mask must be a tensor of 0 and 1",
    ),
    (
        "embeddings too narrow",
        lambda: {"inputs_embeds": torch.randn(2, 8, 31)},
        ValueError,
        r"inputs_embeds must end in hidden_size=32 features, got shape \(2, 8, 31\)",
    ),
    (
        "2-D embeddings",
        lambda: {"inputs_embeds": torch.randn(8, 32)},
        ValueError,
        r"inputs_embeds must be \[batch, seq_len, hidden_size\]",
    ),
    (
        "integer embeddings",
        lambda: {"inputs_embeds": torch.ones(2, 8, 32, dtype=torch.long)},
        TypeError,
        r"inputs_embeds must be a floating-point tensor, got a torch.int64",
    ),
    ("no embeddings", lambda: {"inputs_embeds": torch.randn(2, 0, 32)}, ValueError, r"inputs_embeds is empty"),
    (
        "float positions",
        lambda: {"input_ids": lm_ids(), "position_ids": torch.arange(8.0)[None]},
        TypeError,
        r"position_ids must be a tensor of torch.int64",
    ),
    (
        "positions too short",
        lambda: {"input_ids": lm_ids(), "position_ids": torch.arange(7)[None]},
        ValueError,
        r"position_ids has shape \(1, 7\), expected \(2, 8\)",
    ),
]


@pytest.mark.parametrize("cls", [GPT1Model, GPT1LMHeadModel])
@pytest.mark.parametrize("name, inputs, error, message", TRUNK_ROWS, ids=[row[0] for row in TRUNK_ROWS])
def test_trunk_and_lm_refuse_bad_tensors(cls, name, inputs, error, message, tiny_config):
    model = model_of(cls, tiny_config)
    calls = []
    model.get_input_embeddings().register_forward_hook(lambda *_: calls.append(1))
    with pytest.raises(error, match=message):
        model(**inputs())
    assert calls == []  # refused before the first layer ran


LABEL_ROWS = [
    ("float labels", lambda ids: ids.float(), r"labels must be a torch.int64 tensor .*got a torch.float32"),
    ("int32 labels", lambda ids: ids.int(), r"labels must be a torch.int64 tensor .*got a torch.int32"),
    ("labels as a list", lambda ids: ids.tolist(), r"labels must be a torch.int64 tensor .*got list"),
]


@pytest.mark.parametrize("name, labels, message", LABEL_ROWS, ids=[row[0] for row in LABEL_ROWS])
def test_lm_refuses_labels_it_cannot_take(name, labels, message, tiny_config):
    ids = lm_ids()
    with pytest.raises(TypeError, match=message):
        model_of(GPT1LMHeadModel, tiny_config)(ids, labels=labels(ids))


def test_lm_refuses_bad_ids_before_reading_its_labels(tiny_config):
    with pytest.raises(TypeError, match=r"input_ids must be a tensor"):
        model_of(GPT1LMHeadModel, tiny_config)(lm_ids().tolist(), labels=lm_ids())


# GPT1DoubleHeads takes [batch, num_sequences, seq_len], or [batch, seq_len] for one sequence per example
TASK_ROWS = [
    ("float ids", lambda: {"input_ids": task_ids().float()}, TypeError, r"input_ids must be a tensor of torch.int64"),
    ("ids as a list", lambda: {"input_ids": task_ids().tolist()}, TypeError, r"input_ids must be a tensor.*got list"),
    (
        "4-D ids",
        lambda: {"input_ids": task_ids()[None]},
        ValueError,
        r"takes input_ids of shape \[batch, num_sequences, seq_len\]",
    ),
    ("1-D ids", lambda: {"input_ids": task_ids()[0, 0]}, ValueError, r"takes input_ids of shape .*got \(8,\)"),
    ("no tokens", lambda: {"input_ids": task_ids()[..., :0]}, ValueError, r"input_ids is empty \(shape \(2, 3, 0\)\)"),
    (
        "no sequences",
        lambda: {"input_ids": task_ids()[:, :0]},
        ValueError,
        r"input_ids is empty \(shape \(2, 0, 8\)\)",
    ),
    (
        "float mc_token_ids",
        lambda: {"input_ids": task_ids(), "mc_token_ids": torch.full((2, 3), 7.0)},
        TypeError,
        r"mc_token_ids must be a tensor of torch.int64 .*got a torch.float32",
    ),
    (
        "mc_token_ids as a list",
        lambda: {"input_ids": task_ids(), "mc_token_ids": [[7] * 3] * 2},
        TypeError,
        r"mc_token_ids must be a tensor.*got list",
    ),
    (
        "mask of 3s",
        lambda: {"input_ids": task_ids(), "attention_mask": torch.full((2, 3, 8), 3)},
        ValueError,
        r"attention_mask must hold only 0 .*\[3, 3\]",
    ),
    (
        "4-D mask",
        lambda: {"input_ids": task_ids(), "attention_mask": torch.ones(2, 3, 8, 8)},
        ValueError,
        r"attention_mask has shape \(2, 3, 8, 8\), expected \(2, 3, 8\)",
    ),
    (
        "embeddings too wide",
        lambda: {"inputs_embeds": torch.randn(2, 3, 8, 33), "mc_token_ids": torch.full((2, 3), 7)},
        ValueError,
        r"inputs_embeds must end in hidden_size=32 features, got shape \(2, 3, 8, 33\)",
    ),
    (
        "2-D embeddings",
        lambda: {"inputs_embeds": torch.randn(8, 32), "mc_token_ids": torch.full((2, 3), 7)},
        ValueError,
        r"takes inputs_embeds of shape \[batch, num_sequences, seq_len, hidden_size\], got \(8, 32\)",
    ),
    (
        "half-precision ids",
        lambda: {"input_ids": task_ids().half()},
        TypeError,
        r"input_ids must be a tensor .*got a torch.float16",
    ),
]


@pytest.mark.parametrize("cls", [GPT1DoubleHeads, GPT1ForMultipleChoice, GPT1ForSequenceClassification])
@pytest.mark.parametrize("name, inputs, error, message", TASK_ROWS, ids=[row[0] for row in TASK_ROWS])
def test_fine_tuning_heads_refuse_bad_tensors(cls, name, inputs, error, message, tiny_config):
    model = model_of(cls, tiny_config)
    calls = []
    model.transformer.get_input_embeddings().register_forward_hook(lambda *_: calls.append(1))
    with pytest.raises(error, match=message):
        model(**inputs())
    assert calls == []


# ---------------------------------------------------------------------------------------------------------------
# legal tensors still work


@pytest.fixture
def lm(tiny_config):
    return model_of(GPT1LMHeadModel, tiny_config)


@pytest.mark.parametrize("dtype", [torch.bool, torch.int64, torch.int32, torch.float32, torch.float16])
def test_padding_masks_of_every_legal_dtype_agree(dtype, lm):
    ids = lm_ids()
    mask = torch.ones(2, 8, dtype=torch.long)
    mask[1, :3] = 0  # left padding
    with torch.no_grad():
        expected = lm(ids, attention_mask=mask).logits
        logits = lm(ids, attention_mask=mask.to(dtype)).logits
    torch.testing.assert_close(logits, expected, atol=0, rtol=0)


def test_int32_ids_equal_int64_ids(lm):
    ids = lm_ids()
    with torch.no_grad():
        torch.testing.assert_close(lm(ids.int()).logits, lm(ids).logits, atol=0, rtol=0)


@pytest.mark.parametrize("kind", ["bool", "additive float", "broadcast bool"])
def test_prepared_4d_causal_masks_equal_the_default_mask(kind, lm):
    ids = lm_ids()
    causal = torch.ones(8, 8, dtype=torch.bool).tril()
    if kind == "bool":
        mask = causal.expand(2, 1, 8, 8)
    elif kind == "broadcast bool":
        mask = causal[None, None]
    else:
        mask = torch.zeros(2, 1, 8, 8).masked_fill(~causal, torch.finfo(torch.float32).min)
    with torch.no_grad():
        torch.testing.assert_close(lm(ids, attention_mask=mask).logits, lm(ids).logits, atol=1e-5, rtol=0)


def test_one_dimensional_position_ids_still_work(lm):
    ids = lm_ids()
    with torch.no_grad():
        torch.testing.assert_close(lm(ids, position_ids=torch.arange(8)).logits, lm(ids).logits, atol=0, rtol=0)


def test_double_heads_take_2d_and_3d_inputs_alike(tiny_config):
    model = model_of(GPT1DoubleHeads, tiny_config)
    ids = task_ids(num_sequences=1)
    mask = torch.ones_like(ids, dtype=torch.bool)
    with torch.no_grad():
        three_d = model(ids, attention_mask=mask, mc_token_ids=torch.full((2, 1), 7))
        two_d = model(ids[:, 0], attention_mask=mask[:, 0].float(), mc_token_ids=torch.full((2,), 7))
    torch.testing.assert_close(two_d.mc_logits, three_d.mc_logits, atol=0, rtol=0)


def test_double_heads_take_int32_ids_with_the_auxiliary_lm_loss(tiny_config):
    model = model_of(GPT1DoubleHeads, tiny_config)
    ids = task_ids()
    with torch.no_grad():
        expected = model(ids, mc_labels=torch.tensor([0, 2])).loss
        loss = model(ids.int(), attention_mask=torch.ones_like(ids), mc_labels=torch.tensor([0, 2])).loss
    torch.testing.assert_close(loss, expected, atol=0, rtol=0)


@pytest.mark.parametrize("cache_implementation", ["dynamic", "static"])
def test_generate_with_a_cache_and_left_padding_equals_unpadded_prompts(cache_implementation, lm):
    prompts = lm_ids(2, 6)
    padded = torch.cat([torch.zeros(1, 3, dtype=torch.long), prompts[1:, :3]], dim=1)
    padded = torch.cat([prompts[:1], padded])
    mask = torch.ones_like(padded)
    mask[1, :3] = 0
    settings = {
        "max_new_tokens": 5,
        "do_sample": False,
        "pad_token_id": 0,
        "cache_implementation": cache_implementation,
    }
    batch = lm.generate(padded, attention_mask=mask, **settings)
    alone = lm.generate(prompts[1:, :3], **settings)
    assert torch.equal(batch[1, 6:], alone[0, 3:])
    assert torch.equal(batch[0], lm.generate(prompts[:1], **settings)[0])


# ---------------------------------------------------------------------------------------------------------------
# config settings

CONFIG_ROWS = [
    ({"layer_norm_epsilon": float("nan")}, ValueError, r"GPT1Config.layer_norm_epsilon must be finite .*got nan"),
    ({"layer_norm_epsilon": float("inf")}, ValueError, r"GPT1Config.layer_norm_epsilon must be finite .*got inf"),
    ({"initializer_range": float("nan")}, ValueError, r"GPT1Config.initializer_range must be finite .*got nan"),
    ({"lm_coef": float("nan")}, ValueError, r"GPT1Config.lm_coef must be finite and >= 0, got nan"),
    ({"lm_coef": float("inf")}, ValueError, r"GPT1Config.lm_coef must be finite"),
    ({"attn_pdrop": float("nan")}, ValueError, r"GPT1Config.attn_pdrop must be in \[0, 1\), got nan"),
    ({"hidden_size": "32"}, TypeError, r"GPT1Config.hidden_size must be int, got str '32'"),
    ({"n_embd": "32"}, TypeError, r"GPT1Config.hidden_size must be int, got str '32'"),
    ({"n_layer": 2.0}, TypeError, r"GPT1Config.num_hidden_layers must be int, got float 2.0"),
    ({"n_head": True}, TypeError, r"GPT1Config.num_attention_heads must be int, got bool True"),
    ({"n_positions": None}, TypeError, r"GPT1Config.max_position_embeddings must be int, got NoneType"),
    ({"lm_coef": "0.5"}, TypeError, r"GPT1Config.lm_coef must be float \| int, got str '0.5'"),
    ({"use_cache": "yes"}, TypeError, r"GPT1Config.use_cache must be bool, got str"),
    ({"layer_types": ["full_attention", 1]}, TypeError, r"GPT1Config.layer_types must be list\[str\] \| None"),
    ({"num_labels": "3"}, TypeError, r"GPT1Config.num_labels must be int, got str '3'"),
    ({"hidden_act": "swiglu"}, ValueError, r"GPT1Config.hidden_act must be one of .*gelu_pytorch_tanh.*got 'swiglu'"),
    ({"afn": "gelu"}, TypeError, r"names the activation hidden_act, got afn='gelu'"),
    ({"activation_function": "relu"}, TypeError, r"names the activation hidden_act, got activation_function='relu'"),
]


@pytest.mark.parametrize("overrides, error, message", CONFIG_ROWS, ids=[str(row[0]) for row in CONFIG_ROWS])
def test_config_refuses_bad_settings_naming_the_field(overrides, error, message):
    with pytest.raises(error, match=message):
        GPT1Config(**{**TINY_CONFIG, **overrides})


@pytest.mark.parametrize("name, value, message", [("n_layer", "2", "num_hidden_layers"), ("lm_coef", [1], "lm_coef")])
def test_config_refuses_a_mistyped_field_set_later(name, value, message):
    config = GPT1Config(**TINY_CONFIG)
    with pytest.raises(TypeError, match=rf"GPT1Config.{message} must be"):
        setattr(config, name, value)


def test_config_still_takes_legal_settings_under_both_names():
    config = GPT1Config(**{**TINY_CONFIG, "lm_coef": 1, "attn_pdrop": 0, "hidden_act": "relu"})
    config.n_layer = 3
    assert (config.num_hidden_layers, config.lm_coef, config.hidden_act) == (3, 1, "relu")
    assert GPT1Config.from_dict(config.to_dict()).to_dict() == config.to_dict()


# ---------------------------------------------------------------------------------------------------------------
# the tokenizer's task formats


@pytest.fixture(scope="module")
def tokenizer():
    return GPT1Tokenizer()


TASK_FORMAT_ROWS = [
    ("text None", ("classification", None), {}, TypeError, r"text must be a str, or a list .*got None"),
    ("premise None", ("entailment", None, "b"), {}, TypeError, r"text must be a str, or a list"),
    ("hypothesis None", ("entailment", "a", None), {}, ValueError, r"task 'entailment' needs text_pair"),
    (
        "a batch's pair None",
        ("entailment", ["a"], [None]),
        {},
        TypeError,
        r"text_pair\[0\] must be a str, got NoneType",
    ),
    ("a choice None", ("multiple_choice", "a"), {"choices": ["b", None]}, TypeError, r"choices\[1\] must be a str"),
    ("the only choice None", ("multiple_choice", "a"), {"choices": [None]}, TypeError, r"choices\[0\] must be a str"),
    (
        "a batch's question None",
        ("multiple_choice", ["a"]),
        {"choices": [["b"]], "question": [None]},
        TypeError,
        r"question\[0\] must be a str",
    ),
    ("max_length str", ("classification", "a"), {"max_length": "64"}, TypeError, r"max_length must be an int .*str"),
    ("max_length float", ("classification", "a"), {"max_length": 64.0}, TypeError, r"max_length must be an int"),
    ("pair ignored", ("classification", "a", "b"), {}, ValueError, r"task 'classification' takes no text_pair"),
    (
        "choices ignored",
        ("entailment", "a", "b"),
        {"choices": ["c"]},
        ValueError,
        r"task 'entailment' takes no choices",
    ),
]


@pytest.mark.parametrize(
    "name, args, kwargs, error, message", TASK_FORMAT_ROWS, ids=[row[0] for row in TASK_FORMAT_ROWS]
)
def test_encode_task_refuses_missing_and_mistyped_arguments(tokenizer, name, args, kwargs, error, message):
    with pytest.raises(error, match=message):
        tokenizer.encode_task(*args, **kwargs)


def test_encode_task_without_a_question_still_works(tokenizer):
    encoded = tokenizer.encode_task("multiple_choice", "a story.", choices=["one.", "two."], question=None)
    assert len(encoded["input_ids"]) == 2


# ---------------------------------------------------------------------------------------------------------------
# model files


def damage(path, how):
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2], "empty": b"", "not safetensors": b"x" * 100}[how])


@pytest.mark.parametrize("how", ["truncated", "empty", "not safetensors"])
@pytest.mark.parametrize("cls", [GPT1Model, GPT1LMHeadModel, GPT1ForMultipleChoice, AutoModelForCausalLM])
def test_from_pretrained_names_a_damaged_weights_file(cls, how, tiny_config, tmp_path):
    model_of(GPT1LMHeadModel, tiny_config).save_pretrained(tmp_path)
    damage(tmp_path / "model.safetensors", how)
    with pytest.raises(OSError, match=r"model\.safetensors is not a readable safetensors file"):
        cls.from_pretrained(tmp_path)


def test_from_pretrained_names_the_damaged_shard(tiny_config, tmp_path):
    model_of(GPT1LMHeadModel, tiny_config).save_pretrained(tmp_path, max_shard_size="50KB")
    shards = sorted(tmp_path.glob("*.safetensors"))
    assert len(shards) > 1
    damage(shards[-1], "truncated")
    with pytest.raises(OSError, match=rf"{shards[-1].name} is not a readable safetensors file"):
        GPT1LMHeadModel.from_pretrained(tmp_path)


def test_from_pretrained_of_a_sound_folder_still_loads(tiny_config, tmp_path):
    model = model_of(GPT1LMHeadModel, tiny_config)
    model.save_pretrained(tmp_path)
    loaded = GPT1LMHeadModel.from_pretrained(tmp_path)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in model.state_dict().items())
