"""GPT-3's alternating dense and locally banded attention (`layer_types`, `sliding_window`), against a reference
that runs the same weights block by block with masks built here, and the gpt3-small preset."""

import copy
import warnings

import pytest
import torch
from conftest import FLEX_KERNEL_WRONG_ON_AVX2, PAD, TINY_CONFIG
from torch._inductor.exc import InductorError
from transformers import DynamicCache, GPT2Config, GPT2LMHeadModel

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel
from modeling_gpt1.convert import to_openai_gpt

WINDOW = 5
ALTERNATING = ["full_attention", "sliding_attention"] * 2
TOLERANCE = 1e-5


def flex_attention_runs_on_cpu() -> bool:
    """Whether PyTorch's flex attention runs here at all (uncompiled: a quick probe, warning silenced)."""
    try:
        from torch.nn.attention.flex_attention import flex_attention

        query = torch.randn(1, 1, 4, 8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flex_attention(query, query, query)
    except Exception:
        return False
    return True


BACKENDS = [
    "eager",
    "sdpa",
    pytest.param(
        "flex_attention",
        marks=[
            pytest.mark.skipif(not flex_attention_runs_on_cpu(), reason="flex attention does not run on CPU here"),
            FLEX_KERNEL_WRONG_ON_AVX2,
        ],
    ),
]


@pytest.fixture(autouse=True)
def fresh_compiler(request):
    """Forget flex attention's compiled kernels after each test that uses it: once shapes change, the compiler
    switches to dynamic shapes, for which this CPU build's flex kernel does not compile (see below)."""
    yield
    if "flex" in request.node.name:
        torch._dynamo.reset()


def local_model(backend="sdpa", **overrides) -> GPT1LMHeadModel:
    """A seeded 4-layer pre-LN model, dense and local layers in turn with a 5-token band, without dropout."""
    settings = {
        **TINY_CONFIG,
        "n_layer": 4,
        "layer_types": ALTERNATING,
        "sliding_window": WINDOW,
        "pre_layer_norm": True,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "resid_pdrop": 0.0,
    }
    torch.manual_seed(0)
    model = GPT1LMHeadModel(GPT1Config(**{**settings, **overrides})).eval()
    model.set_attn_implementation(backend)
    return model


def additive_mask(layer_type: str, seq_len: int) -> torch.Tensor:
    """[1, 1, seq, seq]: 0 where query i sees key j (0 <= i - j, and i - j < WINDOW in a local layer), else -inf."""
    distance = torch.arange(seq_len)[:, None] - torch.arange(seq_len)[None]
    seen = (distance >= 0) & ((distance < WINDOW) if layer_type == "sliding_attention" else True)
    return torch.zeros(seq_len, seq_len).masked_fill(~seen, float("-inf"))[None, None]


def reference_logits(model: GPT1LMHeadModel, ids: torch.Tensor) -> torch.Tensor:
    """The model's weights run block by block through eager attention, each block given its mask from above."""
    model = copy.deepcopy(model)
    model.set_attn_implementation("eager")
    trunk = model.transformer
    hidden_states = trunk.tokens_embed(ids) + trunk.positions_embed(torch.arange(ids.shape[1]))
    for block, layer_type in zip(trunk.h, model.config.layer_types, strict=True):
        hidden_states = block(hidden_states, attention_mask=additive_mask(layer_type, ids.shape[1]))
    return model.lm_head(trunk.ln_f(hidden_states))


@pytest.mark.parametrize("backend", BACKENDS)
def test_logits_equal_the_hand_masked_reference(backend, make_ids):
    model = local_model(backend)
    ids = make_ids(2, 24)
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, reference_logits(model, ids), atol=TOLERANCE, rtol=0)


def test_the_band_hides_keys_beyond_the_window(make_ids):
    """Within the first window every layer sees everything, so the all-dense model agrees; past it, it does not."""
    local = local_model()
    dense = local_model(layer_types=None, sliding_window=None)
    dense.load_state_dict(local.state_dict())
    ids = make_ids(2, 24)
    with torch.no_grad():
        difference = (local(ids).logits - dense(ids).logits).abs().amax(-1)  # [batch, seq]
    assert difference[:, :WINDOW].max() < TOLERANCE
    assert difference[:, WINDOW:].min() > 1e-3


