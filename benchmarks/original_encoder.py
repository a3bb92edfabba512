"""GPT-1's original text encoder, kept as the reference that `GPT1Tokenizer` is tested and timed against.

From `text_utils.py` of openai/finetune-transformer-lm (MIT License, (c) 2018 OpenAI), with one change:
`spacy.blank('en')` in place of `spacy.load('en', disable=[...])`, whose model is gone from current spaCy;
only its tokenizer ran, and the blank pipeline is that tokenizer. This is how the golden ids of
`../shared/data/gpt1/golden_tokenization.jsonl` were derived. The tqdm progress bar of `encode` is left out.

Otherwise the logic is the original's, line for line. Only what ruff flags was tidied, none of it changing
behaviour: one import per line; the escape sequences of the regular expressions written with doubled
backslashes, so the pattern strings are the same characters (the original's `\\\\+` in a non-raw string is
`\\+`, a literal plus, which is why the pattern never matches a backslash); `except ValueError` for the bare
`except` around `tuple.index`, which raises nothing else; `zip(..., strict=False)`.
"""

import json
import re

import ftfy
import spacy


def get_pairs(word):
    """Return set of symbol pairs in a word (a tuple of variable-length symbols)."""
    pairs = set()
    prev_char = word[0]
    for char in word[1:]:
        pairs.add((prev_char, char))
        prev_char = char
    return pairs


def text_standardize(text):
    """Fixes some issues the spacy tokenizer had on books corpus, also does some whitespace standardization."""
    text = text.replace("—", "-")
    text = text.replace("–", "-")
    text = text.replace("―", "-")
    text = text.replace("…", "...")
    text = text.replace("´", "'")
    text = re.sub("""(-+|~+|!+|"+|;+|\\?+|\\++|,+|\\)+|\\(+|\\+|\\/+|\\*+|\\[+|\\]+|}+|{+|\\|+|_+)""", r" \1 ", text)
    text = re.sub("\\s*\n\\s*", " \n ", text)
    text = re.sub("[^\\S\n]+", " ", text)
    return text.strip()


class TextEncoder:
    """Mostly a wrapper for a public python bpe tokenizer."""

    def __init__(self, encoder_path, bpe_path):
        self.nlp = spacy.blank("en")
        self.encoder = json.load(open(encoder_path))
        self.decoder = {v: k for k, v in self.encoder.items()}
        merges = open(bpe_path, encoding="utf-8").read().split("\n")[1:-1]
        merges = [tuple(merge.split()) for merge in merges]
        self.bpe_ranks = dict(zip(merges, range(len(merges)), strict=False))
        self.cache = {}

    def bpe(self, token):
        """The BPE pieces of `token`, joined by spaces, the last one ending in `</w>`."""
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        if token in self.cache:
            return self.cache[token]
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            new_word = tuple(new_word)
            word = new_word
            if len(word) == 1:
                break
            else:
                pairs = get_pairs(word)
        word = " ".join(word)
        if word == "\n  </w>":
            word = "\n</w>"
        self.cache[token] = word
        return word

    def encode(self, texts):
        """The ids of each text: ftfy, standardisation, spaCy, lowercase, BPE; unknown pieces get 0."""
        texts_tokens = []
        for text in texts:
            text = self.nlp(text_standardize(ftfy.fix_text(text)))
            text_tokens = []
            for token in text:
                text_tokens.extend([self.encoder.get(t, 0) for t in self.bpe(token.text.lower()).split(" ")])
            texts_tokens.append(text_tokens)
        return texts_tokens
