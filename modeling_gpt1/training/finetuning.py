"""The paper's fine-tuning procedure, shared by `examples/run_glue.py` and `examples/run_multiple_choice.py`.

GPT-1 fine-tunes `GPT1DoubleHeads` on L3 = L2 + lambda * L1 (task loss plus the auxiliary language-modelling
loss on the same inputs) with Adam at 6.25e-5, batches of 32, 3 epochs, a linear warm-up over 0.2% of the
updates then linear decay to 0, gradient-norm clipping at 1 and decoupled weight decay 0.01 on weights of two
or more dimensions (SPEC section 5). Everything runs through Accelerate, so the same code runs on one CPU, on
several processes (gloo on CPU, NCCL on GPUs) and under FSDP.
"""

import argparse
import json
import logging
import math
import shutil
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import AutoTokenizer

from ..task_formats import pad_task_inputs
from ..tokenization_gpt1 import GPT1Tokenizer
from .checks import UsageError, check_model_path, check_output_dir, check_resumable
from .update import micro_batch_step

CHECKPOINT_PREFIX = "checkpoint-epoch-"


def add_arguments(parser: argparse.ArgumentParser):
    """The arguments both scripts share, in transformers' example conventions, defaulting to the paper."""
    parser.add_argument("--model_name_or_path", required=True, help="a Hub id or a folder of ours")
    parser.add_argument("--data_dir", type=Path, default=None, help="the task's files in their original layout")
    parser.add_argument("--train_file", type=Path, default=None)
    parser.add_argument("--validation_file", type=Path, default=None)
    parser.add_argument("--test_file", type=Path, default=None)
    parser.add_argument("--output_dir", type=Path, required=True)
    parser.add_argument("--max_seq_length", type=int, default=None, help="default: the model's context (512)")
    parser.add_argument("--per_device_train_batch_size", type=int, default=32)
    parser.add_argument("--per_device_eval_batch_size", type=int, default=32)
    parser.add_argument("--gradient_accumulation_steps", type=int, default=1)
    parser.add_argument("--learning_rate", type=float, default=6.25e-5)
    parser.add_argument("--num_train_epochs", type=int, default=3)
    parser.add_argument("--warmup_ratio", type=float, default=0.002, help="share of the updates spent warming up")
    parser.add_argument("--weight_decay", type=float, default=0.01, help="on weights of 2+ dimensions only")
    parser.add_argument("--max_grad_norm", type=float, default=1.0)
    parser.add_argument("--lm_coef", type=float, default=0.5, help="lambda of the auxiliary LM loss; 0 turns it off")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max_train_samples", type=int, default=None)
    parser.add_argument("--max_eval_samples", type=int, default=None)
    parser.add_argument("--resume_from_checkpoint", default=None, help="a checkpoint folder, or 'latest'")
    parser.add_argument("--report_to", default="tensorboard", help="an Accelerate tracker, or 'none'")


def check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace):
    """Refuse settings the loop cannot run with and paths it cannot use, and start logging (the data loaders log
    before the Accelerator)."""
    for name in ("per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    for name in ("max_train_samples", "max_eval_samples", "max_seq_length"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.num_train_epochs < 0 or args.learning_rate <= 0 or not 0 <= args.warmup_ratio <= 1:
        parser.error("--num_train_epochs must be >= 0, --learning_rate > 0 and --warmup_ratio in [0, 1]")
    inputs = {f"--{name}": getattr(args, name) for name in ("data_dir", "train_file", "validation_file", "test_file")}
    try:
        check_model_path(args.model_name_or_path)
        check_output_dir(args.output_dir, {"--model_name_or_path": args.model_name_or_path, **inputs})
        resume_path(args)
    except UsageError as error:
        parser.error(str(error))
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)


