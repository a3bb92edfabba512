"""The converter (`gpt1-convert`, `convert`) on checkpoints built in the original release's exact layout.

The converted model must equal transformers' `OpenAIGPTLMHeadModel` holding the same arrays, the three
conversions must round-trip bit for bit, the folder must load with `trust_remote_code` in a process that never
imports this package, and bad input must fail naming the file and leave nothing behind.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from huggingface_hub.repocard import metadata_load
from release_checkpoint import needs_gpt1_data, release_shapes, small_shapes, write_release
from remote_code import assert_loads_with_remote_code
from safetensors.torch import load_file
from shared_data import GOLDEN, MERGES, VOCAB
from transformers import AutoModelForCausalLM, AutoTokenizer, OpenAIGPTConfig, OpenAIGPTLMHeadModel, OpenAIGPTTokenizer

import modeling_gpt1.convert
from modeling_gpt1 import GPT1Config, GPT1DoubleHeads, GPT1LMHeadModel, GPT1Tokenizer
from modeling_gpt1.convert import convert, main

pytestmark = needs_gpt1_data

# the port's names of each block's twelve arrays, in the release's order (SPEC §3)
PORT_BLOCK = (
    "attn.c_attn.weight",
    "attn.c_attn.bias",
    "attn.c_proj.weight",
    "attn.c_proj.bias",
    "ln_1.weight",
    "ln_1.bias",
    "mlp.c_fc.weight",
    "mlp.c_fc.bias",
    "mlp.c_proj.weight",
    "mlp.c_proj.bias",
    "ln_2.weight",
    "ln_2.bias",
)
CODE_FILES = ("configuration_gpt1.py", "modeling_gpt1.py", "tokenization_gpt1.py")
TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer_config.json")


def port_state(arrays: list[np.ndarray]) -> dict[str, torch.Tensor]:
    """`OpenAIGPTLMHeadModel`'s state of the release's arrays (less the tied head), from SPEC §3 alone: its
    Conv1D weight is w[0] as is."""
    positions, tokens, *blocks = arrays
    state = {"transformer.tokens_embed.weight": tokens, "transformer.positions_embed.weight": positions}
    for index, array in enumerate(blocks):
        layer, position = divmod(index, len(PORT_BLOCK))
        state[f"transformer.h.{layer}.{PORT_BLOCK[position]}"] = array[0] if array.ndim == 3 else array
    return {key: torch.from_numpy(np.ascontiguousarray(array)) for key, array in state.items()}


def port_model(arrays: list[np.ndarray]) -> OpenAIGPTLMHeadModel:
    """transformers' GPT-1 holding the release's arrays, sized from them."""
    positions, tokens = arrays[:2]
    config = OpenAIGPTConfig(
        vocab_size=tokens.shape[0],
        n_positions=positions.shape[0],
        n_embd=tokens.shape[1],
        n_layer=(len(arrays) - 2) // len(PORT_BLOCK),
        n_head=tokens.shape[1] // 64,
    )
    model = OpenAIGPTLMHeadModel(config).eval()
    missing, unexpected = model.load_state_dict(port_state(arrays), strict=False)
    assert missing == ["lm_head.weight"] and not unexpected  # tied to tokens_embed
    return model


def real_ids(tokenizer, count: int) -> torch.Tensor:
    """`[1, count]` ids of real text: the first golden texts, as the tokenizer encodes them."""
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()[:40]
    text = "\n".join(json.loads(line)["text"] for line in lines)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"][:count]
    assert len(ids) == count
    return torch.tensor([ids])


def assert_matches_port(folder, arrays, count: int):
    """The converted LM's logits on `count` real tokens equal those of the port holding `arrays`, within 1e-4."""
    ours = AutoModelForCausalLM.from_pretrained(folder).eval()
    assert type(ours) is GPT1LMHeadModel
    input_ids = real_ids(AutoTokenizer.from_pretrained(folder), count)
    with torch.no_grad():
        expected = port_model(arrays)(input_ids).logits
        got = ours(input_ids).logits
    assert expected.std() > 0.25  # far from uniform: 1e-4 tells right from wrong
    print(f"largest |logit difference| against the port: {(got - expected).abs().max().item():.1e}")  # pytest -s
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-4)


def assert_same_state(left: dict, right: dict):
    assert left.keys() == right.keys()
    for key in left:
        assert left[key].dtype == right[key].dtype, key
        assert torch.equal(left[key], right[key]), key


