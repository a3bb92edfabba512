"""GPT1Tokenizer gives the original encoder's ids: on the golden file, on real text not used in its development
and on random strings; reads both file layouts; saves and loads, also through trust_remote_code; places the
fine-tuning tokens; refuses bad input and bad files by name; pickles; learns a new BPE.

The original encoder is `benchmarks/original_encoder.py`. Real data is read from `../shared/data` (relative to
the repository); tests that need it are skipped where it is absent.
"""

import csv
import json
import pickle
import random
import re
import textwrap
from pathlib import Path

import ftfy
import pytest
import spacy
from remote_code import run_fresh_python
from shared_data import DATA, GOLDEN, GPT1_DATA, MERGES, STORY_CLOZE, VOCAB, load_script, require
from transformers import AutoTokenizer

from modeling_gpt1 import GPT1Config, GPT1Tokenizer
from modeling_gpt1.spacy_chunks import cross_space_pairs, matcher_rules
from modeling_gpt1.tokenization_gpt1 import ORIGINAL_FILES_NAMES, RELEASED_VOCABULARY, fix_text, standardize

CORPUS = DATA / "corpus" / "combined_en.txt"
START, DELIMITER, EXTRACT = 40478, 40479, 40480  # SPEC section 2
NEWLINE = 40477
BATCH = 1000  # texts per call, as `datasets.map` batches them


original_encoder = load_script("benchmarks/original_encoder.py")
glue_sentences = load_script("benchmarks/tokenizer_speed.py").glue_sentences


def read_golden() -> list[dict]:
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()] if GOLDEN.exists() else []


GOLDEN_RECORDS = read_golden()
GOLDEN_PARAMS = [pytest.param(record, id=f"golden{i}") for i, record in enumerate(GOLDEN_RECORDS)] or [
    pytest.param(None, marks=pytest.mark.skip(reason=f"{GOLDEN} is absent"))
]


@pytest.fixture(scope="module")
def tokenizer():
    """GPT-1's tokenizer on the released files; one instance, so its caches fill across the tests."""
    return GPT1Tokenizer()


@pytest.fixture(scope="module")
def original():
    return original_encoder.TextEncoder(require(VOCAB), require(MERGES))


@pytest.fixture(scope="module")
def golden_texts():
    require(GOLDEN)
    return [record["text"] for record in GOLDEN_RECORDS]


def encode(tokenizer, texts):
    """Ids of `texts` without special tokens, `BATCH` texts a call."""
    return [
        ids
        for start in range(0, len(texts), BATCH)
        for ids in tokenizer(texts[start : start + BATCH], add_special_tokens=False)["input_ids"]
    ]


def assert_same_ids(texts, ours, theirs):
    assert len(ours) == len(theirs) == len(texts)
    differ = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    if differ:
        i = differ[0]
        pytest.fail(f"{len(differ)} of {len(texts)} texts differ; the first, {texts[i]!r}: {ours[i]} != {theirs[i]}")


# ---------------------------------------------------------------------------------------------------------------
# the original encoder's ids


@pytest.mark.parametrize("record", GOLDEN_PARAMS)
def test_golden_ids_one_by_one(tokenizer, record):
    assert tokenizer(record["text"], add_special_tokens=False)["input_ids"] == record["ids"]


def test_golden_ids_as_one_batch(golden_texts):
    # empty caches: every word goes through spaCy and BPE in this batch
    fresh = GPT1Tokenizer(require(VOCAB), require(MERGES))
    assert fresh(golden_texts, add_special_tokens=False)["input_ids"] == [r["ids"] for r in GOLDEN_RECORDS]


def test_the_reference_encoder_gives_the_golden_ids(original, golden_texts):
    # the reference the real-data tests compare against is itself checked against the golden file
    assert original.encode(golden_texts) == [r["ids"] for r in GOLDEN_RECORDS]


def race_texts(split):
    """Articles, questions and options of RACE `split`, middle and high."""
    texts = []
    for path in sorted(require(DATA / "race" / "RACE" / split).glob("*/*.txt")):
        example = json.loads(path.read_text(encoding="utf-8"))
        texts += [example["article"], *example["questions"], *(o for options in example["options"] for o in options)]
    return texts


