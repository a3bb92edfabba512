"""spaCy's split of standardised text and the BPE ids of its words, cached chunk by chunk (`ChunkEncoder`).

The original encoder gave each text to spaCy whole. spaCy splits text at its spaces and then cuts each piece (a
chunk) alone, except for one pass that can match across spaces (see `cross_space_pairs`); so a text's ids are the
concatenation of its chunks' ids, each chunk split once and cached, unless that pass could match in it: such a text
is split whole.
"""

import itertools

import spacy
from spacy.attrs import ORTH
from spacy.tokenizer import Tokenizer as SpacyTokenizer


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


class ChunkEncoder:
    """The original encoder's ids of standardised texts: spaCy's English tokenizer, then `bpe` on each lowercase word.

    What it keeps, and what stays true of it:
    - the rule tables, derived once from spaCy's rules in `__init__` and never changed: one bit per pair of
      `cross_space_pairs` (`_left_bits` by its left token, `_right_bits` by its right one, with the lengths of
      those tokens), and the matched special cases (`_rules`, their lengths, first and last characters);
    - the caches, which only grow, except that a batch whose new chunks would take them past `max_chunks` chunks
      empties them all first (`clear`) and leaves them holding its own: `ids_of_word[h]` is the BPE ids of the word
      of spaCy hash h; `ids_of_chunk[c]` is the ids of chunk c split alone; `_bits_of_chunk[c]` is c's (end, start)
      bits, present where either is not 0; `_chunks_with_end` and `_chunks_with_start` are the chunks whose end
      and start bits are not 0;
    - a text's ids are its chunks' `ids_of_chunk`, unless a chunk with end bits is followed, after one space, by a
      chunk whose start bits share one: then a special case could match across that space, and the text is split
      whole, as the original did.
    Pickles and copies hold `bpe` and `max_chunks` only; spaCy, the tables and empty caches are rebuilt from them.
    """

    def __init__(self, bpe, max_chunks: int = 500_000):
        # `max_chunks` bounds the caches' memory (about 1 kB a chunk, spaCy's strings included): 10 MB of English
        # holds 70,000
        self.bpe, self.max_chunks = bpe, max_chunks
        self.spacy = spacy.blank("en").tokenizer
        # spaCy's rules read no lexical attributes (shape, like_num, ...): not computing them for each new
        # word makes spaCy a third faster; the words' lowercase forms are taken in Python, as the original did
        self.spacy.vocab.lex_attr_getters = {}
        # one bit per pair of adjacent pattern tokens (left, right): a chunk's `end` bits (from its last token)
        # and the next chunk's `start` bits (from its first) meet where a special case could match across
        # the space between them
        self._left_bits, self._right_bits = {}, {}
        for bit, (left, right) in enumerate(sorted(cross_space_pairs(self.spacy))):
            self._left_bits[left] = self._left_bits.get(left, 0) | 1 << bit
            self._right_bits[right] = self._right_bits.get(right, 0) | 1 << bit
        self._left_lengths = sorted(set(map(len, self._left_bits)))
        self._right_lengths = sorted(set(map(len, self._right_bits)))
        # A chunk's tokens alone are those the matcher sees, unless a matched special case changed them; that
        # takes a special case at the chunk's end (start) for its last (first) token
        self._rules = {rule: 1 for rule in matcher_rules(self.spacy)}  # as "bits", for `edge_bits`
        self._rule_lengths = sorted(set(map(len, self._rules)))
        self._rule_first, self._rule_last = {rule[0] for rule in self._rules}, {rule[-1] for rule in self._rules}
        self.clear()

    def __getstate__(self):
        return {"bpe": self.bpe, "max_chunks": self.max_chunks}

    def __setstate__(self, state):
        self.__init__(**state)

    def __len__(self) -> int:
        """The number of chunks cached."""
        return len(self.ids_of_chunk)

    def clear(self):
        """Empty the caches."""
        self.ids_of_word, self.ids_of_chunk, self._bits_of_chunk = {}, {}, {}
        self._chunks_with_start, self._chunks_with_end = set(), set()

    def words(self, text: str) -> list[str]:
        """The lowercase words spaCy splits standardised `text` into, all of it in one call, as the original."""
        strings = self.spacy.vocab.strings
        return [bpe_word(strings[word]) for word in self._orths(text)]

    def encode(self, texts: list[str]) -> list[list[int]]:
        """The ids of each standardised text."""
        chunked = [text.split(" ") if text else [] for text in texts]
        self._cache_chunks([chunk for chunks in chunked for chunk in chunks])
        ids_of_chunk, with_start, with_end = self.ids_of_chunk, self._chunks_with_start, self._chunks_with_end
        encoded = []
        for text, chunks in zip(texts, chunked, strict=True):
            starting = with_start.intersection(chunks)
            if starting and not with_end.isdisjoint(chunks) and self._may_match_across(text, starting):
                encoded.append(self._encode_whole(text))
            else:
                encoded.append([i for chunk in chunks for i in ids_of_chunk[chunk]])
        return encoded

    def _orths(self, text: str) -> list[int]:
        """spaCy's hashes of the tokens of `text`."""
        return self.spacy(text).to_array([ORTH]).reshape(-1).tolist() if text else []

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
        ids_of_word = self.ids_of_word
        return [i for word in words for i in ids_of_word[word]]

    def _learn_words(self, words: list[int]):
        """BPE the new words among `words` (spaCy hashes), and cache their ids."""
        new = [word for word in dict.fromkeys(words) if word not in self.ids_of_word]
        if new:
            strings = self.spacy.vocab.strings
            for word in new:
                # tuples of ints leave the garbage collector's watch, which keeps large caches cheap
                self.ids_of_word[word] = tuple(token.id for token in self.bpe.tokenize(bpe_word(strings[word])))

    def _cache_chunks(self, chunks: list[str]):
        """Cache the ids of each new chunk, split alone, and its bits for special cases across spaces."""
        unseen = [chunk for chunk in dict.fromkeys(chunks) if chunk not in self.ids_of_chunk]
        if not unseen:
            return
        if len(self.ids_of_chunk) + len(unseen) > self.max_chunks:
            # a corpus with more distinct chunks than that starts again from empty caches
            self.clear()
            unseen = list(dict.fromkeys(chunks))
        # One spaCy call for all, the chunks joined by newlines: spaCy cuts text at whitespace and no special
        # case matches across a newline, so each chunk splits as it does alone. Chunks never hold a newline,
        # except the chunk "\n" itself, which is the newline token.
        newline = self.spacy.vocab.strings.add("\n")
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
        ids_of_word, strings = self.ids_of_word, self.spacy.vocab.strings
        for chunk in unseen:
            self.ids_of_chunk[chunk] = tuple(i for word in words[chunk] for i in ids_of_word[word])
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
