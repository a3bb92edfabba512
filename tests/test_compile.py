"""torch.compile traces a whole forward pass as one graph (fullgraph=True fails on any graph break)."""

import pytest
import torch

from modeling_gpt1 import GPT1DoubleHeads, GPT1LMHeadModel


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def compiled_and_eager_lm(config, make_ids, backend):
    torch.manual_seed(0)
    model = GPT1LMHeadModel(config).eval()
    compiled = torch.compile(model, fullgraph=True, backend=backend)
    ids = make_ids(2, 12)
    with torch.no_grad():
        return compiled(ids, labels=ids), model(ids, labels=ids)


def test_lm_forward_is_one_graph(tiny_config, make_ids):
    # dynamo's capture alone (backend="eager"): cheap, and it is what finds graph breaks
    compiled, eager = compiled_and_eager_lm(tiny_config, make_ids, backend="eager")
    torch.testing.assert_close(compiled.logits, eager.logits, atol=1e-6, rtol=0)
    torch.testing.assert_close(compiled.loss, eager.loss, atol=1e-6, rtol=0)


def test_double_heads_forward_is_one_graph(tiny_config, make_task_ids):
    torch.manual_seed(0)
    model = GPT1DoubleHeads(tiny_config).eval()
    compiled = torch.compile(model, fullgraph=True, backend="eager")
    ids = make_task_ids(2, 3, 10)
    mc_labels = torch.tensor([1, 2])
    with torch.no_grad():
        compiled_out = compiled(ids, mc_labels=mc_labels)
        eager_out = model(ids, mc_labels=mc_labels)
    torch.testing.assert_close(compiled_out.mc_logits, eager_out.mc_logits, atol=1e-6, rtol=0)
    torch.testing.assert_close(compiled_out.loss, eager_out.loss, atol=1e-6, rtol=0)


def test_double_heads_training_step_is_one_graph_with_the_chunked_lm_loss(no_dropout_config, make_task_ids):
    # aot_eager traces the backward too, through the LM loss's own autograd function
    torch.manual_seed(0)
    model = GPT1DoubleHeads(no_dropout_config).train()
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    ids = make_task_ids(2, 3, 10)
    mc_labels = torch.tensor([1, 2])
    eager_loss = model(ids, mc_labels=mc_labels).loss
    eager_grads = torch.autograd.grad(eager_loss, list(model.parameters()))
    compiled_loss = compiled(ids, mc_labels=mc_labels).loss
    compiled_grads = torch.autograd.grad(compiled_loss, list(model.parameters()))
    torch.testing.assert_close(compiled_loss, eager_loss, atol=1e-6, rtol=0)
    for compiled_grad, eager_grad in zip(compiled_grads, eager_grads, strict=True):
        torch.testing.assert_close(compiled_grad, eager_grad, atol=1e-6, rtol=0)


@pytest.mark.slow
def test_inductor_compiled_lm_matches_eager(tiny_config, make_ids):
    # 25-35 s on 2 CPU cores with a cold kernel cache, most of it building C++ kernels
    compiled, eager = compiled_and_eager_lm(tiny_config, make_ids, backend="inductor")
    torch.testing.assert_close(compiled.logits, eager.logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(compiled.loss, eager.loss, atol=1e-5, rtol=0)


@pytest.mark.parametrize("backend", ["eager", "sdpa"])
def test_training_step_is_one_graph_with_dropout(backend, tiny_config, make_ids):
    torch.manual_seed(0)
    model = GPT1LMHeadModel(tiny_config).train()
    model.set_attn_implementation(backend)
    compiled = torch.compile(model, fullgraph=True, backend="eager")
    ids = make_ids(2, 12)
    loss = compiled(ids, labels=ids).loss
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
