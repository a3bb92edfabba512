"""python examples/ablation.py --data_dir DATA --train_files CORPUS.txt --output_dir out/ablation

The paper's ablation (section 5, table 5) in miniature: does pretraining help every task, and what does the
auxiliary LM objective add? One small GPT-1 is pretrained on the corpus with `run_pretraining.py`, then each task
is fine-tuned with `run_glue.py` / `run_multiple_choice.py` and the paper's recipe (but for the learning rate,
scaled as the pretraining one was: a 128-wide model learns nothing in 3 epochs at 6.25e-5) in three ways:

- `pretrained + aux LM`: from the pretrained weights, L3 = L2 + 0.5 L1 (the paper's full method);
- `pretrained, no aux LM`: from the pretrained weights, `--lm_coef 0`;
- `no pretraining`: from weights initialised as the pretrained model's were (same config, tokenizer and seed), aux LM
  on, as the paper's "Transformer w/o pre-training".

Every step is a command line the user can run alone; the script prints them, skips steps whose results are already
in `--output_dir` (so an interrupted ablation continues), and writes `ablation.md` there: the table of the tasks'
development-set scores, with the model size, the pretraining tokens and the time of each step.
"""

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import torch

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel, GPT1Tokenizer
from modeling_gpt1.data.tasks import DataError, load_task
from modeling_gpt1.training.checks import UsageError, check_output_dir
from modeling_gpt1.training.finetuning import write_atomically

EXAMPLES = Path(__file__).resolve().parent
# task -> (script, its task arguments, its folder under --data_dir, the metric reported, as in the paper's table)
TASKS = {
    "cola": ("run_glue.py", ["--task_name", "cola"], "glue/CoLA", "matthews_correlation"),
    "stsb": ("run_glue.py", ["--task_name", "stsb"], "glue/STS-B", "pearson"),
    "mrpc": ("run_glue.py", ["--task_name", "mrpc"], "glue/MRPC", "f1"),
    "rte": ("run_glue.py", ["--task_name", "rte"], "glue/RTE", "accuracy"),
    "story_cloze": ("run_multiple_choice.py", ["--dataset", "story_cloze"], "story_cloze", "accuracy"),
}
VARIANTS = {  # name -> (starting model, --lm_coef)
    "pretrained + aux LM": ("pretrained", 0.5),
    "pretrained, no aux LM": ("pretrained", 0.0),
    "no pretraining": ("untrained", 0.5),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="ablation.py",
        description=__doc__.split("\n\n")[1],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--output_dir", type=Path, default=Path("out/ablation"))
    parser.add_argument(
        "--data_dir",
        type=Path,
        required=True,
        help="the tasks' folders: glue/{CoLA,STS-B,MRPC,RTE} (GLUE's TSV layout) and story_cloze (the CSV)",
    )
    parser.add_argument("--train_files", nargs="+", type=Path, required=True, help="the pretraining corpus")
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS))
    parser.add_argument("--config_name", default="gpt1-mini", help="run_pretraining.py's --config_name")
    parser.add_argument("--new_vocab_merges", type=int, default=2000, help="a vocabulary learned on the corpus")
    parser.add_argument("--pretraining_steps", type=int, default=2000)
    parser.add_argument("--pretraining_batch_size", type=int, default=16, help="windows per update")
    parser.add_argument("--pretraining_learning_rate", type=float, default=2e-3, help="a small model's peak")
    parser.add_argument("--pretraining_warmup_steps", type=int, default=100)
    parser.add_argument(
        "--learning_rate",
        type=float,
        default=5e-4,
        help="fine-tuning; the paper's 6.25e-5 is a quarter of its pretraining peak, and so is this of 2e-3",
    )
    parser.add_argument("--max_train_samples", type=int, default=None, help="a cap for each task's training set")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    return args


def check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace):
    """Refuse what would stop a step, before the first (pretraining) runs: bad numbers, an output folder that cannot
    hold the steps' outputs, missing corpus files, a task's data that is missing or cannot be read."""
    counts = ("new_vocab_merges", "pretraining_steps", "pretraining_batch_size", "max_train_samples")
    for name in counts:
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.pretraining_learning_rate <= 0 or args.learning_rate <= 0 or args.pretraining_warmup_steps < 0:
        parser.error("the learning rates must be positive and --pretraining_warmup_steps at least 0")
    try:
        check_output_dir(args.output_dir, {"--data_dir": args.data_dir, "--train_files": args.train_files})
    except UsageError as error:
        parser.error(str(error))
    for path in args.train_files:
        if not path.is_file():
            parser.error(f"{path} is a folder, not a file" if path.is_dir() else f"{path}: no such file")
    for task in args.tasks:
        try:
            load_task(task, args.data_dir / TASKS[task][2])
        except DataError as error:
            parser.error(f"--data_dir {args.data_dir}, task {task}: {error}")


def run(command: list, log: Path) -> float:
    """Run a step (its output to `log`), stopping the ablation if it fails; the seconds it took."""
    command = [str(part) for part in command]
    print(f"$ {shlex.join(command)}", flush=True)
    start = time.perf_counter()
    with open(log, "w") as output:
        done = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT)
    if done.returncode:
        sys.exit(f"ablation.py: error: the step failed (exit {done.returncode}); its output is in {log}")
    return time.perf_counter() - start


