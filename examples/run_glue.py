"""accelerate launch examples/run_glue.py --model_name_or_path org/gpt1-repro --task_name rte --output_dir out/rte

Fine-tune GPT-1 on a GLUE task (CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI), SNLI or SciTail with the
paper's recipe (`modeling_gpt1.training.finetuning`): each task in its input format (classification `_start_ text
_classify_`; entailment `_start_ premise $ hypothesis _classify_`; similarity both orders, their `_classify_` states
added; regression for STS-B), the auxiliary LM loss at lambda 0.5. Data from `--data_dir` in the task's original
layout, from `--train_file/--validation_file` (csv, tsv, json), or from the Hub by name. Writes the task's metrics
to `all_results.json` (`eval_<metric>`; MNLI's mismatched split as `eval_mismatched_<metric>`), the predictions of
each evaluation split to `predictions_<split>.jsonl`, TensorBoard logs, a checkpoint per epoch, and the fine-tuned
model and tokenizer.
"""

import argparse

import torch

from modeling_gpt1 import GPT1ForSequenceClassification
from modeling_gpt1.data.tasks import DataError, get_task, load_glue
from modeling_gpt1.metrics import load_task_metric
from modeling_gpt1.training.checks import UsageError, exit_with_error
from modeling_gpt1.training.finetuning import (
    FineTuning,
    add_arguments,
    build,
    check_arguments,
    check_format,
    encode_split,
    first,
    plan,
    start_output,
)

SCRIPT = "run_glue.py"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog=SCRIPT, description=__doc__.split("\n\n")[1])
    parser.add_argument("--task_name", required=True, help="cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli, ...")
    add_arguments(parser)
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    try:
        args.task = get_task(args.task_name)
    except DataError as error:
        parser.error(str(error))
    return args


def encoder(tokenizer, task, pair: bool, max_length: int):
    """A batched `encode_task` in the task's input format."""

    def encode_batch(batch):
        text_pair = batch["text_pair"] if pair else None
        return dict(tokenizer.encode_task(task.format, batch["text"], text_pair, max_length=max_length))

    return encode_batch


def main(argv=None):
    args = parse_args(argv)
    task = args.task
    num_labels = 1 if task.labels is None else len(task.labels)
    model_class = GPT1ForSequenceClassification
    # everything that can refuse the run is checked before the data is encoded or anything written
    try:
        splits = load_glue(task.name, args.data_dir, args.train_file, args.validation_file, args.test_file)
        for split in ("train", *task.eval_splits):
            if split not in splits:
                raise UsageError(f"no {split} split for {task.name}; give its file")
        train_rows = first(splits["train"], args.max_train_samples)
        accelerator, tokenizer, max_length, settings = plan(
            args, model_class, len(train_rows), task.name, num_labels=num_labels, lm_coef=args.lm_coef
        )
        encode_batch = encoder(tokenizer, task, "text_pair" in splits["train"].column_names, max_length)
        check_format(encode_batch, train_rows, max_length)
        model = build(args, accelerator, model_class, tokenizer, num_labels=num_labels, lm_coef=args.lm_coef)
    except (DataError, UsageError) as error:
        exit_with_error(SCRIPT, error)

    eval_sets = {}
    # the test splits get predictions (for a GLUE submission), and metrics where they are labelled (SNLI, SciTail)
    test_splits = [split for split in splits if split.startswith("test")]
    for number, split in enumerate([*task.eval_splits, *test_splits]):
        dataset = first(splits[split], args.max_eval_samples)
        prefix = "eval" if number == 0 else f"eval_{split.removeprefix('validation_')}"
        prefix = "test" if split.startswith("test") else prefix
        eval_sets[split] = (prefix, encode_split(dataset, encode_batch, split, max_length, accelerator))
    train_set = encode_split(train_rows, encode_batch, "train", max_length, accelerator)
    start_output(accelerator, args)

    def predict(mc_logits: torch.Tensor) -> list:
        return mc_logits[:, 0].tolist() if task.labels is None else mc_logits.argmax(-1).tolist()

    # the evaluation module names MNLI's mismatched split as a task of its own
    metric_names = {split: "mnli_mismatched" if split == "validation_mismatched" else task.name for split in eval_sets}
    metrics = {name: load_task_metric(name) for name in set(metric_names.values())}

    def compute_metrics(split: str, predictions: list, labels: list) -> dict:
        return metrics[metric_names[split]].compute(predictions=predictions, references=labels)

    fine_tuning = FineTuning(args, accelerator, tokenizer, model, predict, compute_metrics, settings)
    results = fine_tuning.train(train_set, eval_sets)
    fine_tuning.save(results)
    accelerator.print({name: round(value, 4) for name, value in results.items() if isinstance(value, float)})


if __name__ == "__main__":
    main()