def resume_path(args) -> Path | None:
    """The checkpoint `--resume_from_checkpoint` names (the newest in the output folder for `latest`), or None; a
    `UsageError` when there is none or it is not one of this script's."""
    resume = args.resume_from_checkpoint
    if resume is None:
        return None
    if resume == "latest":
        found = checkpoints(args.output_dir) if args.output_dir.is_dir() else []
        if not found:
            raise UsageError(f"--resume_from_checkpoint latest: no {CHECKPOINT_PREFIX}N folder in {args.output_dir}")
        path = found[-1]
    else:
        path = Path(resume)
        if checkpoint_number(path) is None or not path.is_dir():
            raise UsageError(f"--resume_from_checkpoint {resume}: not a {CHECKPOINT_PREFIX}N folder of this script")
    if not (path / "run.json").is_file():
        raise UsageError(f"--resume_from_checkpoint {resume}: {path} has no run.json (the run's settings)")
    return path


def load_tokenizer(model_name_or_path: str) -> GPT1Tokenizer:
    """The model's tokenizer, which must be GPT-1's."""
    tokenizer = AutoTokenizer.from_pretrained(model_name_or_path)
    if not isinstance(tokenizer, GPT1Tokenizer):
        raise ValueError(f"{model_name_or_path}: its tokenizer is {type(tokenizer).__name__}, not GPT1Tokenizer")
    return tokenizer


def fine_tuning_config(model_name_or_path: str, model_class, tokenizer: GPT1Tokenizer, **config_kwargs):
    """The config the fine-tuned model will have, read without its weights: the checkpoint's with `config_kwargs`,
    room for the fine-tuning tokens and their ids."""
    config = model_class.config_class.from_pretrained(model_name_or_path, **config_kwargs)
    config.vocab_size = max(config.vocab_size, len(tokenizer))
    set_fine_tuning_tokens(config, tokenizer)
    with torch.device("meta"):  # no memory: what the class sets in the config (its classifier's type) is wanted
        return model_class(config).config


def load_model(model_name_or_path: str, model_class, accelerator: Accelerator, tokenizer=None, **config_kwargs):
    """The tokenizer (loaded unless given) and the fine-tuning model; a plain LM gets the three fine-tuning tokens.

    The original code appended the embeddings of `_start_`, `_delimiter_` and `_classify_` to the pretrained
    ones, drawn from N(0, 0.02); `resize_token_embeddings` without mean resizing draws them from the
    model's initializer_range, which GPT-1's config sets to 0.02.
    """
    tokenizer = tokenizer or load_tokenizer(model_name_or_path)
    model = model_class.from_pretrained(model_name_or_path, **config_kwargs)
    if model.config.vocab_size < len(tokenizer):
        accelerator.print(
            f"{model_name_or_path} has {model.config.vocab_size:,} token embeddings and no fine-tuning tokens: "
            f"adding {len(tokenizer) - model.config.vocab_size} rows drawn from N(0, "
            f"{model.config.initializer_range}), as the original code did"
        )
        model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    set_fine_tuning_tokens(model.config, tokenizer)
    return tokenizer, model


def set_fine_tuning_tokens(config, tokenizer: GPT1Tokenizer):
    """The ids of `_start_`, `_delimiter_` and `_classify_` (the tokenizer's) into the model's config."""
    config.start_token_id = tokenizer.bos_token_id
    config.delimiter_token_id = tokenizer.sep_token_id
    config.extract_token_id = tokenizer.cls_token_id


def context_length(args, config) -> int:
    """`--max_seq_length`, by default the model's context, which it may not exceed."""
    context = config.max_position_embeddings
    max_length = args.max_seq_length or context
    if max_length > context:
        raise UsageError(f"--max_seq_length {max_length} exceeds the model's context ({context})")
    return max_length