def story_cloze_texts():
    """The four story sentences and the two endings of each Story Cloze story."""
    path = require(STORY_CLOZE)
    columns = [f"InputSentence{i}" for i in range(1, 5)] + ["RandomFifthSentenceQuiz1", "RandomFifthSentenceQuiz2"]
    with open(path, encoding="utf-8", newline="") as file:
        return [row[column] for row in csv.DictReader(file) for column in columns]


def corpus_paragraphs(num_chars=None):
    """The paragraphs (split on blank lines) of the first `num_chars` characters of the English corpus."""
    text = require(CORPUS).read_text(encoding="utf-8")[:num_chars]
    return [paragraph for paragraph in text.split("\n\n") if paragraph.strip()]


REAL_TEXTS = {
    "race_dev": lambda: race_texts("dev"),
    # the benchmark's reader of the same sentences
    "glue": lambda: glue_sentences(require(DATA / "glue")),
    "story_cloze": story_cloze_texts,
    "corpus_slice": lambda: corpus_paragraphs(1_500_000),
}
SLOW_REAL_TEXTS = {"corpus": corpus_paragraphs, "race_train": lambda: race_texts("train")}


@pytest.mark.parametrize(
    "name", [*REAL_TEXTS, *(pytest.param(name, marks=pytest.mark.slow) for name in SLOW_REAL_TEXTS)]
)
def test_real_text_gives_the_original_ids(tokenizer, original, name):
    texts = {**REAL_TEXTS, **SLOW_REAL_TEXTS}[name]()
    assert len(texts) > 1000
    assert_same_ids(texts, encode(tokenizer, texts), original.encode(texts))


# fragments the tokenizer's stages treat specially: spaCy's exceptions, prefixes, suffixes and infixes, URLs,
# the characters that standardisation spaces out, whitespace of all kinds, mojibake and HTML entities for ftfy,
# accents, scripts without spaces, emoji, and characters outside the vocabulary
TRICKY_FRAGMENTS = (
    "don't", "It's", "y'all", "gonna", "can't", "o'clock", "'s", "n't", "'", "''", "``", "U.S.", "e.g.", "Mr.",
    "St.", "a.m.", "etc.", "i.e.", "No.", "vs.", "http://www.example.com/a_b?c=d", "x@y.org", ":)", ":-(", "<3",
    "$5.00", "10km", "5'11\"", "1/2", "3.14", "1,000", "a-b", "--", "---", "...", "…", "—", "–", "―", "´", "“",
    "”", "‘", "’", "«", "»", "(", ")", "[", "]", "{", "}", "|", "_", "__", "*", "/", "\\", "+", "~", "!", "?",
    "!?", ";", ":", ",", ".", "'", '"', "#", "%", "&", "&amp;", "&lt;", "&#39;", "\n", "\n\n", " \n ", "\r\n",
    "\t", "  ", "\xa0", "\u2003", "\u2028", "\x0b", "café", "naïve", "Straße", "ÉCOLE", "ﬁne", "Ａ", "â€™",
    "Ã©", "北京", "日本語", "Москва", "🙂", "👍🏽", "x²", "½", "℃", "\u200b", "\x00", "\x1b[0m", "word", "THE",
)  # fmt: skip


def random_texts(count, seed):
    """Texts of tricky fragments and letters, glued together or spaced, reproducible by seed."""
    generator = random.Random(seed)
    texts = []
    for _ in range(count):
        pieces = generator.choices(
            TRICKY_FRAGMENTS + tuple("abcdefgh") + ("Hello", "world"), k=generator.randint(1, 12)
        )
        glue = generator.choice(["", " ", "  "])
        texts.append("".join(piece + generator.choice([glue, "", " "]) for piece in pieces))
    return texts


def test_random_tricky_text_gives_the_original_ids(tokenizer, original):
    texts = random_texts(3000, seed=0)
    assert_same_ids(texts, encode(tokenizer, texts), original.encode(texts))
    assert any(ids.count(0) for ids in original.encode(texts)), "no text met an unknown piece"
    assert any(NEWLINE in ids for ids in original.encode(texts)), "no text held a newline"


