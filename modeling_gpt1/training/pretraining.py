"""GPT-1's pretraining (SPEC section 4), run by `examples/run_pretraining.py` and `examples/train_tiny.py`.

The corpus is tokenized once into a cached, memory-mapped token stream (`modeling_gpt1.data.pretraining`); updates
of random contiguous `block_size`-token windows of it, 64 x 512 tokens by default (per-device batch x gradient
accumulation x processes); Adam at a peak of 2.5e-4, linear warm-up over 2,000 updates then cosine decay to 0;
decoupled weight decay 0.01 on tensors of two or more dimensions; dropout 0.1 (the config's). The last
`--validation_split_percentage` of the stream is held out for the validation perplexity, reported beside that of a
unigram model of the same tokens.

`parse_args` reads the script's command line; `pretrain(args)` runs it in steps: `plan_run` (every check that can
refuse the run, before anything is written), `build` and `resume` (model, optimizer, scheduler, a checkpoint's
state), `train_loop` (each update a `train_step`, then the events due: `log_losses`, `validate`, `score_zero_shot`,
`save_run_checkpoint`) and `finish` (results, plots, the final model). The loop's state is a `LoopState`.
"""

import argparse
import hashlib
import json
import logging
import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator, PartialState
from accelerate.utils import DistributedType, broadcast_object_list, set_seed
from tqdm.auto import tqdm
from transformers import AutoModelForCausalLM, AutoTokenizer, get_cosine_schedule_with_warmup

from ..configuration_gpt1 import CONFIG_PRESETS, GPT1Config
from ..data.pretraining import (
    cache_key,
    check_files,
    read_paragraphs,
    read_windows,
    split_stream,
    tokenize_dataset,
    tokenize_files,
    window_starts,
)
from ..data.tasks import DataError, load_task
from ..modeling_gpt1 import GPT1LMHeadModel
from ..tokenization_gpt1 import GPT1Tokenizer
from ..zero_shot import TASKS as ZERO_SHOT_TASKS
from ..zero_shot import PromptBuilder, check_heuristic
from .checks import (
    UsageError,
    check_folder_to_write,
    check_model_path,
    check_output_dir,
    check_resumable,
    exit_with_error,
)
from .finetuning import (
    adamw,
    checkpoint_number,
    checkpoints,
    first,
    save_checkpoint,
    save_final,
    start_trackers,
)
from .throughput import flops_per_token, peak_flops
from .update import micro_batch_step
from .zero_shot_eval import COUNTS, evaluate_zero_shot

