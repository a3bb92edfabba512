"""accelerate launch examples/train_tiny.py --output_dir out/tiny
python examples/train_tiny.py

Pretrain a tiny GPT-1 (4 layers, 128 wide, 4 heads, 128 positions, GPT-1's 40,478-token vocabulary)
for a few hundred steps on `../shared/data/corpus/combined_en.txt` with the paper's objective and
optimizer (random contiguous windows, AdamW with linear warm-up and cosine decay to 0, decoupled
weight decay on weights only), report the train loss and the validation perplexity on held-out
text, save model and tokenizer with `save_pretrained`, reload them and sample a continuation of a
prompt. About two minutes on two CPU cores; the full-size recipe (12 x 768, lr 2.5e-4, 2,000
warm-up steps, batches of 64 x 512 tokens) is a later script.

The tokenizer is GPT-1's own (`GPT1Tokenizer`, the original encoder's ids), over the released
vocabulary; the model has its 40,478 rows, without the three fine-tuning tokens, as pretraining had.

Expect little from two minutes: the held-out perplexity ends a little below the corpus's unigram
perplexity and the sample is mostly frequent words. GPT-1 has no
output bias, so it first fits the unigram distribution with a hidden state that no longer depends on
the input, and only then, slowly, learns to use the context; `--max_steps` buys more of the latter.
"""

import argparse
import itertools
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
from accelerate import Accelerator
from accelerate.logging import get_logger
from accelerate.utils import set_seed
from tqdm.auto import tqdm
from transformers import get_cosine_schedule_with_warmup

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel, GPT1Tokenizer

logger = get_logger(__name__)
# `shared/` lies beside the repository, so defaults work from any working directory
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def parse_args():
    parser = argparse.ArgumentParser(
        description="Pretrain a tiny GPT-1 on a text file and sample from it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--train_file", type=Path, default=SHARED_DATA / "corpus" / "combined_en.txt", help="UTF-8 text"
    )
    parser.add_argument(
        "--vocab_file", type=Path, default=SHARED_DATA / "gpt1" / "encoder_bpe_40000.json", help="BPE ids"
    )
    parser.add_argument(
        "--merges_file", type=Path, default=SHARED_DATA / "gpt1" / "vocab_40000.bpe", help="BPE merges"
    )
    parser.add_argument("--output_dir", type=Path, default=Path("out/tiny"), help="model, tokenizer, results")
    parser.add_argument("--num_layers", type=int, default=4)
    parser.add_argument("--hidden_size", type=int, default=128)
    parser.add_argument("--num_heads", type=int, default=4)
    parser.add_argument("--block_size", type=int, default=128, help="context, and the length of each window")
    parser.add_argument("--dropout", type=float, default=0.0, help="the paper's 0.1 only slows so short a run")
    parser.add_argument(
        "--initializer_range",
        type=float,
        default=0.1,
        help="init std; GPT-1's 0.02 suits 768 wide: at 128 the model sits at unigram level far longer",
    )
    parser.add_argument("--max_steps", type=int, default=400, help="optimizer steps")
    parser.add_argument("--batch_size", type=int, default=4, help="windows per step and process")
    parser.add_argument("--learning_rate", type=float, default=1e-3, help="peak")
    parser.add_argument("--warmup_steps", type=int, default=50)
    parser.add_argument("--weight_decay", type=float, default=0.01)
    parser.add_argument("--max_grad_norm", type=float, default=1.0)
    parser.add_argument("--val_every", type=int, default=20, help="hold out every n-th stretch of 4,096 tokens")
    parser.add_argument("--eval_windows", type=int, default=128, help="held-out windows the perplexity is taken on")
    parser.add_argument("--log_every", type=int, default=50)
    parser.add_argument("--prompt", default="It was a dark and stormy night, and")
    parser.add_argument("--max_new_tokens", type=int, default=40)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if args.max_steps < 1:
        parser.error("--max_steps must be at least 1")
    for flag in ("train_file", "vocab_file", "merges_file"):
        path = getattr(args, flag)
        if not path.is_file() or path.stat().st_size == 0:
            parser.error(f"--{flag} {path} is missing or empty")
    return args


def tokenize_corpus(tokenizer, path: Path) -> torch.Tensor:
    """The whole file as one 1-D stream of token ids, tokenized in one batched call."""
    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    ids = tokenizer(paragraphs, add_special_tokens=False, verbose=False)["input_ids"]  # long texts are fine here
    return torch.from_numpy(np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64))


