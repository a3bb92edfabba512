"""Zero- and few-shot evaluation with the language model alone: GPT-1's zero-shot heuristics (paper section 5)
and GPT-3's in-context prompting.

Every heuristic turns an example into a `Candidates`: a prefix (the prompt) and the continuations to score after
it. `score_candidates` runs each prefix once, copies its KV cache to every continuation and scores all of them in
one batched pass; `score_one_at_a_time` is the plain reference it must equal (one full forward per continuation).

The heuristics, per task (the first is the default without shots):
- `cola`: `threshold` (GPT-1: the sentence's mean token log-probability above a threshold fitted on the training
  split means acceptable), `prompt`;
- `sst2`: `very` (GPT-1: the review followed by "very", then P(" positive") against P(" negative")), `prompt`;
- `mrpc`, `rte`: `prompt`;
- `story_cloze`: `ending` (the ending with the higher mean token log-probability after the story), `prompt`;
- `race`: `answer` (GPT-1: the option with the highest mean token log-probability after article and question),
  `prompt`;
- `winograd`: `substitution` (GPT-1, after Trinh and Le: the blank `_` filled with each option, the mean
  log-probability of the rest of the sentence decides), `prompt`.
`prompt` is GPT-3's format: a task instruction, K solved training examples (drawn per example, seeded), then the
example; label words are compared by their total log-probability, answers by their mean per token.

Examples are dicts with the columns of `modeling_gpt1.data.tasks`: `text`, `text_pair` (pairs), `choices` and
`question` (RACE) for multiple choice, `label`; a Winograd `text` holds one `_` where an option goes.
"""

import dataclasses
import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import numpy as np
import torch
from transformers import DynamicCache

# the number of shots that means "as many as fit the context"
MAX_SHOTS = "max"


class Candidates(NamedTuple):
    """A prefix run once, and the continuations scored after it; `skips[i]` leading tokens of continuation i
    are context, not scored (the option substituted into a Winograd sentence)."""

    prefix: list[int]
    continuations: list[list[int]]
    skips: list[int] | None = None


class Score(NamedTuple):
    """The summed log-probability of a continuation's scored tokens, and how many they are."""

    total: float
    tokens: int

    @property
    def mean(self) -> float:
        return self.total / self.tokens


def check_candidates(requests: Sequence[Candidates], n_positions: int):
    """Raise a ValueError for a request that cannot be scored: an empty prefix or continuation, nothing to score,
    or a prefix and continuation longer than the context."""
    for number, request in enumerate(requests):
        if not request.prefix or not request.continuations:
            raise ValueError(f"request {number} has an empty prefix or no continuations")
        for continuation, skip in zip(request.continuations, skips(request), strict=True):
            if not 0 <= skip < len(continuation):
                raise ValueError(f"request {number} has a continuation with no token to score")
            if len(request.prefix) + len(continuation) > n_positions:
                raise ValueError(
                    f"request {number}: {len(request.prefix)} prefix + {len(continuation)} continuation tokens "
                    f"exceed the model's {n_positions} positions"
                )


def check_model(model):
    """Raise a ValueError for a model in training mode: it keeps no cache and drops out activations."""
    if model.training:
        raise ValueError("scoring needs the model in evaluation mode: call model.eval() first")


def skips(request: Candidates) -> list[int]:
    return request.skips if request.skips is not None else [0] * len(request.continuations)