def merge_lines(path) -> list[str]:
    """The merges of a merges file, without its `#version` line."""
    return [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#version")]


def model_state(folder) -> dict:
    return load_file(folder / "model.safetensors")


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """A reduced release (2 blocks of width 128, the real vocabulary) and its arrays."""
    folder = tmp_path_factory.mktemp("release") / "gpt1"
    return folder, write_release(folder, small_shapes())


@pytest.fixture(scope="module")
def converted(release, tmp_path_factory):
    """The reduced release through the chain original -> ours -> openai-gpt -> ours, and original -> openai-gpt."""
    root = tmp_path_factory.mktemp("converted")
    folders = {"ours": convert(release[0], root / "ours")}
    folders["port"] = convert(folders["ours"], root / "port", to="openai-gpt")
    folders["back"] = convert(folders["port"], root / "back")
    folders["release_port"] = convert(release[0], root / "release_port", to="openai-gpt")
    return folders


def test_sizes_are_read_off_the_shapes(converted):
    config = GPT1Config.from_pretrained(converted["ours"])
    assert (config.num_hidden_layers, config.hidden_size, config.num_attention_heads) == (2, 128, 2)
    assert (config.intermediate_size, config.vocab_size, config.max_position_embeddings) == (512, 40478, 512)


def test_converted_weights_are_the_release_arrays_bit_for_bit(release, converted):
    expected = {}
    for key, value in port_state(release[1]).items():
        conv1d = key.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight"))
        expected[key] = value.t().contiguous() if conv1d else value
    assert_same_state(model_state(converted["ours"]), expected)


def test_converted_model_equals_the_port_holding_the_same_arrays(release, converted):
    assert_matches_port(converted["ours"], release[1], count=300)


def test_full_size_release_equals_the_port_holding_the_same_arrays(tmp_path):
    """Full size (12 x 768, 116,534,784 parameters, 466 MB of shards): about 16 s on 2 CPU cores."""
    arrays = write_release(tmp_path / "release", release_shapes())
    assert sum(array.size for array in arrays) == 116_534_784
    convert(tmp_path / "release", tmp_path / "ours")
    assert_matches_port(tmp_path / "ours", arrays, count=512)
    # 466 MB each, and pytest keeps the temporary folders of the last three runs
    shutil.rmtree(tmp_path / "release")
    shutil.rmtree(tmp_path / "ours")


def test_release_to_ours_to_port_to_ours_is_bit_identical(converted):
    assert_same_state(model_state(converted["back"]), model_state(converted["ours"]))


@pytest.mark.parametrize("port_folder", ["port", "release_port"])
def test_port_folders_hold_the_release_arrays_and_load_in_transformers(port_folder, release, converted):
    folder = converted[port_folder]
    assert json.loads((folder / "config.json").read_text())["model_type"] == "openai-gpt"
    port = OpenAIGPTLMHeadModel.from_pretrained(folder)
    state = {key: value for key, value in port.state_dict().items() if key != "lm_head.weight"}
    assert_same_state(state, port_state(release[1]))
    # the port's tokenizer files are the release's, and transformers' tokenizer reads them
    assert json.loads((folder / "vocab.json").read_text()) == json.loads(VOCAB.read_text())
    assert merge_lines(folder / "merges.txt") == merge_lines(MERGES)
    tokenizer = OpenAIGPTTokenizer.from_pretrained(folder)
    assert tokenizer("hello world")["input_ids"] == [3570, 1276]


def test_ours_to_port_to_ours_is_bit_identical_with_a_classifier(tmp_path):
    """A fine-tuned double-heads model (vocabulary + the 3 fine-tuning tokens) keeps its classifier too."""
    torch.manual_seed(0)
    config = GPT1Config(vocab_size=40481, n_embd=64, n_layer=2, n_head=2, n_positions=32)
    GPT1DoubleHeads(config).save_pretrained(tmp_path / "ours")
    GPT1Tokenizer(VOCAB, MERGES).save_pretrained(tmp_path / "ours")
    convert(tmp_path / "ours", tmp_path / "port", to="openai-gpt")
    convert(tmp_path / "port", tmp_path / "back")
    assert json.loads((tmp_path / "back" / "config.json").read_text())["architectures"] == ["GPT1DoubleHeads"]
    assert_same_state(model_state(tmp_path / "back"), model_state(tmp_path / "ours"))


def test_our_folder_holds_weights_config_code_tokenizer_and_card(converted):
    folder = converted["ours"]
    for name in ("model.safetensors", "config.json", "README.md", *CODE_FILES, *TOKENIZER_FILES):
        assert (folder / name).is_file(), name
    assert not list(folder.glob("*.bin")) and not list(folder.glob("*.npy"))
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "gpt1"
    assert config["auto_map"]["AutoModelForCausalLM"] == "modeling_gpt1.GPT1LMHeadModel"
    tokenizer_config = json.loads((folder / "tokenizer_config.json").read_text())
    assert tokenizer_config["auto_map"]["AutoTokenizer"][0] == "tokenization_gpt1.GPT1Tokenizer"
    # the LM keeps the release's 40,478 rows; the tokenizer knows the fine-tuning tokens after them
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert config["vocab_size"] == tokenizer.vocab_size == 40478
    assert tokenizer.convert_tokens_to_ids(["_start_", "_delimiter_", "_classify_"]) == [40478, 40479, 40480]


def test_readme_carries_the_model_index(converted):
    metadata = metadata_load(converted["ours"] / "README.md")
    assert metadata["library_name"] == "transformers"
    assert "custom_code" in metadata["tags"]
    assert metadata["model-index"][0]["results"]


def test_converted_folder_loads_with_remote_code_in_a_fresh_process(converted, tmp_path):
    assert_loads_with_remote_code(converted["ours"], tmp_path)


def gpt1_convert(*args, cwd) -> subprocess.CompletedProcess:
    """Run the installed console script."""
    script = os.path.join(os.path.dirname(sys.executable), "gpt1-convert")
    return subprocess.run([script, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_console_script_converts_to_the_port_and_back(converted, tmp_path):
    completed = gpt1_convert(converted["ours"], "port", "--to", "openai-gpt", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert_same_state(model_state(tmp_path / "port"), model_state(converted["port"]))
    main([str(tmp_path / "port"), str(tmp_path / "back")])
    assert_same_state(model_state(tmp_path / "back"), model_state(converted["ours"]))


def test_a_port_folder_without_tokenizer_files_gets_gpt1s_released_vocabulary(converted, tmp_path):
    source = tmp_path / "weights_only"
    shutil.copytree(converted["port"], source)
    for name in TOKENIZER_FILES:
        (source / name).unlink(missing_ok=True)
    completed = gpt1_convert(source, "ours", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "has no vocab.json or merges.txt: using GPT-1's released vocabulary" in completed.stderr
    assert_same_state(model_state(tmp_path / "ours"), model_state(converted["ours"]))
    for name in ("vocab.json", "merges.txt"):
        assert (tmp_path / "ours" / name).read_bytes() == (converted["ours"] / name).read_bytes(), name
    # one of the two files alone is a broken folder, not a weights-only one
    (source / "vocab.json").write_bytes((converted["port"] / "vocab.json").read_bytes())
    completed = gpt1_convert(source, "again", cwd=tmp_path)
    assert completed.returncode == 2 and "missing merges.txt" in completed.stderr


def test_console_script_reports_bad_input_in_one_line_with_status_2(release, tmp_path):
    source = tmp_path / "release"
    shutil.copytree(release[0], source)
    (source / "params_4.npy").unlink()
    completed = gpt1_convert(source, "out", cwd=tmp_path)
    assert completed.returncode == 2
    assert "gpt1-convert: error:" in completed.stderr and "params_4.npy" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "out").exists()


def truncate(path, keep: float = 0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def drop_last_values(folder):
    """Rewrite the last shard 10 values short, so the shards no longer add up to the shapes."""
    path = folder / "params_9.npy"
    np.save(path, np.load(path)[:-10])


def edit_shapes(folder, index, shape):
    shapes = json.loads((folder / "params_shapes.json").read_text())
    shapes[index] = shape
    (folder / "params_shapes.json").write_text(json.dumps(shapes))


BAD_RELEASES = {
    "missing shard": (lambda f: (f / "params_7.npy").unlink(), FileNotFoundError, ["params_7.npy"]),
    "truncated shard": (lambda f: truncate(f / "params_3.npy"), ValueError, ["params_3.npy", "not a complete"]),
    "empty shard": (lambda f: truncate(f / "params_0.npy", 0), ValueError, ["params_0.npy"]),
    # h.1.mlp.c_fc.w is array 2 + 12 + 6
    "shape mismatch": (
        lambda f: edit_shapes(f, 20, [1, 128, 500]),
        ValueError,
        ["params_shapes.json", "h.1.mlp.c_fc.w: expected [1, 128, 512]"],
    ),
    "missing vocabulary": (lambda f: (f / "vocab_40000.bpe").unlink(), FileNotFoundError, ["vocab_40000.bpe"]),
}


@pytest.mark.parametrize("case", list(BAD_RELEASES))
def test_bad_release_names_the_file_and_leaves_nothing_behind(case, release, tmp_path):
    spoil, error, words = BAD_RELEASES[case]
    source, parent = tmp_path / "release", tmp_path / "out"
    shutil.copytree(release[0], source)
    parent.mkdir()
    spoil(source)
    with pytest.raises(error) as raised:
        convert(source, parent / "gpt1")
    for word in words:
        assert word in str(raised.value)
    assert list(parent.iterdir()) == []


def test_shards_that_disagree_with_the_shapes_name_both_sizes(release, tmp_path):
    source = tmp_path / "release"
    shutil.copytree(release[0], source)
    drop_last_values(source)
    total = sum(array.size for array in release[1])
    (tmp_path / "out").mkdir()
    with pytest.raises(ValueError, match=f"hold {total - 10:,} values.*need {total:,}"):
        convert(source, tmp_path / "out" / "gpt1")
    assert list((tmp_path / "out").iterdir()) == []


def test_vocabulary_that_disagrees_with_the_model_names_both_sizes(tmp_path):
    shapes = small_shapes()
    shapes[1] = [40000, shapes[1][1]]
    write_release(tmp_path / "release", shapes)
    (tmp_path / "out").mkdir()
    with pytest.raises(ValueError, match=r"encoder_bpe_40000\.json.*40,478 tokens.*40,000 rows"):
        convert(tmp_path / "release", tmp_path / "out" / "gpt1")
    assert list((tmp_path / "out").iterdir()) == []


def test_destination_that_is_not_empty_is_refused_untouched(release, tmp_path):
    (tmp_path / "gpt1").mkdir()
    (tmp_path / "gpt1" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not an empty folder"):
        convert(release[0], tmp_path / "gpt1")
    assert [path.name for path in tmp_path.iterdir()] == ["gpt1"]
    assert [path.name for path in (tmp_path / "gpt1").iterdir()] == ["notes.txt"]


def test_empty_destination_folder_is_filled(release, tmp_path):
    (tmp_path / "gpt1").mkdir()
    convert(release[0], tmp_path / "gpt1", to="openai-gpt")
    assert (tmp_path / "gpt1" / "model.safetensors").is_file()
    assert [path.name for path in tmp_path.iterdir()] == ["gpt1"]


def test_failure_while_writing_leaves_nothing_behind(release, tmp_path, monkeypatch):
    def fail(folder):
        raise OSError(f"{folder}: disk full")

    monkeypatch.setattr(modeling_gpt1.convert, "write_card", fail)
    with pytest.raises(OSError, match="disk full"):
        convert(release[0], tmp_path / "gpt1")
    assert list(tmp_path.iterdir()) == []


def test_failure_removes_the_parent_folders_it_made(release, tmp_path, monkeypatch):
    monkeypatch.setattr(modeling_gpt1.convert, "write_card", lambda folder: (_ for _ in ()).throw(OSError("full")))
    with pytest.raises(OSError, match="full"):
        convert(release[0], tmp_path / "new" / "deeper" / "gpt1")
    assert list(tmp_path.iterdir()) == []


def test_a_hub_repo_id_is_downloaded_first(converted, tmp_path, monkeypatch):
    asked = []

    def snapshot_download(repo_id):
        asked.append(repo_id)
        return str(converted["port"])

    monkeypatch.setattr(modeling_gpt1.convert.huggingface_hub, "snapshot_download", snapshot_download)
    convert("openai-community/openai-gpt", tmp_path / "gpt1")
    assert asked == ["openai-community/openai-gpt"]
    assert_same_state(model_state(tmp_path / "gpt1"), model_state(converted["back"]))


def test_a_hub_repo_id_that_cannot_be_fetched_is_named(tmp_path, monkeypatch):
    def snapshot_download(repo_id):
        raise OSError("no network")

    monkeypatch.setattr(modeling_gpt1.convert.huggingface_hub, "snapshot_download", snapshot_download)
    with pytest.raises(ValueError, match="openai-community/openai-gpt: not a local folder.*no network"):
        convert("openai-community/openai-gpt", tmp_path / "gpt1")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "damage, error, message",
    [
        (lambda folder: (folder / "config.json").write_text("[1, 2]"), ValueError, r"config\.json: not a JSON object"),
        (lambda folder: truncate(folder / "model.safetensors"), OSError, r"model\.safetensors is not a readable"),
    ],
)
def test_damaged_folder_of_ours_is_named(converted, tmp_path, damage, error, message):
    folder = tmp_path / "damaged"
    shutil.copytree(converted["ours"], folder)
    damage(folder)
    with pytest.raises(error, match=message):
        convert(folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_layout_and_target_are_refused(release, tmp_path):
    with pytest.raises(ValueError, match="neither the original release"):
        convert(tmp_path, tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        convert(tmp_path / "absent", tmp_path / "out")
    with pytest.raises(ValueError, match="to='gpt2'"):
        convert(release[0], tmp_path / "out", to="gpt2")
