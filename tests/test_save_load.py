"""Saving and loading: exact round trips, the Auto classes, and the code shipped for trust_remote_code."""

import json
import pathlib
import textwrap
import types

import pytest
import torch
import transformers
from conftest import EXTRACT, TINY_CONFIG
from remote_code import run_fresh_python
from safetensors.torch import load_file
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMultipleChoice,
    AutoModelForSequenceClassification,
)

from modeling_gpt1 import (
    GPT1Config,
    GPT1DoubleHeads,
    GPT1ForMultipleChoice,
    GPT1ForSequenceClassification,
    GPT1LMHeadModel,
    GPT1Model,
)

AUTO_CLASSES = {
    "AutoModel": (AutoModel, GPT1Model),
    "AutoModelForCausalLM": (AutoModelForCausalLM, GPT1LMHeadModel),
    "AutoModelForSequenceClassification": (AutoModelForSequenceClassification, GPT1ForSequenceClassification),
    "AutoModelForMultipleChoice": (AutoModelForMultipleChoice, GPT1ForMultipleChoice),
}


def assert_same_state(left, right):
    left, right = left.state_dict(), right.state_dict()
    assert left.keys() == right.keys()
    for key in left:
        assert torch.equal(left[key], right[key]), key


def config_fields(model):
    """The config as saved, less where it was loaded from."""
    return {key: value for key, value in model.config.to_dict().items() if key != "_name_or_path"}


def tied(model):
    return model.lm_head.weight.data_ptr() == model.transformer.tokens_embed.weight.data_ptr()


@pytest.mark.parametrize("model_class", [GPT1Model, GPT1LMHeadModel, GPT1DoubleHeads])
def test_save_pretrained_from_pretrained_is_exact(model_class, tiny_config, tmp_path):
    torch.manual_seed(0)
    model = model_class(tiny_config)
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    assert not (tmp_path / "pytorch_model.bin").exists()
    restored = model_class.from_pretrained(tmp_path)
    assert config_fields(restored) == config_fields(model)
    assert_same_state(model, restored)


@pytest.mark.parametrize("model_class", [GPT1LMHeadModel, GPT1DoubleHeads])
def test_lm_head_stays_tied_to_the_token_embedding(model_class, tiny_config, tmp_path):
    torch.manual_seed(0)
    model = model_class(tiny_config)
    assert tied(model)
    model.save_pretrained(tmp_path)
    restored = model_class.from_pretrained(tmp_path)
    assert tied(restored)
    with torch.no_grad():
        restored.transformer.tokens_embed.weight[3] += 1.0
    assert torch.equal(restored.lm_head.weight[3], restored.transformer.tokens_embed.weight[3])
    # the tied copy is stored once
    assert "lm_head.weight" not in load_file(tmp_path / "model.safetensors")


def test_auto_config_loads_gpt1_config(tiny_config, tmp_path):
    tiny_config.save_pretrained(tmp_path)
    assert type(AutoConfig.from_pretrained(tmp_path)) is GPT1Config
    assert type(AutoConfig.for_model("gpt1")) is GPT1Config


@pytest.mark.parametrize("auto_name", list(AUTO_CLASSES))
def test_auto_class_loads_our_class(auto_name, tiny_config, tmp_path):
    auto_class, model_class = AUTO_CLASSES[auto_name]
    torch.manual_seed(0)
    model = model_class(tiny_config)
    model.save_pretrained(tmp_path)
    loaded = auto_class.from_pretrained(tmp_path)
    assert type(loaded) is model_class
    assert_same_state(model, loaded)
    assert type(auto_class.from_config(tiny_config)) is model_class


@pytest.mark.parametrize(
    "model_class, classifier_type, auto_name",
    [
        (GPT1Model, "multiple_choice", "AutoModel"),
        (GPT1LMHeadModel, "multiple_choice", "AutoModelForCausalLM"),
        (GPT1DoubleHeads, "multiple_choice", "AutoModelForMultipleChoice"),
        (GPT1DoubleHeads, "pooled", "AutoModelForSequenceClassification"),
    ],
)
def test_saved_folder_ships_the_code_and_a_complete_auto_map(
    model_class, classifier_type, auto_name, tiny_config, tmp_path
):
    tiny_config.classifier_type = classifier_type
    model_class(tiny_config).save_pretrained(tmp_path)
    auto_map = json.loads((tmp_path / "config.json").read_text())["auto_map"]
    expected = {
        "AutoConfig": "configuration_gpt1.GPT1Config",
        "AutoModel": "modeling_gpt1.GPT1Model",
        "AutoModelForCausalLM": "modeling_gpt1.GPT1LMHeadModel",
        "AutoModelForSequenceClassification": "modeling_gpt1.GPT1ForSequenceClassification",
        "AutoModelForMultipleChoice": "modeling_gpt1.GPT1ForMultipleChoice",
    }
    # the saved class stands under the Auto class that matches its classifier
    assert auto_map == expected | {auto_name: f"modeling_gpt1.{model_class.__name__}"}
    for module in {reference.split(".")[0] for reference in auto_map.values()}:
        assert (tmp_path / f"{module}.py").is_file(), module


