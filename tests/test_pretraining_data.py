"""The pretraining token stream (`modeling_gpt1.data.pretraining`): tokenized once, cached, split and windowed."""

import logging
import re

import datasets
import numpy as np
import pytest
import torch
from shared_data import DATA, MERGES, VOCAB, require

from modeling_gpt1 import GPT1Tokenizer
from modeling_gpt1.data import pretraining as pretraining_data
from modeling_gpt1.data.pretraining import read_windows, split_stream, tokenize_dataset, tokenize_files, window_starts

CORPUS = DATA / "corpus" / "combined_en.txt"


def paragraphs(text: str) -> list[str]:
    """The paragraphs of `text` as the module defines them: split at blank lines, stripped, empty ones dropped."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def expected_stream(tokenizer, texts) -> np.ndarray:
    ids = tokenizer.encode_texts([p for text in texts for p in paragraphs(text)])
    return np.array([i for row in ids for i in row])


@pytest.fixture(scope="module")
def tokenizer():
    return GPT1Tokenizer(require(VOCAB), require(MERGES))


@pytest.fixture(scope="module")
def texts():
    """The first ~200 KB of the real corpus as two texts cut at a paragraph break."""
    with open(require(CORPUS), encoding="utf-8") as file:
        text = file.read(200_000)
    cut = text.index("\n\n", len(text) // 2)
    return [text[:cut], text[cut:]]


@pytest.fixture
def files(tmp_path, texts):
    paths = [tmp_path / "corpus" / f"part{i}.txt" for i in range(len(texts))]
    paths[0].parent.mkdir()
    for path, text in zip(paths, texts, strict=True):
        path.write_text(text, encoding="utf-8")
    return paths


def test_stream_is_the_paragraphs_encoded_in_file_order(tokenizer, texts, files, tmp_path):
    path = tokenize_files(files, tokenizer, tmp_path / "cache")
    stream = np.load(path, mmap_mode="r")
    assert isinstance(stream, np.memmap) and stream.dtype == np.uint16
    np.testing.assert_array_equal(stream, expected_stream(tokenizer, texts))
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [path.name]  # no temporary files left


def test_parallel_tokenization_gives_the_same_stream(tokenizer, files, tmp_path):
    one = np.load(tokenize_files(files, tokenizer, tmp_path / "one"))
    two = np.load(tokenize_files(files, tokenizer, tmp_path / "two", num_proc=2))
    np.testing.assert_array_equal(one, two)


def test_cache_is_reused_then_rebuilt_when_a_file_changes(tokenizer, texts, files, tmp_path, monkeypatch):
    path = tokenize_files(files, tokenizer, tmp_path / "cache")
    written = path.stat().st_mtime_ns

    def fail(*args, **kwargs):
        raise AssertionError("the tokenizer ran although the stream is cached")

    with monkeypatch.context() as patch:
        patch.setattr(GPT1Tokenizer, "encode_texts", fail)
        assert tokenize_files(files, tokenizer, tmp_path / "cache") == path
    assert path.stat().st_mtime_ns == written

    with open(files[1], "a", encoding="utf-8") as file:
        file.write("\n\nA new closing paragraph.\n")
    rebuilt = tokenize_files(files, tokenizer, tmp_path / "cache")
    assert rebuilt != path
    np.testing.assert_array_equal(np.load(rebuilt), expected_stream(tokenizer, [texts[0], files[1].read_text()]))


def test_interrupted_tokenization_leaves_no_cache(tokenizer, files, tmp_path, monkeypatch):
    encode, calls = GPT1Tokenizer.encode_texts, []

    def interrupted(self, texts, *args, **kwargs):
        calls.append(len(texts))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return encode(self, texts, *args, **kwargs)

    monkeypatch.setattr(GPT1Tokenizer, "encode_texts", interrupted)
    monkeypatch.setattr(pretraining_data, "MAP_BATCH_SIZE", 50)
    with pytest.raises(KeyboardInterrupt):
        tokenize_files(files, tokenizer, tmp_path / "cache")
    assert len(calls) == 3
    assert list((tmp_path / "cache").iterdir()) == []


def test_undecodable_bytes_are_replaced_and_counted(tokenizer, tmp_path, caplog):
    path = tmp_path / "latin1.txt"
    # three bad sequences (\xe9, \xff, \xfe) and one U+FFFD written as such, which is no replacement
    path.write_bytes(b"caf\xe9 au lait\n\nmore \xff\xfe text \xef\xbf\xbd here\n")
    with caplog.at_level(logging.WARNING, logger=pretraining_data.__name__):
        stream = np.load(tokenize_files([path], tokenizer, tmp_path / "cache"))
    assert [r.getMessage() for r in caplog.records] == [f"{path}: 3 undecodable byte sequence(s) replaced with U+FFFD"]
    decoded = path.read_bytes().decode("utf-8", errors="replace")
    np.testing.assert_array_equal(stream, expected_stream(tokenizer, [decoded]))


@pytest.mark.parametrize("content", [None, b"", b"\n \n\t\n"], ids=["missing", "empty", "blank"])
def test_missing_or_empty_file_is_named(tokenizer, files, tmp_path, content):
    bad = tmp_path / "bad.txt"
    if content is not None:
        bad.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(str(bad))):
        tokenize_files([files[0], bad], tokenizer, tmp_path / "cache")
    with pytest.raises(ValueError, match="no training files"):
        tokenize_files([], tokenizer, tmp_path / "cache")


class WideTokenizer:
    """A stand-in tokenizer with more than 2**16 ids."""

    merges = [("a", "b")]

    def __len__(self):
        return 70_000

    def get_vocab(self):
        return {"a": 0, "b": 1}

    def encode_texts(self, texts):
        return [[69_999, len(text)] for text in texts]


def test_stream_is_uint32_when_ids_do_not_fit_uint16(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("one\n\ntwo three\n")
    stream = np.load(tokenize_files([path], WideTokenizer(), tmp_path / "cache"))
    assert stream.dtype == np.uint32
    np.testing.assert_array_equal(stream, [69_999, 3, 69_999, 9])


def test_split_holds_out_the_end_as_views():
    tokens = np.arange(1000, dtype=np.uint16)
    train, validation = split_stream(tokens, block_size=16, validation_percentage=10)
    assert (len(train), len(validation)) == (900, 100)
    assert train.base is tokens and validation.base is tokens
    np.testing.assert_array_equal(np.concatenate([train, validation]), tokens)


def test_split_rejects_a_corpus_shorter_than_a_window():
    with pytest.raises(ValueError, match="shorter than one window of block_size=512"):
        split_stream(np.zeros(600, dtype=np.uint16), block_size=512, validation_percentage=5)
    with pytest.raises(ValueError, match="validation part .* shorter than one window"):
        split_stream(np.zeros(2000, dtype=np.uint16), block_size=512, validation_percentage=5)
    with pytest.raises(ValueError, match="validation_percentage"):
        split_stream(np.zeros(2000, dtype=np.uint16), block_size=16, validation_percentage=0)


def test_windows_are_contiguous_and_a_function_of_seed_and_update():
    tokens = np.arange(5000, dtype=np.uint16)
    starts = window_starts(len(tokens), 64, 8, seed=0, update=3)
    windows = read_windows(tokens, starts, 64)
    assert windows.shape == (8, 64) and windows.dtype == torch.long
    # each row is a contiguous slice of the stream
    assert torch.equal(windows - windows[:, :1], torch.arange(64).expand(8, 64))
    np.testing.assert_array_equal(starts, window_starts(len(tokens), 64, 8, seed=0, update=3))
    assert not np.array_equal(starts, window_starts(len(tokens), 64, 8, seed=0, update=4))
    assert not np.array_equal(starts, window_starts(len(tokens), 64, 8, seed=1, update=3))
    # the windows of many updates cover the stream up to its last window
    many = np.concatenate([window_starts(len(tokens), 64, 64, seed=0, update=u) for u in range(200)])
    assert many.min() == 0 and many.max() == len(tokens) - 64
    # a stream of exactly one window gives that window every time
    one = window_starts(64, 64, 2, seed=0, update=0)
    assert torch.equal(read_windows(tokens, one, 64), torch.arange(64).expand(2, 64))
    with pytest.raises(ValueError, match="shorter than one window"):
        window_starts(63, 64, 2, seed=0, update=0)


def test_windows_read_from_a_memory_mapped_stream(tokenizer, files, tmp_path):
    stream = np.load(tokenize_files(files, tokenizer, tmp_path / "cache"), mmap_mode="r")
    train, validation = split_stream(stream, block_size=128, validation_percentage=5)
    batch = read_windows(train, window_starts(len(train), 128, 4, seed=0, update=0), 128)
    assert batch.shape == (4, 128) and int(batch.max()) < len(tokenizer)


def test_dataset_rows_are_tokenized_like_files(tokenizer, texts, files, tmp_path):
    """A Hub dataset's text column gives the stream of the same texts read from files, cached by fingerprint."""
    rows = [p for text in texts for p in paragraphs(text)]
    dataset = datasets.Dataset.from_dict({"text": rows, "other": list(range(len(rows)))})
    path = tokenize_dataset(dataset, "text", tokenizer, tmp_path / "cache")
    np.testing.assert_array_equal(np.load(path), np.load(tokenize_files(files, tokenizer, tmp_path / "cache")))
    assert tokenize_dataset(dataset, "text", tokenizer, tmp_path / "cache") == path
    with pytest.raises(ValueError, match="no column 'body'; its columns: text, other"):
        tokenize_dataset(dataset, "body", tokenizer, tmp_path / "cache")
    with pytest.raises(ValueError, match="the dataset is empty"):
        tokenize_dataset(dataset.select([]), "text", tokenizer, tmp_path / "cache")