def test_random_runs_of_special_cases_give_the_original_ids(tokenizer, original):
    # spaCy's matched special cases, some plain ones and their usual neighbours, run together at random
    spacy_tokenizer = spacy.blank("en").tokenizer
    pieces = [*matcher_rules(spacy_tokenizer), *list(spacy_tokenizer.rules)[:300]]
    pieces += ["'", "''", ":", ")", "(", "-", ".", "I", "said", "a", "x", "8", "''I", "p.m.", "U.S."]
    generator = random.Random(7)
    glue = ["", " ", " ", "  ", "\n"]
    texts = [
        "".join(generator.choice(pieces) + generator.choice(glue) for _ in range(generator.randint(1, 10)))
        for _ in range(5000)
    ]
    assert_same_ids(texts, encode(tokenizer, texts), original.encode(texts))


def test_special_cases_across_spaces_split_as_the_original(tokenizer, original):
    # spaCy matches its special cases across spaces, where a match cancels a shorter one inside a chunk: every
    # (end of a chunk, start of the next) where one could, in texts that also hold matches inside chunks
    pairs = sorted(cross_space_pairs(spacy.blank("en").tokenizer))
    texts = [
        text
        for end, start in pairs
        for text in (f"{end} {start}", f"x{end} {start}x", f"''{end} {start}''I", f"I{end}'' ''{start} :)\nnext")
    ]
    expected = original.encode(texts)
    assert_same_ids(texts, encode(tokenizer, texts), expected)
    # and some of them split otherwise than their chunks do alone: the test can tell
    alone = [sum(original.encode(text.split(" ")), []) for text in texts]
    assert sum(a != b for a, b in zip(alone, expected, strict=True)) > 10


def test_words_are_the_original_spacy_tokens(tokenizer, original, golden_texts):
    texts = golden_texts + random_texts(500, seed=1)
    for text in texts:
        tokens = original.nlp(original_encoder.text_standardize(ftfy.fix_text(text)))
        assert tokenizer.words(text) == ["\n" if t.text == "\n " else t.text.lower() for t in tokens], text


# ---------------------------------------------------------------------------------------------------------------
# the fast paths of ftfy and standardisation


def test_ftfy_fast_path_equals_ftfy_on_ascii():
    generator = random.Random(0)
    pool = list("&;<>#x\r\n\t\x0b\x0c\x1b\x00\x7f[m0 abcdefgltqupo;'\"-.") + ["&amp;", "&lt;", "&#39;", "&#x27;"]
    texts = ["".join(generator.choices(pool, k=generator.randint(0, 16))) for _ in range(3000)]
    assert [fix_text(text) for text in texts] == [ftfy.fix_text(text) for text in texts]
    changed = sum(ftfy.fix_text(text) != text for text in texts)
    assert 100 < changed < len(texts) - 100, changed  # texts that ftfy changes and texts that it leaves alone


def test_standardize_equals_the_original_text_standardize():
    generator = random.Random(0)
    pool = list("-~!\";?+,)(/*[]}{|_\\—–―…´'.:#& \t\n\r\xa0\u2003\x0b\u2028abcXYZ") + ["--", "...", "  ", " \n "]
    texts = ["".join(generator.choices(pool, k=generator.randint(0, 24))) for _ in range(5000)]
    assert [standardize(text) for text in texts] == [original_encoder.text_standardize(text) for text in texts]
    assert sum("\n" in standardize(text) for text in texts) > 100


# ---------------------------------------------------------------------------------------------------------------
# files: the original layout and transformers' layout


