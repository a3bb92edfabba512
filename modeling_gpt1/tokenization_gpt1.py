"""GPT-1's tokenizer, giving exactly the ids of the original encoder (`text_utils.py` of
openai/finetune-transformer-lm): ftfy, the original standardisation, spaCy's English tokenizer rules,
lowercasing, then BPE over characters with `</w>` marking the end of a word.

spaCy's rules (exceptions such as `don't` -> `do n't`, prefixes, suffixes, infixes) cannot be written as
a `tokenizers` pre-tokenizer, so this is a Python-backend tokenizer that calls spaCy for the words and the
`tokenizers` library's BPE model for their pieces. What standardised text holds between two spaces (a
chunk) is split by spaCy once and its ids are cached; a text is the concatenation of its chunks' ids,
except where one of spaCy's special cases could match across a space (see `cross_space_pairs`): such a
text is split whole, as the original did.
"""

import itertools
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import ftfy
import spacy
from spacy.attrs import ORTH
from spacy.tokenizer import Tokenizer as SpacyTokenizer
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import BatchEncoding, PreTrainedTokenizer
from transformers.tokenization_utils_base import AddedToken, PaddingStrategy, TruncationStrategy
from transformers.utils import logging

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
TASKS = ("classification", "entailment", "similarity", "multiple_choice")

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


def matcher_rules(tokenizer: SpacyTokenizer) -> list[str]:
    """The special cases that spaCy's final matching pass looks for in the tokens of a whole text."""
    # the condition of spaCy's `Tokenizer.add_special_case`
    return [
        rule
        for rule in tokenizer.rules
        if not tokenizer.faster_heuristics
        or tokenizer.find_prefix(rule)
        or tokenizer.find_infix(rule)
        or tokenizer.find_suffix(rule)
        or " " in rule
    ]


def cross_space_pairs(tokenizer: SpacyTokenizer) -> set[tuple[str, str]]:
    """Each pair of adjacent tokens in the patterns of `tokenizer`'s matched special cases.

    spaCy splits text at its spaces, cuts each chunk at prefixes, suffixes and infixes (and at the special
    cases it meets there), and then matches its special cases (`''`, `:)`, `a.m.` ...), each cut by the
    affix rules alone, against the tokens of the whole text, across spaces too. A match across a space
    changes nothing itself (no special case holds a space), but it takes precedence over a shorter match it
    overlaps inside a chunk and so cancels it: `''I` alone is `'' I`, while `optimistic'' ''I` is
    `optimistic '' ' ' I`. A match across the space between chunks A and B needs A's last token, then B's
    first, to be two adjacent tokens of a pattern: one of these pairs.
    """
    affixes_only = SpacyTokenizer(
        tokenizer.vocab,
        prefix_search=tokenizer.prefix_search,
        suffix_search=tokenizer.suffix_search,
        infix_finditer=tokenizer.infix_finditer,
        token_match=tokenizer.token_match,
        url_match=tokenizer.url_match,
    )
    pairs = set()
    for rule in matcher_rules(tokenizer):
        pieces = [token.text for token in affixes_only(rule)]
        pairs.update(itertools.pairwise(pieces))
    return pairs


def edge_bits(text: str, bits: dict[str, int], lengths: list[int], at_start: bool = False) -> int:
    """The union of `bits[piece]` over the pieces of `text` of the given `lengths` at its end (or start)."""
    union = 0
    for length in lengths:
        if length > len(text):
            break
        union |= bits.get(text[:length] if at_start else text[-length:], 0)
    return union


def bpe_word(token: str) -> str:
    """What the original encoder gave its BPE for a spaCy token: the token lowercased. Within a whole text a
    newline and the space after it are one token, which its BPE made the newline token."""
    return "\n" if token == "\n " else token.lower()


def check_text(text, where: str) -> str:
    """`text` as a str; UTF-8 bytes are decoded, anything else is refused naming `where`."""
    if isinstance(text, str):
        return text
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{where} is not UTF-8: {error}") from None
    raise TypeError(f"{where} must be a str, got {type(text).__name__}")


