"""accelerate launch examples/run_multiple_choice.py --model_name_or_path org/gpt1-repro --dataset story_cloze \\
    --data_dir path/to/story_cloze --output_dir out/story_cloze

Fine-tune GPT-1 on Story Cloze or RACE with the paper's recipe (`finetuning.py`): for each answer,
`_start_ context [question] $ answer _classify_`, one score per answer, softmax over the answers, plus the
auxiliary LM loss at lambda 0.5. Story Cloze trains on the spring-2016 validation stories split 1,497 / 374 as
the original code did (or on the user's own split) and is evaluated on the test file where it is given; RACE
reads its original folder layout. Writes `all_results.json` (`eval_accuracy`; for RACE also
`eval_accuracy_middle` and `eval_accuracy_high`; `test_accuracy` where a labelled test split exists), the
predictions of each evaluated split to `predictions_<split>.jsonl`, TensorBoard logs, a checkpoint per epoch,
and the fine-tuned model and tokenizer.
"""

import argparse
import sys
from pathlib import Path

import torch
from finetuning import FineTuning, add_arguments, check_arguments, load_model, make_accelerator
from task_data import DataError, load_race, load_story_cloze
from task_metrics import load_task_metric

from modeling_gpt1 import GPT1ForMultipleChoice

LOADERS = {"story_cloze": load_story_cloze, "race": load_race}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--dataset", required=True, choices=sorted(LOADERS))
    parser.add_argument("--data_dir", type=Path, default=None)
    parser.add_argument("--train_file", type=Path, default=None)
    parser.add_argument("--validation_file", type=Path, default=None)
    parser.add_argument("--test_file", type=Path, default=None)
    add_arguments(parser)
    args = parser.parse_args()
    check_arguments(parser, args)
    return args


def encode(tokenizer, dataset, max_length: int, split: str, accelerator):
    """`_start_ context [question] $ answer _classify_` for each answer; cut examples are counted."""
    question = "question" in dataset.column_names

    def encode_batch(batch):
        questions = batch["question"] if question else None
        encoded = tokenizer.encode_task(
            "multiple_choice", batch["text"], choices=batch["choices"], question=questions, max_length=max_length
        )
        return dict(encoded)

    with accelerator.main_process_first():
        encoded = dataset.map(encode_batch, batched=True, desc=f"encoding {split}")
    encoded = encoded.add_column("index", list(range(len(encoded))))
    truncated = sum(count > 0 for count in encoded["num_truncated_tokens"])
    if truncated:
        accelerator.print(
            f"{split}: {truncated:,} of {len(encoded):,} examples were longer than {max_length} tokens and were "
            f"cut by the original rule ({sum(encoded['num_truncated_tokens']):,} tokens dropped)"
        )
    return encoded


def main():
    args = parse_args()
    try:
        splits = LOADERS[args.dataset](args.data_dir, args.train_file, args.validation_file, args.test_file)
    except DataError as error:
        sys.exit(f"run_multiple_choice.py: error: {error}")
    for split in ("train", "validation"):
        if split not in splits:
            sys.exit(f"run_multiple_choice.py: error: no {split} split for {args.dataset}; give its file")

    # the data is read and checked before anything is written to the output folder
    accelerator = make_accelerator(args)
    tokenizer, model = load_model(args.model_name_or_path, GPT1ForMultipleChoice, accelerator, lm_coef=args.lm_coef)
    max_length = args.max_seq_length or model.config.max_position_embeddings
    if max_length > model.config.max_position_embeddings:
        sys.exit(f"run_multiple_choice.py: error: --max_seq_length {max_length} exceeds the model's context")

    train_set = splits["train"]
    if args.max_train_samples is not None:
        train_set = train_set.select(range(min(args.max_train_samples, len(train_set))))
    eval_sets = {}
    # the test split is scored where its answers are known (Story Cloze's test file has them), else only predicted
    for split in [split for split in ("validation", "test") if split in splits]:
        dataset = splits[split]
        if args.max_eval_samples is not None:
            dataset = dataset.select(range(min(args.max_eval_samples, len(dataset))))
        prefix = "eval" if split == "validation" else split
        eval_sets[split] = (prefix, encode(tokenizer, dataset, max_length, split, accelerator))
    train_set = encode(tokenizer, train_set, max_length, "train", accelerator)
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

    fine_tuning = FineTuning(args, accelerator, tokenizer, model, predict, compute_metrics)
    results = fine_tuning.train(train_set, eval_sets)
    fine_tuning.save(results)
    accelerator.print({name: round(value, 4) for name, value in results.items() if isinstance(value, float)})


if __name__ == "__main__":
    main()