def run_settings(args, num_processes: int, train_examples: int) -> dict:
    """What fixes a fine-tuning run's course beside the model config and the task: saved with each checkpoint
    (`run.json`), and a resumed run must agree on all of it."""
    return {
        "train_examples": train_examples,
        "train_batch_size": args.per_device_train_batch_size * num_processes,
        "gradient_accumulation_steps": args.gradient_accumulation_steps,
        "num_train_epochs": args.num_train_epochs,
        "learning_rate": args.learning_rate,
        "warmup_ratio": args.warmup_ratio,
        "weight_decay": args.weight_decay,
        "max_grad_norm": args.max_grad_norm,
        "seed": args.seed,
    }


def check_full_batch(args, num_processes: int, train_examples: int):
    """Refuse a training split too small for one batch: the last partial batch of an epoch is dropped."""
    batch = args.per_device_train_batch_size * num_processes
    if train_examples < batch:
        raise UsageError(
            f"{train_examples} training examples make no full batch of {batch} ({args.per_device_train_batch_size} "
            f"per device x {num_processes} processes); lower --per_device_train_batch_size"
        )


def plan(args, model_class, train_examples: int, task: str, **config_kwargs):
    """Every check that can refuse a fine-tuning run, before anything is encoded, loaded or written: the Accelerator
    (seeded), the tokenizer, the config of the model to fine-tune, the sequence length, a full batch, and a
    checkpoint to resume from made by this very run. Returns the Accelerator, the tokenizer, the sequence length and
    the run's settings; a `UsageError` says what is wrong."""
    accelerator = launch_accelerator(args)
    try:
        tokenizer = load_tokenizer(args.model_name_or_path)
        config = fine_tuning_config(args.model_name_or_path, model_class, tokenizer, **config_kwargs)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot load {args.model_name_or_path}: {error}") from None
    max_length = context_length(args, config)
    check_full_batch(args, accelerator.num_processes, train_examples)
    settings = {"task": task, "max_seq_length": max_length}
    settings |= run_settings(args, accelerator.num_processes, train_examples)
    checkpoint = resume_path(args)
    if checkpoint is not None:
        check_resumable(checkpoint, config, settings)
    return accelerator, tokenizer, max_length, settings


def check_format(encode_batch, rows, max_length: int):
    """Encode the first of `rows`, so that a `--max_seq_length` too short for the task's format is refused before
    the work starts."""
    try:
        encode_batch(rows[:1])
    except ValueError as error:
        raise UsageError(f"--max_seq_length {max_length}: {error}") from None


def build(args, accelerator: Accelerator, model_class, tokenizer, **config_kwargs):
    """The model to fine-tune, its new rows and heads drawn from the seed; a `UsageError` where its weights cannot
    be loaded, before the data is encoded and anything written."""
    set_seed(args.seed)
    try:
        _, model = load_model(args.model_name_or_path, model_class, accelerator, tokenizer, **config_kwargs)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot load {args.model_name_or_path}: {error}") from None
    return model


def first(dataset, count: int | None):
    """The first `count` rows of `dataset` (`--max_train_samples`, `--max_eval_samples`), or all of them."""
    return dataset if count is None else dataset.select(range(min(count, len(dataset))))


def encode_split(dataset, encode_batch, split: str, max_length: int, accelerator: Accelerator):
    """`dataset` through `encode_batch` (a batched `encode_task` call), numbered; cut examples are reported."""
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


def collate(examples: list[dict], pad_token_id: int) -> dict:
    """Examples of `[sequences, tokens]` lists padded into `[batch, sequences, tokens]` tensors."""
    batch = {name: [example[name] for example in examples] for name in ("input_ids", "attention_mask")}
    tensors = {name: torch.tensor(value) for name, value in pad_task_inputs(batch, pad_token_id).items()}
    tensors["mc_token_ids"] = torch.tensor([example["mc_token_ids"] for example in examples])
    labels = [example["label"] for example in examples]
    tensors["mc_labels"] = torch.tensor(labels, dtype=torch.float if isinstance(labels[0], float) else torch.long)
    tensors["index"] = torch.tensor([example["index"] for example in examples])
    return tensors