REMOTE_CODE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import torch
    import transformers

    results = {}
    config = transformers.AutoConfig.from_pretrained(sys.argv[1] + "/AutoModel", trust_remote_code=True)
    results["AutoConfig"] = {"class": type(config).__name__, "module": type(config).__module__, "max_diff": 0.0}
    for name in json.loads(sys.argv[2]):
        folder = sys.argv[1] + "/" + name
        model = getattr(transformers, name).from_pretrained(folder, trust_remote_code=True).eval()
        saved = torch.load(folder + "/expected.pt")
        with torch.no_grad():
            out = model(saved["input_ids"])
        got = out[saved["output"]]
        results[name] = {
            "class": type(model).__name__,
            "module": type(model).__module__,
            "max_diff": float((got - saved["expected"]).abs().max()),
        }
    results["imported_modeling_gpt1"] = any(m.split(".")[0] == "modeling_gpt1" for m in sys.modules)
    print(json.dumps(results))
    """
)


@pytest.fixture(scope="module")
def remote_code_results(tmp_path_factory):
    """Save one model per Auto class, then load each in a fresh interpreter that never imports modeling_gpt1."""
    root = tmp_path_factory.mktemp("remote_code")
    generator = torch.Generator().manual_seed(0)
    lm_ids = torch.randint(1, 97, (2, 10), generator=generator)
    task_ids = torch.randint(1, 97, (2, 2, 10), generator=generator)
    task_ids[..., -1] = EXTRACT
    outputs = {
        "AutoModel": (lm_ids, "last_hidden_state"),
        "AutoModelForCausalLM": (lm_ids, "logits"),
        "AutoModelForSequenceClassification": (task_ids, "mc_logits"),
        "AutoModelForMultipleChoice": (task_ids, "mc_logits"),
    }
    for name, (_, model_class) in AUTO_CLASSES.items():
        torch.manual_seed(0)
        model = model_class(GPT1Config(**TINY_CONFIG, num_labels=3)).eval()
        model.save_pretrained(root / name)
        ids, output = outputs[name]
        with torch.no_grad():
            expected = model(ids)[output]
        torch.save({"input_ids": ids, "output": output, "expected": expected}, root / name / "expected.pt")
    workdir = tmp_path_factory.mktemp("cwd")
    return run_fresh_python(REMOTE_CODE_SCRIPT, str(root), json.dumps(list(AUTO_CLASSES)), workdir=workdir)


def test_remote_code_process_never_imports_the_package(remote_code_results):
    assert remote_code_results["imported_modeling_gpt1"] is False


@pytest.mark.parametrize(
    "auto_name, class_name",
    [
        ("AutoConfig", "GPT1Config"),
        ("AutoModel", "GPT1Model"),
        ("AutoModelForCausalLM", "GPT1LMHeadModel"),
        ("AutoModelForSequenceClassification", "GPT1ForSequenceClassification"),
        ("AutoModelForMultipleChoice", "GPT1ForMultipleChoice"),
    ],
)
def test_remote_code_loads_the_shipped_class_with_the_same_outputs(auto_name, class_name, remote_code_results):
    result = remote_code_results[auto_name]
    assert result["class"] == class_name
    assert result["module"].startswith("transformers_modules.")
    assert result["max_diff"] <= 1e-6


def test_push_to_hub_uploads_weights_config_and_code(tiny_config, tmp_path, monkeypatch):
    # everything up to the network: a fake Hub API records the commit push_to_hub would make
    uploaded = {}

    class FakeHub:
        def create_repo(self, repo_id, **kwargs):
            return types.SimpleNamespace(repo_id=repo_id)

        def create_commit(self, repo_id, operations, **kwargs):
            uploaded[repo_id] = sorted(operation.path_in_repo for operation in operations)

    class FakeCard:
        def save(self, path):
            pathlib.Path(path).write_text("card")

    monkeypatch.setattr(transformers.modeling_utils, "hf_api", FakeHub)
    monkeypatch.setattr(transformers.utils.hub, "hf_api", FakeHub)
    monkeypatch.setattr(transformers.modeling_utils, "create_and_tag_model_card", lambda *args, **kwargs: FakeCard())
    GPT1LMHeadModel(tiny_config).save_pretrained(tmp_path / "gpt1-repro", push_to_hub=True, repo_id="org/gpt1-repro")
    assert {"config.json", "model.safetensors", "modeling_gpt1.py", "configuration_gpt1.py"} <= set(
        uploaded["org/gpt1-repro"]
    )
