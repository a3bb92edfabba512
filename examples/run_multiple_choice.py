"""accelerate launch examples/run_multiple_choice.py --model_name_or_path org/gpt1-repro --dataset story_cloze \\
    --data_dir path/to/story_cloze --output_dir out/story_cloze

Fine-tune GPT-1 on Story Cloze or RACE with the paper's recipe (`modeling_gpt1.training.finetuning`): for each answer,
`_start_ context [question] $ answer _classify_`, one score per answer, softmax over the answers, plus the
auxiliary LM loss at lambda 0.5. Story Cloze trains on the spring-2016 validation stories split 1,497 / 374 as
the original code did (or on the user's own split) and is evaluated on the test file where it is given; RACE
reads its original folder layout. Writes `all_results.json` (`eval_accuracy`; for RACE also
`eval_accuracy_middle` and `eval_accuracy_high`; `test_accuracy` where a labelled test split exists), the
predictions of each evaluated split to `predictions_<split>.jsonl`, TensorBoard logs, a checkpoint per epoch,
and the fine-tuned model and tokenizer.
"""

import argparse

import torch

from modeling_gpt1 import GPT1ForMultipleChoice
from modeling_gpt1.data.tasks import DataError, load_race, load_story_cloze
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

SCRIPT = "run_multiple_choice.py"
LOADERS = {"story_cloze": load_story_cloze, "race": load_race}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog=SCRIPT, description=__doc__.split("\n\n")[1])
    parser.add_argument("--dataset", required=True, choices=sorted(LOADERS))
    add_arguments(parser)
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    return args


def encoder(tokenizer, question: bool, max_length: int):
    """A batched `encode_task`: `_start_ context [question] $ answer _classify_` for each answer."""

    def encode_batch(batch):
        questions = batch["question"] if question else None
        encoded = tokenizer.encode_task(
            "multiple_choice", batch["text"], choices=batch["choices"], question=questions, max_length=max_length
        )
        return dict(encoded)

    return encode_batch


def main(argv=None):
    args = parse_args(argv)
    # everything that can refuse the run is checked before the data is encoded or anything written
    try:
        splits = LOADERS[args.dataset](args.data_dir, args.train_file, args.validation_file, args.test_file)
        for split in ("train", "validation"):
            if split not in splits:
                raise UsageError(f"no {split} split for {args.dataset}; give its file")
        train_rows = first(splits["train"], args.max_train_samples)
        accelerator, tokenizer, max_length, settings = plan(
            args, GPT1ForMultipleChoice, len(train_rows), args.dataset, lm_coef=args.lm_coef
        )
        encode_batch = encoder(tokenizer, "question" in splits["train"].column_names, max_length)
        check_format(encode_batch, train_rows, max_length)
        model = build(args, accelerator, GPT1ForMultipleChoice, tokenizer, lm_coef=args.lm_coef)
    except (DataError, UsageError) as error:
        exit_with_error(SCRIPT, error)

    eval_sets = {}
    # the test split is scored where its answers are known (Story Cloze's test file has them), else only predicted
    for split in [split for split in ("validation", "test") if split in splits]:
        dataset = first(splits[split], args.max_eval_samples)
        prefix = "eval" if split == "validation" else split
        eval_sets[split] = (prefix, encode_split(dataset, encode_batch, split, max_length, accelerator))
    train_set = encode_split(train_rows, encode_batch, "train", max_length, accelerator)
    start_output(accelerator, args)
    metric = load_task_metric(args.dataset)

    def predict(mc_logits: torch.Tensor) -> list:
        return mc_logits.argmax(-1).tolist()

    def compute_metrics(split: str, predictions: list, labels: list) -> dict:
        results = metric.compute(predictions=predictions, references=labels)
        if args.dataset == "race":
            # RACE-m and RACE-h, the paper's two columns beside RACE
            levels = eval_sets[split][1]["level"]
            for level in sorted(set(levels)):
                rows = [i for i, row_level in enumerate(levels) if row_level == level]
                level_results = metric.compute(
                    predictions=[predictions[i] for i in rows], references=[labels[i] for i in rows]
                )
                results[f"accuracy_{level}"] = level_results["accuracy"]
        return results

    fine_tuning = FineTuning(args, accelerator, tokenizer, model, predict, compute_metrics, settings)
    results = fine_tuning.train(train_set, eval_sets)
    fine_tuning.save(results)
    accelerator.print({name: round(value, 4) for name, value in results.items() if isinstance(value, float)})


if __name__ == "__main__":
    main()