# what `_load_spacy` builds: left out of pickles and rebuilt when unpickled
SPACY_STATE = (
    "_spacy", "_left_bits", "_right_bits", "_left_lengths", "_right_lengths", "_rules", "_rule_lengths",
    "_rule_first", "_rule_last",
    "_ids_of_word", "_ids_of_chunk", "_bits_of_chunk", "_chunks_with_start", "_chunks_with_end",
)  # fmt: skip


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
    # bounds the caches' memory (about 1 kB a chunk, spaCy's strings included): 10 MB of English holds 70,000
    max_cached_chunks = 500_000
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
        self._load_spacy()
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

    def _load_spacy(self):
        """spaCy's English tokenizer, what its special cases could join across a space, and empty caches."""
        self._spacy = spacy.blank("en").tokenizer
        # spaCy's rules read no lexical attributes (shape, like_num, ...): not computing them for each new
        # word makes spaCy a third faster; the words' lowercase forms are taken in Python, as the original did
        self._spacy.vocab.lex_attr_getters = {}
        # one bit per pair of adjacent pattern tokens (left, right): a chunk's `end` bits (from its last token)
        # and the next chunk's `start` bits (from its first) meet where a special case could match across
        # the space between them
        self._left_bits, self._right_bits = {}, {}
        for bit, (left, right) in enumerate(sorted(cross_space_pairs(self._spacy))):
            self._left_bits[left] = self._left_bits.get(left, 0) | 1 << bit
            self._right_bits[right] = self._right_bits.get(right, 0) | 1 << bit
        self._left_lengths = sorted(set(map(len, self._left_bits)))
        self._right_lengths = sorted(set(map(len, self._right_bits)))
        # A chunk's tokens alone are those the matcher sees, unless a matched special case changed them; that
        # takes a special case at the chunk's end (start) for its last (first) token
        self._rules = {rule: 1 for rule in matcher_rules(self._spacy)}  # as "bits", for `edge_bits`
        self._rule_lengths = sorted(set(map(len, self._rules)))
        self._rule_first, self._rule_last = {rule[0] for rule in self._rules}, {rule[-1] for rule in self._rules}
        self._empty_caches()

    def _empty_caches(self):
        # BPE ids of each word (by spaCy's hash of it) and of each chunk split alone; the `end` and `start`
        # bits of the chunks that have any, and the chunks with `start` bits and with `end` bits
        self._ids_of_word, self._ids_of_chunk, self._bits_of_chunk = {}, {}, {}
        self._chunks_with_start, self._chunks_with_end = set(), set()

    def __getstate__(self):
        # spaCy's tokenizer and what derives from it are rebuilt on unpickling
        return {name: value for name, value in self.__dict__.items() if name not in SPACY_STATE}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._load_spacy()

    @property
    def vocab_size(self) -> int:
        return len(self.encoder)

    def get_vocab(self) -> dict[str, int]:
        return {**self.encoder, **self.added_tokens_encoder}

    def words(self, text: str) -> list[str]:
        """The lowercase words of `text` before BPE, as the original encoder split it."""
        return self._words(standardize(fix_text(check_text(text, "text"))))

    def _words(self, text: str) -> list[str]:
        """The lowercase words spaCy splits standardised `text` into, all of it in one call, as the original."""
        strings = self._spacy.vocab.strings
        return [bpe_word(strings[word]) for word in self._orths(text)]

    def _orths(self, text: str) -> list[int]:
        """spaCy's hashes of the tokens of `text`."""
        return self._spacy(text).to_array([ORTH]).reshape(-1).tolist() if text else []

    def encode_texts(self, texts: Iterable, name: str = "text") -> list[list[int]]:
        """The original encoder's ids for each text, without special tokens."""
        texts = [standardize(fix_text(check_text(text, f"{name}[{index}]"))) for index, text in enumerate(texts)]
        chunked = [text.split(" ") if text else [] for text in texts]
        self._cache_chunks([chunk for chunks in chunked for chunk in chunks])
        ids_of_chunk, with_start, with_end = self._ids_of_chunk, self._chunks_with_start, self._chunks_with_end
        encoded = []
        for text, chunks in zip(texts, chunked, strict=True):
            starting = with_start.intersection(chunks)
            if starting and not with_end.isdisjoint(chunks) and self._may_match_across(text, starting):
                encoded.append(self._encode_whole(text))
            else:
                encoded.append([i for chunk in chunks for i in ids_of_chunk[chunk]])
        return encoded

    def _may_match_across(self, text: str, starting: set[str]) -> bool:
        """Whether a special case could match across a space in `text`, before one of its chunks `starting`."""
        bits = self._bits_of_chunk
        for chunk in starting:
            start = bits[chunk][1]
            # each place where `chunk` is a whole chunk after a space, and the chunk before it
            found = text.find(" " + chunk)
            while found != -1:
                after = found + 1 + len(chunk)
                if after == len(text) or text[after] == " ":
                    previous = text[text.rfind(" ", 0, found) + 1 : found]
                    if bits.get(previous, (0, 0))[0] & start:
                        return True
                found = text.find(" " + chunk, found + 1)
        return False

    def _encode_whole(self, text: str) -> list[int]:
        """The ids of standardised `text` split by spaCy all at once, as the original encoder did."""
        words = self._orths(text)
        self._learn_words(words)
        ids_of_word = self._ids_of_word
        return [i for word in words for i in ids_of_word[word]]

    def _learn_words(self, words: list[int]):
        """BPE the new words among `words` (spaCy hashes), and cache their ids."""
        new = [word for word in dict.fromkeys(words) if word not in self._ids_of_word]
        if new:
            strings = self._spacy.vocab.strings
            for word in new:
                # tuples of ints leave the garbage collector's watch, which keeps large caches cheap
                self._ids_of_word[word] = tuple(token.id for token in self.bpe.tokenize(bpe_word(strings[word])))

    def _cache_chunks(self, chunks: list[str]):
        """Cache the ids of each new chunk, split alone, and its bits for special cases across spaces."""
        unseen = [chunk for chunk in dict.fromkeys(chunks) if chunk not in self._ids_of_chunk]
        if not unseen:
            return
        if len(self._ids_of_chunk) + len(unseen) > self.max_cached_chunks:
            # a corpus with more distinct chunks than that starts again from empty caches
            self._empty_caches()
            unseen = list(dict.fromkeys(chunks))
        # One spaCy call for all, the chunks joined by newlines: spaCy cuts text at whitespace and no special
        # case matches across a newline, so each chunk splits as it does alone. Chunks never hold a newline,
        # except the chunk "\n" itself, which is the newline token.
        newline = self._spacy.vocab.strings.add("\n")
        words = {"\n": [newline]}
        joined = [chunk for chunk in unseen if chunk != "\n"]
        if joined:
            split = [[]]
            for word in self._orths("\n".join(joined)):
                if word == newline:
                    split.append([])
                else:
                    split[-1].append(word)
            if len(split) != len(joined):
                raise RuntimeError(f"spaCy split {len(joined)} chunks into {len(split)}; they cannot be cached")
            words.update(zip(joined, split, strict=True))
        self._learn_words([word for chunk in unseen for word in words[chunk]])
        ids_of_word, strings = self._ids_of_word, self._spacy.vocab.strings
        for chunk in unseen:
            self._ids_of_chunk[chunk] = tuple(i for word in words[chunk] for i in ids_of_word[word])
            if chunk == "\n":
                continue
            if chunk[-1] in self._rule_last and edge_bits(chunk, self._rules, self._rule_lengths):
                end = edge_bits(chunk, self._left_bits, self._left_lengths)
            else:
                end = self._left_bits.get(strings[words[chunk][-1]], 0)
            if chunk[0] in self._rule_first and edge_bits(chunk, self._rules, self._rule_lengths, at_start=True):
                start = edge_bits(chunk, self._right_bits, self._right_lengths, at_start=True)
            else:
                start = self._right_bits.get(strings[words[chunk][0]], 0)
            if end or start:
                self._bits_of_chunk[chunk] = (end, start)
            if start:
                self._chunks_with_start.add(chunk)
            if end:
                self._chunks_with_end.add(chunk)

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

    def _encode_plus(
        self,
        text,
        text_pair=None,
        add_special_tokens: bool = True,
        padding_strategy: PaddingStrategy = PaddingStrategy.DO_NOT_PAD,
        truncation_strategy: TruncationStrategy = TruncationStrategy.DO_NOT_TRUNCATE,
        max_length: int | None = None,
        is_split_into_words: bool = False,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_tensors=None,
        return_attention_mask: bool | None = None,
        **kwargs,
    ) -> BatchEncoding:
        """Texts are encoded in one pass over the batch. Special tokens are added here where nothing is truncated
        and no extra output is asked for, else by `prepare_for_model`; transformers' own path takes texts split
        into words, special tokens to be recognised in the text (`split_special_tokens=False`) and overflowing
        tokens."""
        is_text = isinstance(text, (str, bytes))
        # a list holding any text is a batch of texts; `encode_texts` refuses its other entries by index
        is_batch = isinstance(text, (list, tuple)) and any(isinstance(t, (str, bytes)) for t in text)
        own_path = (
            is_split_into_words
            or not (is_text or is_batch)
            or not kwargs.get("split_special_tokens", self.split_special_tokens)
            or kwargs.get("return_overflowing_tokens")
        )
        if own_path:
            return super()._encode_plus(
                text,
                text_pair,
                add_special_tokens=add_special_tokens,
                padding_strategy=padding_strategy,
                truncation_strategy=truncation_strategy,
                max_length=max_length,
                is_split_into_words=is_split_into_words,
                pad_to_multiple_of=pad_to_multiple_of,
                padding_side=padding_side,
                return_tensors=return_tensors,
                return_attention_mask=return_attention_mask,
                **kwargs,
            )
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
        kwargs.pop("split_special_tokens", None)
        prepare = dict(
            add_special_tokens=add_special_tokens,
            truncation=truncation_strategy,
            max_length=max_length,
            **kwargs,
        )
        if is_text:
            (ids,) = self.encode_texts(texts)
            return self.prepare_for_model(
                ids,
                pairs[0],
                padding=padding_strategy,
                pad_to_multiple_of=pad_to_multiple_of,
                padding_side=padding_side,
                return_tensors=return_tensors,
                return_attention_mask=return_attention_mask,
                prepend_batch_axis=True,
                **prepare,
            )
        batch = {}
        extras = ("return_overflowing_tokens", "return_special_tokens_mask", "return_length", "return_token_type_ids")
        if truncation_strategy == TruncationStrategy.DO_NOT_TRUNCATE and not any(kwargs.get(x) for x in extras):
            # what `prepare_for_model` does in this case (no special tokens to add), without its cost per text
            batch["input_ids"] = [ids + (b or []) for ids, b in zip(self.encode_texts(texts), pairs, strict=True)]
            longest = max(batch["input_ids"], key=len, default=[])
            self._eventual_warn_about_too_long_sequence(longest, max_length, kwargs.get("verbose", True))
        else:
            for ids, pair_ids in zip(self.encode_texts(texts), pairs, strict=True):
                encoded = self.prepare_for_model(ids, pair_ids, return_attention_mask=False, **prepare)
                for key, value in encoded.items():
                    batch.setdefault(key, []).append(value)
        if padding_strategy != PaddingStrategy.DO_NOT_PAD:
            batch = self.pad(
                batch,
                padding=padding_strategy.value,
                max_length=max_length,
                pad_to_multiple_of=pad_to_multiple_of,
                padding_side=padding_side,
                return_attention_mask=return_attention_mask,
            )
        elif return_attention_mask is not False:
            batch["attention_mask"] = [[1] * len(ids) for ids in batch["input_ids"]]
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
        """The paper's input format of `task` for `GPT1DoubleHeads`, for one example or a batch.

        - `classification`: `_start_ text _classify_`;
        - `entailment`: `_start_ text $ text_pair _classify_`;
        - `similarity`: both orders, `_start_ text $ text_pair _classify_` and `_start_ text_pair $ text _classify_`;
        - `multiple_choice`: for each of `choices`, `_start_ text [question] $ choice _classify_`.

        `$` is `_delimiter_`. Truncation is the original code's: with `max_length` n (default
        `model_max_length`), a single text keeps its first n - 2 tokens, and each side of the delimiter
        its first n // 2 - 2; a question is kept whole after the context, which is cut to make room for it.

        Each example gets `input_ids` and `attention_mask` of shape [sequences, tokens] (1 sequence, 2 for
        similarity, one per choice), `mc_token_ids` (the `_classify_` positions) and `num_truncated_tokens`.
        With `return_tensors`, examples are padded with `pad_token_id` to [batch, sequences, tokens] (a batch
        of one for a single example, as transformers' tokenizers return tensors).
        """
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; the tasks are {', '.join(TASKS)}")
        is_batch = not isinstance(text, (str, bytes))
        examples = {"text": text, "text_pair": text_pair, "choices": choices, "question": question}
        needed = {"classification": [], "entailment": ["text_pair"], "similarity": ["text_pair"]}
        needed = needed.get(task, ["choices"])
        for name in needed:
            if examples[name] is None:
                raise ValueError(f"task {task!r} needs {name}")
        if is_batch:
            # a str here would be taken for a list of one-character texts
            for name, value in examples.items():
                if value is not None and not isinstance(value, (list, tuple)):
                    raise TypeError(f"{name} must be a list with one entry per example, got {type(value).__name__}")
        else:
            for name in ("text", "text_pair", "question"):
                if examples[name] is not None:
                    examples[name] = check_text(examples[name], name)
            examples = {name: None if value is None else [value] for name, value in examples.items()}
        size = len(examples["text"])
        for name, value in examples.items():
            if value is not None and len(value) != size:
                raise ValueError(f"{name} has {len(value)} examples, text has {size}")

        if size == 0:
            raise ValueError("encode_task got an empty batch")
        n = self.model_max_length if max_length is None else max_length
        if n < 8:
            raise ValueError(f"max_length={n} leaves no room for the task format")
        half = n // 2 - 2
        first = self.encode_texts(examples["text"])
        lengths = [len(ids) for ids in first]
        if examples["question"] is not None:
            questions = self.encode_texts(examples["question"], name="question")
            first = [context[: max(0, half - len(q))] + q[:half] for context, q in zip(first, questions, strict=True)]
            lengths = [length + len(q) for length, q in zip(lengths, questions, strict=True)]
        start, delimiter, extract = self.bos_token_id, self.sep_token_id, self.cls_token_id

        batch = {"input_ids": [], "mc_token_ids": [], "num_truncated_tokens": []}
        if task == "classification":
            for ids in first:
                batch["input_ids"].append([[start, *ids[: n - 2], extract]])
                batch["num_truncated_tokens"].append(max(0, len(ids) - (n - 2)))
        else:
            if task == "multiple_choice":
                seconds = []
                for index, example_choices in enumerate(examples["choices"]):
                    name = f"choices[{index}]" if is_batch else "choices"
                    if not isinstance(example_choices, (list, tuple)):
                        kind = type(example_choices).__name__
                        raise TypeError(f"{name} must be a list of texts, one per choice, got {kind}")
                    seconds.append(self.encode_texts(example_choices, name=name))
            else:
                seconds = [[ids] for ids in self.encode_texts(examples["text_pair"], name="text_pair")]
            for a, length_a, b_list in zip(first, lengths, seconds, strict=True):
                if not b_list:
                    raise ValueError("an example of multiple_choice has no choices")
                a = a[:half]
                sequences = [[start, *a, delimiter, *b[:half], extract] for b in b_list]
                if task == "similarity":
                    (b,) = b_list
                    sequences.append([start, *b[:half], delimiter, *a, extract])
                batch["input_ids"].append(sequences)
                lost = max(0, length_a - len(a)) + sum(max(0, len(b) - half) for b in b_list)
                batch["num_truncated_tokens"].append(lost)
        batch["mc_token_ids"] = [[len(s) - 1 for s in sequences] for sequences in batch["input_ids"]]
        batch["attention_mask"] = [[[1] * len(s) for s in sequences] for sequences in batch["input_ids"]]
        if return_tensors is not None:
            width = max(len(s) for sequences in batch["input_ids"] for s in sequences)
            for name, fill in (("input_ids", self.pad_token_id), ("attention_mask", 0)):
                batch[name] = [[s + [fill] * (width - len(s)) for s in sequences] for sequences in batch[name]]
            count = {len(sequences) for sequences in batch["input_ids"]}
            if len(count) > 1:
                raise ValueError(f"examples have different numbers of choices {sorted(count)}; batch them apart")
        if not is_batch and return_tensors is None:
            batch = {name: value[0] for name, value in batch.items()}
        return BatchEncoding(batch, tensor_type=return_tensors)

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
