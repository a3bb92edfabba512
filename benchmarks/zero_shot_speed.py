"""Benchmark zero-shot scoring of multiple-choice tasks: our cached-prefix scoring against one forward per answer.

    python benchmarks/zero_shot_speed.py --race_questions 16 --stories 32

GPT-1 size (`GPT1Config()`, seeded random weights, GPT-1's released vocabulary), on the real RACE dev questions
and Story Cloze validation stories of `../shared/data`, with GPT-1's zero-shot heuristics (an answer's mean
log-probability after article and question; an ending's after the story). Three ways, one after the other in
one process, each scoring the same requests:
- `port`: transformers' `OpenAIGPTLMHeadModel` with the same weights (`convert.to_openai_gpt`), which has no KV
  cache: one full forward per (prefix + answer), as `zero_shot.score_one_at_a_time` runs it;
- `ours, one at a time`: the same loop through our model;
- `ours, cached`: `zero_shot.score_candidates`, each prefix run once and its cache copied to every answer, batched.
Prints seconds, examples per second, the ratios, and the largest score difference from the port's.
"""

import argparse
import time
from pathlib import Path

import torch

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel, GPT1Tokenizer
from modeling_gpt1.convert import to_openai_gpt
from modeling_gpt1.data.tasks import load_race, load_story_cloze
from modeling_gpt1.zero_shot import PromptBuilder, score_candidates, score_one_at_a_time

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--race_questions", type=int, default=16, help="the first N RACE dev questions")
    parser.add_argument("--stories", type=int, default=32, help="the first N Story Cloze validation stories")
    parser.add_argument("--batch_size", type=int, default=8, help="examples per batch of the cached scoring")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def timed(function, device, *args) -> tuple[float, list]:
    """The seconds `function(*args)` takes, and its result."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = function(*args)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


def largest_difference(scores, reference) -> float:
    return max(
        abs(score.total - other.total)
        for example, other_example in zip(scores, reference, strict=True)
        for score, other in zip(example, other_example, strict=True)
    )


def main():
    args = parse_args()
    device = torch.device(args.device)
    tokenizer = GPT1Tokenizer(DATA / "gpt1" / "encoder_bpe_40000.json", DATA / "gpt1" / "vocab_40000.bpe")
    torch.manual_seed(args.seed)
    ours = GPT1LMHeadModel(GPT1Config()).to(device).eval()
    port = to_openai_gpt(ours).to(device).eval()
    n_positions = ours.config.max_position_embeddings
    tasks = {
        "race": load_race(DATA / "race")["validation"].select(range(args.race_questions)),
        "story_cloze": load_story_cloze(DATA / "story_cloze")["validation"].select(range(args.stories)),
    }
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    for task, examples in tasks.items():
        batch = PromptBuilder(tokenizer, task, n_positions).requests(examples)[0]  # GPT-1's heuristic
        prefix_tokens = sum(len(r.prefix) for r in batch) / len(batch)
        answer_tokens = sum(len(c) for r in batch for c in r.continuations) / sum(len(r.continuations) for r in batch)
        print(
            f"\n{task}: {len(batch)} examples, {len(batch[0].continuations)} answers each, "
            f"prefix {prefix_tokens:.0f} tokens and answer {answer_tokens:.1f} tokens on average"
        )
        score_candidates(ours, batch[:2], args.batch_size)  # warm-up
        port_seconds, port_scores = timed(score_one_at_a_time, device, port, batch)
        naive_seconds, naive_scores = timed(score_one_at_a_time, device, ours, batch)
        cached_seconds, cached_scores = timed(score_candidates, device, ours, batch, args.batch_size)
        for name, seconds, scores in (
            ("port, one at a time", port_seconds, port_scores),
            ("ours, one at a time", naive_seconds, naive_scores),
            ("ours, cached", cached_seconds, cached_scores),
        ):
            print(
                f"  {name:20s} {seconds:8.2f} s  {len(batch) / seconds:7.2f} examples/s  "
                f"largest score difference from the port {largest_difference(scores, port_scores):.1e}"
            )
        print(
            f"  cached / port {port_seconds / cached_seconds:.2f}x faster, "
            f"cached / ours one at a time {naive_seconds / cached_seconds:.2f}x faster; "
            f"cached vs ours one at a time: largest difference {largest_difference(cached_scores, naive_scores):.1e}"
        )


if __name__ == "__main__":
    main()