logger = logging.getLogger(__name__)
SCRIPT = "run_pretraining.py"
DESCRIPTION = "Pretrain a GPT-1 language model with the paper's procedure (SPEC section 4)."
CHECKPOINT_PREFIX = "checkpoint-step-"
PAPER_BATCH = 64  # windows per update
# what a fresh run in a folder holding another (`--overwrite_output_dir`) deletes beside the checkpoints
OLD_OUTPUTS = ("all_results.json", "loss.png", "zero_shot.png", "model.safetensors", "config.json")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog=SCRIPT, description=DESCRIPTION, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    data = parser.add_argument_group("data")
    data.add_argument("--train_files", nargs="+", type=Path, default=None, help="UTF-8 text files")
    data.add_argument("--dataset_name", default=None, help="a Hub dataset (or a local folder) instead of files")
    data.add_argument("--dataset_config_name", default=None)
    data.add_argument("--text_column", default="text", help="the dataset's column of texts")
    data.add_argument("--validation_split_percentage", type=float, default=5, help="the stream's end, held out")
    data.add_argument("--block_size", type=int, default=None, help="window length; default: the model's context")
    data.add_argument("--max_eval_samples", type=int, default=1000, help="held-out windows used, evenly spaced")
    data.add_argument("--preprocessing_num_workers", type=int, default=None, help="processes that tokenize")
    data.add_argument(
        "--cache_dir", type=Path, default=None, help="token streams and vocabularies; default: datasets'"
    )
    model = parser.add_argument_group("model and tokenizer")
    model.add_argument(
        "--config_name", default="gpt1", help=f"a preset ({', '.join(CONFIG_PRESETS)}) or a config path"
    )
    model.add_argument("--config_overrides", default=None, help='e.g. "n_layer=2,n_embd=64" (not with a model)')
    model.add_argument("--model_name_or_path", default=None, help="continue pretraining these weights instead")
    model.add_argument("--tokenizer_name", default=None, help="default: the model's, else GPT-1's released one")
    model.add_argument("--new_vocab_merges", type=int, default=None, help="learn a new BPE of N merges on the data")
    model.add_argument(
        "--attn_implementation",
        default=None,
        help="eager, sdpa, flash_attention_2, ...; default: the model's (sdpa, whose training on CPU runs the eager "
        "kernel: PyTorch's CPU SDPA has no fused dropout)",
    )
    model.add_argument("--gradient_checkpointing", action="store_true")
    model.add_argument("--torch_compile", action="store_true", help="compile the model (inductor)")
    train = parser.add_argument_group("training")
    train.add_argument("--output_dir", type=Path, required=True)
    train.add_argument("--overwrite_output_dir", action="store_true", help="start afresh in a folder with a run")
    train.add_argument("--per_device_train_batch_size", type=int, default=8)
    train.add_argument("--per_device_eval_batch_size", type=int, default=8)
    train.add_argument(
        "--gradient_accumulation_steps",
        type=int,
        default=None,
        help=f"default: what makes {PAPER_BATCH} windows per update with the batch and process count",
    )
    train.add_argument("--learning_rate", type=float, default=2.5e-4, help="peak")
    train.add_argument("--warmup_steps", type=int, default=2000, help="updates of linear warm-up, then cosine to 0")
    train.add_argument("--weight_decay", type=float, default=0.01, help="decoupled; tensors of 2+ dimensions only")
    train.add_argument("--max_grad_norm", type=float, default=1.0)
    train.add_argument("--num_train_epochs", type=float, default=100, help="passes' worth of tokens of the stream")
    train.add_argument("--max_steps", type=int, default=None, help="updates; overrides --num_train_epochs")
    train.add_argument("--checkpointing_steps", type=int, default=1000, help="updates between checkpoints")
    train.add_argument("--eval_steps", type=int, default=1000, help="updates between validation passes")
    train.add_argument("--logging_steps", type=int, default=10, help="updates per logged (mean) training loss")
    train.add_argument("--resume_from_checkpoint", default=None, help="a checkpoint-step-N folder, or 'latest'")
    train.add_argument("--mixed_precision", choices=("no", "fp16", "bf16"), default=None, help="default: accelerate's")
    train.add_argument("--peak_tflops", type=float, default=None, help="the GPU's peak, for MFU; default: known GPUs")
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--report_to", default="tensorboard", help="an Accelerate tracker, or 'none'")
    zero_shot = parser.add_argument_group("zero-shot tracking (GPT-1's heuristics, run at every checkpoint)")
    zero_shot.add_argument(
        "--zero_shot_tasks",
        nargs="+",
        default=[],
        metavar="TASK=PATH",
        help=f"tasks of {', '.join(ZERO_SHOT_TASKS)}, each with its data folder in the original layout (or a "
        "validation file); GPT-1's heuristic where the task has one, else its zero-shot prompt",
    )
    zero_shot.add_argument(
        "--zero_shot_max_samples", type=int, default=500, help="each task's first N validation (and train) examples"
    )
    args = parser.parse_args(argv)

    if (args.train_files is None) == (args.dataset_name is None):
        parser.error("give either --train_files or --dataset_name")
    positive = ["per_device_train_batch_size", "per_device_eval_batch_size", "checkpointing_steps", "eval_steps"]
    positive += ["logging_steps", "zero_shot_max_samples"]
    positive += ["gradient_accumulation_steps", "max_steps", "max_eval_samples", "new_vocab_merges", "block_size"]
    for name in positive:
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.learning_rate <= 0 or args.warmup_steps < 0 or args.num_train_epochs <= 0:
        parser.error("--learning_rate and --num_train_epochs must be positive, --warmup_steps at least 0")
    if args.model_name_or_path and args.config_overrides:
        parser.error("--config_overrides builds a new model; it cannot change --model_name_or_path's")
    if args.new_vocab_merges and (args.model_name_or_path or args.tokenizer_name):
        parser.error("--new_vocab_merges learns a new vocabulary; it cannot be used with a given model or tokenizer")
    tasks = [text.partition("=") for text in args.zero_shot_tasks]
    for text, (task, equals, path) in zip(args.zero_shot_tasks, tasks, strict=True):
        if not equals or not path or task not in ZERO_SHOT_TASKS:
            parser.error(f"--zero_shot_tasks {text!r}: not TASK=PATH with a task of {', '.join(ZERO_SHOT_TASKS)}")
    args.zero_shot_tasks = {task: Path(path) for task, _, path in tasks}
    return args


def build_tokenizer(args):
    """The tokenizer asked for: a named one, the model's, or GPT-1's released vocabulary (shipped in the package)."""
    source = args.tokenizer_name or args.model_name_or_path
    if source is None:
        return GPT1Tokenizer()
    try:
        if Path(source).is_dir() and not (Path(source) / "tokenizer_config.json").exists():
            return GPT1Tokenizer.from_pretrained(source)  # the original file layout
        return AutoTokenizer.from_pretrained(source)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot load the tokenizer {source}: {error}") from error


def parse_overrides(text: str, config_name: str) -> dict:
    """`"n_layer=2,n_embd=64"` as typed config fields, through transformers' own parser (which types a field by
    its value in the preset, so that a preset's `sliding_window` can be changed)."""
    probe = GPT1Config.from_preset(config_name) if config_name in CONFIG_PRESETS else GPT1Config()
    try:
        probe.update_from_string(text)
    except ValueError as error:
        raise UsageError(f"--config_overrides {text!r}: {error}") from error
    return {item.split("=", 1)[0]: getattr(probe, item.split("=", 1)[0]) for item in text.split(",")}


def build_config(args, vocab_size: int) -> GPT1Config:
    """The config of the model to pretrain: a preset or a config file, the overrides on top, the vocabulary's size."""
    overrides = parse_overrides(args.config_overrides, args.config_name) if args.config_overrides else {}
    try:
        if args.model_name_or_path:
            return GPT1Config.from_pretrained(args.model_name_or_path)
        if args.config_name in CONFIG_PRESETS:
            return GPT1Config.from_preset(args.config_name, vocab_size=vocab_size, **overrides)
        if not Path(args.config_name).exists():
            raise UsageError(
                f"--config_name {args.config_name}: neither a preset ({', '.join(CONFIG_PRESETS)}) nor a config file"
            )
        return GPT1Config.from_pretrained(args.config_name, vocab_size=vocab_size, **overrides)
    except (OSError, ValueError) as error:
        raise UsageError(f"bad model config: {error}") from error


