"""Benchmark this package's GPT-1 against transformers' port (`OpenAIGPTLMHeadModel`) under the same weights.

    python benchmarks/compare_port.py --task all --dtype both --seq_len 512 --steps 10

Both models are built in one process at GPT-1 size (`GPT1Config()` defaults, seeded random init; the port
gets identical weights from `modeling_gpt1.convert.to_openai_gpt`). Every figure is printed for ours, the
port and the ratio ours/port. Tasks:

- `train`: tokens/s of a training step (dropout on, forward with `labels=input_ids`, backward, AdamW step),
  warm-up steps excluded, median of `--steps` timed steps run alternately; on CUDA also MFU against the
  bf16 matmul peak measured here.
- `generate`: greedy decoding of `--new_tokens` tokens from a `--prompt_len`-token prompt through
  `generate` (ours with its KV cache, the port recomputing the prefix), and whether both give the same tokens.
- `memory`: peak memory of one training step, each model in a fresh process: how far the peak RSS (CPU,
  Linux) or `torch.cuda.max_memory_allocated` (CUDA) rises above what the weights and the AdamW state
  hold after a warm-up step.

Each task builds its models afresh, so training does not change the weights generation starts from.
"""

import argparse
import gc
import multiprocessing
import os
import re
import statistics
import time
from contextlib import nullcontext
from functools import partial

import torch

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel
from modeling_gpt1.convert import to_openai_gpt
from modeling_gpt1.training.throughput import flops_per_token

MODELS = ("ours", "port")
LEARNING_RATE = 2.5e-4  # the paper's maximum learning rate
MIB = 2**20


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("train", "generate", "memory", "all"), default="all")
    parser.add_argument("--dtype", choices=("fp32", "bf16", "both"), default="both", help="bf16 = bf16 autocast")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch_size", type=int, default=None, help="default: 2 on CPU, 16 on CUDA")
    parser.add_argument("--seq_len", type=int, default=512)
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps (or generate calls) per model")
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per model")
    parser.add_argument("--prompt_len", type=int, default=16)
    parser.add_argument("--new_tokens", type=int, default=256)
    parser.add_argument("--generate_runs", type=int, default=3, help="timed generate calls per model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--attn_implementation",
        default=None,
        help="our attention backend; default eager on CPU (PyTorch's fused CPU attention has no dropout, and SDPA's "
        "fallback is slower than our eager path), sdpa elsewhere",
    )
    args = parser.parse_args()
    if args.attn_implementation is None:
        args.attn_implementation = "eager" if args.device == "cpu" else "sdpa"
    if args.batch_size is None:
        args.batch_size = 16 if args.device.startswith("cuda") else 2
    return args


def build_models(device, seed, attn_implementation):
    """Ours at GPT-1 size with seeded random weights, and the port holding the same weights."""
    torch.manual_seed(seed)
    ours = GPT1LMHeadModel(GPT1Config()).to(device)
    ours.set_attn_implementation(attn_implementation)
    return {"ours": ours, "port": to_openai_gpt(ours).to(device)}


def random_ids(shape, vocab_size, device, seed):
    """Token ids drawn from a seeded generator, the same for both models."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab_size, shape, generator=generator).to(device)


def dtypes(choice):
    """The --dtype choice as the list of settings to run."""
    return ["fp32", "bf16"] if choice == "both" else [choice]


def precision(device, dtype):
    """bf16 autocast for "bf16", nothing for "fp32"; weights stay fp32 either way."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if dtype == "bf16" else nullcontext()


def synchronize(device):
    """Wait for queued device work, so the clock measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(function, device):
    """Seconds `function()` takes, device work included, and what it returned."""
    synchronize(device)
    start = time.perf_counter()
    result = function()
    synchronize(device)
    return time.perf_counter() - start, result


def median_seconds(calls, warmup, runs, device):
    """Median seconds of each named call over `runs` timed calls after `warmup` untimed ones, and its last result."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    seconds, results = {name: [] for name in calls}, {}
    for i in range(runs):
        # the models take turns, and which goes first alternates, so neither always runs on a warmer machine
        for name in list(calls) if i % 2 == 0 else reversed(list(calls)):
            elapsed, results[name] = timed(calls[name], device)
            seconds[name].append(elapsed)
    return {name: statistics.median(values) for name, values in seconds.items()}, results