def padded(sequences: Sequence[Sequence[int]], length: int, left: bool, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids padded with 0 to `length` (on the left or the right), and the attention mask."""
    ids = torch.zeros(len(sequences), length, dtype=torch.long)
    mask = torch.zeros(len(sequences), length, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        start = length - len(sequence) if left else 0
        ids[row, start : start + len(sequence)] = torch.tensor(sequence, dtype=torch.long)
        mask[row, start : start + len(sequence)] = 1
    return ids.to(device), mask.to(device)


@torch.no_grad()
def score_candidates(model, requests: Sequence[Candidates], batch_size: int = 8) -> list[list[Score]]:
    """The scores of every request's continuations, each prefix run once and its KV cache reused.

    Requests are batched `batch_size` at a time in order of prefix length: prefixes left-padded, then every
    continuation after a copy of its prefix's cache, right-padded. `model` is a `GPT1LMHeadModel` (whose positions
    follow the attention mask, so left padding is right; `convert.from_gpt2` makes one of GPT-2).
    """
    n_positions = model.config.max_position_embeddings
    check_model(model)
    check_candidates(requests, n_positions)
    scores = [None] * len(requests)
    for numbers in batches(requests, batch_size, n_positions):
        for number, request_scores in zip(numbers, score_batch(model, [requests[n] for n in numbers]), strict=True):
            scores[number] = request_scores
    return scores


def batches(requests: Sequence[Candidates], batch_size: int, n_positions: int) -> list[list[int]]:
    """The requests' numbers in batches of at most `batch_size`, in order of their lengths, each batch's padded
    prefix and padded continuations together within the model's positions."""
    # by prefix length, then by longest continuation: requests that pad alike share a batch
    order = sorted(
        range(len(requests)),
        key=lambda number: (len(requests[number].prefix), max(map(len, requests[number].continuations))),
    )
    grouped, batch, prefix, continuation = [], [], 0, 0
    for number in order:
        request = requests[number]
        request_prefix, request_continuation = len(request.prefix), max(map(len, request.continuations))
        # the continuation pass feeds all but each continuation's last token after the padded prefixes
        padded_length = max(prefix, request_prefix) + max(continuation, request_continuation) - 1
        if batch and (len(batch) == batch_size or padded_length > n_positions):
            grouped.append(batch)
            batch, prefix, continuation = [], 0, 0
        batch.append(number)
        prefix, continuation = max(prefix, request_prefix), max(continuation, request_continuation)
    return [*grouped, batch] if batch else grouped


def score_batch(model, requests: list[Candidates]) -> list[list[Score]]:
    """`score_candidates` for one batch of requests."""
    device = model.device
    prefix_ids, prefix_mask = padded([r.prefix for r in requests], max(len(r.prefix) for r in requests), True, device)
    cache = DynamicCache(config=model.config)
    output = model(input_ids=prefix_ids, attention_mask=prefix_mask, cache=cache, use_cache=True, logits_to_keep=1)
    # [requests, vocab]: the distribution of every continuation's first token
    first_logprobs = output.logits[:, -1].float().log_softmax(-1)

    rows = [row for row, request in enumerate(requests) for _ in request.continuations]
    continuations = [continuation for request in requests for continuation in request.continuations]
    rows = torch.tensor(rows, device=device)
    longest = max(map(len, continuations))
    targets, target_mask = padded(continuations, longest, False, device)
    # [continuations, longest]: the log-probability of each continuation token
    token_logprobs = first_logprobs[rows].gather(-1, targets[:, :1])
    if longest > 1:
        cache.batch_select_indices(rows)  # each continuation gets a copy of its prefix's cache
        inputs = targets[:, :-1]
        attention_mask = torch.cat([prefix_mask[rows], target_mask[:, :-1]], dim=1)
        logits = model(input_ids=inputs, attention_mask=attention_mask, cache=cache, use_cache=True).logits
        later = logits.float().log_softmax(-1).gather(-1, targets[:, 1:, None])[..., 0]
        token_logprobs = torch.cat([token_logprobs, later], dim=1)

    first_scored = torch.tensor([skip for request in requests for skip in skips(request)], device=device)
    positions = torch.arange(longest, device=device)[None]
    scored = target_mask.bool() & (positions >= first_scored[:, None])
    totals = token_logprobs.double().masked_fill(~scored, 0.0).sum(-1).tolist()
    counts = scored.sum(-1).tolist()
    flat = iter(Score(total, count) for total, count in zip(totals, counts, strict=True))
    return [[next(flat) for _ in request.continuations] for request in requests]


@torch.no_grad()
def score_one_at_a_time(model, requests: Sequence[Candidates]) -> list[list[Score]]:
    """The reference for `score_candidates`: one full forward per prefix + continuation, no cache, no padding."""
    check_model(model)
    check_candidates(requests, model.config.max_position_embeddings)
    scores = []
    for request in requests:
        request_scores = []
        for continuation, skip in zip(request.continuations, skips(request), strict=True):
            ids = torch.tensor([request.prefix + continuation], device=model.device)
            logprobs = model(input_ids=ids, use_cache=False).logits[0, :-1].float().log_softmax(-1)
            # the log-probability of token t is read at position t - 1
            targets = ids[0, len(request.prefix) + skip :]
            picked = logprobs[len(request.prefix) + skip - 1 :].gather(-1, targets[:, None])
            request_scores.append(Score(picked.double().sum().item(), len(targets)))
        scores.append(request_scores)
    return scores


