"""Benchmark this package's GPT-1 against transformers' port (`OpenAIGPTLMHeadModel`) under the same weights.

    python benchmarks/compare_port.py --task all --dtype both --seq_len 512 --steps 10

Both models are built in one process at GPT-1 size (`GPT1Config()` defaults, seeded random init, or with
`--config_overrides`; the port gets identical weights from `modeling_gpt1.convert.to_openai_gpt`). Every figure
is printed for ours, the port and the ratio ours/port. Tasks:

- `parity`: the largest logit difference between ours and the port on the same `--batch_size` x `--seq_len`
  random ids, in each dtype, the share of positions where both pick the same token, and in bf16 how far each
  is from ours' fp32 logits.
- `train`: tokens/s of a training step (dropout on, forward with `labels=input_ids`, backward, AdamW step;
  the scripts' fused AdamW for both, `training.finetuning.adamw`, as the Trainer's default is fused too),
  warm-up steps excluded, median of `--steps` timed steps run alternately; on CUDA also MFU against the
  bf16 matmul peak measured here. `--torch_compile` compiles both models with inductor first. On CUDA, a
  bf16 row with ours on `flash_attention_2` where `flash_attn` is importable (a printed reason where not).
- `generate`: greedy decoding of `--new_tokens` tokens from a `--prompt_len`-token prompt through
  `generate` (ours with its KV cache, the port recomputing the prefix), and whether both give the same tokens.
  Against the memory-bandwidth limit: the bytes a decoding step reads (every weight once; ours also its KV
  cache at the mean context length), this device's memory bandwidth measured in the same run (STREAM's
  triad over arrays far larger than the caches), the limit tokens/s = bandwidth / bytes per token, and each
  model's share of it; and the rate at which this device's matrix-vector products alone read the same weights
  (every weight matrix once, nothing else), the ceiling a decoding step's projections meet on this hardware.
- `memory`: peak memory of one training step, each model in a fresh process: how far the peak RSS (CPU,
  Linux) or `torch.cuda.max_memory_allocated` (CUDA) rises above what the weights and the AdamW state
  hold after a warm-up step.
- `finetune`: the paper's fine-tuning step at RACE's shape (`--batch_size` examples x 4 choices x `--seq_len`
  tokens, the extract token last): ours `GPT1DoubleHeads` with default settings (task loss + 0.5 x auxiliary
  LM loss on the inputs), the port `OpenAIGPTDoubleHeadsModel` with `labels=input_ids` and the same sum of its
  two losses; tokens/s as `train` times it, then each model's peak memory as `memory` measures it.

Each task builds its models afresh, so training does not change the weights generation starts from.
"""

import argparse
import gc
import importlib.util
import multiprocessing
import os
import re
import statistics
import time
from contextlib import nullcontext
from functools import partial

import torch

from modeling_gpt1 import GPT1Config, GPT1DoubleHeads, GPT1LMHeadModel
from modeling_gpt1.convert import to_openai_gpt
from modeling_gpt1.training.finetuning import adamw
from modeling_gpt1.training.throughput import flops_per_token

MODELS = ("ours", "port")
RACE_CHOICES = 4
LM_COEF = 0.5  # the paper's auxiliary-loss weight, GPT1Config's default
LEARNING_RATE = 2.5e-4  # the paper's maximum learning rate
WEIGHT_DECAY = 0.01  # the scripts' default
MIB = 2**20
MB = 1e6


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("parity", "train", "generate", "memory", "finetune", "all"), default="all")
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
        "--config_overrides", default=None, help='fields changed from GPT-1 size, e.g. "n_layer=2" (quick checks)'
    )
    parser.add_argument("--torch_compile", action="store_true", help="train: compile both models with inductor")
    parser.add_argument(
        "--attn_implementation",
        default=None,
        help="our attention backend (eager, sdpa, flash_attention_2, ...); default: the model's own, what users get",
    )
    args = parser.parse_args()
    if args.batch_size is None:
        args.batch_size = 16 if args.device.startswith("cuda") else 2
    return args


def build_models(device, seed, attn_implementation, config_overrides=None):
    """Ours at GPT-1 size (or with `config_overrides`, e.g. "n_layer=2") with seeded random weights, and the port
    holding the same weights."""
    config = GPT1Config()
    if config_overrides:
        config.update_from_string(config_overrides)
    torch.manual_seed(seed)
    ours = GPT1LMHeadModel(config).to(device)
    if attn_implementation is not None:
        ours.set_attn_implementation(attn_implementation)
    return {"ours": ours, "port": to_openai_gpt(ours).to(device)}


