"""Gradient checkpointing recomputes the blocks in the backward pass without changing loss or gradients."""

import copy

import pytest
import torch
from transformers import DynamicCache

from modeling_gpt1 import GPT1DoubleHeads, GPT1LMHeadModel


def loss_and_gradients(model, **inputs):
    """Loss, gradients, and how many times the first block's MLP ran (twice per step when recomputed)."""
    model.zero_grad()
    calls = []
    hook = model.transformer.h[0].mlp.register_forward_hook(lambda *_: calls.append(1))
    # the same dropout masks in both runs: checkpointing replays the forward's RNG state
    torch.manual_seed(1)
    loss = model(**inputs).loss
    loss.backward()
    hook.remove()
    return loss.detach(), {name: param.grad.clone() for name, param in model.named_parameters()}, len(calls)


@pytest.mark.parametrize("dropout", ["off", "on"])
def test_checkpointing_keeps_lm_loss_and_gradients(dropout, tiny_config, no_dropout_config, make_ids):
    config = tiny_config if dropout == "on" else no_dropout_config
    torch.manual_seed(0)
    plain = GPT1LMHeadModel(config).train()
    checkpointed = copy.deepcopy(plain)
    checkpointed.activation_checkpointing_enable()
    ids = make_ids(2, 16)
    plain_loss, plain_grads, plain_calls = loss_and_gradients(plain, input_ids=ids, labels=ids)
    checkpointed_loss, checkpointed_grads, checkpointed_calls = loss_and_gradients(
        checkpointed, input_ids=ids, labels=ids
    )
    assert (plain_calls, checkpointed_calls) == (1, 2)
    torch.testing.assert_close(plain_loss, checkpointed_loss, atol=1e-6, rtol=0)
    for name, grad in plain_grads.items():
        torch.testing.assert_close(grad, checkpointed_grads[name], atol=1e-6, rtol=0, msg=name)


def test_checkpointing_keeps_double_heads_gradients(no_dropout_config, make_task_ids):
    torch.manual_seed(0)
    plain = GPT1DoubleHeads(no_dropout_config).train()
    checkpointed = copy.deepcopy(plain)
    checkpointed.activation_checkpointing_enable()
    inputs = dict(input_ids=make_task_ids(2, 3, 10), mc_labels=torch.tensor([0, 2]))
    plain_loss, plain_grads, plain_calls = loss_and_gradients(plain, **inputs)
    checkpointed_loss, checkpointed_grads, checkpointed_calls = loss_and_gradients(checkpointed, **inputs)
    assert (plain_calls, checkpointed_calls) == (1, 2)
    torch.testing.assert_close(plain_loss, checkpointed_loss, atol=1e-6, rtol=0)
    for name, grad in plain_grads.items():
        torch.testing.assert_close(grad, checkpointed_grads[name], atol=1e-6, rtol=0, msg=name)


@pytest.mark.parametrize("backend", ["eager", "sdpa"])
def test_checkpointing_with_a_cache_passed_in_keeps_gradients_and_leaves_the_cache_alone(
    backend, no_dropout_config, make_ids
):
    torch.manual_seed(0)
    plain = GPT1LMHeadModel(no_dropout_config).train()
    plain.set_attn_implementation(backend)
    checkpointed = copy.deepcopy(plain)
    checkpointed.activation_checkpointing_enable()
    ids = make_ids(2, 8)
    caches = [DynamicCache(config=no_dropout_config) for _ in range(2)]
    plain_loss, plain_grads, _ = loss_and_gradients(plain, input_ids=ids, labels=ids, cache=caches[0])
    checkpointed_loss, checkpointed_grads, _ = loss_and_gradients(
        checkpointed, input_ids=ids, labels=ids, cache=caches[1]
    )
    # as everywhere in transformers, checkpointed blocks leave the cache alone (warning once) rather
    # than writing the keys and values into it again during the backward replay
    assert caches[0].get_seq_length() == 8
    assert caches[1].get_seq_length() == 0
    torch.testing.assert_close(plain_loss, checkpointed_loss, atol=1e-6, rtol=0)
    for name, grad in plain_grads.items():
        torch.testing.assert_close(grad, checkpointed_grads[name], atol=1e-6, rtol=0, msg=name)