def warmup_linear(x: float, warmup: float) -> float:
    """The original code's schedule at x, the share of training done: linear warm-up, then linear decay to 0."""
    return x / warmup if x <= warmup else 1.0 - x


def optimizer_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """Decoupled weight decay on tensors of two or more dimensions; none on biases and LayerNorm gains."""
    decayed = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    others = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    return [{"params": decayed, "weight_decay": weight_decay}, {"params": others, "weight_decay": 0.0}]


def adamw(model: torch.nn.Module, learning_rate: float, weight_decay: float) -> torch.optim.AdamW:
    """The scripts' optimizer: AdamW (betas 0.9, 0.999, eps 1e-8) over `optimizer_groups`, with PyTorch's fused
    kernel (one pass over each parameter's state instead of a dozen; 5x faster than the default loop on CPU, as
    the Trainer's default `adamw_torch_fused`)."""
    groups = optimizer_groups(model, weight_decay)
    return torch.optim.AdamW(groups, lr=learning_rate, betas=(0.9, 0.999), eps=1e-8, fused=True)


def checkpoint_number(path: Path, prefix: str = CHECKPOINT_PREFIX) -> int | None:
    """The number in the name of a checkpoint folder (`<prefix>N`), or None for another name."""
    suffix = path.name[len(prefix) :]
    return int(suffix) if path.name.startswith(prefix) and suffix.isdigit() else None


def checkpoints(output_dir: Path, prefix: str = CHECKPOINT_PREFIX) -> list[Path]:
    """The complete checkpoints (`<prefix>N` folders) in `output_dir`, oldest first."""
    found = [path for path in output_dir.glob(f"{prefix}*") if checkpoint_number(path, prefix) is not None]
    return sorted(found, key=lambda path: checkpoint_number(path, prefix))


def save_checkpoint(accelerator: Accelerator, final: Path, files: dict[str, str] | None = None):
    """Model, optimizer, scheduler and RNG states (and `files`, name -> text) saved as the folder `final`,
    written beside it and renamed into place, so that no checkpoint folder is ever incomplete."""
    partial = final.with_name(f".{final.name}.partial")
    if accelerator.is_main_process:
        shutil.rmtree(partial, ignore_errors=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(partial))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        for name, text in (files or {}).items():
            (partial / name).write_text(text, encoding="utf-8")
        # an earlier run's checkpoint of that name is set aside first: a folder cannot replace a full one
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)  # left by a run stopped in between
        if final.exists():
            final.replace(old)
        partial.replace(final)
        shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


def save_final(accelerator: Accelerator, model, tokenizer, output_dir: Path, results: dict):
    """The model and tokenizer, then `all_results.json`, in `output_dir`: written into a staging folder there and
    renamed into place file by file, so that each file is complete or absent."""
    state_dict = accelerator.get_state_dict(model)  # gathered from every process under FSDP
    staging = output_dir / ".final.partial"
    if accelerator.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)
    accelerator.wait_for_everyone()
    accelerator.unwrap_model(model).save_pretrained(
        staging, is_main_process=accelerator.is_main_process, save_function=accelerator.save, state_dict=state_dict
    )
    accelerator.wait_for_everyone()  # every process has finished with the staging folder
    if accelerator.is_main_process:
        tokenizer.save_pretrained(staging)
        for path in staging.iterdir():
            path.replace(output_dir / path.name)
        staging.rmdir()
        write_atomically(output_dir / "all_results.json", json.dumps(results, indent=2) + "\n")
    accelerator.wait_for_everyone()


def resume_epoch(accelerator: Accelerator, checkpoint: Path | None) -> int:
    """Load `checkpoint` and return the number of epochs it completed (0 without one)."""
    if checkpoint is None:
        return 0
    accelerator.load_state(str(checkpoint))
    accelerator.print(f"resumed from {checkpoint}")
    return checkpoint_number(checkpoint)