def write_transformers_layout(folder: Path) -> Path:
    """`vocab.json` and `merges.txt` in `folder`, written from the original release's two files."""
    folder.mkdir(exist_ok=True)
    vocab = json.loads(require(VOCAB).read_text(encoding="utf-8"))
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text(require(MERGES).read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def write_original_layout(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    for path in (VOCAB, MERGES):
        (folder / path.name).write_bytes(require(path).read_bytes())
    return folder


def test_both_file_layouts_give_the_same_ids(tokenizer, golden_texts, tmp_path):
    folder = write_transformers_layout(tmp_path)
    other = GPT1Tokenizer(folder / "vocab.json", folder / "merges.txt")
    assert other.get_vocab() == tokenizer.get_vocab()
    assert other(golden_texts)["input_ids"] == tokenizer(golden_texts)["input_ids"]


@pytest.mark.parametrize("layout", [write_original_layout, write_transformers_layout])
def test_from_pretrained_reads_a_folder_in_either_layout(tokenizer, golden_texts, layout, tmp_path):
    folder = layout(tmp_path / "folder")
    fetching = {"cache_dir": str(tmp_path / "cache"), "revision": "main", "trust_remote_code": True}
    loaded = GPT1Tokenizer.from_pretrained(folder, **fetching)
    assert len(loaded) == len(tokenizer) and loaded.name_or_path == str(folder)
    assert loaded(golden_texts)["input_ids"] == tokenizer(golden_texts)["input_ids"]
    # where and how the files were fetched is no setting of the tokenizer: saving it does not keep it
    loaded.save_pretrained(tmp_path / "saved")
    assert not fetching.keys() & json.loads((tmp_path / "saved" / "tokenizer_config.json").read_text()).keys()


# ---------------------------------------------------------------------------------------------------------------
# saving and loading


def test_the_package_ships_gpt1s_released_vocabulary_with_its_license():
    for name in ORIGINAL_FILES_NAMES.values():
        assert (RELEASED_VOCABULARY / name).read_bytes() == require(GPT1_DATA / name).read_bytes(), name
    assert "Copyright (c) 2018 OpenAI" in (RELEASED_VOCABULARY / "LICENSE").read_text(encoding="utf-8")


def test_the_default_and_the_packaged_folder_are_gpt1s_tokenizer(tokenizer, golden_texts):
    packaged = GPT1Tokenizer.from_pretrained(RELEASED_VOCABULARY)
    assert packaged.get_vocab() == tokenizer.get_vocab() and len(tokenizer.merges) == 40000
    assert packaged(golden_texts)["input_ids"] == [record["ids"] for record in GOLDEN_RECORDS]
    with pytest.raises(ValueError, match="together, or neither"):
        GPT1Tokenizer(vocab_file=RELEASED_VOCABULARY / "encoder_bpe_40000.json")


def test_save_pretrained_writes_the_released_vocabulary(tokenizer, tmp_path):
    tokenizer.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "vocab.json").read_text(encoding="utf-8")) == json.loads(VOCAB.read_text())
    saved = (tmp_path / "merges.txt").read_text(encoding="utf-8").splitlines()
    assert saved == MERGES.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("with_config", [True, False], ids=["config.json", "tokenizer_class"])
def test_save_pretrained_auto_tokenizer_round_trip(tokenizer, golden_texts, with_config, tmp_path):
    tokenizer.save_pretrained(tmp_path)
    if with_config:
        GPT1Config(vocab_size=len(tokenizer)).save_pretrained(tmp_path)
    for loaded in (GPT1Tokenizer.from_pretrained(tmp_path), AutoTokenizer.from_pretrained(tmp_path)):
        assert type(loaded) is GPT1Tokenizer
        assert loaded.get_vocab() == tokenizer.get_vocab()
        assert loaded.all_special_ids == tokenizer.all_special_ids
        assert loaded.model_max_length == tokenizer.model_max_length
        assert (
            loaded(golden_texts, golden_texts[::-1])["input_ids"]
            == tokenizer(golden_texts, golden_texts[::-1])["input_ids"]
        )


CHILD = textwrap.dedent(
    """
    import json, sys
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1], trust_remote_code=True)
    texts = json.loads(sys.stdin.read())
    print(json.dumps({
        "imported": "modeling_gpt1" in sys.modules,
        "module": type(tokenizer).__module__,
        "ids": tokenizer(texts)["input_ids"],
    }))
    """
)