@dataclasses.dataclass(frozen=True)
class Prompt:
    """GPT-3-style prompt of a task: an instruction, the example as a context, and its candidates.

    `context` is a `str.format` template over the example's columns; `label_words` are the candidates of a
    classification task (by label index), compared by total log-probability; without them the candidates are
    the example's `choices`, each after a space, compared by their mean log-probability per token.
    """

    instruction: str
    context: str
    label_words: tuple[str, ...] | None = None


PROMPTS = {
    "cola": Prompt(
        "Say whether each sentence is grammatical.",
        "{text}\nquestion: is this sentence grammatical?\nanswer:",
        (" no", " yes"),
    ),
    "sst2": Prompt(
        "Say whether each movie review is positive or negative.",
        "{text}\nquestion: is this review positive or negative?\nanswer:",
        (" negative", " positive"),
    ),
    "mrpc": Prompt(
        "Say whether the two sentences mean the same thing.",
        "{text}\n{text_pair}\nquestion: do both sentences mean the same thing?\nanswer:",
        (" no", " yes"),
    ),
    # RTE's labels are entailment, not_entailment
    "rte": Prompt(
        "Say whether each statement is true or false given the passage before it.",
        "{text}\nquestion: {text_pair} true or false?\nanswer:",
        (" true", " false"),
    ),
    "story_cloze": Prompt("Finish each story with its most sensible ending.", "{text}"),
    "race": Prompt("Answer each question about the article.", "article: {text}\nquestion: {question}\nanswer:"),
    # the sentence up to its blank; the options and the rest of the sentence are the candidates
    "winograd": Prompt("Fill in each blank with the right name.", ""),
}
HEURISTICS = {
    "cola": ("threshold", "prompt"),
    "sst2": ("very", "prompt"),
    "mrpc": ("prompt",),
    "rte": ("prompt",),
    "story_cloze": ("ending", "prompt"),
    "race": ("answer", "prompt"),
    "winograd": ("substitution", "prompt"),
}
TASKS = tuple(HEURISTICS)


def check_heuristic(task: str, heuristic: str | None, num_fewshot: int | str) -> str:
    """The heuristic to run (by default the task's first without shots, `prompt` with them); a ValueError for an
    unknown task or heuristic, a bad shot count, or shots with a zero-shot heuristic."""
    if task not in HEURISTICS:
        raise ValueError(f"unknown zero-shot task {task!r}; the tasks are {', '.join(TASKS)}")
    if num_fewshot != MAX_SHOTS and not (isinstance(num_fewshot, int) and num_fewshot >= 0):
        raise ValueError(f"the number of shots must be an integer >= 0 or {MAX_SHOTS!r}, got {num_fewshot!r}")
    if heuristic is None:
        heuristic = HEURISTICS[task][0] if num_fewshot == 0 else "prompt"
    if heuristic not in HEURISTICS[task]:
        known = ", ".join(HEURISTICS[task])
        raise ValueError(f"unknown heuristic {heuristic!r} for {task}; its heuristics are {known}")
    if num_fewshot != 0 and heuristic != "prompt":
        raise ValueError(f"{heuristic!r} is GPT-1's zero-shot heuristic; few-shot evaluation needs 'prompt'")
    return heuristic


@dataclasses.dataclass
class Evaluation:
    """What `evaluate_task` found: a prediction and the candidates' scores per example, the shots each prompt
    holds, how many prompts were cut on the left to fit the context or hold fewer shots than asked, and the
    fitted threshold (CoLA's `threshold` heuristic)."""

    predictions: list[int]
    scores: list[list[float]]
    shots: list[int]
    truncated: int = 0
    fewer_shots: int = 0
    threshold: float | None = None