class FineTuning:
    """Trains `model` on `train_set` and evaluates it on `eval_sets` with the paper's recipe.

    Examples carry `input_ids`/`attention_mask` (`[sequences, tokens]`), `mc_token_ids`, `label` and `index`
    (their row in their split, to put predictions back in order after gathering across processes).
    `predict(mc_logits)` turns the classifier's outputs into predictions; `compute_metrics(split, predictions,
    labels)` returns the task's metrics on that split. `settings` are what fixes the run's course beside the model
    config (saved with each checkpoint as `run.json`, and checked on resuming): by default `run_settings`'.
    """

    def __init__(self, args, accelerator: Accelerator, tokenizer, model, predict, compute_metrics, settings=None):
        self.args, self.accelerator, self.tokenizer = args, accelerator, tokenizer
        self.model, self.predict, self.compute_metrics = model, predict, compute_metrics
        self.settings = settings

    def loader(self, dataset, batch_size: int, shuffle_seed: int | None = None) -> DataLoader:
        """Batches of `dataset`; shuffled by `shuffle_seed` for training, then without the last partial batch."""
        generator = None if shuffle_seed is None else torch.Generator().manual_seed(shuffle_seed)
        return DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=shuffle_seed is not None,
            drop_last=shuffle_seed is not None,
            generator=generator,
            collate_fn=lambda examples: collate(examples, self.tokenizer.pad_token_id),
        )

    def train(self, train_set, eval_sets: dict) -> dict:
        """Fine-tune for the epochs left after any checkpoint resumed from, then evaluate."""
        args, accelerator = self.args, self.accelerator
        # the last partial batch of an epoch is dropped, as the original did
        check_full_batch(args, accelerator.num_processes, len(train_set))
        batches = len(train_set) // (args.per_device_train_batch_size * accelerator.num_processes)
        settings = self.settings or run_settings(args, accelerator.num_processes, len(train_set))
        # the model config and the run's settings, saved with each checkpoint; a run resumed must have the same
        files = {"config.json": self.model.config.to_json_string(), "run.json": json.dumps(settings, indent=2)}
        checkpoint = resume_path(args)
        if checkpoint is not None:
            check_resumable(checkpoint, self.model.config, settings)
        steps_per_epoch = math.ceil(batches / args.gradient_accumulation_steps)
        total_steps = max(1, steps_per_epoch * args.num_train_epochs)
        optimizer = adamw(self.model, args.learning_rate, args.weight_decay)
        # The original `warmup_linear`: update t (from 1) of T runs at lr * x / warmup while x = t / T is at most
        # the warm-up share, then at lr * (1 - x). Stepped here once per update, not by Accelerate (which would
        # step it once per process), and saved with the checkpoints.
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda update: warmup_linear((update + 1) / total_steps, args.warmup_ratio)
        )
        accelerator.register_for_checkpointing(scheduler)
        model, optimizer = accelerator.prepare(self.model, optimizer)
        first_epoch = resume_epoch(accelerator, checkpoint)
        progress = tqdm(
            total=total_steps, initial=first_epoch * steps_per_epoch, disable=not accelerator.is_local_main_process
        )
        step = first_epoch * steps_per_epoch
        for epoch in range(first_epoch, args.num_train_epochs):
            model.train()
            # the order of an epoch depends on the seed and the epoch only, so a resumed run sees the same
            loader = accelerator.prepare(
                self.loader(train_set, args.per_device_train_batch_size, shuffle_seed=args.seed + epoch)
            )
            window = []  # the losses of the batches of one update
            for batch in loader:
                batch.pop("index")
                # loss, mc_loss and lm_loss; without the auxiliary loss (`--lm_coef 0`) the model computes no lm_loss
                window.append(micro_batch_step(accelerator, model, optimizer, batch, args.max_grad_norm))
                if accelerator.sync_gradients:
                    scheduler.step()
                    step += 1
                    progress.update(1)
                    means = {name: torch.stack([losses[name] for losses in window]).mean() for name in window[0]}
                    logged = {name: accelerator.reduce(mean, "mean").item() for name, mean in means.items()}
                    window = []
                    progress.set_postfix(loss=f"{logged['loss']:.4f}")
                    accelerator.log({f"train_{name}": value for name, value in logged.items()}, step=step)
            save_checkpoint(accelerator, args.output_dir / f"{CHECKPOINT_PREFIX}{epoch + 1}", files)
        progress.close()
        self.model = model  # prepared: evaluation and saving use it as it is (wrapped, sharded under FSDP)
        return {"train_steps": step, **self.evaluate(eval_sets, step)}

    @torch.no_grad()
    def evaluate(self, eval_sets: dict, step: int) -> dict:
        """Metrics of each evaluation split (`{split: (metric prefix, dataset)}`) that has labels, and its
        predictions written to `predictions_<split>.jsonl`."""
        accelerator, model = self.accelerator, self.model
        model.eval()
        results = {}
        for split, (prefix, dataset) in eval_sets.items():
            logits, indices = [], []
            for batch in accelerator.prepare(self.loader(dataset, self.args.per_device_eval_batch_size)):
                index = batch.pop("index")
                batch.pop("mc_labels")
                output = model(**batch)
                # gather_for_metrics drops the examples repeated to even out the processes' last batches
                gathered_logits, gathered_index = accelerator.gather_for_metrics((output.mc_logits, index))
                logits.append(gathered_logits.float().cpu())
                indices.append(gathered_index.cpu())
            order = torch.cat(indices).argsort()
            predictions = self.predict(torch.cat(logits)[order])
            labels = [dataset[i]["label"] for i in range(len(dataset))]
            if -1 not in labels:  # -1 marks the rows of an unlabelled test file: predictions only
                metrics = self.compute_metrics(split, predictions, labels)
                results.update({f"{prefix}_{name}": value for name, value in metrics.items()})
            if accelerator.is_main_process:
                rows = (
                    json.dumps({"id": dataset[i]["id"], "prediction": predictions[i], "label": labels[i]})
                    for i in range(len(dataset))
                )
                write_atomically(self.args.output_dir / f"predictions_{split}.jsonl", "\n".join(rows) + "\n")
        accelerator.log(results, step=step)
        return results

    def save(self, results: dict):
        """The fine-tuned model, its tokenizer and `all_results.json` in the output folder, each complete or absent."""
        save_final(self.accelerator, self.model, self.tokenizer, self.args.output_dir, results)
        self.accelerator.end_training()