def test_trust_remote_code_loads_the_shipped_code_in_a_fresh_process(tokenizer, golden_texts, tmp_path):
    tokenizer.save_pretrained(tmp_path / "saved")
    assert (tmp_path / "saved" / "tokenization_gpt1.py").is_file()
    result = run_fresh_python(CHILD, str(tmp_path / "saved"), workdir=tmp_path, stdin=json.dumps(golden_texts))
    assert not result["imported"], "the child imported modeling_gpt1 instead of the shipped code"
    assert result["module"].startswith("transformers_modules")
    assert result["ids"] == tokenizer(golden_texts)["input_ids"]


def test_pickling_keeps_the_ids(tokenizer, golden_texts):
    expected = tokenizer(golden_texts)["input_ids"]  # the caches are full when pickled
    restored = pickle.loads(pickle.dumps(tokenizer))
    assert restored(golden_texts)["input_ids"] == expected
    assert restored.get_vocab() == tokenizer.get_vocab()


# ---------------------------------------------------------------------------------------------------------------
# special tokens, padding, decoding


def test_fine_tuning_tokens_follow_the_vocabulary(tokenizer):
    assert tokenizer.convert_tokens_to_ids(["_start_", "_delimiter_", "_classify_"]) == [START, DELIMITER, EXTRACT]
    assert (tokenizer.bos_token_id, tokenizer.sep_token_id, tokenizer.cls_token_id) == (START, DELIMITER, EXTRACT)
    assert tokenizer.vocab_size == 40478
    assert len(tokenizer) == 40481
    assert tokenizer.convert_ids_to_tokens([0, NEWLINE]) == ["<unk>", "\n</w>"]


def test_by_default_a_text_and_a_pair_are_the_language_models_ids(tokenizer, golden_texts):
    # as transformers' OpenAIGPTTokenizer: nothing added, so generate, pipelines and LM collators work unchanged
    a, b = GOLDEN_RECORDS[0], GOLDEN_RECORDS[1]
    assert tokenizer(a["text"])["input_ids"] == a["ids"]
    assert tokenizer.encode(a["text"]) == a["ids"]
    assert tokenizer(a["text"], b["text"])["input_ids"] == [*a["ids"], *b["ids"]]
    batch = tokenizer([a["text"], b["text"]], [b["text"], a["text"]])["input_ids"]
    assert batch == [[*a["ids"], *b["ids"]], [*b["ids"], *a["ids"]]]
    assert tokenizer(a["text"])["attention_mask"] == [1] * len(a["ids"])
    assert tokenizer(a["text"], return_special_tokens_mask=True)["special_tokens_mask"] == [0] * len(a["ids"])
    assert tokenizer(a["text"], truncation=True, max_length=3)["input_ids"] == a["ids"][:3]


def test_fine_tuning_tokens_written_in_text_stay_text(tokenizer, original):
    # the original encoder had no special tokens: `_start_` in a text is the words `_ start _`
    text = "_start_ a _delimiter_ b _classify_"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert ids == original.encode([text])[0]
    assert not {START, DELIMITER, EXTRACT} & set(ids)
    assert not {START, DELIMITER, EXTRACT} & set(tokenizer.encode_texts([text])[0])


def test_split_special_tokens_false_reads_them_in_text(tokenizer):
    text = "_start_ a _delimiter_ b _classify_"
    for ids in (
        tokenizer(text, add_special_tokens=False, split_special_tokens=False)["input_ids"],
        tokenizer([text], add_special_tokens=False, split_special_tokens=False)["input_ids"][0],
    ):
        assert ids == [START, *tokenizer.encode_texts(["a"])[0], DELIMITER, *tokenizer.encode_texts(["b"])[0], EXTRACT]


def test_padding_uses_id_0_and_masks_it(tokenizer):
    texts = ["a short one", "a much longer text than the first of the two"]
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    unpadded = tokenizer(texts)["input_ids"]
    assert tokenizer.pad_token_id == 0 and tokenizer.pad_token == "<unk>"
    assert batch["input_ids"].shape == (2, max(map(len, unpadded)))
    short = len(unpadded[0])
    assert batch["input_ids"][0, :short].tolist() == unpadded[0]
    assert (batch["input_ids"][0, short:] == 0).all() and (batch["attention_mask"][0, short:] == 0).all()
    assert batch["attention_mask"][0, :short].all() and batch["attention_mask"][1].all()


