"""KV cache and generation: cached decoding equals the full forward pass; generate and the pipeline run."""

import pytest
import torch
from remote_code import run_fresh_python
from transformers import DynamicCache, pipeline, set_seed

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel, GPT1Tokenizer


@pytest.fixture
def lm(tiny_config):
    torch.manual_seed(0)
    return GPT1LMHeadModel(tiny_config).eval()


@pytest.mark.parametrize("backend", ["eager", "sdpa"])
def test_cached_incremental_decoding_equals_the_full_forward(backend, lm, make_ids):
    lm.set_attn_implementation(backend)
    ids = make_ids(2, 16)
    # chunks of several tokens after a cached prefix too, where causal masking must align bottom-right
    bounds = [0, 6, 10, 11, 12, 15, 16]
    with torch.no_grad():
        full = lm(ids).logits
        cache = DynamicCache(config=lm.config)
        steps = [
            lm(ids[:, start:stop], cache=cache, use_cache=True).logits
            for start, stop in zip(bounds[:-1], bounds[1:], strict=True)
        ]
    assert cache.get_seq_length() == 16
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=0)


def test_the_cache_is_also_taken_under_its_name_before_transformers_5_24(lm, make_ids):
    ids = make_ids(2, 9)
    with torch.no_grad():
        caches = [DynamicCache(config=lm.config) for _ in range(3)]
        lm(ids[:, :6], cache=caches[0])
        lm(ids[:, :6], past_key_values=caches[1])
        current = lm(ids[:, 6:], cache=caches[0]).logits
        old_name = lm(ids[:, 6:], past_key_values=caches[1]).logits
        with pytest.raises(ValueError, match="passed twice"):
            lm(ids, cache=caches[2], past_key_values=caches[2])
    assert caches[1].get_seq_length() == 9
    assert torch.equal(current, old_name)


def test_greedy_generation_with_cache_equals_without(lm, make_ids):
    prompt = make_ids(2, 5)
    with torch.no_grad():
        cached = lm.generate(prompt, max_new_tokens=20, do_sample=False, use_cache=True)
        uncached = lm.generate(prompt, max_new_tokens=20, do_sample=False, use_cache=False)
    assert cached.shape == (2, 25)
    assert torch.equal(cached, uncached)


def test_generation_may_fill_the_context_exactly(lm, make_ids):
    with torch.no_grad():
        out = lm.generate(make_ids(1, 54), max_new_tokens=10, do_sample=False)
    assert out.shape == (1, lm.config.max_position_embeddings)


def test_seeded_sampling_gives_valid_reproducible_tokens(lm, make_ids):
    prompt = make_ids(2, 5)
    runs = []
    for _ in range(2):
        torch.manual_seed(1)
        with torch.no_grad():
            runs.append(lm.generate(prompt, max_new_tokens=10, do_sample=True, top_k=20, temperature=0.9))
    assert runs[0].shape == (2, 15)
    assert torch.equal(runs[0][:, :5], prompt)
    assert 0 <= int(runs[0].min()) and int(runs[0].max()) < lm.config.vocab_size
    assert torch.equal(runs[0], runs[1])


def test_beam_search_gives_valid_sequences(lm, make_ids):
    prompt = make_ids(2, 5)
    with torch.no_grad():
        out = lm.generate(
            prompt,
            max_new_tokens=8,
            num_beams=3,
            num_return_sequences=3,
            do_sample=False,
            return_dict_in_generate=True,
            output_scores=True,
        )
    assert out.sequences.shape == (6, 13)
    assert torch.equal(out.sequences[:, :5], prompt.repeat_interleave(3, dim=0))
    assert int(out.sequences.max()) < lm.config.vocab_size
    # beams come back best first
    scores = out.sequences_scores.view(2, 3)
    assert torch.all(scores[:, :-1] >= scores[:, 1:])


def test_text_generation_pipeline_runs(lm, tiny_tokenizer):
    generator = pipeline("text-generation", model=lm, tokenizer=tiny_tokenizer, device="cpu")
    prompt = "w5 w17 w42"
    text = generator(prompt, max_new_tokens=6, do_sample=False, return_full_text=False)[0]["generated_text"]
    with torch.no_grad():
        expected = lm.generate(torch.tensor([[5, 17, 42]]), max_new_tokens=6, do_sample=False)[0, 3:]
    assert text == tiny_tokenizer.decode(expected)
    assert len(text.split()) == 6


def test_pipeline_batches_prompts_of_different_lengths_like_single_prompts(lm, tiny_tokenizer):
    generator = pipeline("text-generation", model=lm, tokenizer=tiny_tokenizer, device="cpu")
    prompts = ["w5 w17 w42", "w3 w4 w5 w6 w7 w8 w9", "w60"]
    settings = dict(max_new_tokens=6, do_sample=False, return_full_text=False)
    batched = generator(prompts, batch_size=3, **settings)
    single = [generator(prompt, **settings) for prompt in prompts]
    assert batched == single


PIPELINE_SCRIPT = """
import json, sys
import transformers

generator = transformers.pipeline("text-generation", model=sys.argv[1], trust_remote_code=True)
prompt = sys.argv[2]
transformers.set_seed(0)
text = generator(prompt)[0]["generated_text"]
transformers.set_seed(0)
print(json.dumps({
    "text": text,
    "ids": generator(prompt, return_tensors=True)[0]["generated_token_ids"],
    "imported_modeling_gpt1": any(m.split(".")[0] == "modeling_gpt1" for m in sys.modules),
}))
"""


def test_text_generation_pipeline_with_remote_code_and_default_arguments_equals_generate(tmp_path):
    """A Hub user's first call: the pipeline on a saved folder, in a process without the package, with GPT-1's own
    tokenizer and every argument left at its default (the pipeline's: 256 new tokens sampled at temperature 0.7)."""
    tokenizer = GPT1Tokenizer()
    torch.manual_seed(0)
    config = GPT1Config(vocab_size=tokenizer.vocab_size, n_embd=32, n_layer=2, n_head=4)  # GPT-1's 512 positions
    config.initializer_range = 0.3  # far from uniform attention, so that greedy decoding does not just repeat
    model = GPT1LMHeadModel(config).eval()
    model.save_pretrained(tmp_path / "lm")
    tokenizer.save_pretrained(tmp_path / "lm")
    prompt = "It was a dark and stormy night, and"
    result = run_fresh_python(PIPELINE_SCRIPT, str(tmp_path / "lm"), prompt, workdir=tmp_path)
    assert result["imported_modeling_gpt1"] is False

    inputs = tokenizer(prompt, return_tensors="pt")
    prompt_length = inputs["input_ids"].shape[1]
    assert len(result["ids"]) > prompt_length  # it generated something, as many tokens as the pipeline chose
    set_seed(0)
    with torch.no_grad():
        new_tokens = len(result["ids"]) - prompt_length
        expected = model.generate(**inputs, max_new_tokens=new_tokens, do_sample=True, temperature=0.7)[0]
    assert result["ids"] == expected.tolist()
    # the prompt as given, then the continuation (how the two are joined is the pipeline's and changes with releases)
    assert result["text"].startswith(prompt)
    assert result["text"].endswith(tokenizer.decode(expected[prompt_length:]))