def learn_vocabulary(texts, tokenizer, num_merges: int, folder: Path) -> GPT1Tokenizer:
    """A new GPT-1-style vocabulary of `num_merges` merges learned on `texts`, saved as `folder` (or found there)."""
    if not folder.is_dir():
        logger.info("Learning a vocabulary of %d merges on the training data", num_merges)
        learned = tokenizer.train_new_from_iterator(texts, num_merges=num_merges)
        work = Path(tempfile.mkdtemp(dir=folder.parent, prefix="tmp-vocab-"))
        try:
            learned.save_pretrained(work)
            work.replace(folder)  # the folder is complete or absent
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return GPT1Tokenizer.from_pretrained(folder)


def token_stream(args, cache_dir: Path, tokenizer: GPT1Tokenizer) -> tuple[GPT1Tokenizer, Path]:
    """The tokenizer (`tokenizer`, or one learned first with `--new_vocab_merges`) and the path of the corpus's token
    stream, made now or found in `cache_dir`."""
    num_proc = args.preprocessing_num_workers or 1
    if args.train_files:
        texts = (paragraph for file in args.train_files for paragraph in read_paragraphs(file))
        texts_key = cache_key(args.train_files, tokenizer)
    else:
        try:
            dataset = datasets.load_dataset(args.dataset_name, args.dataset_config_name, split="train")
        except (OSError, ValueError) as error:
            raise UsageError(f"cannot load the dataset {args.dataset_name}: {error}") from error
        if args.text_column not in dataset.column_names:
            raise UsageError(f"the dataset has no column {args.text_column!r}; its columns: {dataset.column_names}")
        texts = (text or "" for text in dataset[args.text_column])
        texts_key = dataset._fingerprint
    if args.new_vocab_merges:
        key = hashlib.sha256(f"{texts_key} {args.new_vocab_merges}".encode()).hexdigest()[:20]
        folder = cache_dir / f"vocab-{key}"
        if args.train_files and not folder.is_dir():
            check_files(args.train_files)  # an empty or undecodable file is refused before a vocabulary is learned
        tokenizer = learn_vocabulary(texts, tokenizer, args.new_vocab_merges, folder)
    if args.train_files:
        return tokenizer, tokenize_files(args.train_files, tokenizer, cache_dir, num_proc)
    return tokenizer, tokenize_dataset(dataset, args.text_column, tokenizer, cache_dir, num_proc)


def load_data(args, accelerator, cache_dir: Path, tokenizer) -> tuple[GPT1Tokenizer, np.ndarray, str]:
    """The tokenizer (`tokenizer`, or one learned on the corpus), the token stream (memory-mapped) and its name. The
    main process tokenizes first, the others then find its cache; an error of the main process is raised on every
    process."""
    error = None
    given = tokenizer
    if accelerator.is_main_process:
        try:
            tokenizer, path = token_stream(args, cache_dir, given)
        except (UsageError, ValueError) as raised:  # an empty file, a bad dataset column, ...
            error = str(raised)
    [error] = broadcast_object_list([error])  # also a barrier: the main process has finished
    if error is not None:
        raise UsageError(error)
    if not accelerator.is_main_process:
        tokenizer, path = token_stream(args, cache_dir, given)
    return tokenizer, np.load(path, mmap_mode="r"), path.stem


def holds_run(folder: Path) -> bool:
    """Whether `folder` holds the outputs of a pretraining run (a checkpoint, a model, results)."""
    names = ("all_results.json", "config.json", "model.safetensors")
    return bool(checkpoints(folder, CHECKPOINT_PREFIX)) or any((folder / name).exists() for name in names)


def resume_checkpoint(args) -> Path | None:
    """The checkpoint folder to resume from, or None; a `UsageError` when it is not one of ours."""
    resume = args.resume_from_checkpoint
    if resume is None:
        return None
    if resume == "latest":
        found = checkpoints(args.output_dir, CHECKPOINT_PREFIX)
        if not found:
            raise UsageError(f"--resume_from_checkpoint latest: no {CHECKPOINT_PREFIX}N folder in {args.output_dir}")
        return found[-1]
    path = Path(resume)
    if not path.is_dir() or checkpoint_number(path, CHECKPOINT_PREFIX) is None or not (path / "run.json").exists():
        raise UsageError(f"--resume_from_checkpoint {resume}: not a {CHECKPOINT_PREFIX}N folder of this script")
    return path


def build_model(args, config: GPT1Config):
    """The model to pretrain: `--model_name_or_path`'s weights, or a new one initialised from the seed."""
    try:
        if args.model_name_or_path:
            model = AutoModelForCausalLM.from_pretrained(args.model_name_or_path)
        else:
            model = GPT1LMHeadModel(config)
        if args.attn_implementation:
            model.set_attn_implementation(args.attn_implementation)
    except (OSError, ValueError, ImportError) as error:  # a bad folder, an attention backend not installed
        raise UsageError(str(error)) from error
    if args.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    return model


