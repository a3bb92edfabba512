"""The paper's task input formats for `GPT1DoubleHeads` (`encode_task`), and their padding into tensors.

GPT-1 fine-tunes without task-specific architecture (the paper's section 3.3): each example becomes one or more token
sequences framed by the fine-tuning tokens `_start_`, `_delimiter_` and `_classify_`; the classifier reads the state
at `_classify_`.
"""

from transformers import BatchEncoding

from .text_input import check_text

TASKS = ("classification", "entailment", "similarity", "multiple_choice")
# the arguments each task reads besides `text`; all are required but the question
ARGUMENTS = {
    "classification": (),
    "entailment": ("text_pair",),
    "similarity": ("text_pair",),
    "multiple_choice": ("choices", "question"),
}


def pad_task_inputs(batch: dict[str, list], pad_token_id: int) -> dict[str, list]:
    """`input_ids` and `attention_mask` of `batch`, `[batch, sequences, tokens]` lists, with each sequence padded to
    the batch's longest: the ids with `pad_token_id`, the mask with 0."""
    width = max(len(s) for sequences in batch["input_ids"] for s in sequences)
    return {
        name: [[s + [fill] * (width - len(s)) for s in sequences] for sequences in batch[name]]
        for name, fill in (("input_ids", pad_token_id), ("attention_mask", 0))
    }


def encode_task(
    tokenizer,
    task: str,
    text,
    text_pair=None,
    *,
    choices=None,
    question=None,
    max_length: int | None = None,
    return_tensors=None,
) -> BatchEncoding:
    """The paper's input format of `task` for `GPT1DoubleHeads`, for one example or a batch, by `tokenizer` (a
    `GPT1Tokenizer`).

    - `classification`: `_start_ text _classify_`;
    - `entailment`: `_start_ text $ text_pair _classify_`;
    - `similarity`: both orders, `_start_ text $ text_pair _classify_` and `_start_ text_pair $ text _classify_`;
    - `multiple_choice`: for each of `choices`, `_start_ text [question] $ choice _classify_`.

    `$` is `_delimiter_`. Truncation is the original code's: with `max_length` n (default
    `model_max_length`), a single text keeps its first n - 2 tokens, and each side of the delimiter
    its first n // 2 - 2; a question is kept whole after the context, which is cut to make room for it.

    Each example gets `input_ids` and `attention_mask` of shape [sequences, tokens] (1 sequence, 2 for
    similarity, one per choice), `mc_token_ids` (the `_classify_` positions) and `num_truncated_tokens`.
    With `return_tensors`, examples are padded with `pad_token_id` to [batch, sequences, tokens] (a batch
    of one for a single example, as transformers' tokenizers return tensors).
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; the tasks are {', '.join(TASKS)}")
    if text is None:
        raise TypeError("text must be a str, or a list with one entry per example, got None")
    if max_length is not None and (not isinstance(max_length, int) or isinstance(max_length, bool)):
        raise TypeError(f"max_length must be an int (or None), got {type(max_length).__name__} {max_length!r}")
    is_batch = not isinstance(text, (str, bytes))
    examples = {"text": text, "text_pair": text_pair, "choices": choices, "question": question}
    for name in ARGUMENTS[task]:
        if name != "question" and examples[name] is None:
            raise ValueError(f"task {task!r} needs {name}")
    for name in ("text_pair", "choices", "question"):
        if name not in ARGUMENTS[task] and examples[name] is not None:
            # it would be left out of the sequences without a word
            raise ValueError(f"task {task!r} takes no {name} (given {type(examples[name]).__name__})")
    if is_batch:
        # a str here would be taken for a list of one-character texts
        for name, value in examples.items():
            if value is not None and not isinstance(value, (list, tuple)):
                raise TypeError(f"{name} must be a list with one entry per example, got {type(value).__name__}")
    else:
        for name in ("text", "text_pair", "question"):
            if examples[name] is not None:
                examples[name] = check_text(examples[name], name)
        examples = {name: None if value is None else [value] for name, value in examples.items()}
    size = len(examples["text"])
    for name, value in examples.items():
        if value is not None and len(value) != size:
            raise ValueError(f"{name} has {len(value)} examples, text has {size}")

    if size == 0:
        raise ValueError("encode_task got an empty batch")
    n = tokenizer.model_max_length if max_length is None else max_length
    if n < 8:
        raise ValueError(f"max_length={n} leaves no room for the task format")
    half = n // 2 - 2
    first = tokenizer.encode_texts(examples["text"])
    lengths = [len(ids) for ids in first]
    if examples["question"] is not None:
        questions = tokenizer.encode_texts(examples["question"], name="question")
        first = [context[: max(0, half - len(q))] + q[:half] for context, q in zip(first, questions, strict=True)]
        lengths = [length + len(q) for length, q in zip(lengths, questions, strict=True)]
    start, delimiter, extract = tokenizer.bos_token_id, tokenizer.sep_token_id, tokenizer.cls_token_id

    batch = {"input_ids": [], "mc_token_ids": [], "num_truncated_tokens": []}
    if task == "classification":
        for ids in first:
            batch["input_ids"].append([[start, *ids[: n - 2], extract]])
            batch["num_truncated_tokens"].append(max(0, len(ids) - (n - 2)))
    else:
        if task == "multiple_choice":
            seconds = []
            for index, example_choices in enumerate(examples["choices"]):
                name = f"choices[{index}]" if is_batch else "choices"
                if not isinstance(example_choices, (list, tuple)):
                    kind = type(example_choices).__name__
                    raise TypeError(f"{name} must be a list of texts, one per choice, got {kind}")
                seconds.append(tokenizer.encode_texts(example_choices, name=name))
        else:
            seconds = [[ids] for ids in tokenizer.encode_texts(examples["text_pair"], name="text_pair")]
        for a, length_a, b_list in zip(first, lengths, seconds, strict=True):
            if not b_list:
                raise ValueError("an example of multiple_choice has no choices")
            a = a[:half]
            sequences = [[start, *a, delimiter, *b[:half], extract] for b in b_list]
            if task == "similarity":
                (b,) = b_list
                sequences.append([start, *b[:half], delimiter, *a, extract])
            batch["input_ids"].append(sequences)
            lost = max(0, length_a - len(a)) + sum(max(0, len(b) - half) for b in b_list)
            batch["num_truncated_tokens"].append(lost)
    batch["mc_token_ids"] = [[len(s) - 1 for s in sequences] for sequences in batch["input_ids"]]
    batch["attention_mask"] = [[[1] * len(s) for s in sequences] for sequences in batch["input_ids"]]
    if return_tensors is not None:
        batch.update(pad_task_inputs(batch, tokenizer.pad_token_id))
        count = {len(sequences) for sequences in batch["input_ids"]}
        if len(count) > 1:
            raise ValueError(f"examples have different numbers of choices {sorted(count)}; batch them apart")
    if not is_batch and return_tensors is None:
        batch = {name: value[0] for name, value in batch.items()}
    return BatchEncoding(batch, tensor_type=return_tensors)
