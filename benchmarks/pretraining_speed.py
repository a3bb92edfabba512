"""Pretraining tokens/s of this package's GPT-1 against transformers' port, both run by run_pretraining's update.

    python benchmarks/pretraining_speed.py --dtype fp32 --updates 10

The models are compare_port.py's: GPT-1 size (or with `--config_overrides`), the same seeded random weights (the
port's through `modeling_gpt1.convert.to_openai_gpt`), ours with its default attention (SDPA) unless
`--attn_implementation` says otherwise. Each update is `pretraining.train_update` under Accelerate, as the script
runs it:
`--accumulation` micro-batches of `--batch_size` random windows of `--block_size` tokens of `--corpus` (by default
the real corpus of `../shared/data`; tokenized by `modeling_gpt1.data` with GPT-1's released vocabulary),
backward, gradient clipping at 1, AdamW with the script's weight-decay groups, bf16 mixed precision with
`--dtype bf16`. The models take turns; warm-up updates are not timed; the median update gives tokens/s. Prints
ours, the port and ours/port, and MFU on CUDA against the measured bf16 matmul peak.
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch
from accelerate import Accelerator
from compare_port import MODELS, build_models, median_seconds, peak_bf16_flops, report

from modeling_gpt1 import GPT1Tokenizer
from modeling_gpt1.data.pretraining import tokenize_files, window_starts
from modeling_gpt1.training.finetuning import adamw
from modeling_gpt1.training.pretraining import process_batches, train_update
from modeling_gpt1.training.throughput import flops_per_token

REPO = Path(__file__).resolve().parent.parent

SHARED_DATA = REPO.parent / "shared" / "data"
LEARNING_RATE = 2.5e-4


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cuda = torch.cuda.is_available()
    parser.add_argument("--dtype", choices=("fp32", "bf16"), default="bf16" if cuda else "fp32")
    parser.add_argument("--batch_size", type=int, default=16 if cuda else 2, help="windows per micro-batch")
    parser.add_argument("--accumulation", type=int, default=4 if cuda else 2, help="micro-batches per update")
    parser.add_argument("--block_size", type=int, default=512)
    parser.add_argument("--warmup", type=int, default=2, help="untimed updates per model")
    parser.add_argument("--updates", type=int, default=10, help="timed updates per model")
    parser.add_argument("--attn_implementation", default=None, help="ours; default: the model's")
    parser.add_argument("--corpus", type=Path, default=SHARED_DATA / "corpus" / "combined_en.txt", help="UTF-8 text")
    parser.add_argument("--corpus_bytes", type=int, default=1_000_000, help="how much of the corpus to tokenize")
    parser.add_argument("--config_overrides", default=None, help='fields changed from GPT-1 size, e.g. "n_layer=2"')
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.corpus.is_file():
        parser.error(f"--corpus {args.corpus}: no such file (give a text file)")
    return args


def corpus_tokens(args) -> np.ndarray:
    """The token stream of the corpus's first `--corpus_bytes` bytes, through the script's tokenization."""
    tokenizer = GPT1Tokenizer()  # GPT-1's released vocabulary, shipped in the package
    with tempfile.TemporaryDirectory() as folder:
        text = args.corpus.read_bytes()[: args.corpus_bytes].decode("utf-8", errors="ignore")
        part = Path(folder, "corpus.txt")
        part.write_text(text, encoding="utf-8")
        return np.load(tokenize_files([part], tokenizer, Path(folder, "cache")))


def main():
    args = parse_args()
    accelerator = Accelerator(
        mixed_precision="bf16" if args.dtype == "bf16" else "no", gradient_accumulation_steps=args.accumulation
    )
    device = accelerator.device
    tokens = corpus_tokens(args)
    models = build_models(device, args.seed, args.attn_implementation, args.config_overrides)
    optimizers = {}
    for name in MODELS:
        optimizer = adamw(models[name], LEARNING_RATE, 0.01)  # the scripts' optimizer, fused
        models[name], optimizers[name] = accelerator.prepare(models[name], optimizer)
        models[name].train()
    windows = args.batch_size * args.accumulation
    if args.config_overrides:
        print(f"model: GPT-1 size with {args.config_overrides}")
    print(
        f"{device}, {args.dtype}; ours: {models['ours'].config._attn_implementation} attention, "
        "port: its own eager attention; "
        f"updates of {args.accumulation} x {args.batch_size} windows of {args.block_size} tokens from "
        f"{len(tokens):,} corpus tokens"
    )
    # the same windows for both models: update i reads the windows the script would draw at update i
    batches = [
        list(process_batches(accelerator, tokens, window_starts(len(tokens), args.block_size, windows, 0, i),
                             args.batch_size, args.block_size))
        for i in range(args.warmup + args.updates)
    ]  # fmt: skip
    turn = {name: iter(batches) for name in MODELS}  # each model runs every update once

    def update(name):
        return train_update(accelerator, models[name], optimizers[name], next(turn[name]), max_grad_norm=1.0)

    calls = {name: (lambda name=name: update(name)) for name in MODELS}
    seconds, _ = median_seconds(calls, args.warmup, args.updates, device)
    speed = {name: windows * args.block_size / seconds[name] for name in MODELS}
    report(f"pretraining {args.dtype} tokens/s", speed["ours"], speed["port"], "tok/s")
    if device.type == "cuda":
        peak = peak_bf16_flops(device)
        unwrapped = accelerator.unwrap_model(models["ours"])
        flops = flops_per_token(unwrapped.config, unwrapped.num_parameters(), args.block_size)
        mfu = {name: 100 * flops * speed[name] / peak for name in MODELS}
        print(f"measured bf16 matmul peak: {peak / 1e12:.1f} TFLOP/s")
        report(f"pretraining {args.dtype} MFU", mfu["ours"], mfu["port"], "%")


if __name__ == "__main__":
    main()
