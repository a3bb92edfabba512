"""python examples/train_tiny.py [run_pretraining.py arguments]

The quick start's main job: `run_pretraining.py` with a small default, then a sampled continuation of a prompt
from the model it saved. The default pretrains the `gpt1-mini` preset (4 layers, 128 wide, 4 heads, 128
positions) with a 2,000-merge GPT-1-style vocabulary learned on the corpus first, for 1,500 updates of 16 random
128-token windows per process (Adam at a peak of 2e-3, 100 warm-up updates, then cosine decay), in `out/tiny`
(replacing an earlier run there). It reports the validation perplexity
beside that of a unigram model of the same held-out tokens. Any run_pretraining.py argument given replaces its
default here, e.g. `--max_steps 3000` or `--output_dir out/other`; `accelerate launch examples/train_tiny.py`
runs it on several processes.

The corpus: `--train_files` (or `--dataset_name`) when given; else WikiText-2 (`Salesforce/wikitext`,
`wikitext-2-raw-v1`, 2 million words of Wikipedia) from the Hugging Face Hub through `datasets`, when the Hub can
be reached; else, offline in the project's workplace, the English corpus in `../shared/data/corpus` (relative to
the current folder); else the run stops at once and says so.
"""

import sys
from pathlib import Path

import huggingface_hub
from accelerate import PartialState

from modeling_gpt1 import GPT1LMHeadModel, GPT1Tokenizer
from modeling_gpt1.training import pretraining

HUB_CORPUS = {"--dataset_name": "Salesforce/wikitext", "--dataset_config_name": "wikitext-2-raw-v1"}
WORKPLACE_CORPUS = Path("../shared/data/corpus/combined_en.txt")
DEFAULTS = {
    "--output_dir": "out/tiny",
    "--config_name": "gpt1-mini",
    "--new_vocab_merges": 2000,
    "--per_device_train_batch_size": 16,
    "--gradient_accumulation_steps": 1,
    "--learning_rate": 2e-3,
    "--warmup_steps": 100,
    "--max_steps": 1500,
    "--eval_steps": 500,
    "--checkpointing_steps": 500,
}
PROMPT = "It was a dark and stormy night, and"


def default_corpus() -> dict:
    """The corpus arguments when none are given: WikiText-2 where the Hub answers, else the workplace's corpus."""
    try:
        huggingface_hub.HfApi().dataset_info(HUB_CORPUS["--dataset_name"], timeout=10)
        return HUB_CORPUS
    except Exception:  # offline, unreachable or refused: the Hub's client raises many kinds
        pass
    if WORKPLACE_CORPUS.is_file():
        return {"--train_files": WORKPLACE_CORPUS}
    print(
        "train_tiny.py: error: no corpus to train on: give --train_files FILE [FILE ...] (UTF-8 text), or "
        f"--dataset_name NAME, or run where the Hugging Face Hub can be reached (for {HUB_CORPUS['--dataset_name']})",
        file=sys.stderr,
    )
    sys.exit(2)


def command_line(given: list[str]) -> list[str]:
    """`given` with the defaults of the arguments it does not set; a fresh run replaces an earlier one."""
    named = {argument.split("=", 1)[0] for argument in given if argument.startswith("--")}
    if named & {"--tokenizer_name", "--model_name_or_path"}:
        named.add("--new_vocab_merges")  # their vocabulary, not a new one
    defaults = DEFAULTS if named & {"--train_files", "--dataset_name"} else {**default_corpus(), **DEFAULTS}
    defaults = [str(part) for name, value in defaults.items() if name not in named for part in (name, value)]
    fresh = [] if "--resume_from_checkpoint" in named else ["--overwrite_output_dir"]
    return [*defaults, *fresh, *given]


def main():
    argv = command_line(sys.argv[1:])
    pretraining.main(argv)
    if PartialState().is_main_process:
        # sampled from the saved copy, which shows that it loads
        output_dir = pretraining.parse_args(argv).output_dir
        tokenizer = GPT1Tokenizer.from_pretrained(output_dir)
        model = GPT1LMHeadModel.from_pretrained(output_dir)
        inputs = tokenizer(PROMPT, return_tensors="pt")
        output = model.generate(**inputs, max_new_tokens=40, do_sample=True, top_k=40)
        print(f"\n{PROMPT!r} ->\n{tokenizer.decode(output[0])}\n")


if __name__ == "__main__":
    main()