def process_batches(accelerator, tokens: np.ndarray, starts: np.ndarray, batch_size: int, block_size: int):
    """This process's micro-batches of an update's windows (`starts`): micro-batch m of process p holds windows
    (m x processes + p) x batch_size onwards, so the update's windows are the same however they are split."""
    for micro in range(len(starts) // (batch_size * accelerator.num_processes)):
        first = (micro * accelerator.num_processes + accelerator.process_index) * batch_size
        yield read_windows(tokens, starts[first : first + batch_size], block_size).to(accelerator.device)


def train_update(accelerator, model, optimizer, batches, max_grad_norm: float) -> float:
    """One update over `batches` (accumulated): forward and backward on each, clip, step. The mean loss of the
    update's batches over all processes."""
    losses = [
        micro_batch_step(accelerator, model, optimizer, {"input_ids": batch, "labels": batch}, max_grad_norm)["loss"]
        for batch in batches
    ]
    return accelerator.reduce(torch.stack(losses).float().mean(), reduction="mean").item()


def validation_starts(num_tokens: int, block_size: int, cap: int | None) -> np.ndarray:
    """The starts of the held-out stretch's non-overlapping windows, at most `cap` of them, evenly spaced."""
    count = num_tokens // block_size
    rows = np.arange(count) if cap is None or cap >= count else np.linspace(0, count - 1, cap).round().astype(int)
    return rows * block_size


def unigram_perplexity(tokens: np.ndarray, starts: np.ndarray, block_size: int) -> float:
    """The perplexity on the predicted tokens of the windows at `starts` (all but each window's first) of the
    unigram model fitted to those very tokens: the best any model that ignores the context can do on them."""
    counts = np.bincount(np.concatenate([tokens[start + 1 : start + block_size] for start in starts]))
    counts = counts[counts > 0].astype(np.float64)
    return math.exp(-np.sum(counts * np.log(counts / counts.sum())) / counts.sum())


@torch.no_grad()
def evaluate(model, tokens: np.ndarray, starts: np.ndarray, block_size: int, batch_size: int, accelerator) -> float:
    """The mean next-token loss over the windows of `tokens` at `starts`, shared out across processes.

    Every process runs the same number of batches (FSDP's forward is collective): the shares are evened out with
    copies of the first window that count for nothing.
    """
    model.eval()
    share = math.ceil(len(starts) / accelerator.num_processes)
    mine = starts[accelerator.process_index :: accelerator.num_processes]
    weights = torch.cat([torch.ones(len(mine)), torch.zeros(share - len(mine))]).double()
    mine = np.concatenate([mine, np.full(share - len(mine), starts[0])])
    totals = torch.zeros(2, dtype=torch.float64, device=accelerator.device)  # [sum of token losses, tokens]
    for offset in range(0, share, batch_size):
        batch = read_windows(tokens, mine[offset : offset + batch_size], block_size).to(accelerator.device)
        weight = weights[offset : offset + batch_size].to(accelerator.device)
        with accelerator.autocast():
            logits = model(batch, use_cache=False).logits
        # the summed loss of each window's predicted tokens (all but its first)
        losses = F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), batch[:, 1:].flatten(), reduction="none")
        totals += torch.stack([losses.view(len(batch), -1).sum(-1).double() @ weight, weight.sum() * (block_size - 1)])
    totals = accelerator.reduce(totals, reduction="sum")
    model.train()
    return (totals[0] / totals[1]).item()


def plot_losses(history: dict, unigram_loss: float, path: Path):
    """Training and validation loss against tokens seen, beside the unigram model's loss on the validation tokens,
    as a PNG written beside `path` and renamed into place."""
    figure, axes = pyplot().subplots(figsize=(7, 4.5))
    axes.axhline(unigram_loss, color="gray", linestyle="--", linewidth=1, label="unigram model (validation)")
    if history["train"]:
        tokens, losses = zip(*history["train"], strict=True)
        axes.plot(tokens, losses, label="training", linewidth=0.8, alpha=0.8)
    if history["eval"]:
        tokens, losses = zip(*history["eval"], strict=True)
        axes.plot(tokens, losses, "o-", label="validation")
    save_plot(figure, axes, "loss (nats per token)", path)