def test_decode_gives_the_lowercase_words_with_newlines(tokenizer, golden_texts):
    decoded_any_newline = False
    for text in golden_texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        if 0 in ids:  # an unknown piece decodes as <unk>
            continue
        decoded = tokenizer.decode(ids)
        # decoding chooses only where spaces go: the words and the newlines are the encoder's
        assert decoded.replace(" ", "") == "".join(tokenizer.words(text)), text
        assert decoded.split("\n") == [line.strip(" ") for line in decoded.split("\n")], text
        assert decoded == decoded.lower()
        decoded_any_newline |= "\n" in decoded
    assert decoded_any_newline


@pytest.mark.parametrize(
    "text, decoded",
    [
        ("I don't think it's U.S. policy.", "i don't think it's u.s. policy."),
        ('She said: "Yes, (really) $5 or 10%!"\nThen left...', 'she said: "yes, (really) $5 or 10%!"\nthen left...'),
        ("We'll see; they're here, aren't they?", "we'll see; they're here, aren't they?"),
        ("A well-known name", "a well - known name"),  # the original spaces out every run of dashes
        ("Café   au\tlait", "café au lait"),
    ],
)
def test_decode_writes_punctuation_and_clitics_as_english_is_written(tokenizer, text, decoded):
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == decoded


def test_decode_skips_the_fine_tuning_tokens_when_asked(tokenizer):
    a, b = "Line one.\nLine two", "the other text"
    ids = [START, *tokenizer(a)["input_ids"], DELIMITER, *tokenizer(b)["input_ids"], EXTRACT]
    without = tokenizer(a)["input_ids"] + tokenizer(b)["input_ids"]
    assert tokenizer.decode(ids, skip_special_tokens=True) == tokenizer.decode(without)
    kept = tokenizer.decode(ids)
    assert kept.startswith("_start_ ") and " _delimiter_ " in kept and kept.endswith(" _classify_")


# ---------------------------------------------------------------------------------------------------------------
# bad input and bad files: each error names what is wrong and where

TINY_VOCAB = {"<unk>": 0, "h": 1, "i": 2, "h</w>": 3, "i</w>": 4, "hi</w>": 5, "\n</w>": 6}
TINY_MERGES = "#version: 0.2\nh i</w>\n"


def write_files(folder: Path, vocab=None, merges=TINY_MERGES) -> tuple[Path, Path]:
    """A vocab.json and merges.txt in `folder`: a tiny valid pair unless told otherwise (str or bytes)."""
    vocab_file, merges_file = folder / "vocab.json", folder / "merges.txt"
    vocab = json.dumps(TINY_VOCAB if vocab is None else vocab) if not isinstance(vocab, (str, bytes)) else vocab
    for path, content in ((vocab_file, vocab), (merges_file, merges)):
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return vocab_file, merges_file


@pytest.fixture
def tiny(tmp_path):
    return GPT1Tokenizer(*write_files(tmp_path))


def test_tiny_files_work(tiny):
    # the tiny files the bad-file tests start from are themselves valid
    assert tiny("hi ih x", add_special_tokens=False)["input_ids"] == [5, 2, 3, 0]
    assert tiny.convert_tokens_to_ids(["_start_", "_delimiter_", "_classify_"]) == [7, 8, 9]


def test_a_non_text_in_a_batch_is_refused_by_its_index(tiny):
    with pytest.raises(TypeError, match=r"text\[1\] must be a str, got int"):
        tiny(["hi", 3])
    with pytest.raises(TypeError, match=r"text_pair\[0\] must be a str, got NoneType"):
        tiny(["hi", "ih"], [None, "hi"])
    with pytest.raises(TypeError, match=r"text_pair must be a str, got list"):
        tiny("hi", ["hi"])


def test_bytes_must_be_utf8(tiny):
    assert tiny(b"hi ih")["input_ids"] == tiny("hi ih")["input_ids"]
    assert tiny([b"hi", "ih"])["input_ids"] == tiny(["hi", "ih"])["input_ids"]
    with pytest.raises(ValueError, match="text is not UTF-8"):
        tiny(b"h\xffi")
    with pytest.raises(ValueError, match=r"text\[1\] is not UTF-8"):
        tiny([b"hi", b"h\xffi"])