def write_atomically(path: Path, text: str):
    """Write `path` through a temporary file renamed into place, so a reader never sees half of it."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def make_accelerator(args, **kwargs) -> Accelerator:
    """An Accelerator logging to TensorBoard in the output folder (unless `--report_to none`), which it makes;
    `kwargs` go to it."""
    accelerator = launch_accelerator(args, **kwargs)
    start_output(accelerator, args)
    return accelerator


def launch_accelerator(args, **kwargs) -> Accelerator:
    """The run's Accelerator, with every random generator seeded; nothing is written yet."""
    accelerator = Accelerator(
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        log_with=None if args.report_to == "none" else args.report_to,
        project_dir=args.output_dir,
        **kwargs,
    )
    set_seed(args.seed)
    return accelerator


def start_output(accelerator: Accelerator, args):
    """The output folder made and the trackers started: the run's first writes."""
    args.output_dir.mkdir(parents=True, exist_ok=True)
    start_trackers(accelerator, args)


def start_trackers(accelerator: Accelerator, args):
    """Start the Accelerator's trackers (TensorBoard under `runs/`), with the arguments as hyperparameters."""
    if args.report_to != "none":
        # TensorBoard keeps hyperparameters of plain types only
        plain = (int, float, str, bool)
        config = {key: value if isinstance(value, plain) else str(value) for key, value in vars(args).items()}
        accelerator.init_trackers("runs", config=config)