def pyplot():
    """matplotlib's pyplot on the Agg backend, imported when a plot is drawn: nothing else here needs matplotlib."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot

    return pyplot


def save_plot(figure, axes, ylabel: str, path: Path):
    """A plot against tokens seen, labelled, written as a PNG beside `path` and renamed into place."""
    axes.set_xlabel("tokens seen")
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    partial = path.with_name(f".{path.name}.partial")
    figure.savefig(partial, format="png", dpi=120)
    pyplot().close(figure)
    partial.replace(path)


def load_zero_shot_tasks(args) -> dict[str, tuple]:
    """The validation and training examples (the first `--zero_shot_max_samples` of each) of every
    `--zero_shot_tasks` task, read before training so that bad data stops the run at once."""
    tasks = {}
    for task, path in args.zero_shot_tasks.items():
        try:
            if path.is_file():
                splits = load_task(task, validation_file=path)
            else:
                splits = load_task(task, path)
        except DataError as error:
            raise UsageError(f"--zero_shot_tasks {task}: {error}") from error
        if "validation" not in splits:
            raise UsageError(f"--zero_shot_tasks {task}: {path} has no validation split")
        if check_heuristic(task, None, 0) == "threshold" and "train" not in splits:
            raise UsageError(f"--zero_shot_tasks {task}: the threshold is fitted on a training split, {path} has none")
        train = first(splits["train"], args.zero_shot_max_samples) if "train" in splits else []
        tasks[task] = (first(splits["validation"], args.zero_shot_max_samples), train)
    return tasks


def zero_shot_prompts(tasks: dict, tokenizer, n_positions: int, seed: int) -> dict[str, tuple]:
    """Each task's prompts (GPT-1's heuristic, no shots) and validation examples, every prompt built once before
    training (tokenization only, kept for every checkpoint), so that one the model cannot score stops the run now."""
    prompts = {}
    for task, (examples, train) in tasks.items():
        try:
            builder = PromptBuilder(tokenizer, task, n_positions, train_examples=train, seed=seed)
            builder.requests(examples)
            if builder.heuristic == "threshold":
                builder.requests(train)
        except ValueError as error:
            raise UsageError(f"--zero_shot_tasks {task}: {error}") from error
        prompts[task] = (builder, examples)
    return prompts


def zero_shot_metrics(accelerator, model, prompts: dict, batch_size: int) -> dict:
    """Every task's metrics under GPT-1's zero-shot heuristic, as `<task>_<metric>`, each process scoring a share."""
    model = accelerator.unwrap_model(model)
    model.eval()
    metrics = {}
    with accelerator.autocast():
        for task, (builder, examples) in prompts.items():
            results, _ = evaluate_zero_shot(accelerator, model, builder, examples, batch_size)
            for name, value in results.items():
                if name.startswith("eval_") and name not in COUNTS:
                    metrics[f"{task}_{name.removeprefix('eval_')}"] = value
    model.train()
    return metrics


def plot_zero_shot(history: list, path: Path):
    """Each zero-shot metric against tokens seen (the paper's figure 2, right), as a PNG renamed into place."""
    figure, axes = pyplot().subplots(figsize=(7, 4.5))
    for name in dict.fromkeys(name for _, metrics in history for name in metrics):
        points = [(seen, metrics[name]) for seen, metrics in history if name in metrics]
        axes.plot(*zip(*points, strict=True), "o-", label=name.replace("_", " "))
    save_plot(figure, axes, "zero-shot score", path)


@dataclass
class RunPlan:
    """What the run will do, fixed and checked before anything is written to the output folder."""

    args: argparse.Namespace
    accelerator: Accelerator
    checkpoint: Path | None  # to resume from
    tokenizer: GPT1Tokenizer
    config: GPT1Config
    train_tokens: np.ndarray
    validation_tokens: np.ndarray
    eval_starts: np.ndarray  # of the validation windows used
    block_size: int
    global_batch: int  # windows per update, over all processes
    updates_per_epoch: int
    total_updates: int
    settings: dict  # what fixes the run's course beside the model config: a resumed run must agree on all of it
    zero_shot: dict  # each tracked task's prompt builder and validation examples

    @property
    def tokens_per_update(self) -> int:
        """Tokens of one update, over all processes."""
        return self.global_batch * self.block_size


@dataclass
class Parts:
    """The prepared model, optimizer and scheduler, and the figures of the MFU shown."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    num_parameters: int
    flops_per_token: float
    peak_flops: float | None  # of one device; None where unknown (no MFU shown)


@dataclass
class LoopState:
    """The loop's state: the update count and the history (saved with each checkpoint), and its timing."""

    update: int = 0  # updates done
    # [tokens seen, loss] pairs and [tokens seen, {zero-shot metric: value}] pairs, for the plots
    history: dict = field(default_factory=lambda: {"train": [], "eval": [], "zero_shot": []})
    first_update: int = 0  # this session's first, past a checkpoint resumed from
    started: float = 0.0  # `time.perf_counter()` when the loop began
    trained_seconds: float = 0.0  # in updates only, not in evaluations and checkpoints
    learning_rate: float = 0.0  # of the last update
    recent_losses: list = field(default_factory=list)  # the updates' losses since the last logged mean

    def tokens_per_second(self, tokens_per_update: int) -> float:
        """This session's training speed."""
        return (self.update - self.first_update) * tokens_per_update / max(self.trained_seconds, 1e-9)


def launch_accelerator(args) -> Accelerator:
    """The run's Accelerator; gradient accumulation, unless given, makes the paper's windows per update, and
    DeepSpeed (when launched with it) is told the batch."""
    accelerator = Accelerator(
        log_with=None if args.report_to == "none" else args.report_to,
        project_dir=args.output_dir,
        mixed_precision=args.mixed_precision,
        dynamo_backend="inductor" if args.torch_compile else None,
    )
    per_update = args.per_device_train_batch_size * accelerator.num_processes
    if args.gradient_accumulation_steps is None:
        if PAPER_BATCH % per_update:
            raise UsageError(
                f"{args.per_device_train_batch_size} windows x {accelerator.num_processes} processes do not divide "
                f"the paper's {PAPER_BATCH} windows per update; give --gradient_accumulation_steps"
            )
        args.gradient_accumulation_steps = PAPER_BATCH // per_update
    accelerator.gradient_accumulation_steps = args.gradient_accumulation_steps
    deepspeed = accelerator.state.deepspeed_plugin
    if deepspeed is not None:
        # DeepSpeed accumulates and clips itself, and reads its micro-batch off a DataLoader, which this script lacks
        deepspeed.deepspeed_config.update(
            gradient_accumulation_steps=args.gradient_accumulation_steps,
            train_micro_batch_size_per_gpu=args.per_device_train_batch_size,
            train_batch_size=per_update * args.gradient_accumulation_steps,
            gradient_clipping=args.max_grad_norm,
        )
    return accelerator


def check_start(args, accelerator) -> Path | None:
    """The checkpoint to resume from, or None to start afresh, which may take over a folder holding another run only
    with `--overwrite_output_dir`; an output or cache folder that cannot be written, an output folder that is an
    input, missing, empty or folder training files and zero-shot tracking under FSDP or DeepSpeed refused."""
    names = ("model_name_or_path", "tokenizer_name", "config_name", "dataset_name", "train_files")
    inputs = {f"--{name}": getattr(args, name) for name in names}
    inputs["--zero_shot_tasks"] = list(args.zero_shot_tasks.values())
    check_output_dir(args.output_dir, inputs)
    if args.cache_dir is not None:
        check_folder_to_write(args.cache_dir, "--cache_dir")
    if args.model_name_or_path:
        check_model_path(args.model_name_or_path)
    checkpoint = resume_checkpoint(args)
    if checkpoint is None and holds_run(args.output_dir) and not args.overwrite_output_dir:
        raise UsageError(
            f"{args.output_dir} holds another run; pass --resume_from_checkpoint latest to continue it, "
            "--overwrite_output_dir to start afresh there, or another --output_dir"
        )
    for path in args.train_files or []:
        if path.is_dir():
            raise UsageError(f"{path} is a folder, not a file: --train_files takes text files")
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
        if path.stat().st_size == 0:
            raise UsageError(f"{path}: the file is empty (it holds no text)")
    if args.zero_shot_tasks and accelerator.distributed_type in (DistributedType.FSDP, DistributedType.DEEPSPEED):
        raise UsageError("--zero_shot_tasks scores on each process alone; it cannot run under FSDP or DeepSpeed")
    return checkpoint


def plan_run(args) -> RunPlan:
    """The run's plan, through every check that can refuse it; nothing is written to the output folder (the token
    stream, and a vocabulary learned, go to the cache). The settings, the model config and a checkpoint's agreement
    with them are checked before the corpus is tokenized, and checked again with the corpus's tokens."""
    accelerator = launch_accelerator(args)
    checkpoint = check_start(args, accelerator)
    zero_shot_tasks = load_zero_shot_tasks(args)
    tokenizer = build_tokenizer(args)
    # a vocabulary still to be learned gives the config its size only after the corpus is read
    config = build_config(args, tokenizer.vocab_size)
    block_size = args.block_size or config.max_position_embeddings
    if block_size > config.max_position_embeddings:
        raise UsageError(f"--block_size {block_size} exceeds the model's context ({config.max_position_embeddings})")
    global_batch = args.per_device_train_batch_size * accelerator.num_processes * args.gradient_accumulation_steps
    settings = {
        "block_size": block_size,
        "global_batch_size": global_batch,
        "seed": args.seed,
        "learning_rate": args.learning_rate,
        "warmup_steps": args.warmup_steps,
        "weight_decay": args.weight_decay,
        "max_grad_norm": args.max_grad_norm,
    }
    if checkpoint is not None:
        check_resumable(checkpoint, config, settings, ignored=("vocab_size",) if args.new_vocab_merges else ())
    cache_dir = args.cache_dir or Path(datasets.config.HF_DATASETS_CACHE) / "gpt1_pretraining"
    cache_dir.mkdir(parents=True, exist_ok=True)
    tokenizer, stream, stream_name = load_data(args, accelerator, cache_dir, tokenizer)
    config = build_config(args, tokenizer.vocab_size)  # no rows for the fine-tuning tokens, as in the paper
    if config.vocab_size < tokenizer.vocab_size:
        raise UsageError(f"the model has {config.vocab_size} token embeddings, the tokenizer {tokenizer.vocab_size}")
    zero_shot = zero_shot_prompts(zero_shot_tasks, tokenizer, config.max_position_embeddings, args.seed)
    try:
        train_tokens, validation_tokens = split_stream(stream, block_size, args.validation_split_percentage)
    except ValueError as error:
        raise UsageError(str(error)) from error
    updates_per_epoch = math.ceil(len(train_tokens) / (global_batch * block_size))
    total_updates = args.max_steps or max(1, round(args.num_train_epochs * updates_per_epoch))
    settings = {
        "token_stream": stream_name,
        "train_tokens": len(train_tokens),
        **settings,
        "total_updates": total_updates,
    }
    if checkpoint is not None:
        check_resumable(checkpoint, config, settings)
    eval_starts = validation_starts(len(validation_tokens), block_size, args.max_eval_samples)
    return RunPlan(
        args=args, accelerator=accelerator, checkpoint=checkpoint, tokenizer=tokenizer, config=config,
        train_tokens=train_tokens, validation_tokens=validation_tokens, eval_starts=eval_starts, block_size=block_size,
        global_batch=global_batch, updates_per_epoch=updates_per_epoch, total_updates=total_updates,
        settings=settings, zero_shot=zero_shot,
    )  # fmt: skip


def prepare_output_dir(plan: RunPlan):
    """The output folder made, cleared first of an earlier run's outputs on a fresh start over one
    (`--overwrite_output_dir`), and the trackers started."""
    args, accelerator = plan.args, plan.accelerator
    if plan.checkpoint is None and args.overwrite_output_dir and accelerator.is_main_process:
        # the earlier run's checkpoints, logs and outputs would be taken for this run's
        for old in [*checkpoints(args.output_dir, CHECKPOINT_PREFIX), args.output_dir / "runs"]:
            shutil.rmtree(old, ignore_errors=True)
        for name in OLD_OUTPUTS:
            (args.output_dir / name).unlink(missing_ok=True)
    accelerator.wait_for_everyone()
    args.output_dir.mkdir(parents=True, exist_ok=True)
    start_trackers(accelerator, args)


def build(plan: RunPlan) -> Parts:
    """The model (whose loading is the last check that can refuse the run), then the output folder prepared, and the
    optimizer and scheduler; model and optimizer prepared by Accelerate."""
    args, config, accelerator = plan.args, plan.config, plan.accelerator
    set_seed(args.seed)  # the same initial weights on every process, and in a resumed run
    model = build_model(args, config)
    num_parameters = model.num_parameters()
    set_seed(args.seed, device_specific=True)  # other dropout masks on each process
    prepare_output_dir(plan)
    logger.info(
        "GPT-1 of %d layers x %d, %s parameters; %s training and %s validation tokens; %d updates of %d x %d tokens "
        "(%d per device x %d accumulated x %d processes), %.2f epochs",
        config.num_hidden_layers, config.hidden_size, f"{num_parameters:,}", f"{len(plan.train_tokens):,}",
        f"{len(plan.validation_tokens):,}", plan.total_updates, plan.global_batch, plan.block_size,
        args.per_device_train_batch_size, args.gradient_accumulation_steps, accelerator.num_processes,
        plan.total_updates / plan.updates_per_epoch,
    )  # fmt: skip
    optimizer = adamw(model, args.learning_rate, args.weight_decay)
    # stepped once per update here, not by Accelerate (which steps a prepared scheduler once per process)
    scheduler = get_cosine_schedule_with_warmup(optimizer, args.warmup_steps, plan.total_updates)
    accelerator.register_for_checkpointing(scheduler)
    model, optimizer = accelerator.prepare(model, optimizer)
    if accelerator.gradient_accumulation_steps != args.gradient_accumulation_steps:
        raise UsageError(
            f"the launcher's config sets gradient accumulation to {accelerator.gradient_accumulation_steps}, this run "
            f"to {args.gradient_accumulation_steps}: set one of them to agree"
        )
    model_flops = flops_per_token(config, num_parameters, plan.block_size)
    peak = peak_flops(accelerator.device, args.peak_tflops)
    return Parts(model, optimizer, scheduler, num_parameters, model_flops, peak)


def resume(plan: RunPlan) -> LoopState:
    """The loop's state at its start: fresh, or the checkpoint's, whose Accelerate states are loaded."""
    if plan.checkpoint is None:
        return LoopState()
    plan.accelerator.load_state(str(plan.checkpoint))
    update = checkpoint_number(plan.checkpoint, CHECKPOINT_PREFIX)
    history = {"zero_shot": [], **json.loads((plan.checkpoint / "history.json").read_text())}
    logger.info("Resumed from %s at update %d", plan.checkpoint, update)
    return LoopState(update=update, history=history, first_update=update)


def is_due(update: int, every: int, last: int) -> bool:
    """Whether an event run every `every` updates, and after the last, is due after `update`."""
    return update % every == 0 or update == last


def train_loop(plan: RunPlan, parts: Parts, state: LoopState):
    """Updates up to the last, each followed by the events due then, in the order torchtitan's `Trainer.train` runs
    its own: the mean loss logged, validation, zero-shot scores (with each checkpoint), the checkpoint."""
    args, accelerator = plan.args, plan.accelerator
    progress = tqdm(total=plan.total_updates, initial=state.update, disable=not accelerator.is_local_main_process)
    parts.model.train()
    state.started = time.perf_counter()
    while state.update < plan.total_updates:
        train_step(plan, parts, state)
        show_progress(progress, plan, parts, state)
        logs = {}
        if is_due(state.update, args.logging_steps, plan.total_updates):
            logs.update(log_losses(plan, state))
        if is_due(state.update, args.eval_steps, plan.total_updates):
            logs.update(validate(plan, parts, state, progress))
        checkpointing = is_due(state.update, args.checkpointing_steps, plan.total_updates)
        if plan.zero_shot and checkpointing:
            logs.update(score_zero_shot(plan, parts, state, progress))
        if logs:
            accelerator.log(logs, step=state.update)
        if checkpointing:
            save_run_checkpoint(plan, state)
    progress.close()


def train_step(plan: RunPlan, parts: Parts, state: LoopState):
    """One update on its windows (drawn from the seed and the update count), each process reading its share; the
    schedule stepped, the loss kept for the next logged mean."""
    args = plan.args
    began = time.perf_counter()
    state.learning_rate = parts.scheduler.get_last_lr()[0]  # this update's
    starts = window_starts(len(plan.train_tokens), plan.block_size, plan.global_batch, args.seed, state.update)
    batches = process_batches(
        plan.accelerator, plan.train_tokens, starts, args.per_device_train_batch_size, plan.block_size
    )
    loss = train_update(plan.accelerator, parts.model, parts.optimizer, batches, args.max_grad_norm)
    parts.scheduler.step()
    state.update += 1
    state.trained_seconds += time.perf_counter() - began
    state.recent_losses.append(loss)


def show_progress(progress, plan: RunPlan, parts: Parts, state: LoopState):
    """The progress bar advanced, showing the last update's loss, the speed and, on known GPUs, the MFU."""
    speed = state.tokens_per_second(plan.tokens_per_update)
    postfix = {"loss": f"{state.recent_losses[-1]:.4f}", "tokens/s": f"{speed:,.0f}"}
    if parts.peak_flops:  # of all the processes' devices
        postfix["MFU"] = f"{speed * parts.flops_per_token / (parts.peak_flops * plan.accelerator.num_processes):.1%}"
    progress.set_postfix(postfix)
    progress.update(1)


def log_losses(plan: RunPlan, state: LoopState) -> dict:
    """The mean training loss since the last one logged, added to the history; the logs."""
    mean_loss = sum(state.recent_losses) / len(state.recent_losses)
    tokens_seen = state.update * plan.tokens_per_update
    state.history["train"].append([tokens_seen, mean_loss])
    state.recent_losses = []
    return {"train_loss": mean_loss, "learning_rate": state.learning_rate, "tokens_seen": tokens_seen}


def validate(plan: RunPlan, parts: Parts, state: LoopState, progress) -> dict:
    """The validation loss, added to the history and shown; the logs."""
    eval_loss = evaluate(
        parts.model,
        plan.validation_tokens,
        plan.eval_starts,
        plan.block_size,
        plan.args.per_device_eval_batch_size,
        plan.accelerator,
    )
    state.history["eval"].append([state.update * plan.tokens_per_update, eval_loss])
    progress.write(f"update {state.update}: validation loss {eval_loss:.4f}, perplexity {math.exp(eval_loss):.2f}")
    return {"eval_loss": eval_loss, "eval_perplexity": math.exp(eval_loss)}


def score_zero_shot(plan: RunPlan, parts: Parts, state: LoopState, progress) -> dict:
    """The zero-shot tasks' metrics, added to the history and shown; the logs."""
    accelerator = plan.accelerator
    metrics = zero_shot_metrics(accelerator, parts.model, plan.zero_shot, plan.args.per_device_eval_batch_size)
    state.history["zero_shot"].append([state.update * plan.tokens_per_update, metrics])
    if accelerator.is_local_main_process:
        progress.write(f"update {state.update}: zero-shot " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()))
    return {f"zero_shot_{name}": value for name, value in metrics.items()}