def pretrain(args) -> Path:
    """The pretrained model's folder, pretrained now unless an earlier run left it complete."""
    folder = args.output_dir / "pretrained"
    if not (folder / "all_results.json").exists():
        command = [
            sys.executable, EXAMPLES / "run_pretraining.py", "--train_files", *args.train_files,
            "--output_dir", folder, "--config_name", args.config_name, "--new_vocab_merges", args.new_vocab_merges,
            "--per_device_train_batch_size", args.pretraining_batch_size, "--gradient_accumulation_steps", 1,
            "--learning_rate", args.pretraining_learning_rate, "--warmup_steps", args.pretraining_warmup_steps,
            "--max_steps", args.pretraining_steps, "--eval_steps", 500, "--checkpointing_steps", 500,
            "--seed", args.seed,
        ]  # fmt: skip
        if any(folder.glob("checkpoint-step-*")):  # an interrupted pretraining run continues from its checkpoint
            command += ["--resume_from_checkpoint", "latest"]
        elif folder.exists():
            command += ["--overwrite_output_dir"]
        folder.mkdir(parents=True, exist_ok=True)
        run(command, args.output_dir / "pretraining.log")
    return folder


def untrained_copy(pretrained: Path, folder: Path, seed: int) -> Path:
    """A model of the pretrained one's config and tokenizer, initialised from `seed` as pretraining started; written
    beside `folder` and renamed into place, so that it is complete or absent."""
    if not folder.is_dir():
        staging = folder.with_name(f".{folder.name}.partial")
        shutil.rmtree(staging, ignore_errors=True)  # left by an ablation stopped while writing it
        torch.manual_seed(seed)
        GPT1LMHeadModel(GPT1Config.from_pretrained(pretrained)).save_pretrained(staging)
        GPT1Tokenizer.from_pretrained(pretrained).save_pretrained(staging)
        staging.replace(folder)
    return folder


def fine_tune(args, task: str, model: Path, lm_coef: float, output_dir: Path) -> tuple[dict, float | None]:
    """The task's results from `model` with the paper's recipe, and the seconds it took (None when found done)."""
    if (output_dir / "all_results.json").exists():
        return json.loads((output_dir / "all_results.json").read_text()), None
    script, task_args, folder, _ = TASKS[task]
    command = [
        sys.executable, EXAMPLES / script, *task_args, "--data_dir", args.data_dir / folder,
        "--model_name_or_path", model, "--output_dir", output_dir,
        "--lm_coef", lm_coef, "--learning_rate", args.learning_rate, "--seed", args.seed, "--report_to", "none",
    ]  # fmt: skip
    if args.max_train_samples:
        command += ["--max_train_samples", args.max_train_samples]
    output_dir.mkdir(parents=True, exist_ok=True)
    seconds = run(command, output_dir / "log.txt")
    return json.loads((output_dir / "all_results.json").read_text()), seconds


def table(args, pretraining: dict, scores: dict, seconds: dict) -> str:
    """The ablation's report in Markdown."""
    lines = [
        "| variant | " + " | ".join(f"{task} ({TASKS[task][3]})" for task in args.tasks) + " | mean |",
        "|---|" + "---:|" * (len(args.tasks) + 1),
    ]
    for variant in VARIANTS:
        values = [100 * scores[variant][task] for task in args.tasks]
        cells = " | ".join(f"{value:.1f}" for value in values)
        lines.append(f"| {variant} | {cells} | {sum(values) / len(values):.1f} |")
    minutes = {variant: sum(seconds[variant].values()) / 60 for variant in VARIANTS}
    return "\n".join(
        [
            "# The paper's ablation in miniature",
            "",
            f"Pretrained: `{args.config_name}` ({pretraining['num_parameters']:,} parameters), a "
            f"{args.new_vocab_merges}-merge vocabulary learned on the corpus, {pretraining['train_steps']:,} updates, "
            f"{pretraining['tokens_seen']:,} tokens, {pretraining['train_runtime'] / 60:.1f} min; validation "
            f"perplexity {pretraining['eval_perplexity']:.1f} (a unigram model of the same tokens: "
            f"{pretraining['unigram_perplexity']:.1f}).",
            f"Fine-tuning: the paper's recipe at a learning rate of {args.learning_rate:g}, development sets, "
            "scores x 100; minutes per variant: "
            + ", ".join(f"{variant} {minutes[variant]:.1f}" for variant in VARIANTS)
            + " (steps found done count 0).",
            "",
            *lines,
            "",
        ]
    )


def main(argv=None):
    args = parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    models = {"pretrained": pretrain(args)}
    models["untrained"] = untrained_copy(models["pretrained"], args.output_dir / "untrained", args.seed)
    pretraining = json.loads((models["pretrained"] / "all_results.json").read_text())
    scores = {variant: {} for variant in VARIANTS}
    seconds = {variant: {} for variant in VARIANTS}
    for task in args.tasks:
        for variant, (start, lm_coef) in VARIANTS.items():
            folder = args.output_dir / variant.replace(" ", "_").replace(",", "").replace("+", "with") / task
            results, took = fine_tune(args, task, models[start], lm_coef, folder)
            scores[variant][task] = results[f"eval_{TASKS[task][3]}"]
            seconds[variant][task] = took or 0.0
    report = table(args, pretraining, scores, seconds)
    write_atomically(args.output_dir / "ablation.md", report)
    print(report)


if __name__ == "__main__":
    main()
