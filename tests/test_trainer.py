"""transformers' plain Trainer fine-tunes GPT1DoubleHeads with no custom code."""

import torch
from transformers import Trainer, TrainingArguments

from modeling_gpt1 import GPT1DoubleHeads


class ChoiceDataset(torch.utils.data.Dataset):
    """Two-choice examples; the right choice is the one whose second token is 7."""

    def __init__(self, make_task_ids, size=16):
        self.input_ids = make_task_ids(size, 2, 8, seed=1)
        self.input_ids[..., 1] = 8
        self.mc_labels = torch.arange(size) % 2
        self.input_ids[torch.arange(size), self.mc_labels, 1] = 7

    def __len__(self):
        return len(self.mc_labels)

    def __getitem__(self, index):
        return {"input_ids": self.input_ids[index], "mc_labels": self.mc_labels[index]}


def training_arguments(output_dir, **settings):
    """Trainer settings for a quiet CPU run in `output_dir`, plus the test's own."""
    return TrainingArguments(output_dir=str(output_dir), report_to=[], use_cpu=True, disable_tqdm=True, **settings)


def test_trainer_fine_tunes_double_heads_and_the_loss_falls(tiny_config, make_task_ids, tmp_path):
    torch.manual_seed(0)
    model = GPT1DoubleHeads(tiny_config)
    args = training_arguments(
        tmp_path,
        per_device_train_batch_size=8,
        learning_rate=5e-3,
        max_steps=20,
        logging_steps=1,
        save_strategy="no",
        seed=0,
    )
    trainer = Trainer(model=model, args=args, train_dataset=ChoiceDataset(make_task_ids))
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(losses) == 20
    assert all(torch.isfinite(torch.tensor(losses)))
    assert sum(losses[-4:]) / 4 < sum(losses[:4]) / 4 - 0.2


def test_trainer_evaluates_double_heads_with_mc_labels_as_the_label(tiny_config, make_task_ids, tmp_path):
    model = GPT1DoubleHeads(tiny_config)
    # the forward also takes LM `labels`, which the Trainer would otherwise wait for
    args = training_arguments(tmp_path, per_device_eval_batch_size=8, label_names=["mc_labels"])

    def accuracy(prediction):
        # predictions are every output but the loss: (LM logits, mc_logits)
        return {"accuracy": float((prediction.predictions[1].argmax(-1) == prediction.label_ids).mean())}

    dataset = ChoiceDataset(make_task_ids)
    metrics = Trainer(model=model, args=args, eval_dataset=dataset, compute_metrics=accuracy).evaluate()
    assert torch.isfinite(torch.tensor(metrics["eval_loss"]))
    assert 0.0 <= metrics["eval_accuracy"] <= 1.0