def build_finetune_models(device, seed, attn_implementation, config_overrides=None):
    """Ours as the paper's multiple-choice fine-tuning model (`GPT1DoubleHeads`, default settings) with seeded random
    weights, and the port's `OpenAIGPTDoubleHeadsModel` holding the same weights."""
    config = GPT1Config()
    if config_overrides:
        config.update_from_string(config_overrides)
    config.vocab_size = config.extract_token_id + 1  # the BPE vocabulary and the three fine-tuning tokens
    torch.manual_seed(seed)
    ours = GPT1DoubleHeads(config).to(device)
    if attn_implementation is not None:
        ours.set_attn_implementation(attn_implementation)
    return {"ours": ours, "port": to_openai_gpt(ours).to(device)}


def choice_batch(args, config, device):
    """A RACE-shaped batch: `[batch, 4 choices, seq_len]` random ids ending in the extract token, and answers."""
    input_ids = random_ids((args.batch_size, RACE_CHOICES, args.seq_len), config.extract_token_id, device, args.seed)
    input_ids[..., -1] = config.extract_token_id
    mc_token_ids = torch.full((args.batch_size, RACE_CHOICES), args.seq_len - 1, device=device)
    mc_labels = torch.arange(args.batch_size, device=device) % RACE_CHOICES
    return input_ids, mc_token_ids, mc_labels


def finetune_step(model, optimizer, batch, dtype):
    """One fine-tuning step of the paper's L3 = task loss + 0.5 x LM loss: forward, backward, AdamW."""
    input_ids, mc_token_ids, mc_labels = batch
    with precision(input_ids.device, dtype):
        if isinstance(model, GPT1DoubleHeads):
            # the auxiliary LM loss on the inputs comes with the task labels, weighted by config.lm_coef
            loss = model(input_ids=input_ids, mc_token_ids=mc_token_ids, mc_labels=mc_labels).loss
        else:
            output = model(input_ids=input_ids, mc_token_ids=mc_token_ids, labels=input_ids, mc_labels=mc_labels)
            loss = output.mc_loss + LM_COEF * output.loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


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


def stream_bandwidth(device, runs=5):
    """Memory bandwidth in bytes/s: STREAM's triad `a = b + 3 c` over fp32 arrays far larger than the caches (256 MiB
    each on CPU, 1 GiB on CUDA), counted as STREAM counts it (two arrays read, one written), median of `runs`."""
    b = torch.rand(2**28 if device.type == "cuda" else 2**26, device=device)
    c, a = torch.rand_like(b), torch.empty_like(b)
    torch.add(b, c, alpha=3.0, out=a)  # the first pass maps the pages in
    seconds = [timed(lambda: torch.add(b, c, alpha=3.0, out=a), device)[0] for _ in range(runs)]
    return 3 * a.nbytes / statistics.median(seconds)


def matrix_vector_bandwidth(model, dtype, device, runs=5):
    """Bytes/s at which this device's library reads the model's weights in matrix-vector products: one row through
    every weight matrix (the LM head once), in order, with nothing else between them, the fastest a decoding step's
    projections can run here (median of `runs`). In bf16 over bf16 copies, as autocast reads them."""
    element_type = torch.bfloat16 if dtype == "bf16" else next(model.parameters()).dtype
    weights = [
        (layer.weight.detach().to(element_type), None if layer.bias is None else layer.bias.detach().to(element_type))
        for layer in model.modules()
        if isinstance(layer, torch.nn.Linear)
    ]
    rows = {w.shape[1]: torch.randn(1, w.shape[1], device=device, dtype=element_type) for w, _ in weights}

    def products():
        for weight, bias in weights:
            torch.nn.functional.linear(rows[weight.shape[1]], weight, bias)

    products()
    seconds = [timed(products, device)[0] for _ in range(runs)]
    return sum(w.nbytes + (0 if b is None else b.nbytes) for w, b in weights) / statistics.median(seconds)