class PromptBuilder:
    """The `Candidates` of a task's examples under one heuristic and shot count: prompts with their shots, fitted to
    `n_positions`. Each text is tokenized once, so a builder kept across evaluations (pretraining checkpoints)
    tokenizes its examples once.

    `heuristic` defaults to the task's first without shots, `prompt` with them; a ValueError names an unknown task
    or heuristic, a bad shot count, more shots than `train_examples`, or CoLA's threshold without them.
    """

    def __init__(
        self,
        tokenizer,
        task: str,
        n_positions: int,
        heuristic: str | None = None,
        num_fewshot: int | str = 0,
        train_examples=(),
        seed: int = 42,
    ):
        self.heuristic = check_heuristic(task, heuristic, num_fewshot)
        if num_fewshot not in (0, MAX_SHOTS) and num_fewshot > len(train_examples):
            raise ValueError(
                f"{num_fewshot} shots asked for, but the training split has {len(train_examples)} examples"
            )
        if self.heuristic == "threshold" and not len(train_examples):
            raise ValueError("CoLA's threshold is fitted on the training split, which is empty")
        self.task, self.n_positions, self.num_fewshot = task, n_positions, num_fewshot
        self.prompt = PROMPTS[task]
        self.train_examples = train_examples
        self.seed = seed
        self.encoded = {}
        self.tokenizer = tokenizer
        self.separator = separator_ids(self.encode)

    def encode(self, text: str) -> list[int]:
        """`text`'s token ids, without special tokens; each text is tokenized once."""
        if text not in self.encoded:
            self.encoded[text] = self.tokenizer.encode(text, add_special_tokens=False)
        return self.encoded[text]

    def example_parts(self, example: dict) -> tuple[list[int], list[list[int]], list[int]]:
        """The example's own context, candidates and the scored-from offset of each, under this heuristic."""
        if self.task == "winograd":
            before, after = blank_parts(example)
            options = [self.encode(" " + option) for option in example["choices"]]
            return self.encode(before), [option + self.encode(after) for option in options], list(map(len, options))
        if self.heuristic == "threshold":
            return [], [self.encode(example["text"])], [0]
        if self.heuristic == "very":
            context, words = example["text"] + " very", PROMPTS["sst2"].label_words
        elif self.heuristic in ("answer", "ending"):
            context = " ".join(filter(None, (example["text"], example.get("question"))))
            words = [" " + choice for choice in example["choices"]]
        else:
            context = self.prompt.context.format(**example)
            words = self.prompt.label_words or [" " + choice for choice in example["choices"]]
        candidates = [self.encode(word) for word in words]
        return self.encode(context), candidates, [0] * len(candidates)

    def solved(self, example: dict) -> list[int]:
        """A training example with its answer, as a shot."""
        context, candidates, _ = self.example_parts(example)
        return context + candidates[example["label"]]

    def candidates(self, number: int, example: dict) -> tuple[Candidates, int, bool]:
        """The example's request, the shots it holds, and whether its prompt was cut on the left to fit."""
        context, continuations, skips = self.example_parts(example)
        heading = self.encode(self.prompt.instruction) + self.separator if self.heuristic == "prompt" else []
        budget = self.n_positions - max(map(len, continuations))
        if budget < 1:
            raise ValueError(f"example {number}: an answer alone is longer than the model's {self.n_positions} tokens")
        shots = []
        if self.num_fewshot != 0:
            wanted = len(self.train_examples) if self.num_fewshot == MAX_SHOTS else self.num_fewshot
            # an example's shots are drawn from the seed and its id (or number) alone, on any process
            drawn = shot_order(f"{self.seed}:{example.get('id', number)}", len(self.train_examples))
            length = len(heading) + len(context)
            for index in itertools.islice(drawn, wanted):
                shot = self.solved(self.train_examples[index]) + self.separator
                if length + len(shot) > budget:
                    break
                shots.append(shot)
                length += len(shot)
        prefix = heading + [token for shot in shots for token in shot] + context
        truncated = len(prefix) > budget
        # an empty prefix (a sentence scored whole, a blank first) starts after a paragraph break
        prefix = prefix[-budget:] or self.separator
        return Candidates(prefix, continuations, skips), len(shots), truncated

    def requests(self, examples) -> tuple[list, list[int], list[bool]]:
        """The examples' requests, shots and whether each prompt was cut, each checked against the context (a
        ValueError names the first that cannot be scored): tokenization only, so that errors come before scoring."""
        built = [self.candidates(number, example) for number, example in enumerate(examples)]
        requests = [request for request, _, _ in built]
        check_candidates(requests, self.n_positions)
        return requests, [shots for _, shots, _ in built], [cut for _, _, cut in built]


def shot_order(key: str, count: int) -> Iterator[int]:
    """The indices 0..count-1 in a random order fixed by `key`, drawn lazily: the first K are the K shots, so an
    example's shots for K are among its shots for K + 1."""
    rng, seen = random.Random(key), set()
    while len(seen) < count:
        index = rng.randrange(count)
        if index not in seen:
            seen.add(index)
            yield index


def separator_ids(encode: Callable[[str], list[int]]) -> list[int]:
    """The tokens of a paragraph break between two texts: GPT-1's tokenizer strips a lone "\\n\\n" to nothing."""
    word, joined = encode("a"), encode("a\n\na")
    separator = joined[len(word) : len(joined) - len(word)]
    if not separator or joined[: len(word)] != word:
        raise ValueError("the tokenizer has no token for a paragraph break between texts")
    return separator