def train_step(model, optimizer, input_ids, dtype):
    """One language-modelling step: forward with labels, backward, AdamW."""
    with precision(input_ids.device, dtype):
        loss = model(input_ids=input_ids, labels=input_ids).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def greedy(model, prompt, new_tokens, dtype):
    """The greedy continuation of `prompt` through `generate`: new tokens `[new]` and their logits `[new, vocab]`."""
    with torch.no_grad(), precision(prompt.device, dtype):
        output = model.generate(
            prompt, max_new_tokens=new_tokens, do_sample=False, return_dict_in_generate=True, output_logits=True
        )
    return output.sequences[0, prompt.shape[1] :], torch.cat(output.logits).float()


def peak_bf16_flops(device, size=8192, repeats=20):
    """FLOP/s of a large bf16 matmul on this device, the peak MFU is taken against."""
    a, b, product = (torch.randn(size, size, device=device, dtype=torch.bfloat16) for _ in range(3))
    for _ in range(3):
        torch.matmul(a, b, out=product)
    seconds, _ = timed(lambda: [torch.matmul(a, b, out=product) for _ in range(repeats)], device)
    return 2 * size**3 * repeats / seconds


def report(label, ours, port, unit, fmt="{:,.1f}"):
    """Print one figure for both models and the ratio ours/port."""
    ours_text, port_text = fmt.format(ours), fmt.format(port)
    print(f"{label:<38} ours {ours_text:>10} {unit}   port {port_text:>10} {unit}   ours/port {ours / port:.2f}x")


def bench_train(args, device):
    """Training tokens/s of both models in each dtype, and MFU on CUDA."""
    models = build_models(device, args.seed, args.attn_implementation)
    optimizers = {name: torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE) for name, model in models.items()}
    for model in models.values():
        model.train()
    print(f"ours: {models['ours'].config._attn_implementation} attention; port: its own eager attention")
    input_ids = random_ids((args.batch_size, args.seq_len), models["ours"].config.vocab_size, device, args.seed)
    tokens = input_ids.numel()
    peak = peak_bf16_flops(device) if device.type == "cuda" else None
    if peak is not None:
        print(f"measured bf16 matmul peak: {peak / 1e12:.1f} TFLOP/s")
    for dtype in dtypes(args.dtype):
        steps = {name: partial(train_step, models[name], optimizers[name], input_ids, dtype) for name in MODELS}
        seconds, _ = median_seconds(steps, args.warmup, args.steps, device)
        speed = {name: tokens / seconds[name] for name in MODELS}
        label = f"train {dtype} tokens/s ({args.batch_size}x{args.seq_len})"
        report(label, speed["ours"], speed["port"], "tok/s")
        if peak is not None:
            num_params = sum(p.numel() for p in models["ours"].parameters())
            flops = flops_per_token(models["ours"].config, num_params, args.seq_len)
            mfu = {name: 100 * flops * speed[name] / peak for name in MODELS}
            report(f"train {dtype} MFU (vs bf16 peak)", mfu["ours"], mfu["port"], "%")