def decoding_bytes(model, dtype, context):
    """Bytes one decoding step reads, as (parameters, bytes an element, weights, KV cache): every parameter once, and
    keys and values of `context` positions in every layer. In bf16 both are 2 bytes an element: autocast keeps one
    bf16 copy of each weight for the whole `generate` call, and keys and values come out of bf16 matmuls."""
    config = model.config
    num_parameters = sum(p.numel() for p in model.parameters())  # the tied LM head once
    element = 2 if dtype == "bf16" else next(model.parameters()).element_size()
    cache = 2 * config.num_hidden_layers * config.hidden_size * context * element
    return num_parameters, element, num_parameters * element, cache


def report(label, ours, port, unit, fmt="{:,.1f}"):
    """Print one figure for both models and the ratio ours/port."""
    ours_text, port_text = fmt.format(ours), fmt.format(port)
    print(f"{label:<38} ours {ours_text:>10} {unit}   port {port_text:>10} {unit}   ours/port {ours / port:.2f}x")


def flash_attention_unavailable(args, device):
    """Why the flash-attention row cannot run here, or None when it can."""
    if device.type != "cuda":
        return "flash_attention_2 runs on CUDA only"
    if importlib.util.find_spec("flash_attn") is None:
        return "flash_attn is not importable (pip install flash-attn)"
    if "bf16" not in dtypes(args.dtype):
        return "flash attention needs bf16 (--dtype bf16 or both)"
    if args.torch_compile:
        return "not run under --torch_compile (a second compile of ours); the run without it has the row"
    return None


def time_training(args, device, models, optimizers, input_ids, dtype, peak, what=""):
    """Print training tokens/s of both models in one dtype, and MFU against `peak` when given."""
    steps = {name: partial(train_step, models[name], optimizers[name], input_ids, dtype) for name in MODELS}
    seconds, _ = median_seconds(steps, args.warmup, args.steps, device)
    speed = {name: input_ids.numel() / seconds[name] for name in MODELS}
    report(f"train {dtype}{what} tokens/s ({args.batch_size}x{args.seq_len})", speed["ours"], speed["port"], "tok/s")
    if peak is not None:
        num_params = sum(p.numel() for p in models["ours"].parameters())
        flops = flops_per_token(models["ours"].config, num_params, args.seq_len)
        mfu = {name: 100 * flops * speed[name] / peak for name in MODELS}
        report(f"train {dtype}{what} MFU (vs bf16 peak)", mfu["ours"], mfu["port"], "%")


def bench_train(args, device):
    """Training tokens/s of both models in each dtype, and MFU on CUDA; then ours with flash attention."""
    models = build_models(device, args.seed, args.attn_implementation, args.config_overrides)
    optimizers = {name: adamw(model, LEARNING_RATE, WEIGHT_DECAY) for name, model in models.items()}
    for model in models.values():
        model.train()
    ours = models["ours"]  # not compiled: its attention backend is switched below
    compiled = ", both compiled with inductor" if args.torch_compile else ""
    print(f"ours: {ours.config._attn_implementation} attention; port: its own eager attention{compiled}")
    if args.torch_compile:
        # the warm-up steps compile (once per dtype: autocast is part of the graph's guards)
        models = {name: torch.compile(model) for name, model in models.items()}
    input_ids = random_ids((args.batch_size, args.seq_len), ours.config.vocab_size, device, args.seed)
    peak = peak_bf16_flops(device) if device.type == "cuda" else None
    if peak is not None:
        print(f"measured bf16 matmul peak: {peak / 1e12:.1f} TFLOP/s")
    what = " compiled" if args.torch_compile else ""
    for dtype in dtypes(args.dtype):
        time_training(args, device, models, optimizers, input_ids, dtype, peak, what)
    reason = flash_attention_unavailable(args, device)
    if reason is not None:
        print(f"train bf16, ours with flash_attention_2: skipped, {reason}")
        return
    ours.set_attn_implementation("flash_attention_2")
    print("ours: flash_attention_2 attention; port: its own eager attention")
    time_training(args, device, models, optimizers, input_ids, "bf16", peak, ", ours flash_attention_2")


