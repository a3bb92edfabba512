"""Benchmark GPT1Tokenizer against the original GPT-1 encoder on the same real text, and check their ids agree.

    python benchmarks/tokenizer_speed.py --batch_size 1000

The original is `benchmarks/original_encoder.py` (openai/finetune-transformer-lm's `TextEncoder` with spaCy's
blank English tokenizer). For each set of texts both get a fresh instance, so every cache starts cold, and
batch-encode the texts `--batch_size` at a time: ours through `tokenizer(batch, add_special_tokens=False)`, the
original through `TextEncoder.encode(batch)`. Sets:

- `corpus`: the paragraphs (split on blank lines) of `--corpus`, the project's 10 MB English corpus;
- `glue`: the sentences of CoLA, MRPC, RTE and STS-B, train and dev, in GLUE's TSV layout under `--glue`.

Printed for each set: texts/s and tokens/s of both, the ratio ours/original, and whether all ids are equal;
the script exits with status 1 where any differ. Reading the files is not timed.
"""

import argparse
import csv
import os
import platform
import sys
import time
from pathlib import Path

import ftfy
import spacy
import tokenizers
import transformers
from original_encoder import TextEncoder  # this script's folder is on sys.path when it runs

from modeling_gpt1 import GPT1Tokenizer
from modeling_gpt1.tokenization_gpt1 import ORIGINAL_FILES_NAMES

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = ("corpus", "glue")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", choices=(*SETS, "all"), default="all")
    parser.add_argument("--corpus", type=Path, default=DATA / "corpus" / "combined_en.txt")
    parser.add_argument("--glue", type=Path, default=DATA / "glue", help="folder of CoLA/, MRPC/, RTE/, STS-B/")
    parser.add_argument(
        "--vocab_dir",
        type=Path,
        default=DATA / "gpt1",
        help="folder of {vocab_file} and {merges_file}".format(**ORIGINAL_FILES_NAMES),
    )
    parser.add_argument("--batch_size", type=int, default=1000, help="texts per encoding call")
    parser.add_argument("--max_texts", type=int, default=None, help="keep the first N texts of each set")
    return parser.parse_args()


def corpus_paragraphs(path):
    """The paragraphs of a text file: the pieces between blank lines that hold more than whitespace."""
    text = path.read_text(encoding="utf-8")
    return [paragraph for paragraph in text.split("\n\n") if paragraph.strip()]


def read_tsv(path, header=True):
    """Rows of a GLUE TSV file, read with quoting off as GLUE's readers do (sentences hold stray quotes)."""
    with open(path, encoding="utf-8-sig", newline="") as file:  # MRPC's files start with a byte order mark
        reader = csv.DictReader if header else csv.reader
        return list(reader(file, delimiter="\t", quoting=csv.QUOTE_NONE))


def glue_sentences(folder):
    """Every sentence of CoLA (no header; the 4th column), MRPC, RTE and STS-B, train then dev."""
    texts = []
    for split in ("train", "dev"):
        texts += [row[3] for row in read_tsv(folder / "CoLA" / f"{split}.tsv", header=False)]
        texts += [row[f"#{i} String"] for row in read_tsv(folder / "MRPC" / f"{split}.tsv") for i in (1, 2)]
        for task in ("RTE", "STS-B"):
            texts += [row[f"sentence{i}"] for row in read_tsv(folder / task / f"{split}.tsv") for i in (1, 2)]
    return texts


def cpu_name():
    """The CPU's model name (Linux), or what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def encode_ours(files, texts, batch_size):
    """Ids of `texts` from a fresh GPT1Tokenizer, `batch_size` texts a call."""
    tokenizer = GPT1Tokenizer(*files)
    return [
        ids
        for start in range(0, len(texts), batch_size)
        for ids in tokenizer(texts[start : start + batch_size], add_special_tokens=False)["input_ids"]
    ]


def encode_original(files, texts, batch_size):
    """Ids of `texts` from a fresh original TextEncoder, `batch_size` texts a call."""
    encoder = TextEncoder(*files)
    return [
        ids for start in range(0, len(texts), batch_size) for ids in encoder.encode(texts[start : start + batch_size])
    ]


def timed(function, *args):
    """Seconds `function(*args)` takes, and what it returned."""
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def report(label, ours, original, unit, fmt="{:,.0f}"):
    """Print one figure for both and the ratio ours/original."""
    ours_text, original_text = fmt.format(ours), fmt.format(original)
    ratio = ours / original
    print(
        f"{label:<20} ours {ours_text:>11} {unit}   original {original_text:>11} {unit}   ours/original {ratio:.2f}x"
    )


def bench(name, texts, files, batch_size):
    """Time both encoders on `texts`; True where all their ids agree."""
    characters = sum(map(len, texts))
    print(f"{name}: {len(texts):,} texts, {characters / 1e6:.2f} M characters, batches of {batch_size}")
    # the tokenizer is built inside the timed call, as the original is: loading the files counts for both
    ours_seconds, ours = timed(encode_ours, files, texts, batch_size)
    original_seconds, original = timed(encode_original, files, texts, batch_size)
    report(f"{name} texts/s", len(texts) / ours_seconds, len(texts) / original_seconds, "texts/s")
    ours_tokens, original_tokens = sum(map(len, ours)), sum(map(len, original))
    report(f"{name} tokens/s", ours_tokens / ours_seconds, original_tokens / original_seconds, "tok/s")
    report(f"{name} seconds", ours_seconds, original_seconds, "s", fmt="{:,.2f}")
    differ = [i for i, (a, b) in enumerate(zip(ours, original, strict=True)) if a != b]
    if differ:
        i = differ[0]
        print(f"{name}: ids DIFFER in {len(differ):,} of {len(texts):,} texts; first {texts[i]!r}:")
        print(f"  ours     {ours[i]}\n  original {original[i]}")
    else:
        print(f"{name}: all ids equal ({ours_tokens:,} tokens)")
    return not differ


def main():
    args = parse_args()
    transformers.logging.set_verbosity_error()  # no warning for texts longer than GPT-1's context
    files = [args.vocab_dir / ORIGINAL_FILES_NAMES[name] for name in ("vocab_file", "merges_file")]
    print(
        f"{cpu_name()}, {os.cpu_count()} CPUs; python {platform.python_version()}, "
        f"spacy {spacy.__version__}, ftfy {ftfy.__version__}, tokenizers {tokenizers.__version__}, "
        f"transformers {transformers.__version__}"
    )
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    readers = {"corpus": lambda: corpus_paragraphs(args.corpus), "glue": lambda: glue_sentences(args.glue)}
    agree = True
    for name in SETS if args.sets == "all" else [args.sets]:
        texts = readers[name]()[: args.max_texts]
        agree &= bench(name, texts, files, args.batch_size)
    print("load average at end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    sys.exit(0 if agree else 1)


if __name__ == "__main__":
    main()