def save_run_checkpoint(plan: RunPlan, state: LoopState):
    """`checkpoint-step-N`: the Accelerate states, with the model config, the run's settings and the history."""
    files = {
        "config.json": plan.config.to_json_string(),
        "run.json": json.dumps(plan.settings, indent=2),
        "history.json": json.dumps(state.history),
    }
    save_checkpoint(plan.accelerator, plan.args.output_dir / f"{CHECKPOINT_PREFIX}{state.update}", files)


def run_results(plan: RunPlan, parts: Parts, state: LoopState) -> dict:
    """The run's results: the last validation loss beside the unigram model's perplexity, the last training loss and
    zero-shot scores, the updates, tokens and time, the size."""
    history = state.history
    eval_loss = history["eval"][-1][1]
    results = {
        "eval_loss": eval_loss,
        "eval_perplexity": math.exp(eval_loss),
        "unigram_perplexity": unigram_perplexity(plan.validation_tokens, plan.eval_starts, plan.block_size),
        "eval_tokens": len(plan.eval_starts) * (plan.block_size - 1),
        "train_loss": history["train"][-1][1],
        "train_steps": state.update,
        "tokens_seen": state.update * plan.tokens_per_update,
        "train_runtime": round(time.perf_counter() - state.started, 2),
        "tokens_per_second": round(state.tokens_per_second(plan.tokens_per_update), 1),
        "num_parameters": parts.num_parameters,
        "num_processes": plan.accelerator.num_processes,
    }
    if history["zero_shot"]:
        results.update({f"zero_shot_{name}": value for name, value in history["zero_shot"][-1][1].items()})
    return results