@pytest.mark.parametrize(
    "vocab, problem",
    [
        ("{not json", "not a JSON vocabulary"),
        (b'{"<unk>": 0, "\xff": 1}', "not UTF-8"),
        ('["<unk>", "h"]', "JSON object of token -> integer id"),
        ({**TINY_VOCAB, "hi": "7"}, "JSON object of token -> integer id"),
        ({**TINY_VOCAB, "hi": 8}, r"not 0\.\.7"),
        ({**TINY_VOCAB, "hi": 6}, r"not 0\.\.7"),
    ],
    ids=["invalid_json", "not_utf8", "not_an_object", "string_id", "gap_in_ids", "repeated_id"],
)
def test_a_bad_vocab_file_is_refused_by_name(tmp_path, vocab, problem):
    vocab_file, merges_file = write_files(tmp_path, vocab=vocab)
    with pytest.raises(ValueError, match=f"{re.escape(str(vocab_file))}: .*{problem}"):
        GPT1Tokenizer(vocab_file, merges_file)


def test_a_vocab_without_unk_is_refused_by_name(tmp_path):
    vocab = {token: i - 1 for token, i in TINY_VOCAB.items() if token != "<unk>"}
    vocab_file, merges_file = write_files(tmp_path, vocab=vocab)
    with pytest.raises(ValueError, match=f"{re.escape(str(vocab_file))}: the unknown token '<unk>' is not in"):
        GPT1Tokenizer(vocab_file, merges_file)


@pytest.mark.parametrize(
    "merges, problem",
    [
        ("#version: 0.2\nh i</w>\nhi\n", r"line 3: a merge is two symbols"),
        ("#version: 0.2\nh i</w>\nh  i\n", r"line 3: a merge is two symbols"),
        ("#version: 0.2\nh i</w>\nh x\n", r"line 3: 'x' of merge 'h x' is not in the vocabulary"),
        ("#version: 0.2\nh i\n", r"line 2: 'hi' of merge 'h i' is not in the vocabulary"),
        (b"#version: 0.2\nh i</w>\n\xff \xfe\n", "not UTF-8"),
    ],
    ids=["one_symbol", "two_spaces", "unknown_symbol", "unknown_result", "not_utf8"],
)
def test_a_bad_merges_file_is_refused_by_name_and_line(tmp_path, merges, problem):
    vocab_file, merges_file = write_files(tmp_path, merges=merges)
    with pytest.raises(ValueError, match=f"{re.escape(str(merges_file))}.*{problem}"):
        GPT1Tokenizer(vocab_file, merges_file)


def test_missing_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match="a vocab_file and a merges_file together, or neither"):
        GPT1Tokenizer(None, tmp_path / "merges.txt")
    with pytest.raises(FileNotFoundError, match="vocab.json"):
        GPT1Tokenizer(tmp_path / "vocab.json", tmp_path / "merges.txt")


# ---------------------------------------------------------------------------------------------------------------
# learning a new BPE


def test_train_new_from_iterator(tokenizer, tmp_path):
    texts = corpus_paragraphs(400_000)
    new = tokenizer.train_new_from_iterator(texts, num_merges=1000)
    assert len(new.merges) == 1000
    assert new.convert_ids_to_tokens(0) == "<unk>" and new.unk_token_id == new.pad_token_id == 0
    assert (new.bos_token_id, new.sep_token_id, new.cls_token_id) == tuple(range(new.vocab_size, new.vocab_size + 3))
    assert len(new) == new.vocab_size + 3
    words = sorted({word for text in texts for word in tokenizer.words(text)})
    ids = new(words, add_special_tokens=False)["input_ids"]
    assert all(0 not in word_ids for word_ids in ids), "a training word has a piece outside the new vocabulary"
    # the merges are used: fewer pieces than characters
    assert sum(map(len, ids)) < 0.6 * sum(map(len, words))

    new.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert loaded.merges == new.merges and loaded.get_vocab() == new.get_vocab()
    assert loaded(texts)["input_ids"] == new(texts)["input_ids"]
