"""Inputs the model cannot use raise a ValueError that names the problem, instead of failing deep inside.

Invalid configurations are covered, one field at a time, in test_config.py.
"""

import pytest
import torch

from modeling_gpt1 import GPT1DoubleHeads, GPT1LMHeadModel


@pytest.fixture
def lm(tiny_config):
    torch.manual_seed(0)
    return GPT1LMHeadModel(tiny_config).eval()


@pytest.fixture
def double_heads(tiny_config):
    torch.manual_seed(0)
    return GPT1DoubleHeads(tiny_config).eval()


def test_sequence_longer_than_the_context(lm, make_ids):
    with pytest.raises(ValueError, match="64 positions"):
        lm(make_ids(1, 65))


@pytest.mark.parametrize("bad_id", [100, -1])
def test_token_id_outside_the_vocabulary(bad_id, lm, make_ids):
    ids = make_ids(2, 8)
    ids[1, 3] = bad_id
    with pytest.raises(ValueError, match="input_ids must lie in"):
        lm(ids)


def test_generate_past_the_context_is_refused_before_running(lm, make_ids):
    calls = []
    lm.transformer.register_forward_hook(lambda *_: calls.append(1))
    with pytest.raises(ValueError, match="64 positions"):
        lm.generate(make_ids(1, 60), max_new_tokens=10, do_sample=False)
    assert calls == []


def test_lm_labels_of_the_wrong_shape(lm, make_ids):
    ids = make_ids(2, 8)
    with pytest.raises(ValueError, match="labels has shape"):
        lm(ids, labels=ids[:, :-1])


def test_lm_labels_outside_the_vocabulary(lm, make_ids):
    ids = make_ids(2, 8)
    labels = ids.clone()
    labels[0, 2] = 100
    with pytest.raises(ValueError, match="labels must be -100 or lie in"):
        lm(ids, labels=labels)


def test_attention_mask_of_the_wrong_shape(lm, make_ids):
    with pytest.raises(ValueError, match="attention_mask has shape"):
        lm(make_ids(2, 8), attention_mask=torch.ones(2, 9, dtype=torch.long))


def test_double_heads_attention_mask_of_the_wrong_shape(double_heads, make_task_ids):
    with pytest.raises(ValueError, match="attention_mask has shape"):
        double_heads(make_task_ids(2, 3, 8), attention_mask=torch.ones(2, 3, 7, dtype=torch.long))


def test_double_heads_input_of_the_wrong_rank(double_heads, make_task_ids):
    with pytest.raises(ValueError, match=r"\[batch, num_sequences, seq_len\]"):
        double_heads(make_task_ids(2, 3, 8)[None])


def test_sequence_without_the_extract_token(double_heads, make_task_ids):
    ids = make_task_ids(2, 3, 8)
    ids[1, 2, -1] = 5
    with pytest.raises(ValueError, match="sequence 2 of example 1 has no extract token"):
        double_heads(ids)


def test_mc_labels_of_the_wrong_shape(double_heads, make_task_ids):
    with pytest.raises(ValueError, match="mc_labels has shape"):
        double_heads(make_task_ids(2, 3, 8), mc_labels=torch.tensor([[0], [1]]))


@pytest.mark.parametrize("bad_label", [3, -1])
def test_mc_labels_out_of_range(bad_label, double_heads, make_task_ids):
    with pytest.raises(ValueError, match=r"mc_labels must be integers in \[0, 3\)"):
        double_heads(make_task_ids(2, 3, 8), mc_labels=torch.tensor([0, bad_label]))


def test_mc_labels_out_of_range_for_the_pooled_classifier(tiny_config, make_task_ids):
    tiny_config.classifier_type = "pooled"
    tiny_config.num_labels = 3
    model = GPT1DoubleHeads(tiny_config).eval()
    with pytest.raises(ValueError, match=r"mc_labels must be integers in \[0, 3\)"):
        model(make_task_ids(2, 2, 8), mc_labels=torch.tensor([0, 3]))


def test_mc_token_ids_of_the_wrong_shape(double_heads, make_task_ids):
    with pytest.raises(ValueError, match="mc_token_ids has shape"):
        double_heads(make_task_ids(2, 3, 8), mc_token_ids=torch.tensor([[7, 7], [7, 7]]))


@pytest.mark.parametrize("bad_index", [8, -1])
def test_mc_token_ids_out_of_range(bad_index, double_heads, make_task_ids):
    with pytest.raises(ValueError, match=r"mc_token_ids must lie in \[0, seq_len=8\)"):
        double_heads(make_task_ids(2, 3, 8), mc_token_ids=torch.tensor([[7, 7, 7], [7, bad_index, 7]]))


def test_double_heads_lm_labels_of_the_wrong_shape(double_heads, make_task_ids):
    ids = make_task_ids(2, 3, 8)
    with pytest.raises(ValueError, match="labels has shape"):
        double_heads(ids, labels=ids[:, :2])


def test_double_heads_lm_labels_outside_the_vocabulary(double_heads, make_task_ids):
    ids = make_task_ids(2, 3, 8)
    labels = ids.clone()
    labels[1, 1, 4] = 250
    with pytest.raises(ValueError, match="labels must be -100 or lie in"):
        double_heads(ids, labels=labels)
