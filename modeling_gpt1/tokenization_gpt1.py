"""GPT-1's tokenizer, giving exactly the ids of the original encoder (`text_utils.py` of
openai/finetune-transformer-lm): ftfy, the original standardisation, spaCy's English tokenizer rules,
lowercasing, then BPE over characters with `</w>` marking the end of a word.

spaCy's rules (exceptions such as `don't` -> `do n't`, prefixes, suffixes, infixes) cannot be written as
a `tokenizers` pre-tokenizer, so this is a Python-backend tokenizer that calls spaCy for the words and the
`tokenizers` library's BPE model for their pieces, through a cache of the ids of each chunk (what standardised
text holds between two spaces): `spacy_chunks.ChunkEncoder`. The paper's task input formats are
`task_formats.encode_task`.
"""

import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import ftfy
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import BatchEncoding, PreTrainedTokenizer
from transformers.tokenization_utils_base import AddedToken, PaddingStrategy, TruncationStrategy
from transformers.utils import logging

from .spacy_chunks import ChunkEncoder
from .task_formats import encode_task
from .text_input import check_text

logger = logging.get_logger(__name__)

VOCAB_FILES_NAMES = {"vocab_file": "vocab.json", "merges_file": "merges.txt"}
# the same two files under the names of the original release
ORIGINAL_FILES_NAMES = {"vocab_file": "encoder_bpe_40000.json", "merges_file": "vocab_40000.bpe"}
# GPT-1's released vocabulary and merges (MIT, (c) 2018 OpenAI), shipped in the package: the default tokenizer
RELEASED_VOCABULARY = Path(__file__).resolve().parent / "vocabulary"
# arguments of `from_pretrained` that say where and how to fetch the files, not how to tokenize
LOADING_ARGUMENTS = {
    "cache_dir", "force_download", "local_files_only", "token", "revision", "trust_remote_code", "subfolder",
    "proxies", "user_agent", "from_pipeline", "_from_auto", "_commit_hash",
}  # fmt: skip
END_OF_WORD = "</w>"
START, DELIMITER, EXTRACT = "_start_", "_delimiter_", "_classify_"

# The original `text_standardize`. Its punctuation pattern, `(-+|~+|...|\\+|...)` in a non-raw string,
# spaces out each run of one of these characters; `\\+` became `\+`, so it never matches a backslash.
STANDARD_CHARACTERS = str.maketrans({"—": "-", "–": "-", "―": "-", "…": "...", "´": "'"})
PUNCTUATION_RUN = re.compile(r'([-~!";?+,)(/*\[\]}{|_])\1*')
NEWLINE = re.compile(r"\s*\n\s*")
# runs of whitespace other than newlines, except the single spaces that would be replaced by themselves
SPACES = re.compile(r"[^\S\n]{2,}|[^\S\n ]")
# On ASCII text, ftfy.fix_text changes only HTML entities, line breaks and control characters
FTFY_ASCII_TRIGGERS = re.compile(r"[&\x00-\x08\x0b-\x1f\x7f]")
# decoding writes these words without the space before them (closing punctuation, the clitics spaCy splits off)
# or after them (opening brackets)
JOINS_PREVIOUS = re.compile(r"[.,;:!?%)\]}]+|n't|'(?:s|m|d|ll|re|ve)")
JOINS_NEXT = re.compile(r"[(\[{$]")


def fix_text(text: str) -> str:
    """`ftfy.fix_text`, skipped where it cannot change the text."""
    if text.isascii() and not FTFY_ASCII_TRIGGERS.search(text):
        return text
    return ftfy.fix_text(text)


def standardize(text: str) -> str:
    """The original encoder's `text_standardize`."""
    text = PUNCTUATION_RUN.sub(lambda run: f" {run.group()} ", text.translate(STANDARD_CHARACTERS))
    return SPACES.sub(" ", NEWLINE.sub(" \n ", text)).strip()


def read_vocab(path) -> dict[str, int]:
    """The token -> id map of `path` (`vocab.json` or `encoder_bpe_40000.json`), checked."""
    try:
        vocab = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 ({error})") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not a JSON vocabulary ({error})") from None
    if not isinstance(vocab, dict) or not all(isinstance(i, int) for i in vocab.values()):
        raise ValueError(f"{path}: a vocabulary is a JSON object of token -> integer id")
    if sorted(vocab.values()) != list(range(len(vocab))):
        raise ValueError(f"{path}: the ids of its {len(vocab)} tokens are not 0..{len(vocab) - 1}, each once")
    return vocab