def random_windows(ids: torch.Tensor, batch_size: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """`batch_size` random contiguous windows of `length` tokens, `[batch_size, length]`."""
    starts = torch.randint(0, len(ids) - length + 1, (batch_size,), generator=generator)
    return torch.stack([ids[start : start + length] for start in starts.tolist()])


@torch.no_grad()
def evaluate(model, windows: torch.Tensor, batch_size: int, accelerator: Accelerator) -> float:
    """Mean next-token loss over `windows` (`[n, length]`), shared out across processes."""
    model.eval()
    totals = torch.zeros(2, device=accelerator.device)  # [sum of token losses, number of predicted tokens]
    for batch in windows[accelerator.process_index :: accelerator.num_processes].split(batch_size):
        batch = batch.to(accelerator.device)
        loss = model(batch, labels=batch, use_cache=False).loss.float()  # no KV cache to keep in evaluation
        predicted = batch.numel() - batch.shape[0]  # the first token of each window is not predicted
        totals += torch.stack([loss * predicted, totals.new_tensor(predicted)])
    totals = accelerator.reduce(totals, reduction="sum")
    model.train()
    return (totals[0] / totals[1]).item()


def main():
    args = parse_args()
    accelerator = Accelerator()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    set_seed(args.seed)

    tokenizer = GPT1Tokenizer(args.vocab_file, args.merges_file)
    ids = tokenize_corpus(tokenizer, args.train_file)
    # every `val_every`-th stretch is held out, so validation covers every text of the corpus
    stretches = ids.split(4096)
    train_ids = torch.cat([s for i, s in enumerate(stretches) if i % args.val_every])
    val_ids = torch.cat(stretches[:: args.val_every])
    if len(val_ids) < args.block_size or len(train_ids) < args.block_size:
        raise ValueError(f"{args.train_file} has {len(ids)} tokens, too few for windows of {args.block_size}")
    # evenly spaced non-overlapping held-out windows, `[eval_windows, block_size]`
    val_windows = val_ids[: len(val_ids) // args.block_size * args.block_size].view(-1, args.block_size)
    val_windows = val_windows[torch.linspace(0, len(val_windows) - 1, args.eval_windows).long().unique()]
    logger.info(f"{args.train_file.name}: {len(train_ids):,} train and {len(val_ids):,} held-out tokens")

    config = GPT1Config(
        vocab_size=tokenizer.vocab_size,
        n_positions=args.block_size,
        n_embd=args.hidden_size,
        n_layer=args.num_layers,
        n_head=args.num_heads,
        intermediate_size=4 * args.hidden_size,
        embd_pdrop=args.dropout,
        attn_pdrop=args.dropout,
        resid_pdrop=args.dropout,
        initializer_range=args.initializer_range,
    )
    model = GPT1LMHeadModel(config)
    logger.info(f"GPT-1 of {args.num_layers} layers x {args.hidden_size}: {model.num_parameters():,} parameters")

    # decoupled weight decay on matrices only, not on biases and LayerNorm gains (paper, section 4.1)
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": args.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=args.learning_rate, betas=(0.9, 0.999), eps=1e-8)
    # not prepared: accelerate would step it once per process, as if the steps were shared out
    scheduler = get_cosine_schedule_with_warmup(optimizer, args.warmup_steps, args.max_steps)
    model, optimizer = accelerator.prepare(model, optimizer)

    generator = torch.Generator().manual_seed(args.seed + accelerator.process_index)  # other windows per process
    progress = tqdm(range(args.max_steps), disable=not accelerator.is_local_main_process)
    recent_losses, start = [], time.perf_counter()
    for step in progress:
        batch = random_windows(train_ids, args.batch_size, args.block_size, generator).to(accelerator.device)
        loss = model(batch, labels=batch).loss
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(model.parameters(), args.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        recent_losses = (recent_losses + [loss.detach()])[-args.log_every :]
        progress.set_postfix(loss=f"{loss.item():.3f}")
        if (step + 1) % args.log_every == 0 or step + 1 == args.max_steps:
            train_loss = accelerator.reduce(torch.stack(recent_losses).mean(), reduction="mean").item()
            logger.info(f"step {step + 1}/{args.max_steps}: train loss {train_loss:.3f}")
    train_seconds = time.perf_counter() - start

    val_loss = evaluate(model, val_windows, args.batch_size, accelerator)
    results = {
        "train_loss": train_loss,
        "val_loss": val_loss,
        "val_perplexity": math.exp(val_loss),
        "steps": args.max_steps,
        "train_tokens": args.max_steps * args.batch_size * args.block_size * accelerator.num_processes,
        "train_seconds": round(train_seconds, 1),
    }
    logger.info(f"train loss {train_loss:.3f}, validation loss {val_loss:.3f}, perplexity {math.exp(val_loss):.1f}")

    accelerator.wait_for_everyone()
    accelerator.unwrap_model(model).save_pretrained(
        args.output_dir, is_main_process=accelerator.is_main_process, save_function=accelerator.save
    )
    if accelerator.is_main_process:
        tokenizer.save_pretrained(args.output_dir)
        (args.output_dir / "all_results.json").write_text(json.dumps(results, indent=2))
        logger.info(f"saved model, tokenizer and all_results.json to {args.output_dir}")

        # sample from the saved copy, which checks that it loads
        model = GPT1LMHeadModel.from_pretrained(args.output_dir)
        inputs = tokenizer(args.prompt, add_special_tokens=False, return_tensors="pt")  # no fine-tuning tokens
        output = model.generate(**inputs, max_new_tokens=args.max_new_tokens, do_sample=True, top_k=40)
        print(f"\n{args.prompt!r} ->\n{tokenizer.decode(output[0])}\n")


if __name__ == "__main__":
    main()
