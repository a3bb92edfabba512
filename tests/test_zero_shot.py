"""modeling_gpt1.zero_shot: cached-prefix scoring against the one-at-a-time reference, the prompts each heuristic
builds (with GPT-1's real tokenizer), the CoLA threshold, and the errors at its boundary."""

import random

import numpy as np
import pytest
import torch
from conftest import TOKEN_HIGH, TOKEN_LOW
from shared_data import MERGES, VOCAB, require
from sklearn.metrics import matthews_corrcoef

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel, GPT1Tokenizer
from modeling_gpt1.zero_shot import (
    HEURISTICS,
    PROMPTS,
    Candidates,
    PromptBuilder,
    best_threshold,
    evaluate_task,
    score_candidates,
    score_one_at_a_time,
)


def random_requests(count: int, seed: int = 0) -> list[Candidates]:
    """Requests of 1 to 20 prefix tokens and 1 to 4 continuations of 1 to 6 tokens, some with a skipped start."""
    rng = random.Random(seed)

    def ids(length):
        return [rng.randrange(TOKEN_LOW, TOKEN_HIGH) for _ in range(length)]

    requests = []
    for _ in range(count):
        continuations = [ids(rng.randint(1, 6)) for _ in range(rng.randint(1, 4))]
        skips = [rng.randrange(len(c)) for c in continuations] if rng.random() < 0.5 else None
        requests.append(Candidates(ids(rng.randint(1, 20)), continuations, skips))
    return requests


@pytest.fixture
def tiny_lm(no_dropout_config):
    torch.manual_seed(0)
    return GPT1LMHeadModel(no_dropout_config).eval()


@pytest.mark.parametrize("attn_implementation", ["eager", "sdpa"])
@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_cached_scores_equal_one_at_a_time(tiny_lm, attn_implementation, batch_size):
    tiny_lm.set_attn_implementation(attn_implementation)
    requests = random_requests(11)
    cached = score_candidates(tiny_lm, requests, batch_size)
    naive = score_one_at_a_time(tiny_lm, requests)
    for request, cached_scores, naive_scores in zip(requests, cached, naive, strict=True):
        assert len(cached_scores) == len(request.continuations)
        for (total, tokens), (naive_total, naive_tokens) in zip(cached_scores, naive_scores, strict=True):
            assert tokens == naive_tokens
            assert abs(total - naive_total) < 1e-5, (total, naive_total)


def test_the_reference_scores_by_hand(tiny_lm):
    """score_one_at_a_time is itself checked: the log-softmax of one forward, summed by a loop."""
    prefix, continuation = [5, 6, 7], [8, 9, 10, 11]
    [[score]] = score_one_at_a_time(tiny_lm, [Candidates(prefix, [continuation], [1])])
    with torch.no_grad():
        logprobs = tiny_lm(torch.tensor([prefix + continuation])).logits[0].log_softmax(-1)
    expected = sum(logprobs[len(prefix) + i - 1, continuation[i]].item() for i in range(1, len(continuation)))
    assert score.tokens == 3 and abs(score.total - expected) < 1e-5


def test_each_prefix_runs_once(tiny_lm, monkeypatch):
    """Two forwards per batch: the batch's prefixes, each once, then all their continuations."""
    requests = random_requests(8, seed=1)
    fed = []
    forward = tiny_lm.forward
    monkeypatch.setattr(tiny_lm, "forward", lambda **kwargs: fed.append(kwargs["input_ids"]) or forward(**kwargs))
    score_candidates(tiny_lm, requests, batch_size=4)
    assert len(fed) == 4
    prefix_rows, continuation_rows = fed[0::2], fed[1::2]
    assert sum(len(ids) for ids in prefix_rows) == len(requests)
    assert sum(len(ids) for ids in continuation_rows) == sum(len(r.continuations) for r in requests)
    # the continuation passes feed only continuation tokens (all but each one's last)
    assert max(ids.shape[1] for ids in continuation_rows) == max(len(c) for r in requests for c in r.continuations) - 1


