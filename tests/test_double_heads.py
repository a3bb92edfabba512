"""GPT1DoubleHeads: the paper's fine-tuning model (section 3.2) and its two classifier types."""

import pytest
import torch
import torch.nn.functional as F
from conftest import EXTRACT, PAD

from modeling_gpt1 import GPT1DoubleHeads, GPT1ForMultipleChoice, GPT1ForSequenceClassification


def double_heads(config, classifier_type="multiple_choice", num_labels=2, train=False, model_class=GPT1DoubleHeads):
    config.classifier_type = classifier_type
    config.num_labels = num_labels
    torch.manual_seed(0)
    return model_class(config).train(train)


def padded(make_task_ids, lengths, width, side="right"):
    """`[batch, num_sequences, width]` task inputs; sequence (i, j) has lengths[i][j] real tokens, padded on `side`."""
    batch, num_sequences = len(lengths), len(lengths[0])
    real = make_task_ids(batch, num_sequences, 64)  # the same tokens whatever the width
    ids = torch.full((batch, num_sequences, width), PAD)
    mask = torch.zeros_like(ids)
    for i, row in enumerate(lengths):
        for j, length in enumerate(row):
            span = slice(0, length) if side == "right" else slice(width - length, width)
            ids[i, j, span] = real[i, j, :length]
            ids[i, j, span.stop - 1] = EXTRACT
            mask[i, j, span] = 1
    return ids, mask


def test_multiple_choice_scores_each_sequence(tiny_config, make_task_ids):
    model = double_heads(tiny_config)
    ids = make_task_ids(3, 4, 10)
    with torch.no_grad():
        out = model(ids)
        with_logits = model(ids, output_logits=True)
    assert out.mc_logits.shape == (3, 4)
    assert model.classifier.out_features == 1
    # the LM logits come only when asked for
    assert out.logits is None and "logits" not in out
    assert with_logits.logits.shape == (3, 4, 10, tiny_config.vocab_size)
    torch.testing.assert_close(with_logits.mc_logits, out.mc_logits, atol=0, rtol=0)


def test_pooled_classifier_reads_the_sum_of_the_extract_states(tiny_config, make_task_ids):
    model = double_heads(tiny_config, "pooled", num_labels=3)
    ids = make_task_ids(2, 2, 12)
    first_extract = torch.tensor([[5, 11], [8, 3]])
    ids.scatter_(-1, first_extract[..., None], EXTRACT)
    with torch.no_grad():
        mc_logits = model(ids).mc_logits
        hidden = model.transformer(ids.flatten(0, 1)).last_hidden_state  # [4, 12, 32]
        extract_states = hidden[torch.arange(4), first_extract.flatten()].view(2, 2, -1)
        expected = extract_states.sum(1) @ model.classifier.weight.T + model.classifier.bias
    assert mc_logits.shape == (2, 3)
    torch.testing.assert_close(mc_logits, expected, atol=1e-5, rtol=0)


def test_one_label_pooled_classifier_is_a_regression_with_mse(tiny_config, make_task_ids):
    model = double_heads(tiny_config, "pooled", num_labels=1)
    targets = torch.tensor([0.5, 4.0])
    with torch.no_grad():
        out = model(make_task_ids(2, 2, 10), mc_labels=targets)
    assert out.mc_logits.shape == (2, 1)
    torch.testing.assert_close(out.mc_loss, F.mse_loss(out.mc_logits.squeeze(-1), targets))


def test_multiple_choice_loss_is_cross_entropy_over_the_sequences(tiny_config, make_task_ids):
    model = double_heads(tiny_config)
    mc_labels = torch.tensor([2, 0])
    with torch.no_grad():
        out = model(make_task_ids(2, 3, 10), mc_labels=mc_labels)
    torch.testing.assert_close(out.mc_loss, F.cross_entropy(out.mc_logits, mc_labels))


def test_one_sequence_multiple_choice_is_still_cross_entropy(tiny_config, make_task_ids):
    model = double_heads(tiny_config)
    with torch.no_grad():
        out = model(make_task_ids(2, 1, 10), mc_labels=torch.tensor([0, 0]))
    # a softmax over one choice is certain: the loss is zero, not a regression error
    torch.testing.assert_close(out.mc_loss, torch.tensor(0.0))


def test_loss_is_task_loss_plus_lm_coef_times_lm_loss(no_dropout_config, make_task_ids):
    no_dropout_config.lm_coef = 0.3
    model = double_heads(no_dropout_config, train=True)
    with torch.no_grad():
        out = model(make_task_ids(2, 3, 10), mc_labels=torch.tensor([2, 0]))
    assert out.lm_loss is not None and out.lm_loss > 0
    torch.testing.assert_close(out.loss, out.mc_loss + 0.3 * out.lm_loss)


def test_zero_lm_coef_leaves_only_the_task_loss(tiny_config, make_task_ids):
    tiny_config.lm_coef = 0.0
    model = double_heads(tiny_config)
    with torch.no_grad():
        out = model(make_task_ids(2, 3, 10), mc_labels=torch.tensor([2, 0]))
    torch.testing.assert_close(out.loss, out.mc_loss)