def bench_generate(args, device):
    """Greedy decoding tokens/s of both models, and whether they pick the same tokens."""
    models = build_models(device, args.seed, args.attn_implementation)
    for model in models.values():
        model.eval()
    prompt = random_ids((1, args.prompt_len), models["ours"].config.vocab_size, device, args.seed)
    for dtype in dtypes(args.dtype):
        for _ in range(args.warmup):
            for model in models.values():
                greedy(model, prompt, 8, dtype)
        # the port has no cache: `generate` runs it over the whole sequence for every new token
        calls = {name: partial(greedy, models[name], prompt, args.new_tokens, dtype) for name in MODELS}
        seconds, new = median_seconds(calls, 0, args.generate_runs, device)
        (ours_tokens, ours_logits), (port_tokens, port_logits) = new["ours"], new["port"]
        speed = {name: len(new[name][0]) / seconds[name] for name in MODELS}
        report(f"generate {dtype} tokens/s ({len(ours_tokens)} new)", speed["ours"], speed["port"], "tok/s")
        differ = (ours_tokens != port_tokens).nonzero()
        if len(ours_tokens) == len(port_tokens) and len(differ) == 0:
            # random weights can repeat one token, so the logits say more than the tokens
            logit_gap = (ours_logits - port_logits).abs().max()
            distinct = len(set(ours_tokens.tolist()))
            print(f"generate {dtype}: same tokens ({distinct} distinct), largest logit difference {logit_gap:.2e}")
        else:
            first = int(differ[0]) if len(differ) else min(len(ours_tokens), len(port_tokens))
            print(f"generate {dtype}: tokens DIFFER from new token {first} on")


def rss(field):
    """`VmRSS` (resident now) or `VmHWM` (peak resident) of this process in bytes (Linux)."""
    with open("/proc/self/status") as status:
        return int(re.search(rf"{field}:\s+(\d+) kB", status.read()).group(1)) * 1024


def reset_peak_rss():
    """Reset this process's peak RSS (`VmHWM`) to its current RSS (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def step_memory(name, device_name, dtype, batch_size, seq_len, seed, attn_implementation):
    """(baseline, peak) bytes around one training step of one model; run in a fresh process."""
    device = torch.device(device_name)
    model = build_models(device, seed, attn_implementation)[name].train()
    gc.collect()
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    input_ids = random_ids((batch_size, seq_len), model.config.vocab_size, device, seed)
    # the warm-up step allocates the AdamW state; its gradients are freed again by zero_grad
    train_step(model, optimizer, input_ids, dtype)
    gc.collect()
    synchronize(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        baseline = torch.cuda.memory_allocated(device)
        train_step(model, optimizer, input_ids, dtype)
        synchronize(device)
        return baseline, torch.cuda.max_memory_allocated(device)
    baseline = rss("VmRSS")
    reset_peak_rss()
    train_step(model, optimizer, input_ids, dtype)
    # not `ru_maxrss`: it also keeps the peak of the parent this process was forked from before its exec
    return baseline, rss("VmHWM")


def bench_memory(args, device):
    """Peak training-step memory of both models, each measured in its own fresh process."""
    # glibc keeps freed blocks below a moving mmap threshold for reuse, so the warm-up step's activations
    # would stay resident and hide the measured step's; a fixed threshold hands every tensor back on free
    os.environ["MALLOC_MMAP_THRESHOLD_"] = str(64 * 1024)
    context = multiprocessing.get_context("spawn")
    for dtype in dtypes(args.dtype):
        growth, peak = {}, {}
        for name in MODELS:
            with context.Pool(1) as pool:
                baseline, peak[name] = pool.apply(
                    step_memory,
                    (name, str(device), dtype, args.batch_size, args.seq_len, args.seed, args.attn_implementation),
                )
            growth[name] = peak[name] - baseline
        what = "RSS" if device.type == "cpu" else "allocated"
        shape = f"({args.batch_size}x{args.seq_len})"
        report(f"memory {dtype} step growth MiB {shape}", growth["ours"] / MIB, growth["port"] / MIB, "MiB")
        report(f"memory {dtype} peak {what} MiB", peak["ours"] / MIB, peak["port"] / MIB, "MiB")


def main():
    args = parse_args()
    device = torch.device(args.device)
    machine = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{os.cpu_count()} CPUs"
    print(f"device {device} ({machine}), torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    if args.task in ("train", "all"):
        bench_train(args, device)
    if args.task in ("generate", "all"):
        bench_generate(args, device)
    if args.task in ("memory", "all"):
        bench_memory(args, device)


if __name__ == "__main__":
    main()