def finish(plan: RunPlan, parts: Parts, state: LoopState) -> dict:
    """The results, the plots (`loss.png`, `zero_shot.png`) and the final model and tokenizer saved; the results."""
    results = run_results(plan, parts, state)
    output_dir, accelerator = plan.args.output_dir, plan.accelerator
    if accelerator.is_main_process:
        plot_losses(state.history, math.log(results["unigram_perplexity"]), output_dir / "loss.png")
        if state.history["zero_shot"]:
            plot_zero_shot(state.history["zero_shot"], output_dir / "zero_shot.png")
    save_final(accelerator, parts.model, plan.tokenizer, output_dir, results)
    accelerator.end_training()
    return results


def pretrain(args) -> dict:
    """GPT-1's pretraining run: planned and checked before anything is written, built, trained, finished."""
    plan = plan_run(args)
    parts = build(plan)
    state = resume(plan)
    train_loop(plan, parts, state)
    return finish(plan, parts, state)


def main(argv=None) -> dict:
    """The command line's run: its results printed and returned, or one `run_pretraining.py: error:` line."""
    args = parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    try:
        results = pretrain(args)
    except UsageError as error:
        exit_with_error(SCRIPT, error)
    if PartialState().is_main_process:
        print(json.dumps(results, indent=2))
        print(
            f"validation perplexity {results['eval_perplexity']:.1f}; a unigram model of the same tokens "
            f"{results['unigram_perplexity']:.1f}"
        )
    return results
