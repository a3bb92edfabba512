"""accelerate launch examples/run_zero_shot.py --model_name_or_path out/lm --task_name story_cloze \\
    --data_dir path/to/story_cloze --num_fewshot 0 --output_dir out/zero_shot_story_cloze

Evaluate a language model on a task with no fine-tuning (`modeling_gpt1.zero_shot`): GPT-1's zero-shot heuristics
(CoLA's fitted threshold, SST-2's "very", RACE's and Story Cloze's answer log-probabilities, Winograd
substitution) or GPT-3-style prompts with `--num_fewshot` solved training examples (`max`: as many as fit).
Data as the fine-tuning scripts read it (`modeling_gpt1.data.tasks`): `--data_dir` in the task's original layout, or
`--train_file/--validation_file`; Winograd sentences from files in WinoGrande's layout. Writes `all_results.json`
(`eval_<metric>`, the examples, the shots per prompt, how many prompts were cut or held fewer shots) and the
predictions with their scores to `predictions_validation.jsonl`. Folders of transformers' GPT-1 port and GPT-2 are
converted (`convert.from_openai_gpt`, `convert.from_gpt2`).
"""

import argparse
import json
import logging
from pathlib import Path

from accelerate import Accelerator
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from modeling_gpt1 import GPT1Config, convert
from modeling_gpt1.data.tasks import DataError, load_task
from modeling_gpt1.training.checks import UsageError, check_model_path, check_output_dir, exit_with_error
from modeling_gpt1.training.finetuning import first, write_atomically
from modeling_gpt1.training.zero_shot_eval import evaluate_zero_shot
from modeling_gpt1.zero_shot import MAX_SHOTS, TASKS, PromptBuilder, check_heuristic

SCRIPT = "run_zero_shot.py"


def shot_count(value: str) -> int | str:
    """`--num_fewshot`: an integer >= 0, or `max`."""
    if value == MAX_SHOTS:
        return value
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"must be an integer >= 0 or {MAX_SHOTS!r}, got {value!r}")
    return int(value)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog=SCRIPT, description=__doc__.split("\n\n")[1])
    parser.add_argument("--model_name_or_path", required=True, help="a folder or Hub id of a causal LM")
    parser.add_argument("--task_name", required=True, help=", ".join(TASKS))
    parser.add_argument(
        "--heuristic",
        default=None,
        help="default: GPT-1's for the task without shots (cola threshold, sst2 very, race answer, story_cloze "
        "ending, winograd substitution), else prompt",
    )
    parser.add_argument("--num_fewshot", type=shot_count, default=0, help=f"shots per prompt, or {MAX_SHOTS}")
    parser.add_argument("--data_dir", type=Path, default=None, help="the task's files in their original layout")
    parser.add_argument("--train_file", type=Path, default=None, help="shots, and CoLA's threshold, come from it")
    parser.add_argument("--validation_file", type=Path, default=None)
    parser.add_argument("--output_dir", type=Path, required=True)
    parser.add_argument("--per_device_eval_batch_size", type=int, default=8, help="examples per scoring batch")
    parser.add_argument("--max_eval_samples", type=int, default=None, help="the split's first N examples")
    parser.add_argument("--max_train_samples", type=int, default=None, help="the training split's first N examples")
    parser.add_argument("--seed", type=int, default=42, help="draws each example's shots")
    args = parser.parse_args(argv)
    args.task_name = args.task_name.lower().replace("-", "")
    args.task_name = {"storycloze": "story_cloze"}.get(args.task_name, args.task_name)
    if args.task_name not in TASKS:
        parser.error(f"unknown task {args.task_name!r}; the tasks are {', '.join(TASKS)}")
    try:
        args.heuristic = check_heuristic(args.task_name, args.heuristic, args.num_fewshot)
    except ValueError as error:
        parser.error(str(error))
    for name in ("per_device_eval_batch_size", "max_eval_samples", "max_train_samples"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    inputs = {f"--{name}": getattr(args, name) for name in ("model_name_or_path", "data_dir", "train_file")}
    try:
        check_output_dir(args.output_dir, {**inputs, "--validation_file": args.validation_file})
    except UsageError as error:
        parser.error(str(error))
    return args


def load_model(name_or_path: str):
    """The tokenizer and our causal LM (its positions follow the padding mask, its cache serves the answers);
    transformers' GPT-1 port and GPT-2 are converted to it."""
    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    model_type = AutoConfig.from_pretrained(name_or_path).model_type
    if model_type == "openai-gpt":
        return tokenizer, convert.from_openai_gpt(name_or_path)
    if model_type == "gpt2":
        return tokenizer, convert.from_gpt2(name_or_path)
    if model_type != GPT1Config.model_type:
        raise ValueError(f"a {model_type} model: this script scores GPT-1 models (ours, openai-gpt) and GPT-2")
    return tokenizer, AutoModelForCausalLM.from_pretrained(name_or_path)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    try:
        splits = load_task(args.task_name, args.data_dir, args.train_file, args.validation_file)
    except DataError as error:
        exit_with_error(SCRIPT, error)
    if "validation" not in splits:
        exit_with_error(SCRIPT, f"no validation split for {args.task_name}; give --validation_file")
    examples = first(splits["validation"], args.max_eval_samples)
    train_examples = first(splits["train"], args.max_train_samples) if "train" in splits else []
    if args.num_fewshot not in (0, MAX_SHOTS) and args.num_fewshot > len(train_examples):
        count = len(train_examples)
        exit_with_error(SCRIPT, f"--num_fewshot {args.num_fewshot} exceeds the {count} training examples")

    accelerator = Accelerator()
    try:
        check_model_path(args.model_name_or_path)
        tokenizer, model = load_model(args.model_name_or_path)
    except UsageError as error:
        exit_with_error(SCRIPT, error)
    except (OSError, ValueError) as error:
        exit_with_error(SCRIPT, f"cannot load {args.model_name_or_path}: {error}")
    model = model.to(accelerator.device).eval()
    try:
        prompts = PromptBuilder(
            tokenizer, args.task_name, model.config.max_position_embeddings, args.heuristic, args.num_fewshot,
            list(train_examples), args.seed,
        )  # fmt: skip
        results, rows = evaluate_zero_shot(accelerator, model, prompts, examples, args.per_device_eval_batch_size)
    except ValueError as error:  # too many shots, an answer longer than the context, a Winograd row without blank
        exit_with_error(SCRIPT, error)
    if results["eval_truncated"] and accelerator.is_main_process:
        logging.warning(
            "%d of %d prompts were longer than the model's context and lost their start",
            results["eval_truncated"], results["eval_samples"],
        )  # fmt: skip
    if results["eval_fewer_shots"] and accelerator.is_main_process:
        logging.warning(
            "%d of %d prompts could not hold %s shots and hold as many as fit",
            results["eval_fewer_shots"], results["eval_samples"], args.num_fewshot,
        )  # fmt: skip
    if accelerator.is_main_process:
        args.output_dir.mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps(row) + "\n" for row in rows)
        write_atomically(args.output_dir / "predictions_validation.jsonl", lines)
        write_atomically(args.output_dir / "all_results.json", json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