# PyTorch 2.13's CPU inductor emits C++ that does not compile for flex attention's kernel over a banded mask with
# a cache (`cur_kvSplitSize0` undeclared); the dense model's cached flex decoding compiles and is tested below. The
# banded models' cached flex decoding runs in one case, all layers local, which must fail that way: the day PyTorch
# compiles it, the strict mark says so. The two alternating orders would spend a minute compiling to fail the same way.
FLEX_BAND_WITH_CACHE = pytest.mark.xfail(
    strict=True,
    raises=InductorError,
    reason="PyTorch 2.13 CPU inductor cannot compile flex attention over a band with a cache",
)
LAYER_ORDERS = {"dense-first": ALTERNATING, "local-first": ALTERNATING[::-1], "all-local": None}
CACHED_CASES = [
    *(
        pytest.param(layer_types, backend, id=f"{order}-{backend}")
        for order, layer_types in LAYER_ORDERS.items()
        for backend in ("eager", "sdpa")
    ),
    pytest.param(
        LAYER_ORDERS["all-local"],
        "flex_attention",
        id="all-local-flex_attention",
        marks=[
            pytest.mark.skipif(not flex_attention_runs_on_cpu(), reason="flex attention does not run on CPU here"),
            FLEX_BAND_WITH_CACHE,
        ],
    ),
]


@pytest.mark.parametrize(("layer_types", "backend"), CACHED_CASES)
def test_cached_decoding_equals_the_reference_at_every_step(layer_types, backend, make_ids):
    """An 8-token prefill, 3 tokens, then one at a time to 20: the local layers' cache drops keys past the band."""
    model = local_model(backend, layer_types=layer_types)
    ids = make_ids(1, 20)
    chunks = [(0, 8), (8, 11)] + [(position, position + 1) for position in range(11, 20)]
    with torch.no_grad():
        expected = reference_logits(model, ids)
        cache = DynamicCache(config=model.config)
        steps = [model(ids[:, start:end], cache=cache, use_cache=True).logits for start, end in chunks]
    torch.testing.assert_close(torch.cat(steps, dim=1), expected, atol=TOLERANCE, rtol=0)
    assert cache.get_seq_length() == 20
    kept = [layer.keys.shape[-2] for layer in cache.layers]
    assert kept == [WINDOW - 1 if kind == "sliding_attention" else 20 for kind in model.config.layer_types]


@pytest.mark.parametrize(
    "overrides",
    # GPT-1's dense model has no layer types, which transformers' masks for a static cache need: ours stand in
    [{}, {"layer_types": None, "sliding_window": None}],
    ids=["local", "dense"],
)
def test_generation_with_the_cache_equals_generation_without(overrides, make_ids):
    model = local_model(**overrides)
    prompt = make_ids(1, 4, seed=1)
    settings = {"max_new_tokens": 12, "do_sample": False, "pad_token_id": PAD}
    with torch.no_grad():
        uncached = model.generate(prompt, use_cache=False, **settings)
        cached = model.generate(prompt, **settings)
        static = model.generate(prompt, cache_implementation="static", **settings)
    assert torch.equal(cached, uncached)
    assert torch.equal(static, uncached)
    assert len(set(uncached[0, 4:].tolist())) > 1  # not one token repeated: a wrong band would show


@pytest.mark.parametrize("backend", BACKENDS)
def test_left_padding_leaves_real_tokens_unchanged(backend, make_ids):
    """The first row has 4 pad tokens, then 20 real ones, more than the band: they give the logits they give alone.

    The unpadded run is the reference's, so that flex attention compiles for one shape only (each costs seconds).
    """
    model = local_model(backend)
    ids = make_ids(2, 24)
    ids[0, :4] = PAD
    attention_mask = torch.ones_like(ids)
    attention_mask[0, :4] = 0
    with torch.no_grad():
        expected = reference_logits(model, ids[:1, 4:])
        actual = model(ids, attention_mask=attention_mask).logits[:1, 4:]
    torch.testing.assert_close(actual, expected, atol=TOLERANCE, rtol=0)