def bench_parity(args, device):
    """The largest logit difference between ours and the port on the same ids, in each dtype."""
    models = build_models(device, args.seed, args.attn_implementation, args.config_overrides)
    for model in models.values():
        model.eval()
    ids = random_ids((args.batch_size, args.seq_len), models["ours"].config.vocab_size, device, args.seed)
    with torch.no_grad():
        reference = models["ours"](ids).logits  # fp32: the yardstick for the bf16 logits' own rounding
    print(f"ours: {models['ours'].config._attn_implementation} attention; port: its own eager attention")
    for dtype in dtypes(args.dtype):
        with torch.no_grad(), precision(device, dtype):
            logits = {name: models[name](ids).logits.float() for name in MODELS}
        gap = (logits["ours"] - logits["port"]).abs().max()
        same = 100 * (logits["ours"].argmax(-1) == logits["port"].argmax(-1)).float().mean()
        line = f"parity {dtype} ({args.batch_size}x{args.seq_len}): largest |ours - port| logit difference {gap:.2e}"
        line += f", same top token at {same:.2f}% of positions"
        if dtype == "bf16":
            ours_error, port_error = ((logits[name] - reference).abs().max() for name in MODELS)
            line += f"; from fp32 logits: ours {ours_error:.2e}, port {port_error:.2e}"
        print(line)
        del logits


def bench_generate(args, device):
    """Greedy decoding tokens/s of both models, whether they pick the same tokens, and the bandwidth limit."""
    models = build_models(device, args.seed, args.attn_implementation, args.config_overrides)
    for model in models.values():
        model.eval()
    prompt = random_ids((1, args.prompt_len), models["ours"].config.vocab_size, device, args.seed)
    bandwidth = stream_bandwidth(device)
    what = "STREAM triad, 3 arrays far above cache size, median of 5"
    print(f"memory bandwidth, {device.type} ({what}): {bandwidth / 1e9:,.1f} GB/s")
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
        # a decoding step of ours attends to prompt + the tokens so far: on average prompt + new / 2 positions
        context = args.prompt_len + len(ours_tokens) / 2
        num_parameters, element, weights, cache = decoding_bytes(models["ours"], dtype, context)
        read = {"ours": weights + cache, "port": weights}  # the port has no cache; it re-runs the whole prefix
        limit = {name: bandwidth / read[name] for name in MODELS}
        report(f"generate {dtype} MB read per token", read["ours"] / MB, read["port"] / MB, "MB")
        report(f"generate {dtype} bandwidth-limit tokens/s", limit["ours"], limit["port"], "tok/s")
        share = {name: 100 * speed[name] / limit[name] for name in MODELS}
        report(f"generate {dtype} share of the limit", share["ours"], share["port"], "%")
        products = matrix_vector_bandwidth(models["ours"], dtype, device)
        print(
            f"generate {dtype}: matrix-vector products alone read the weights at {products / 1e9:,.1f} GB/s here "
            f"({100 * products / bandwidth:.1f}% of the triad's bandwidth); ours decodes at "
            f"{100 * speed['ours'] * read['ours'] / products:.1f}% of that rate"
        )
        copies = ", autocast's bf16 copies" if dtype == "bf16" else ""
        print(
            f"generate {dtype}: MB read per token = the weights once ({num_parameters:,} parameters x {element} B"
            f"{copies} = {weights / MB:,.1f} MB) + ours' KV cache, keys and values at the mean context of {context:g} "
            f"positions ({cache / MB:,.2f} MB); the port reads the weights once per token too, but in a forward over "
            "the whole sequence (not bandwidth-bound)"
        )
        differ = (ours_tokens != port_tokens).nonzero()
        if len(ours_tokens) == len(port_tokens) and len(differ) == 0:
            # random weights can repeat one token, so the logits say more than the tokens
            logit_gap = (ours_logits - port_logits).abs().max()
            distinct = len(set(ours_tokens.tolist()))
            print(
                f"generate {dtype}: cached (ours) and uncached (port) decoding give the same tokens ({distinct} "
                f"distinct), largest logit difference {logit_gap:.2e}"
            )
        else:
            first = int(differ[0]) if len(differ) else min(len(ours_tokens), len(port_tokens))
            print(f"generate {dtype}: cached (ours) and uncached (port) tokens DIFFER from new token {first} on")


def rss(field):
    """`VmRSS` (resident now) or `VmHWM` (peak resident) of this process in bytes (Linux)."""
    with open("/proc/self/status") as status:
        return int(re.search(rf"{field}:\s+(\d+) kB", status.read()).group(1)) * 1024