def blank_parts(example: dict) -> tuple[str, str]:
    """A Winograd sentence's text before and after its blank `_`."""
    if example["text"].count("_") != 1:
        raise ValueError(f"Winograd example {example.get('id', '')!r} must hold one blank '_': {example['text']!r}")
    before, after = example["text"].split("_")
    if not after.strip():
        raise ValueError(f"Winograd example {example.get('id', '')!r} has nothing after its blank to score")
    return before.rstrip(), after


def best_threshold(scores: Sequence[float], labels: Sequence[int]) -> float:
    """The threshold on `scores` (above it: label 1) with the highest Matthews correlation on `labels`."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    order = np.argsort(scores)
    scores, labels = scores[order], labels[order]
    # cut k: the k lowest scores are predicted 0, the rest 1
    negatives_below = np.concatenate([[0], np.cumsum(labels == 0)])
    positives_below = np.concatenate([[0], np.cumsum(labels == 1)])
    true_negatives, false_negatives = negatives_below, positives_below
    false_positives, true_positives = negatives_below[-1] - negatives_below, positives_below[-1] - positives_below
    numerator = true_positives * true_negatives - false_positives * false_negatives
    denominator = np.sqrt(
        (true_positives + false_positives).astype(np.float64)
        * (true_positives + false_negatives)
        * (true_negatives + false_positives)
        * (true_negatives + false_negatives)
    )
    mcc = np.divide(numerator, denominator, out=np.zeros(len(numerator)), where=denominator > 0)
    # cuts between equal scores cannot be made
    valid = np.concatenate([[True], scores[1:] > scores[:-1], [True]])
    cut = int(np.argmax(np.where(valid, mcc, -np.inf)))
    if cut == 0:
        return float(scores[0]) - 1.0
    if cut == len(scores):
        return float(scores[-1])
    return float((scores[cut - 1] + scores[cut]) / 2)


def evaluate_task(model, prompts: PromptBuilder, examples, batch_size: int = 8, cached: bool = True) -> Evaluation:
    """Predictions of the LM alone for `examples`, prompted by `prompts` (its task, heuristic and shots; CoLA's
    threshold is fitted on its training examples).

    Shots are drawn in a random order and added until the next one does not fit: with `num_fewshot="max"` that is
    all a prompt holds; a prompt that cannot hold the shots asked for holds fewer (counted in `fewer_shots`); one
    that cannot fit even without shots loses its start (counted in `truncated`). `cached=False` scores with the
    reference `score_one_at_a_time` instead of `score_candidates`.
    """
    if not len(examples):
        raise ValueError(f"no {prompts.task} examples to evaluate")
    mean = uses_mean(prompts.task, prompts.heuristic)

    def score(requests: list[Candidates]) -> list[list[float]]:
        scores = score_candidates(model, requests, batch_size) if cached else score_one_at_a_time(model, requests)
        return [[value.mean if mean else value.total for value in values] for values in scores]

    requests, shots, truncated = prompts.requests(examples)
    scores = score(requests)
    wanted = prompts.num_fewshot
    evaluation = Evaluation(
        predictions=[int(np.argmax(values)) for values in scores],
        scores=scores,
        shots=shots,
        truncated=sum(truncated),
        fewer_shots=0 if wanted == MAX_SHOTS else sum(count < wanted for count in shots),
    )
    if prompts.heuristic == "threshold":
        train_scores = [values[0] for values in score(prompts.requests(prompts.train_examples)[0])]
        labels = [example["label"] for example in prompts.train_examples]
        evaluation.threshold = best_threshold(train_scores, labels)
        evaluation.predictions = [int(values[0] > evaluation.threshold) for values in scores]
    return evaluation


def uses_mean(task: str, heuristic: str) -> bool:
    """Whether candidates are compared by mean log-probability per token (answers, endings, sentences) rather than
    in total (label words)."""
    return heuristic in ("threshold", "answer", "ending", "substitution") or PROMPTS[task].label_words is None


__all__ = [
    "HEURISTICS",
    "MAX_SHOTS",
    "PROMPTS",
    "TASKS",
    "Candidates",
    "Evaluation",
    "PromptBuilder",
    "Score",
    "best_threshold",
    "check_heuristic",
    "evaluate_task",
    "score_candidates",
    "score_one_at_a_time",
]