def test_a_window_alone_makes_every_layer_local():
    config = GPT1Config(**{**TINY_CONFIG, "sliding_window": WINDOW})
    assert config.layer_types == ["sliding_attention"] * config.num_hidden_layers
    assert all(layer.is_sliding for layer in DynamicCache(config=config).layers)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"sliding_window": 0}, "GPT1Config.sliding_window must be positive"),
        ({"sliding_window": -1}, "GPT1Config.sliding_window must be positive"),
        ({"layer_types": ALTERNATING[:3]}, "GPT1Config.layer_types has 3 entries, but num_hidden_layers is 4"),
        ({"layer_types": ["full_attention", "local_attention"] * 2}, "GPT1Config.layer_types entries must be one of"),
        ({"sliding_window": None}, "sliding_attention layers, but sliding_window is None"),
    ],
)
def test_invalid_settings_raise_value_errors_naming_the_field(overrides, message):
    with pytest.raises(ValueError, match=message):
        GPT1Config(**{**TINY_CONFIG, "n_layer": 4, "layer_types": ALTERNATING, "sliding_window": WINDOW, **overrides})


def test_save_load_round_trip_keeps_the_layer_types_and_the_logits(make_ids, tmp_path):
    model = local_model()
    model.save_pretrained(tmp_path)
    reloaded = GPT1LMHeadModel.from_pretrained(tmp_path).eval()
    assert reloaded.config.layer_types == ALTERNATING
    assert reloaded.config.sliding_window == WINDOW
    ids = make_ids(2, 24)
    with torch.no_grad():
        assert torch.equal(reloaded(ids).logits, model(ids).logits)


def test_gpt3_small_preset():
    """GPT-3 Small's shape, dense and 256-token local layers in turn, and GPT-2's parameter count at 2048 positions."""
    config = GPT1Config.from_preset("gpt3-small")
    assert (config.n_layer, config.n_embd, config.n_head, config.n_positions) == (12, 768, 12, 2048)
    assert config.layer_types == ["full_attention", "sliding_attention"] * 6
    assert config.sliding_window == 256
    assert config.pre_layer_norm and config.scale_residual_init
    with torch.device("meta"):
        ours = GPT1LMHeadModel(config)
        gpt2 = GPT2LMHeadModel(GPT2Config(n_layer=12, n_embd=768, n_head=12, n_positions=2048, vocab_size=50257))
    assert ours.num_parameters() == gpt2.num_parameters()
    assert [block.attn.sliding_window for block in ours.transformer.h[:2]] == [None, 256]
    # a shallower copy keeps the alternation
    assert GPT1Config.from_preset("gpt3-small", n_layer=3).layer_types == ALTERNATING[:3]


def test_the_context_is_as_long_as_n_positions(make_ids):
    """Nothing but `n_positions` caps the context: 2048 tokens run through a tiny model with GPT-3's context."""
    model = local_model(n_layer=2, layer_types=ALTERNATING[:2], n_positions=2048)
    with torch.no_grad():
        logits = model(make_ids(1, 2048)).logits
        assert logits.shape == (1, 2048, TINY_CONFIG["vocab_size"]) and bool(logits.isfinite().all())
        with pytest.raises(ValueError, match="GPT-1 has 2048 positions"):
            model(make_ids(1, 2049))


@pytest.mark.skipif(not flex_attention_runs_on_cpu(), reason="flex attention does not run on CPU here")
@FLEX_KERNEL_WRONG_ON_AVX2
def test_dense_cached_decoding_with_flex_attention(make_ids):
    """The cache under flex attention, where this CPU build compiles it: the dense model, prefill then steps."""
    model = local_model("flex_attention", layer_types=None, sliding_window=None)
    ids = make_ids(1, 12)
    with torch.no_grad():
        expected = model(ids, use_cache=False).logits
        cache = DynamicCache(config=model.config)
        steps = [model(ids[:, a:b], cache=cache, use_cache=True).logits for a, b in ((0, 8), (8, 9), (9, 12))]
    torch.testing.assert_close(torch.cat(steps, dim=1), expected, atol=TOLERANCE, rtol=0)


def test_transformers_port_refuses_local_layers():
    """The port attends densely everywhere: converting a banded model to it would change what it computes."""
    with pytest.raises(ValueError, match="dense attention only; this model has GPT-3's local layers"):
        to_openai_gpt(local_model(pre_layer_norm=False))
