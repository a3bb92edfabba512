"""The pretraining data: raw text files tokenized once into a flat token stream on disk, read back memory-mapped.

`tokenize_files` encodes the files' paragraphs (split at blank lines, concatenated in file order) with
`datasets.Dataset.map` over `num_proc` processes and writes one `.npy` array in `cache_dir`, named by a hash of
the files (path, size, mtime) and of the tokenizer's vocabulary and merges, so a second run with the same inputs
reuses it. `np.load(path, mmap_mode="r")` reads it back without loading it, so corpora larger than memory work.
`split_stream` holds out a validation part of the stream and `window_starts`/`read_windows` draw GPT-1's training
batches: random contiguous windows of the stream (SPEC §4). `tokenize_dataset` does the same for a Hub dataset.
"""

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import datasets
import numpy as np
import torch

logger = logging.getLogger(__name__)

# bumped when the layout of the stream changes, so that older caches are not read as current ones
CACHE_VERSION = 1
# paragraphs a `map` batch encodes; stream rows copied into the array at a time
MAP_BATCH_SIZE = 1000
WRITE_BATCH_SIZE = 10_000
REPLACEMENT = "\ufffd"
# the largest share of a file's characters that may be undecodable bytes (each replaced by U+FFFD) or NULs: a few are
# stray bytes in a UTF-8 text, worth a warning; more than this is a file in another encoding (Latin-1 in a language
# with many accents, Cyrillic in CP1251, UTF-16, whose every other byte is NUL) or not text at all, refused
MAX_UNDECODABLE_SHARE = 0.10


def read_paragraphs(path: Path) -> Iterator[str]:
    """The paragraphs of a UTF-8 file (split at blank lines, stripped), streamed; bad bytes become U+FFFD."""
    lines = []
    with open(path, "rb") as file:
        # b"\n" never occurs inside a multi-byte UTF-8 character, so lines split the bytes safely
        for raw in file:
            line = raw.decode("utf-8", errors="replace")
            if line.strip():
                lines.append(line)
            elif lines:
                yield "".join(lines).strip()
                lines = []
    if lines:
        yield "".join(lines).strip()


def check_file(path: Path) -> int:
    """The number of undecodable byte sequences in `path`; `ValueError` when it is missing, holds no text, or more
    than `MAX_UNDECODABLE_SHARE` of its characters are undecodable bytes or NULs."""
    if not path.is_file():
        raise ValueError(f"{path} is a folder, not a file" if path.is_dir() else f"{path}: no such file")
    replaced, nuls, characters, has_text = 0, 0, 0, False
    with open(path, "rb") as file:
        for raw in file:
            line = raw.decode("utf-8", errors="replace")
            # U+FFFD written in the file itself is not a replacement
            replaced += line.count(REPLACEMENT) - raw.count(REPLACEMENT.encode())
            nuls += line.count("\0")
            characters += len(line)
            has_text = has_text or bool(line.strip())
    if not has_text:
        raise ValueError(f"{path}: the file is empty (it holds no text)")
    if replaced + nuls > MAX_UNDECODABLE_SHARE * characters:
        raise ValueError(
            f"{path}: {(replaced + nuls) / characters:.1%} of its characters ({replaced + nuls:,} of {characters:,}) "
            f"are undecodable bytes or NULs, more than the {MAX_UNDECODABLE_SHARE:.0%} a UTF-8 text may hold: it is "
            "in another encoding (convert it to UTF-8, e.g. with iconv) or not text"
        )
    return replaced


def check_files(files: Sequence[Path]) -> dict[Path, int]:
    """`check_file` on each of `files`, the undecodable byte sequences of each logged: each file's count."""
    replaced = {Path(file): check_file(Path(file)) for file in files}
    for file, count in replaced.items():
        if count:
            logger.warning("%s: %d undecodable byte sequence(s) replaced with U+FFFD", file, count)
    return replaced


def tokenizer_hash(tokenizer) -> str:
    """A hash of the tokenizer's vocabulary and merges: equal for tokenizers that encode alike."""
    state = {"vocab": sorted(tokenizer.get_vocab().items()), "merges": [list(m) for m in tokenizer.merges]}
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()


