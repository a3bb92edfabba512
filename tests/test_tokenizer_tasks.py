"""GPT1Tokenizer.encode_task: the paper's four input formats, the original truncation, padded tensors that
GPT1DoubleHeads takes, and errors for malformed examples.

Most tests use a tiny vocabulary (a-z, no merges: a word of k letters is k tokens), so they need no data;
the Story Cloze test compares with the original encoder and the original code's ROCStories format.
"""

import csv
import json
import random

import pytest
import torch
from shared_data import MERGES, STORY_CLOZE, VOCAB, load_script, require

from modeling_gpt1 import GPT1Config, GPT1DoubleHeads, GPT1Tokenizer

LETTERS = "abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    """A tokenizer over single letters: `<unk>` 0, then each letter inside and at the end of a word."""
    folder = tmp_path_factory.mktemp("letters")
    vocab = {"<unk>": 0, **{c: 1 + i for i, c in enumerate(LETTERS)}}
    vocab.update({c + "</w>": len(vocab) + i for i, c in enumerate(LETTERS)})
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return GPT1Tokenizer(folder / "vocab.json", folder / "merges.txt")


def words(count, seed):
    """A text of `count` one-letter words, so `count` tokens."""
    generator = random.Random(seed)
    return " ".join(generator.choices(LETTERS, k=count))


def ids(tokenizer, text):
    return tokenizer.encode_texts([text])[0]


def fine_tuning_ids(tokenizer):
    return tokenizer.bos_token_id, tokenizer.sep_token_id, tokenizer.cls_token_id


# ---------------------------------------------------------------------------------------------------------------
# the four formats


def check_extract_positions(encoded, extract):
    for sequence, position in zip(encoded["input_ids"], encoded["mc_token_ids"], strict=True):
        assert position == len(sequence) - 1 and sequence[position] == extract
        assert sequence.count(extract) == 1
    assert encoded["attention_mask"] == [[1] * len(sequence) for sequence in encoded["input_ids"]]


def test_classification(tokenizer):
    start, _, extract = fine_tuning_ids(tokenizer)
    text = "the quick brown fox"
    encoded = tokenizer.encode_task("classification", text)
    assert encoded["input_ids"] == [[start, *ids(tokenizer, text), extract]]
    assert encoded["num_truncated_tokens"] == 0
    check_extract_positions(encoded, extract)


def test_entailment(tokenizer):
    start, delimiter, extract = fine_tuning_ids(tokenizer)
    premise, hypothesis = "a man sleeps", "somebody rests"
    encoded = tokenizer.encode_task("entailment", premise, hypothesis)
    assert encoded["input_ids"] == [[start, *ids(tokenizer, premise), delimiter, *ids(tokenizer, hypothesis), extract]]
    check_extract_positions(encoded, extract)


def test_similarity_gives_both_orders(tokenizer):
    start, delimiter, extract = fine_tuning_ids(tokenizer)
    a, b = ids(tokenizer, "one text"), ids(tokenizer, "another longer text")
    encoded = tokenizer.encode_task("similarity", "one text", "another longer text")
    assert encoded["input_ids"] == [[start, *a, delimiter, *b, extract], [start, *b, delimiter, *a, extract]]
    check_extract_positions(encoded, extract)


@pytest.mark.parametrize("question", [None, "why did she go"])
def test_multiple_choice(tokenizer, question):
    start, delimiter, extract = fine_tuning_ids(tokenizer)
    context, choices = "she went home", ["tired", "it rained", "no reason at all"]
    encoded = tokenizer.encode_task("multiple_choice", context, choices=choices, question=question)
    first = ids(tokenizer, context) + (ids(tokenizer, question) if question else [])
    assert encoded["input_ids"] == [[start, *first, delimiter, *ids(tokenizer, c), extract] for c in choices]
    assert len(encoded["mc_token_ids"]) == len(choices)
    check_extract_positions(encoded, extract)


def test_a_batch_is_its_examples(tokenizer):
    contexts = [words(5, seed=0), words(9, seed=1)]
    choices = [[words(2, seed=2), words(4, seed=3)], [words(1, seed=4), words(7, seed=5)]]
    batch = tokenizer.encode_task("multiple_choice", contexts, choices=choices, question=["a b", "c"])
    for i in range(2):
        one = tokenizer.encode_task("multiple_choice", contexts[i], choices=choices[i], question=["a b", "c"][i])
        assert {name: values[i] for name, values in batch.items()} == dict(one)


# ---------------------------------------------------------------------------------------------------------------
# truncation: the original code's rule


@pytest.mark.parametrize("length", [0, 1, 5, 6, 7, 30])
def test_classification_keeps_the_first_n_minus_2_tokens(tokenizer, length):
    start, _, extract = fine_tuning_ids(tokenizer)
    n = 8
    text_ids = ids(tokenizer, words(length, seed=length))
    encoded = tokenizer.encode_task("classification", words(length, seed=length), max_length=n)
    assert encoded["input_ids"] == [[start, *text_ids[: n - 2], extract]]
    assert encoded["num_truncated_tokens"] == max(0, length - (n - 2)) == length - len(encoded["input_ids"][0]) + 2


@pytest.mark.parametrize("task", ["entailment", "similarity"])
@pytest.mark.parametrize("lengths", [(3, 4), (10, 2), (2, 10), (20, 30)])
def test_each_side_of_the_delimiter_keeps_its_first_n_over_2_minus_2_tokens(tokenizer, task, lengths):
    start, delimiter, extract = fine_tuning_ids(tokenizer)
    n = 16
    half = n // 2 - 2
    a, b = words(lengths[0], seed=1), words(lengths[1], seed=2)
    encoded = tokenizer.encode_task(task, a, b, max_length=n)
    a_ids, b_ids = ids(tokenizer, a)[:half], ids(tokenizer, b)[:half]
    assert encoded["input_ids"][0] == [start, *a_ids, delimiter, *b_ids, extract]
    if task == "similarity":
        assert encoded["input_ids"][1] == [start, *b_ids, delimiter, *a_ids, extract]
    assert all(len(sequence) <= n for sequence in encoded["input_ids"])
    assert encoded["num_truncated_tokens"] == sum(max(0, length - half) for length in lengths)


@pytest.mark.parametrize("lengths", [(3, 2, 4), (20, 3, 4), (20, 9, 4), (2, 2, 30), (0, 5, 1)])
def test_multiple_choice_keeps_the_question_before_the_context(tokenizer, lengths):
    start, delimiter, extract = fine_tuning_ids(tokenizer)
    n = 24
    half = n // 2 - 2
    context, question, choice = (words(length, seed=i) for i, length in enumerate(lengths))
    encoded = tokenizer.encode_task("multiple_choice", context, choices=[choice], question=question, max_length=n)
    (sequence,) = encoded["input_ids"]
    assert sequence[0] == start and sequence[-1] == extract and len(sequence) <= n
    first, second = sequence[1 : sequence.index(delimiter)], sequence[sequence.index(delimiter) + 1 : -1]
    context_ids, question_ids, choice_ids = ids(tokenizer, context), ids(tokenizer, question), ids(tokenizer, choice)
    # the question is kept whole (up to a side's length), the context gives way to it, the choice is cut alone
    kept_question = question_ids[:half]
    assert first[len(first) - len(kept_question) :] == kept_question
    assert first[: len(first) - len(kept_question)] == context_ids[: len(first) - len(kept_question)]
    assert len(first) == min(half, len(context_ids) + len(kept_question))
    assert second == choice_ids[:half]
    lost = len(context_ids) + len(question_ids) + len(choice_ids) - len(first) - len(second)
    assert encoded["num_truncated_tokens"] == lost


def test_max_length_defaults_to_the_context_of_gpt1(tokenizer):
    assert tokenizer.model_max_length == 512
    encoded = tokenizer.encode_task("entailment", words(600, seed=0), words(600, seed=1))
    assert len(encoded["input_ids"][0]) == 2 * (512 // 2 - 2) + 3


# ---------------------------------------------------------------------------------------------------------------
# tensors for GPT1DoubleHeads


def test_tensors_are_padded_with_0_and_masked(tokenizer):
    _, _, extract = fine_tuning_ids(tokenizer)
    contexts = [words(3, seed=0), words(11, seed=1)]
    choices = [[words(1, seed=2), words(6, seed=3)], [words(2, seed=4), words(4, seed=5)]]
    lists = tokenizer.encode_task("multiple_choice", contexts, choices=choices)
    tensors = tokenizer.encode_task("multiple_choice", contexts, choices=choices, return_tensors="pt")
    width = max(len(sequence) for example in lists["input_ids"] for sequence in example)
    assert tensors["input_ids"].shape == tensors["attention_mask"].shape == (2, 2, width)
    assert tensors["mc_token_ids"].shape == (2, 2) and tensors["num_truncated_tokens"].shape == (2,)
    assert tokenizer.pad_token_id == 0
    for i, example in enumerate(lists["input_ids"]):
        for j, sequence in enumerate(example):
            assert tensors["input_ids"][i, j, : len(sequence)].tolist() == sequence
            assert (tensors["input_ids"][i, j, len(sequence) :] == 0).all()
            assert tensors["attention_mask"][i, j].tolist() == [1] * len(sequence) + [0] * (width - len(sequence))
    extract_found = tensors["input_ids"].gather(-1, tensors["mc_token_ids"].unsqueeze(-1))
    assert (extract_found == extract).all()


def test_one_example_as_tensors_is_a_batch_of_one(tokenizer):
    context, choices = words(5, seed=0), [words(2, seed=1), words(3, seed=2)]
    batch = tokenizer.encode_task("multiple_choice", [context], choices=[choices], return_tensors="pt")
    one = tokenizer.encode_task("multiple_choice", context, choices=choices, return_tensors="pt")
    assert one.keys() == batch.keys()
    for name in one:
        assert torch.equal(one[name], batch[name]), name
    assert one["input_ids"].shape[:2] == (1, 2)


@pytest.mark.parametrize(
    "task, classifier_type, num_labels, sequences",
    [("multiple_choice", "multiple_choice", 1, 3), ("similarity", "pooled", 1, 2), ("entailment", "pooled", 3, 1)],
)
def test_the_tensors_feed_gpt1_double_heads(tokenizer, task, classifier_type, num_labels, sequences):
    start, delimiter, extract = fine_tuning_ids(tokenizer)
    config = GPT1Config(
        vocab_size=len(tokenizer),
        n_embd=32,
        n_layer=2,
        n_head=4,
        n_positions=64,
        intermediate_size=128,
        pad_token_id=tokenizer.pad_token_id,
        start_token_id=start,
        delimiter_token_id=delimiter,
        extract_token_id=extract,
        classifier_type=classifier_type,
        num_labels=num_labels,
    )
    torch.manual_seed(0)
    model = GPT1DoubleHeads(config).eval()
    texts = [words(4, seed=0), words(9, seed=1)]
    if task == "multiple_choice":
        choices = [[words(k, seed=k + 10 * i) for k in (1, 3, 5)] for i in range(2)]
        encoded = tokenizer.encode_task(task, texts, choices=choices, max_length=64, return_tensors="pt")
        labels = torch.tensor([0, 2])
    else:
        encoded = tokenizer.encode_task(task, texts, texts[::-1], max_length=64, return_tensors="pt")
        labels = torch.tensor([0.5, 1.0]) if num_labels == 1 else torch.tensor([0, 2])
    assert encoded["input_ids"].shape[:2] == (2, sequences)
    inputs = {name: encoded[name] for name in ("input_ids", "attention_mask", "mc_token_ids")}
    output = model(**inputs, mc_labels=labels)
    assert output.mc_logits.shape == ((2, sequences) if classifier_type == "multiple_choice" else (2, num_labels))
    assert torch.isfinite(output.loss)


# ---------------------------------------------------------------------------------------------------------------
# malformed examples


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (("translation", "a"), {}, ValueError, "unknown task 'translation'"),
        (("entailment", "a"), {}, ValueError, "task 'entailment' needs text_pair"),
        (("similarity", "a"), {}, ValueError, "task 'similarity' needs text_pair"),
        (("multiple_choice", "a"), {}, ValueError, "task 'multiple_choice' needs choices"),
        (("entailment", ["a", "b"], ["c"]), {}, ValueError, "text_pair has 1 examples, text has 2"),
        (("multiple_choice", ["a", "b"]), {"choices": [["c"]]}, ValueError, "choices has 1 examples, text has 2"),
        (("multiple_choice", "a"), {"choices": ["b"], "question": ["c", "d"]}, TypeError, "question must be a str"),
        (("multiple_choice", ["a"]), {"choices": [["b"]], "question": "c"}, TypeError, "question must be a list"),
        (("entailment", ["a", "b"], "cd"), {}, TypeError, "text_pair must be a list with one entry per example"),
        (("multiple_choice", "a"), {"choices": "bc"}, TypeError, "choices must be a list of texts"),
        (("multiple_choice", ["a"]), {"choices": ["bc"]}, TypeError, r"choices\[0\] must be a list of texts"),
        (("multiple_choice", "a"), {"choices": []}, ValueError, "has no choices"),
        (("classification", ["a", 3]), {}, TypeError, r"text\[1\] must be a str, got int"),
        (("classification", 3), {}, TypeError, "text must be a list"),
        (("classification", "a"), {"max_length": 7}, ValueError, "max_length=7 leaves no room"),
        (("classification", "a"), {"max_length": 0}, ValueError, "max_length=0 leaves no room"),
        (("classification", []), {"return_tensors": "pt"}, ValueError, "empty batch"),
        (
            ("multiple_choice", ["a", "b"]),
            {"choices": [["c"], ["d", "e"]], "return_tensors": "pt"},
            ValueError,
            r"different numbers of choices \[1, 2\]",
        ),
    ],
)
def test_malformed_examples_are_refused(tokenizer, args, kwargs, error, message):
    with pytest.raises(error, match=message):
        tokenizer.encode_task(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# real data: the original code's ROCStories format


def test_story_cloze_matches_the_original_rocstories_format():
    files = [require(VOCAB), require(MERGES)]
    with open(require(STORY_CLOZE), encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))[1:]
    # the original `_rocstories`: the four sentences joined by spaces, then the two endings
    contexts, endings = [" ".join(row[1:5]) for row in rows], [row[5:7] for row in rows]
    tokenizer = GPT1Tokenizer(*files)
    original = load_script("benchmarks/original_encoder.py").TextEncoder(*files)
    n = 64  # short enough that many stories are cut
    encoded = tokenizer.encode_task("multiple_choice", contexts, choices=endings, max_length=n)

    # the original `transform_roc`: [start] + x1[:max_len] + [delimiter] + x2[:max_len] + [clf_token]
    max_len = n // 2 - 2
    start, delimiter, clf_token = fine_tuning_ids(tokenizer)
    x1, x2, x3 = (original.encode(texts) for texts in (contexts, [e[0] for e in endings], [e[1] for e in endings]))
    expected = [
        [[start, *a[:max_len], delimiter, *b[:max_len], clf_token] for b in (b1, b2)]
        for a, b1, b2 in zip(x1, x2, x3, strict=True)
    ]
    assert encoded["input_ids"] == expected
    assert sum(count > 0 for count in encoded["num_truncated_tokens"]) > 100