def test_bad_requests_are_refused(tiny_lm):
    with pytest.raises(ValueError, match="empty prefix"):
        score_candidates(tiny_lm, [Candidates([], [[1]])])
    with pytest.raises(ValueError, match="no token to score"):
        score_candidates(tiny_lm, [Candidates([1], [[2, 3]], [2])])
    with pytest.raises(ValueError, match="exceed the model's 64 positions"):
        score_one_at_a_time(tiny_lm, [Candidates([1] * 60, [[2] * 5])])


def test_best_threshold_has_the_best_matthews_correlation():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 300)
    scores = (labels * 0.7 + rng.normal(size=300)).round(1)  # rounded: many ties
    threshold = best_threshold(scores, labels)
    found = matthews_corrcoef(labels, scores > threshold)
    cuts = np.unique(scores)
    best = max(matthews_corrcoef(labels, scores > cut) for cut in [cuts[0] - 1, *cuts])
    assert found == pytest.approx(best) and found > 0.2


# ---------------------------------------------------------------------------------------------------------------
# prompts, with GPT-1's real tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return GPT1Tokenizer(require(VOCAB), require(MERGES))


@pytest.fixture(scope="module")
def lm(tokenizer):
    """A tiny random LM over the real vocabulary, 128 positions."""
    torch.manual_seed(0)
    config = GPT1Config(
        vocab_size=tokenizer.vocab_size, n_embd=32, n_layer=2, n_head=2, n_positions=128, initializer_range=0.3,
        embd_pdrop=0.0, attn_pdrop=0.0, resid_pdrop=0.0,
    )  # fmt: skip
    return GPT1LMHeadModel(config).eval()