def reset_peak_rss():
    """Reset this process's peak RSS (`VmHWM`) to its current RSS (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def step_memory(name, device_name, dtype, args, task):
    """(baseline, peak) bytes around one training step ("train") or fine-tuning step ("finetune") of one model; run
    in a fresh process."""
    device = torch.device(device_name)
    build = build_models if task == "train" else build_finetune_models
    models = build(device, args.seed, args.attn_implementation, args.config_overrides)
    config = models["ours"].config  # the port's config has no fine-tuning token ids
    model = models.pop(name).train()
    del models  # the other model
    gc.collect()
    optimizer = adamw(model, LEARNING_RATE, WEIGHT_DECAY)
    if task == "train":
        step = partial(
            train_step,
            model,
            optimizer,
            random_ids((args.batch_size, args.seq_len), model.config.vocab_size, device, args.seed),
            dtype,
        )
    else:
        step = partial(finetune_step, model, optimizer, choice_batch(args, config, device), dtype)
    # the warm-up step allocates the AdamW state; its gradients are freed again by zero_grad
    step()
    gc.collect()
    synchronize(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        baseline = torch.cuda.memory_allocated(device)
        step()
        synchronize(device)
        return baseline, torch.cuda.max_memory_allocated(device)
    baseline = rss("VmRSS")
    reset_peak_rss()
    step()
    # not `ru_maxrss`: it also keeps the peak of the parent this process was forked from before its exec
    return baseline, rss("VmHWM")


def bench_memory(args, device, task="train"):
    """Peak training-step ("train") or fine-tuning-step ("finetune") memory of both models, each measured in its own
    fresh process."""
    # glibc keeps freed blocks below a moving mmap threshold for reuse, so the warm-up step's activations
    # would stay resident and hide the measured step's; a fixed threshold hands every tensor back on free
    os.environ["MALLOC_MMAP_THRESHOLD_"] = str(64 * 1024)
    context = multiprocessing.get_context("spawn")
    for dtype in dtypes(args.dtype):
        growth, peak = {}, {}
        for name in MODELS:
            with context.Pool(1) as pool:
                baseline, peak[name] = pool.apply(step_memory, (name, str(device), dtype, args, task))
            growth[name] = peak[name] - baseline
        what = "RSS" if device.type == "cpu" else "allocated"
        label = "memory" if task == "train" else "finetune memory"
        shape = f"({args.batch_size}x{args.seq_len})" if task == "train" else f"({args.batch_size}x4x{args.seq_len})"
        report(f"{label} {dtype} step growth MiB {shape}", growth["ours"] / MIB, growth["port"] / MIB, "MiB")
        report(f"{label} {dtype} peak {what} MiB", peak["ours"] / MIB, peak["port"] / MIB, "MiB")


def bench_finetune(args, device):
    """Fine-tuning tokens/s of both models at RACE's shape in each dtype, then each one's peak step memory."""
    models = build_finetune_models(device, args.seed, args.attn_implementation, args.config_overrides)
    optimizers = {name: adamw(model, LEARNING_RATE, WEIGHT_DECAY) for name, model in models.items()}
    for model in models.values():
        model.train()
    print(f"ours: {models['ours'].config._attn_implementation} attention; port: its own eager attention")
    batch = choice_batch(args, models["ours"].config, device)
    for dtype in dtypes(args.dtype):
        steps = {name: partial(finetune_step, models[name], optimizers[name], batch, dtype) for name in MODELS}
        seconds, _ = median_seconds(steps, args.warmup, args.steps, device)
        speed = {name: batch[0].numel() / seconds[name] for name in MODELS}
        shape = f"({args.batch_size}x4x{args.seq_len})"
        report(f"finetune {dtype} tokens/s {shape}", speed["ours"], speed["port"], "tok/s")
    del models, optimizers
    bench_memory(args, device, task="finetune")


def main():
    args = parse_args()
    device = torch.device(args.device)
    machine = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{os.cpu_count()} CPUs"
    print(f"device {device} ({machine}), torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    if args.config_overrides:
        print(f"model: GPT-1 size with {args.config_overrides}")
    if args.task in ("parity", "all"):
        bench_parity(args, device)
    if args.task in ("train", "all"):
        bench_train(args, device)
    if args.task in ("generate", "all"):
        bench_generate(args, device)
    if args.task in ("memory", "all"):
        bench_memory(args, device)
    if args.task in ("finetune", "all"):
        bench_finetune(args, device)


if __name__ == "__main__":
    main()