def cache_key(files: Sequence[Path], tokenizer) -> str:
    """A hash of the files (path, size, mtime), their order and the tokenizer: the cache file's name."""
    stats = [(str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    state = {"version": CACHE_VERSION, "files": stats, "tokenizer": tokenizer_hash(tokenizer)}
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:20]


def _paragraphs(files: list[str]) -> Iterator[dict]:
    for file in files:
        for paragraph in read_paragraphs(Path(file)):
            yield {"text": paragraph}


def tokenize_files(files: Sequence, tokenizer, cache_dir, num_proc: int = 1) -> Path:
    """The path of the `.npy` token stream of `files`, tokenized now or found in `cache_dir` from an earlier run.

    The stream is uint16 when the tokenizer's ids fit, else uint32. It is written to a temporary file and renamed
    only once complete, so an interrupted run leaves no cache that loads. Undecodable bytes are replaced (U+FFFD)
    and their count logged for each file; a file with more than `MAX_UNDECODABLE_SHARE` of them is refused.
    """
    files = [Path(f) for f in files]
    if not files:
        raise ValueError("no training files given")
    for file in files:
        if not file.is_file():
            raise ValueError(f"{file} is a folder, not a file" if file.is_dir() else f"{file}: no such file")
    cache_dir = Path(cache_dir)
    key = cache_key(files, tokenizer)
    path = cache_dir / f"tokens-{key}.npy"
    if path.exists():
        logger.info("Reusing the token stream %s", path)
        return path
    # a pass over the bytes before tokenizing, so that a bad file is named before any work is done
    check_files(files)

    def paragraphs(work: str) -> datasets.Dataset:
        return datasets.Dataset.from_generator(
            _paragraphs, gen_kwargs={"files": [str(f) for f in files]}, cache_dir=work
        )

    write_stream(paragraphs, "text", tokenizer, path, num_proc)
    return path


def tokenize_dataset(dataset: datasets.Dataset, text_column: str, tokenizer, cache_dir, num_proc: int = 1) -> Path:
    """`tokenize_files` for a `datasets.Dataset` (one loaded from the Hub): each row of `text_column` is a text.

    The cache is named by the dataset's fingerprint, which `datasets` derives from its source and version.
    """
    if text_column not in dataset.column_names:
        raise ValueError(f"the dataset has no column {text_column!r}; its columns: {', '.join(dataset.column_names)}")
    if len(dataset) == 0:
        raise ValueError("the dataset is empty")
    state = {"version": CACHE_VERSION, "dataset": dataset._fingerprint, "column": text_column}
    state["tokenizer"] = tokenizer_hash(tokenizer)
    key = hashlib.sha256(json.dumps(state).encode()).hexdigest()[:20]
    path = Path(cache_dir) / f"tokens-{key}.npy"
    if path.exists():
        logger.info("Reusing the token stream %s", path)
        return path
    write_stream(lambda work: dataset.select_columns([text_column]), text_column, tokenizer, path, num_proc)
    return path


def write_stream(make_texts, text_column: str, tokenizer, path: Path, num_proc: int):
    """Encode the texts of `make_texts(work_dir)` (a Dataset) and write their ids, concatenated, to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dtype = np.uint16 if len(tokenizer) < 2**16 else np.uint32

    def encode(batch):
        ids = tokenizer.encode_texts([text or "" for text in batch[text_column]])
        return {"input_ids": ids, "length": [len(i) for i in ids]}

    # datasets' own cache lives in a fresh folder that is removed after, so it never serves stale text
    with tempfile.TemporaryDirectory(dir=path.parent, prefix="tmp-datasets-") as work:
        texts = make_texts(work)
        encoded = texts.map(
            encode,
            batched=True,
            batch_size=MAP_BATCH_SIZE,
            num_proc=num_proc if num_proc > 1 else None,
            remove_columns=texts.column_names,
            new_fingerprint=path.stem,
            cache_file_name=str(Path(work) / "encoded.arrow"),
            desc="Tokenizing",
        )
        total = int(np.sum(encoded.with_format("numpy")["length"], dtype=np.int64))
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"tmp-{path.stem}-", suffix=".npy")
        os.close(descriptor)
        temporary = Path(temporary)
        try:
            stream = np.lib.format.open_memmap(temporary, mode="w+", dtype=dtype, shape=(total,))
            position = 0
            for batch in encoded.select_columns("input_ids").iter(batch_size=WRITE_BATCH_SIZE):
                chunk = np.fromiter((i for ids in batch["input_ids"] for i in ids), dtype=dtype)
                stream[position : position + len(chunk)] = chunk
                position += len(chunk)
            stream.flush()
            del stream
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    logger.info("Tokenized %d texts into %d tokens: %s", len(encoded), total, path)


def split_stream(tokens: np.ndarray, block_size: int, validation_percentage: float) -> tuple[np.ndarray, np.ndarray]:
    """The stream's first (100 - p)% for training and its last p% for validation, as views.

    The validation part is one stretch at the end, not stretches spread through the stream: no training window
    then overlaps a validation one, the validation text is text the model has not read (as a held-out book would
    be), and both parts stay views of the memory-mapped file. Each part must hold a window of `block_size` tokens.
    """
    if not 0 < validation_percentage < 100:
        raise ValueError(f"validation_percentage must be in (0, 100), got {validation_percentage}")
    if block_size < 2:
        raise ValueError(f"block_size must be at least 2, got {block_size}")
    if len(tokens) < 2 * block_size:
        raise ValueError(
            f"the corpus ({len(tokens)} tokens) is shorter than one window of block_size={block_size} tokens for "
            "training plus one for validation"
        )
    split = len(tokens) - round(len(tokens) * validation_percentage / 100)
    for part, length in (("training", split), ("validation", len(tokens) - split)):
        if length < block_size:
            raise ValueError(
                f"the {part} part ({length} of {len(tokens)} tokens at validation_percentage="
                f"{validation_percentage}) is shorter than one window of block_size={block_size} tokens"
            )
    return tokens[:split], tokens[split:]


def window_starts(num_tokens: int, block_size: int, count: int, seed: int, update: int) -> np.ndarray:
    """The start offsets of the `count` random windows of update `update`: a function of (seed, update) alone.

    Every process draws the same global batch and reads its own share, so a run's data depends neither on the
    number of processes nor on where it was resumed: the data position of a checkpoint is its update count.
    """
    if num_tokens < block_size:
        raise ValueError(f"the stream ({num_tokens} tokens) is shorter than one window of {block_size} tokens")
    return np.random.default_rng([seed, update]).integers(0, num_tokens - block_size + 1, size=count)


def read_windows(tokens: np.ndarray, starts: Sequence[int], block_size: int) -> torch.Tensor:
    """The windows of `block_size` tokens at `starts`: a `[len(starts), block_size]` LongTensor."""
    # only these windows are read from a memory-mapped stream
    windows = np.stack([tokens[start : start + block_size] for start in starts]).astype(np.int64)
    return torch.from_numpy(windows)