def sentences(count: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    words = "the cat dog sat ran on a mat quickly house green big small".split()
    return [
        {"id": f"s{i}", "text": " ".join(rng.choices(words, k=rng.randint(3, 9))) + ".", "label": rng.randrange(2)}
        for i in range(count)
    ]


def stories(count: int, seed: int = 0) -> list[dict]:
    return [
        {**row, "choices": [f"it was {row['text']}", "nothing happened ."], "label": row["label"]}
        for row in sentences(count, seed)
    ]


def test_few_shot_prompts_hold_k_solved_examples_drawn_by_seed(tokenizer):
    train = sentences(50, seed=1)
    builder = PromptBuilder(tokenizer, "cola", 512, "prompt", 3, train, seed=7)
    request, shots, truncated = builder.candidates(0, {"id": "q", "text": "the cat sat .", "label": 1})
    assert shots == 3 and not truncated
    text = tokenizer.decode(request.prefix)
    assert text.startswith("say whether each sentence is grammatical.")
    assert text.count("is this sentence grammatical?") == 4  # three solved, then the question
    assert text.endswith("the cat sat.\nquestion: is this sentence grammatical?\nanswer:")
    # each shot ends with its own answer word
    answers = [word for word in text.split() if word in ("yes", "no")]
    assert len(answers) == 3
    assert [tokenizer.decode(c) for c in request.continuations] == ["no", "yes"]
    example = {"id": "q", "text": "the cat sat .", "label": 1}
    again, _, _ = PromptBuilder(tokenizer, "cola", 512, "prompt", 3, train, seed=7).candidates(0, example)
    other, _, _ = PromptBuilder(tokenizer, "cola", 512, "prompt", 3, train, seed=8).candidates(0, example)
    assert again.prefix == request.prefix and other.prefix != request.prefix


def test_max_shots_fill_the_context(tokenizer):
    train = sentences(200, seed=2)
    example = {"id": "q", "text": "a small green house .", "label": 0}
    request, shots, _ = PromptBuilder(tokenizer, "sst2", 128, "prompt", "max", train).candidates(0, example)
    longest = max(map(len, request.continuations))
    assert 1 < shots < len(train) and len(request.prefix) + longest <= 128
    # one more shot does not fit: asking for it gives the same prompt, counted as holding fewer shots
    same, fewer, _ = PromptBuilder(tokenizer, "sst2", 128, "prompt", shots + 1, train).candidates(0, example)
    assert fewer == shots and same.prefix == request.prefix


def test_a_prompt_longer_than_the_context_loses_its_start(tokenizer):
    builder = PromptBuilder(tokenizer, "race", 64, "answer")
    article = " ".join(f"word{i % 7} was here ." for i in range(40))
    example = {"id": "r", "text": article, "question": "what was here ?", "choices": ["a", "b", "c d e", "f"]}
    request, shots, truncated = builder.candidates(0, example)
    assert truncated and shots == 0
    assert len(request.prefix) == 64 - 3  # room for the longest answer (c d e)
    assert tokenizer.decode(request.prefix).endswith("here. what was here?")


def test_gpt1_heuristics_build_the_papers_inputs(tokenizer):
    very = PromptBuilder(tokenizer, "sst2", 512, "very").candidates(0, {"text": "A fine film.", "label": 1})[0]
    assert tokenizer.decode(very.prefix) == "a fine film. very"
    assert [tokenizer.decode(c) for c in very.continuations] == ["negative", "positive"]
    race = PromptBuilder(tokenizer, "race", 512, "answer").candidates(
        0, {"text": "Tom ran.", "question": "Who ran?", "choices": ["Tom", "Ann", "Bob", "Sue"], "label": 0}
    )[0]
    assert tokenizer.decode(race.prefix) == "tom ran. who ran?" and len(race.continuations) == 4
    cola = PromptBuilder(tokenizer, "cola", 512, "threshold", 0, [{"text": "x", "label": 0}])
    cola = cola.candidates(0, {"text": "Cats sleep.", "label": 1})[0]
    assert tokenizer.convert_ids_to_tokens(cola.prefix) == ["\n</w>"]  # a paragraph break, then the sentence
    assert tokenizer.decode(cola.continuations[0]) == "cats sleep."


def test_winograd_substitution_scores_the_rest_of_the_sentence(tokenizer, lm):
    example = {
        "id": "w",
        "text": "The trophy does not fit in the suitcase because _ is too big.",
        "choices": ["the trophy", "the suitcase"],
        "label": 0,
    }
    evaluation = evaluate_task(lm, PromptBuilder(tokenizer, "winograd", 128), [example])
    rest = tokenizer.encode(" is too big.", add_special_tokens=False)
    for option, score in zip(example["choices"], evaluation.scores[0], strict=True):
        ids = (
            tokenizer.encode("The trophy does not fit in the suitcase because " + option, add_special_tokens=False)
            + rest
        )
        with torch.no_grad():
            logprobs = lm(torch.tensor([ids])).logits[0].log_softmax(-1)
        first = len(ids) - len(rest)
        expected = np.mean([logprobs[position - 1, ids[position]].item() for position in range(first, len(ids))])
        assert score == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize(
    ("task", "heuristic", "shots"),
    [("cola", "threshold", 0), ("cola", "prompt", 2), ("sst2", "very", 0), ("rte", "prompt", "max"),
     ("story_cloze", "ending", 0), ("story_cloze", "prompt", 1), ("winograd", "prompt", 1)],
)  # fmt: skip
def test_evaluate_task_cached_equals_reference(tokenizer, lm, task, heuristic, shots):
    rows = stories(12) if task == "story_cloze" else sentences(12)
    if task == "rte":
        rows = [{**row, "text_pair": "the cat sat ."} for row in rows]
    if task == "winograd":
        rows = [{**row, "text": "_ " + row["text"], "choices": ["a cat", "the dog"]} for row in rows]
    train = rows[6:]
    prompts = PromptBuilder(tokenizer, task, 128, heuristic, shots, train)
    cached = evaluate_task(lm, prompts, rows[:6], batch_size=4)
    naive = evaluate_task(lm, prompts, rows[:6], cached=False)
    assert cached.predictions == naive.predictions and cached.shots == naive.shots
    np.testing.assert_allclose(cached.scores, naive.scores, atol=1e-5, rtol=0)
    if heuristic == "threshold":
        assert cached.threshold == pytest.approx(naive.threshold, abs=1e-5)
        assert cached.predictions == [int(values[0] > cached.threshold) for values in cached.scores]


def test_bad_settings_are_refused(tokenizer, lm):
    rows = sentences(4)
    with pytest.raises(ValueError, match="unknown zero-shot task 'qqp'"):
        PromptBuilder(tokenizer, "qqp", 128)
    with pytest.raises(ValueError, match="unknown heuristic 'very' for cola; its heuristics are threshold, prompt"):
        PromptBuilder(tokenizer, "cola", 128, "very", 0, rows)
    with pytest.raises(ValueError, match="5 shots asked for, but the training split has 4"):
        PromptBuilder(tokenizer, "sst2", 128, "prompt", 5, rows)
    with pytest.raises(ValueError, match="zero-shot heuristic; few-shot evaluation needs 'prompt'"):
        PromptBuilder(tokenizer, "sst2", 128, "very", 1, rows)
    with pytest.raises(ValueError, match="integer >= 0 or 'max'"):
        PromptBuilder(tokenizer, "sst2", 128, "prompt", -1, rows)
    with pytest.raises(ValueError, match="threshold is fitted on the training split"):
        PromptBuilder(tokenizer, "cola", 128)
    with pytest.raises(ValueError, match="no sst2 examples to evaluate"):
        evaluate_task(lm, PromptBuilder(tokenizer, "sst2", 128), [])
    with pytest.raises(ValueError, match="must hold one blank"):
        evaluate_task(
            lm, PromptBuilder(tokenizer, "winograd", 128), [{"text": "no", "choices": ["a", "b"], "label": 0}]
        )
    with pytest.raises(ValueError, match="an answer alone is longer"):
        long_answer = {"text": "x", "choices": ["word " * 200, "b"], "label": 0}
        evaluate_task(lm, PromptBuilder(tokenizer, "story_cloze", 128), [long_answer])


def test_every_task_has_a_prompt_heuristic_with_its_prompt():
    assert set(PROMPTS) == set(HEURISTICS)
    assert all("prompt" in heuristics for heuristics in HEURISTICS.values())


def test_batches_keep_padded_inputs_within_the_context(tiny_lm):
    """A long prefix and a long continuation each fit the 64 positions, but not padded into one batch."""
    requests = [Candidates([3] * 60, [[4] * 4]), Candidates([5] * 3, [[6] * 50, [7]]), Candidates([8] * 30, [[9] * 9])]
    cached = score_candidates(tiny_lm, requests, batch_size=8)
    naive = score_one_at_a_time(tiny_lm, requests)
    np.testing.assert_allclose(
        [s.total for scores in cached for s in scores], [s.total for scores in naive for s in scores], atol=1e-5
    )


@pytest.mark.parametrize("attn_implementation", ["eager", "sdpa"])
def test_cached_scores_with_local_attention(no_dropout_config, attn_implementation):
    """GPT-3's banded layers keep only the band's keys in the cache; the scores still equal the reference."""
    no_dropout_config.layer_types = ["sliding_attention", "full_attention"]
    no_dropout_config.sliding_window = 5
    torch.manual_seed(0)
    model = GPT1LMHeadModel(no_dropout_config).eval()
    model.set_attn_implementation(attn_implementation)
    requests = random_requests(11, seed=2)
    cached = score_candidates(model, requests, batch_size=4)
    naive = score_one_at_a_time(model, requests)
    np.testing.assert_allclose(
        [s.total for scores in cached for s in scores], [s.total for scores in naive for s in scores], atol=1e-5
    )


def test_the_shots_for_k_are_among_those_for_k_plus_one(tokenizer):
    train = sentences(30, seed=3)
    example = {"id": "q", "text": "a big cat .", "label": 1}
    builders = [PromptBuilder(tokenizer, "sst2", 512, "prompt", k, train) for k in (1, 2, 3)]
    prompts = [builder.candidates(0, example)[0].prefix for builder in builders]
    query = len(builders[0].example_parts(example)[0])
    # each prompt is the one before with one more shot after the others, before the example
    for shorter, longer in zip(prompts, prompts[1:], strict=False):
        assert len(longer) > len(shorter) and longer[-query:] == shorter[-query:]
        assert longer[: len(shorter) - query] == shorter[:-query]


def test_a_model_in_training_mode_is_refused(tiny_lm):
    tiny_lm.train()
    with pytest.raises(ValueError, match="needs the model in evaluation mode"):
        score_candidates(tiny_lm, random_requests(2))