def test_lm_loss_is_the_mean_over_sequences_of_each_sequences_token_mean(no_dropout_config, make_task_ids):
    model = double_heads(no_dropout_config, train=True)
    lengths = [[12, 4, 7], [9, 12, 5]]
    ids, mask = padded(make_task_ids, lengths, 12)
    with torch.no_grad():
        out = model(ids, attention_mask=mask, mc_labels=torch.tensor([0, 1]), output_logits=True)
    per_sequence, token_losses = [], []
    for i, row in enumerate(lengths):
        for j, length in enumerate(row):
            # position t predicts token t + 1, real tokens only
            losses = F.cross_entropy(out.logits[i, j, : length - 1], ids[i, j, 1:length], reduction="none")
            per_sequence.append(losses.mean())
            token_losses.append(losses)
    expected = torch.stack(per_sequence).mean()
    torch.testing.assert_close(out.lm_loss, expected, atol=1e-5, rtol=0)
    # a plain token mean would be a different number, so the test tells the two apart
    assert not torch.isclose(torch.cat(token_losses).mean(), expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("side", ["right", "left"])
def test_padding_changes_neither_lm_loss_nor_scores(side, no_dropout_config, make_task_ids):
    model = double_heads(no_dropout_config, train=True)
    lengths = [[10, 4], [7, 10]]
    ids, mask = padded(make_task_ids, lengths, 10, side)
    more_ids, more_mask = padded(make_task_ids, lengths, 16, side)
    mc_labels = torch.tensor([1, 0])
    with torch.no_grad():
        out = model(ids, attention_mask=mask, mc_labels=mc_labels)
        more = model(more_ids, attention_mask=more_mask, mc_labels=mc_labels)
    torch.testing.assert_close(more.mc_logits, out.mc_logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(more.lm_loss, out.lm_loss, atol=1e-5, rtol=0)


def test_classifier_dropout_mask_is_shared_by_the_sequences_of_one_example(no_dropout_config, make_task_ids):
    no_dropout_config.classifier_dropout = 0.5
    model = double_heads(no_dropout_config, train=True)
    # two examples, each three copies of the same sequence
    ids = make_task_ids(1, 1, 10).expand(2, 3, 10)
    torch.manual_seed(3)
    mc_logits = model(ids).mc_logits.detach()
    torch.testing.assert_close(mc_logits[:, 1:], mc_logits[:, :1].expand(2, 2), atol=1e-6, rtol=0)
    assert not torch.isclose(mc_logits[0, 0], mc_logits[1, 0], atol=1e-4, rtol=0)


def test_classifier_dropout_is_off_in_eval_mode(tiny_config, make_task_ids):
    tiny_config.classifier_dropout = 0.5
    model = double_heads(tiny_config)
    ids = make_task_ids(2, 3, 10)
    with torch.no_grad():
        first, second = model(ids).mc_logits, model(ids).mc_logits
    assert torch.equal(first, second)


@pytest.mark.parametrize("classifier_type", ["multiple_choice", "pooled"])
def test_two_dimensional_input_is_one_sequence_per_example(classifier_type, tiny_config, make_task_ids):
    model = double_heads(tiny_config, classifier_type, num_labels=3)
    ids = make_task_ids(4, 1, 10)
    mc_labels = torch.tensor([0, 0, 0, 0]) if classifier_type == "multiple_choice" else torch.tensor([0, 2, 1, 2])
    with torch.no_grad():
        flat = model(ids[:, 0], mc_labels=mc_labels)
        nested = model(ids, mc_labels=mc_labels)
    expected_shape = (4, 1) if classifier_type == "multiple_choice" else (4, 3)
    assert flat.mc_logits.shape == nested.mc_logits.shape == expected_shape
    torch.testing.assert_close(flat.mc_logits, nested.mc_logits, atol=0, rtol=0)
    torch.testing.assert_close(flat.loss, nested.loss, atol=0, rtol=0)


def test_sequence_classification_fixes_the_pooled_classifier(tiny_config, make_task_ids):
    model = double_heads(tiny_config, "multiple_choice", num_labels=3, model_class=GPT1ForSequenceClassification)
    assert model.config.classifier_type == "pooled"
    with torch.no_grad():
        assert model(make_task_ids(2, 2, 10)).mc_logits.shape == (2, 3)


def test_multiple_choice_model_fixes_the_multiple_choice_classifier(tiny_config, make_task_ids):
    model = double_heads(tiny_config, "pooled", num_labels=3, model_class=GPT1ForMultipleChoice)
    assert model.config.classifier_type == "multiple_choice"
    with torch.no_grad():
        assert model(make_task_ids(2, 4, 10)).mc_logits.shape == (2, 4)


def test_a_fixed_classifier_type_survives_another_model_built_from_the_same_config(tiny_config, make_task_ids):
    tiny_config.num_labels = 3
    torch.manual_seed(0)
    classifier = GPT1ForSequenceClassification(tiny_config).eval()
    GPT1ForMultipleChoice(tiny_config)
    assert classifier.config.classifier_type == "pooled"
    with torch.no_grad():
        assert classifier(make_task_ids(2, 2, 10)).mc_logits.shape == (2, 3)
