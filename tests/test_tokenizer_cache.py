"""The tokenizer's caches: bounded, and what they hold never changes the ids."""

from shared_data import MERGES, VOCAB, require

from modeling_gpt1 import GPT1Tokenizer

TEXTS = [
    "I don't think it's U.S. policy.",
    "He said, ''I am optimistic'' ''I think so.''",
    "line one\nline two :) and (a) [b] {c}",
    "Numbers 3.5 and 1,000,000 and 10:30pm.",
]


def test_a_full_cache_starts_again_and_gives_the_same_ids():
    require(VOCAB)
    require(MERGES)
    tokenizer, fresh = GPT1Tokenizer(VOCAB, MERGES), GPT1Tokenizer(VOCAB, MERGES)
    expected = tokenizer.encode_texts(TEXTS)
    fresh.max_cached_chunks = 12
    for _ in range(3):
        for text in TEXTS + [" ".join(TEXTS)]:
            assert fresh.encode_texts([text]) == tokenizer.encode_texts([text])
            # never more than the limit, or than one batch's distinct chunks (all the texts' at most)
            assert len(fresh.chunks) <= max(12, len(tokenizer.chunks))
    # a full cache meeting new chunks keeps only those of the batch
    fresh.encode_texts(["entirely unseen words"])
    assert len(fresh.chunks) == 3
    assert fresh.encode_texts(TEXTS) == expected