def read_merges(path, vocab: dict[str, int]) -> list[tuple[str, str]]:
    """The merges of `path` (`merges.txt` or `vocab_40000.bpe`), checked against `vocab`."""
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 ({error})") from None
    merges = []
    for number, line in enumerate(lines, start=1):
        if not line or (number == 1 and line.startswith("#version")):
            continue
        pair = tuple(line.split(" "))
        if len(pair) != 2 or not all(pair):
            raise ValueError(f"{path}, line {number}: a merge is two symbols separated by one space, got {line!r}")
        missing = next((symbol for symbol in (*pair, "".join(pair)) if symbol not in vocab), None)
        if missing is not None:
            raise ValueError(f"{path}, line {number}: {missing!r} of merge {line!r} is not in the vocabulary")
        merges.append(pair)
    return merges


class GPT1Tokenizer(PreTrainedTokenizer):
    """GPT-1's tokenizer: the original encoder's ids, plus the fine-tuning tokens and task input formats.

    `tokenizer(text)` gives the ids of the original encoder, the language model's input, with nothing added (as
    transformers' `OpenAIGPTTokenizer`); a pair is the two texts' ids one after the other. The fine-tuning tokens
    come only through `encode_task`, which builds the four input formats of the paper for `GPT1DoubleHeads`.

    Args:
        vocab_file: `vocab.json` or the original `encoder_bpe_40000.json`; by default GPT-1's, shipped in the package.
        merges_file: `merges.txt` or the original `vocab_40000.bpe`; by default GPT-1's.
        pad_token: `<unk>` (id 0) by default, as the original code padded with zeros.
    """

    vocab_files_names = VOCAB_FILES_NAMES
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(
        self,
        vocab_file=None,
        merges_file=None,
        unk_token="<unk>",
        pad_token="<unk>",
        bos_token=START,
        sep_token=DELIMITER,
        cls_token=EXTRACT,
        split_special_tokens=True,
        **kwargs,
    ):
        if (vocab_file is None) != (merges_file is None):
            raise ValueError("GPT1Tokenizer takes a vocab_file and a merges_file together, or neither (GPT-1's own)")
        if vocab_file is None:
            vocab_file, merges_file = (RELEASED_VOCABULARY / name for name in ORIGINAL_FILES_NAMES.values())
        self.encoder = read_vocab(vocab_file)
        self.decoder = {i: token for token, i in self.encoder.items()}
        self.merges = read_merges(merges_file, self.encoder)
        if str(unk_token) not in self.encoder:
            raise ValueError(f"{vocab_file}: the unknown token {unk_token!r} is not in the vocabulary")
        self.bpe = models.BPE(
            vocab=self.encoder,
            merges=self.merges,
            unk_token=str(unk_token),
            end_of_word_suffix=END_OF_WORD,
            fuse_unk=False,
        )
        self.chunks = ChunkEncoder(self.bpe)
        # the fine-tuning tokens follow the vocabulary, in the original order
        if "added_tokens_decoder" not in kwargs:
            self._added_tokens_decoder = {
                len(self.encoder) + offset: AddedToken(str(token), special=True, normalized=False)
                for offset, token in enumerate((bos_token, sep_token, cls_token))
            }
        kwargs.setdefault("model_max_length", 512)  # GPT-1's context
        super().__init__(
            unk_token=unk_token,
            pad_token=pad_token,
            bos_token=bos_token,
            sep_token=sep_token,
            cls_token=cls_token,
            split_special_tokens=split_special_tokens,
            **kwargs,
        )

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs):
        """Also loads a folder holding the original release's `encoder_bpe_40000.json` + `vocab_40000.bpe`."""
        folder = Path(pretrained_model_name_or_path, kwargs.get("subfolder") or "")
        original = {name: folder / file for name, file in ORIGINAL_FILES_NAMES.items()}
        if not (folder / VOCAB_FILES_NAMES["vocab_file"]).exists() and all(p.exists() for p in original.values()):
            # where and how to fetch files means nothing here, and must not be saved as a setting of the tokenizer
            init_kwargs = {name: value for name, value in kwargs.items() if name not in LOADING_ARGUMENTS}
            init_kwargs.setdefault("name_or_path", str(pretrained_model_name_or_path))
            return cls(*args, **original, **init_kwargs)
        return super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)

    @property
    def max_cached_chunks(self) -> int:
        """How many chunks the caches hold before they start again from empty (500,000, about 1 kB each)."""
        return self.chunks.max_chunks

    @max_cached_chunks.setter
    def max_cached_chunks(self, value: int):
        self.chunks.max_chunks = value

    @property
    def vocab_size(self) -> int:
        return len(self.encoder)

    def get_vocab(self) -> dict[str, int]:
        return {**self.encoder, **self.added_tokens_encoder}

    def words(self, text: str) -> list[str]:
        """The lowercase words of `text` before BPE, as the original encoder split it."""
        return self.chunks.words(standardize(fix_text(check_text(text, "text"))))

    def encode_texts(self, texts: Iterable, name: str = "text") -> list[list[int]]:
        """The original encoder's ids for each text, without special tokens."""
        texts = [standardize(fix_text(check_text(text, f"{name}[{index}]"))) for index, text in enumerate(texts)]
        return self.chunks.encode(texts)

    def _tokenize(self, text, **kwargs) -> list[str]:
        return [self.decoder[i] for i in self.encode_texts([text])[0]]

    def _convert_token_to_id(self, token: str) -> int:
        return self.encoder.get(token, self.encoder[str(self.unk_token)])

    def _convert_id_to_token(self, index: int) -> str:
        return self.decoder.get(index, str(self.unk_token))

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """The words, lowercase as the encoder left them, spaced as English is written: no space before closing
        punctuation and split-off clitics (`do n't` -> `don't`) or after opening brackets, none inside a pair of
        double quotes; one newline per newline token."""
        fine_tuning_tokens = {str(self.bos_token), str(self.sep_token), str(self.cls_token)}
        words = "".join(t + END_OF_WORD if t in fine_tuning_tokens else t for t in tokens).split(END_OF_WORD)
        text, glued, open_quote = "", True, False
        for word in filter(None, words):
            if word == "\n":
                text, glued = text.rstrip(" ") + "\n", True
                continue
            closes_quote = word == '"' and open_quote
            glued = glued or closes_quote or JOINS_PREVIOUS.fullmatch(word) is not None
            text += word if glued else " " + word
            glued = JOINS_NEXT.fullmatch(word) is not None or (word == '"' and not closes_quote)
            open_quote ^= word == '"'
        return text

    def _encode_plus(self, text, text_pair=None, **kwargs) -> BatchEncoding:
        """Texts are encoded in one pass over the batch, through the chunk cache."""
        # transformers offers no public hook for a batch: `tokenize` and `_tokenize` see one text at a time, so its
        # own `_encode_plus` encodes a batch text by text (a spaCy call and a `prepare_for_model` each), and would
        # neither read UTF-8 bytes nor name a bad entry of a batch by its index. Special tokens and truncation are
        # still `prepare_for_model`'s, padding `pad`'s. Texts split into words, special tokens read in text
        # (`split_special_tokens=False`) and overflowing tokens take transformers' own path.
        is_text = isinstance(text, (str, bytes))
        # a list holding any text is a batch of texts; `encode_texts` refuses its other entries by index
        is_batch = isinstance(text, (list, tuple)) and any(isinstance(t, (str, bytes)) for t in text)
        if (
            kwargs.get("is_split_into_words")
            or not (is_text or is_batch)
            or not kwargs.get("split_special_tokens", self.split_special_tokens)
            or kwargs.get("return_overflowing_tokens")
        ):
            return super()._encode_plus(text, text_pair, **kwargs)
        if is_text:
            # errors name the text itself, not the first entry of a batch of one
            text = check_text(text, "text")
            text_pair = None if text_pair is None else check_text(text_pair, "text_pair")
        texts = [text] if is_text else text
        if text_pair is None:
            pairs = [None] * len(texts)
        else:
            pairs = [text_pair] if is_text else text_pair
            if not isinstance(pairs, (list, tuple)) or len(pairs) != len(texts):
                raise ValueError("text_pair must be one text per text of the batch")
            pairs = self.encode_texts(pairs, name="text_pair")
        # what is left of `kwargs` after these goes to `prepare_for_model`
        padding = kwargs.pop("padding_strategy", PaddingStrategy.DO_NOT_PAD)
        return_tensors = kwargs.pop("return_tensors", None)
        pad = {
            name: kwargs.pop(name, None) for name in ("pad_to_multiple_of", "padding_side", "return_attention_mask")
        }
        kwargs["truncation"] = kwargs.pop("truncation_strategy", TruncationStrategy.DO_NOT_TRUNCATE)
        for name in ("is_split_into_words", "split_special_tokens"):
            kwargs.pop(name, None)
        ids = self.encode_texts(texts)
        if is_text:
            return self.prepare_for_model(
                ids[0],
                pairs[0],
                padding=padding,
                return_tensors=return_tensors,
                prepend_batch_axis=True,
                **pad,
                **kwargs,
            )
        batch = {}
        extras = ("return_overflowing_tokens", "return_special_tokens_mask", "return_length", "return_token_type_ids")
        if kwargs["truncation"] == TruncationStrategy.DO_NOT_TRUNCATE and not any(kwargs.get(x) for x in extras):
            # what `prepare_for_model` does in this case (no special tokens to add), without its cost per text
            batch["input_ids"] = [a + (b or []) for a, b in zip(ids, pairs, strict=True)]
            longest = max(batch["input_ids"], key=len, default=[])
            self._eventual_warn_about_too_long_sequence(longest, kwargs.get("max_length"), kwargs.get("verbose", True))
        else:
            for a, b in zip(ids, pairs, strict=True):
                for key, value in self.prepare_for_model(a, b, return_attention_mask=False, **kwargs).items():
                    batch.setdefault(key, []).append(value)
        if padding != PaddingStrategy.DO_NOT_PAD:
            batch = self.pad(batch, padding=padding.value, max_length=kwargs.get("max_length"), **pad)
        elif pad["return_attention_mask"] is not False:
            batch["attention_mask"] = [[1] * len(a) for a in batch["input_ids"]]
        return BatchEncoding(batch, tensor_type=return_tensors)

    def encode_task(
        self,
        task: str,
        text,
        text_pair=None,
        *,
        choices=None,
        question=None,
        max_length: int | None = None,
        return_tensors=None,
    ) -> BatchEncoding:
        """The paper's input format of `task` for `GPT1DoubleHeads`, for one example or a batch: `classification`,
        `entailment`, `similarity` or `multiple_choice` (see `task_formats.encode_task`)."""
        return encode_task(
            self,
            task,
            text,
            text_pair,
            choices=choices,
            question=question,
            max_length=max_length,
            return_tensors=return_tensors,
        )

    def save_vocabulary(self, save_directory: str, filename_prefix: str | None = None) -> tuple[str, ...]:
        prefix = f"{filename_prefix}-" if filename_prefix else ""
        vocab_file = os.path.join(save_directory, prefix + VOCAB_FILES_NAMES["vocab_file"])
        merges_file = os.path.join(save_directory, prefix + VOCAB_FILES_NAMES["merges_file"])
        with open(vocab_file, "w", encoding="utf-8") as file:
            json.dump(self.encoder, file, ensure_ascii=False)
        with open(merges_file, "w", encoding="utf-8") as file:
            file.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges))
        return vocab_file, merges_file

    def train_new_from_iterator(self, text_iterator: Iterable[str], num_merges: int, min_frequency: int = 2):
        """A new GPT1Tokenizer with `num_merges` BPE merges learned on `text_iterator`.

        Words are split as this tokenizer splits them (ftfy, standardisation, spaCy, lowercase); the BPE
        is learned by the `tokenizers` library, with `<unk>` as id 0 and the fine-tuning tokens after
        the vocabulary.
        """
        counts = Counter()
        for index, text in enumerate(text_iterator):
            counts.update(self.words(check_text(text, f"text[{index}]")))
        if not counts:
            raise ValueError("train_new_from_iterator got no words to learn from")
        characters = {c for word in counts for c in word}
        last_characters = {word[-1] for word in counts}
        unk_token = str(self.unk_token)
        learner = Tokenizer(models.BPE(unk_token=unk_token, end_of_word_suffix=END_OF_WORD))
        learner.pre_tokenizer = pre_tokenizers.Split(" ", behavior="removed")
        trainer = trainers.BpeTrainer(
            vocab_size=1 + len(characters) + len(last_characters) + num_merges,
            min_frequency=min_frequency,
            special_tokens=[unk_token],
            end_of_word_suffix=END_OF_WORD,
            show_progress=False,
        )
        learner.train_from_iterator((" ".join([word] * count) for word, count in counts.items()), trainer)
        learned = json.loads(learner.to_str())["model"]
        merges = [tuple(merge) for merge in learned["merges"]]
        if len(merges) < num_merges:
            logger.warning(f"the corpus gave {len(merges)} merges of the {num_merges} asked at {min_frequency=}")
        with tempfile.TemporaryDirectory() as folder:
            vocab_file, merges_file = Path(folder, "vocab.json"), Path(folder, "merges.txt")
            vocab_file.write_text(json.dumps(learned["vocab"], ensure_ascii=False), encoding="utf-8")
            merges_file.write_text("".join(f"{a} {b}\n" for a, b in merges), encoding="utf-8")
            names = ("unk_token", "pad_token", "bos_token", "sep_token", "cls_token")
            special = {name: str(getattr(self, name)) for name in names}
            return type(self)(vocab_file, merges_file, model_max_length=self.model_max_length, **special)
