"""The package as a pip user gets it: a wheel built from this checkout, installed apart from the repository, holds
the whole library (the model, GPT-1's vocabulary, the task loaders and formats, the fine-tuning loop, the metric).

The wheel is installed with `pip install --no-deps --target`; the user's script runs in a fresh process from a
folder outside the repository with that folder first on its path, so `modeling_gpt1` comes from the wheel and the
dependencies (the `examples` extra) from this environment.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from shared_data import GLUE, REPO, STORY_CLOZE, require

# what a user writes: the README's "Your own fine-tuning script", on a tiny model and a few examples
USER_SCRIPT = """
import argparse, json, sys
from pathlib import Path

import torch

import modeling_gpt1
from modeling_gpt1 import GPT1Config, GPT1ForMultipleChoice, GPT1ForSequenceClassification, GPT1LMHeadModel
from modeling_gpt1 import GPT1Tokenizer
from modeling_gpt1.data import load_glue, load_story_cloze
from modeling_gpt1.metrics import load_task_metric
from modeling_gpt1.training.finetuning import FineTuning, add_arguments, encode_split, load_model, make_accelerator

rte_folder, story_cloze_folder, work = map(Path, sys.argv[1:])
tokenizer = GPT1Tokenizer()  # GPT-1's released vocabulary, from the wheel
torch.manual_seed(0)
config = GPT1Config(vocab_size=tokenizer.vocab_size, n_embd=32, n_layer=2, n_head=2, n_positions=128)
GPT1LMHeadModel(config).save_pretrained(work / "lm")
tokenizer.save_pretrained(work / "lm")


def fine_tune(name, model_class, splits, encode, **config_kwargs):
    parser = argparse.ArgumentParser()
    add_arguments(parser)  # the paper's recipe as defaults
    args = parser.parse_args([
        "--model_name_or_path", str(work / "lm"), "--output_dir", str(work / name), "--report_to", "none",
        "--per_device_train_batch_size", "4", "--num_train_epochs", "1",
    ])
    accelerator = make_accelerator(args)
    tokenizer, model = load_model(
        args.model_name_or_path, model_class, accelerator, lm_coef=args.lm_coef, **config_kwargs
    )
    train = encode_split(splits["train"].select(range(12)), encode(tokenizer), "train", 128, accelerator)
    validation = encode_split(splits["validation"].select(range(8)), encode(tokenizer), "validation", 128, accelerator)
    metric = load_task_metric(name)
    fine_tuning = FineTuning(
        args, accelerator, tokenizer, model,
        predict=lambda logits: logits.argmax(-1).tolist(),
        compute_metrics=lambda split, predictions, labels: metric.compute(predictions=predictions, references=labels),
    )
    results = fine_tuning.train(train, {"validation": ("eval", validation)})
    fine_tuning.save(results)
    return results


def entailment(tokenizer):
    return lambda batch: dict(
        tokenizer.encode_task("entailment", batch["text"], batch["text_pair"], max_length=128)
    )


def multiple_choice(tokenizer):
    return lambda batch: dict(
        tokenizer.encode_task("multiple_choice", batch["text"], choices=batch["choices"], max_length=128)
    )


results = {
    "rte": fine_tune("rte", GPT1ForSequenceClassification, load_glue("rte", rte_folder), entailment, num_labels=2),
    "story_cloze": fine_tune(
        "story_cloze", GPT1ForMultipleChoice, load_story_cloze(story_cloze_folder), multiple_choice
    ),
}
print(json.dumps({"package": modeling_gpt1.__file__, "results": results}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel built from a copy of this checkout (so that the build leaves nothing in the repository)."""
    work = tmp_path_factory.mktemp("wheel")
    ignored = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "out", "*.egg-info", "__pycache__")
    shutil.copytree(REPO, work / "source", ignore=ignored)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(work), str(work / "source")],
        check=True,
        capture_output=True,
    )
    [built] = work.glob("gpt1_repro-*.whl")
    return built


def test_the_wheel_holds_the_library_and_its_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in [
        "modeling_gpt1/modeling_gpt1.py",
        "modeling_gpt1/data/tasks.py",
        "modeling_gpt1/data/pretraining.py",
        "modeling_gpt1/training/finetuning.py",
        "modeling_gpt1/training/pretraining.py",
        "modeling_gpt1/metrics/__init__.py",
        "modeling_gpt1/metrics/gpt1_tasks/gpt1_tasks.py",
        "modeling_gpt1/vocabulary/encoder_bpe_40000.json",
        "modeling_gpt1/vocabulary/vocab_40000.bpe",
        "modeling_gpt1/vocabulary/LICENSE",
    ]:
        assert name in names
    assert not any(name.startswith(("tests/", "examples/", "benchmarks/")) for name in names)


def test_a_user_script_fine_tunes_from_the_installed_wheel(wheel, tmp_path):
    """Outside the repository, from the wheel alone: load RTE and Story Cloze from their files, encode them in the
    paper's formats, fine-tune a tiny model for a few updates with the package's loop, score with its metric."""
    rte, story_cloze = require(GLUE / "RTE"), require(STORY_CLOZE).parent
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    user = tmp_path / "user"
    user.mkdir()
    (user / "finetune.py").write_text(USER_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "finetune.py", str(rte), str(story_cloze), str(user)],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["package"].startswith(str(site))  # the wheel's copy, not this checkout
    for task in ("rte", "story_cloze"):
        assert 0 <= report["results"][task]["eval_accuracy"] <= 1
        assert (user / task / "model.safetensors").is_file()
        assert json.loads((user / task / "all_results.json").read_text())["eval_accuracy"] == pytest.approx(
            report["results"][task]["eval_accuracy"]
        )


OPTIONAL = ("datasets", "evaluate", "sklearn", "scipy", "matplotlib", "tensorboard", "pyarrow")
CORE_ONLY = f"""
import json, sys

sys.modules.update(dict.fromkeys({OPTIONAL!r}))  # each import of them now fails

import modeling_gpt1
from modeling_gpt1 import GPT1Config, GPT1DoubleHeads, GPT1Tokenizer
from modeling_gpt1 import convert, zero_shot  # noqa: F401

tokenizer = GPT1Tokenizer()
model = GPT1DoubleHeads(GPT1Config(vocab_size=len(tokenizer), n_embd=32, n_layer=1, n_head=2, n_positions=64))
encoded = tokenizer.encode_task("entailment", ["A man sleeps."], ["A person rests."], return_tensors="pt")
outputs = model(encoded["input_ids"], attention_mask=encoded["attention_mask"], mc_token_ids=encoded["mc_token_ids"])
print(json.dumps({{"shape": list(outputs.mc_logits.shape)}}))
"""


def test_the_model_and_tokenizer_need_only_the_core_dependencies():
    """`import modeling_gpt1`, a tokenizer, a model and a task encoding, with the `examples` extra's packages made
    unimportable."""
    done = subprocess.run([sys.executable, "-c", CORE_ONLY], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"shape": [1, 1]}
