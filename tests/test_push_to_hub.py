"""Pushing a converted folder to the Hub with `HfApi().upload_folder`, up to the network.

The upload reaches the Hub at three points, faked here: creating the repository, validating the card's
metadata and the commit. Without `hf_xet` the folder goes up as one commit, whose files are recorded and
written to a new local folder, which must load back through the Auto classes with `trust_remote_code`.
`model.push_to_hub` would not do: transformers replaces README.md by the Hub's card or a blank one.
"""

import shutil
import types

import huggingface_hub
import pytest
from huggingface_hub import HfApi, ModelCard
from huggingface_hub.repocard import metadata_load
from release_checkpoint import needs_gpt1_data, small_shapes, write_release
from remote_code import assert_loads_with_remote_code

from modeling_gpt1.convert import convert

pytestmark = needs_gpt1_data

REPO_ID = "org/gpt1-repro"
EXPECTED_FILES = {
    "model.safetensors",
    "config.json",
    "generation_config.json",
    "configuration_gpt1.py",
    "modeling_gpt1.py",
    "tokenization_gpt1.py",
    "vocab.json",
    "merges.txt",
    "tokenizer_config.json",
    "README.md",
}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Our folder converted from a reduced release (2 blocks of width 128, the real vocabulary)."""
    root = tmp_path_factory.mktemp("push")
    write_release(root / "release", small_shapes())
    return convert(root / "release", root / "gpt1-repro")


@pytest.fixture
def fake_hub(monkeypatch):
    """Record what `upload_folder` would send: the card's metadata and the commit's files, by repository."""
    sent = {"cards": [], "commits": {}}

    def create_repo(self, repo_id, **kwargs):
        return huggingface_hub.RepoUrl(f"https://huggingface.co/{repo_id}")

    def validate_yaml(self, content, **kwargs):
        ModelCard(content)  # what the Hub checks: the metadata parses
        sent["cards"].append(content)

    def create_commit(self, repo_id, operations, **kwargs):
        sent["commits"][repo_id] = {operation.path_in_repo: operation.path_or_fileobj for operation in operations}
        return types.SimpleNamespace(commit_url=f"https://huggingface.co/{repo_id}/commit/0")

    monkeypatch.setattr(HfApi, "create_repo", create_repo)
    monkeypatch.setattr(HfApi, "_validate_yaml", validate_yaml)
    monkeypatch.setattr(HfApi, "create_commit", create_commit)
    # with hf_xet, uploads stream in batches straight over HTTP; without it, one create_commit
    monkeypatch.setattr(huggingface_hub.hf_api, "is_xet_available", lambda: False)
    return sent


@pytest.fixture
def uploaded(converted, fake_hub, tmp_path):
    """The converted folder pushed as the docs say, then the commit's files written to a new folder."""
    api = HfApi()
    api.create_repo(REPO_ID, exist_ok=True)
    api.upload_folder(folder_path=converted, repo_id=REPO_ID)
    folder = tmp_path / "downloaded"
    folder.mkdir()
    for path_in_repo, source in fake_hub["commits"][REPO_ID].items():
        shutil.copy(source, folder / path_in_repo)
    return folder


def test_upload_holds_weights_config_code_tokenizer_and_card(converted, uploaded, fake_hub):
    assert {path.name for path in uploaded.iterdir()} == {path.name for path in converted.iterdir()}
    assert {path.name for path in uploaded.iterdir()} >= EXPECTED_FILES
    for path in uploaded.iterdir():
        assert path.read_bytes() == (converted / path.name).read_bytes(), path.name
    (card,) = fake_hub["cards"]
    assert card == (converted / "README.md").read_text(encoding="utf-8")
    assert metadata_load(uploaded / "README.md")["model-index"]


def test_uploaded_files_load_back_with_remote_code(uploaded, tmp_path):
    workdir = tmp_path / "user"
    workdir.mkdir()
    assert_loads_with_remote_code(uploaded, workdir)
