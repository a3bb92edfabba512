"""The model card: Hub metadata that parses back, the paper's figures labelled as the paper's and equal to
SPEC §6, body tables that agree with the model-index, every section, and a checked-in hub_card.md that is current."""

from pathlib import Path

import pytest
from huggingface_hub import ModelCard
from huggingface_hub.repocard_data import model_index_to_eval_results

from modeling_gpt1.hub_card import (
    MEASURED,
    MEASURED_SOURCE,
    MODEL_NAME,
    PAPER,
    PAPER_SOURCE,
    PAPER_URL,
    main,
    render_card,
    write_card,
)

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "SPEC.md"
SECTIONS = [
    "## What GPT-1 is",
    "## How to load it",
    "### With the package installed",
    "### Without the package (`trust_remote_code=True`)",
    "## Tokenizer",
    "## How to fine-tune",
    "## How it differs from transformers' port",
    "## Results",
    "### Measured by this project",
    "### The paper's numbers",
    "## Limitations",
    "## Citation",
]
# SPEC §6's metric column -> the Hub metric id the card uses
SPEC_METRICS = {"acc": "accuracy", "Matthews corr.": "matthews_correlation", "F1": "f1", "Pearson": "pearsonr"}


@pytest.fixture(scope="module")
def card() -> ModelCard:
    return ModelCard(render_card())


@pytest.fixture(scope="module")
def eval_results(card):
    name, results = model_index_to_eval_results(card.data.to_dict()["model-index"])
    assert name == MODEL_NAME
    return results


def spec_results() -> dict[str, tuple[str, float]]:
    """SPEC §6's table as {task: (Hub metric id, value)}, rows such as `RACE-m / RACE-h / RACE` split apart."""
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is absent: the paper's numbers cannot be compared with SPEC §6")
    section = SPEC.read_text(encoding="utf-8").split("\n## 6.", 1)[1].split("\n## ", 1)[0]
    results = {}
    for line in section.splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        tasks, metric, values = (cell.strip() for cell in line.strip().strip("|").split("|"))
        if tasks == "task":
            continue
        for task, value in zip(tasks.split(" / "), values.split(" / "), strict=True):
            results[task] = (SPEC_METRICS.get(metric, "glue_score"), float(value))
    return results


def table_rows(body: str) -> list[list[str]]:
    """The cells of every markdown table row in `body`, pipes escaped as `\\|` kept inside their cell."""
    rows = []
    for line in body.splitlines():
        if line.startswith("| ") and line.endswith(" |"):
            cells = line[2:-2].replace("\\|", "\0").split(" | ")
            rows.append([cell.replace("\0", "|") for cell in cells])
    return rows


def test_card_metadata_parses_with_huggingface_hub(card):
    data = card.data
    assert data.library_name == "transformers"
    assert data.license == "mit"
    assert data.language == "en"
    assert data.pipeline_tag == "text-generation"
    assert {"custom_code", "gpt1", "openai-gpt", "text-generation"} <= set(data.tags)
    assert {"bookcorpus/bookcorpus", "nyu-mll/glue", "LSDSem/story_cloze", "ehovy/race"} <= set(data.datasets)


def test_model_index_parses_back_into_the_results_of_the_card(card, eval_results):
    expected = [result.eval_result() for result in MEASURED + PAPER]
    # the model-index groups results by (task, dataset, config, split, revision) and keeps one source per
    # group, so each result must have its own, or it would take another's source
    identifiers = [result.unique_identifier for result in expected]
    assert len(set(identifiers)) == len(identifiers)
    assert eval_results == expected
    assert card.data.eval_results == expected


def test_paper_results_are_labelled_as_the_papers_and_measured_ones_are_not(eval_results):
    paper = [r for r in eval_results if r.source_name == PAPER_SOURCE]
    measured = [r for r in eval_results if r.source_name != PAPER_SOURCE]
    assert [r.task_name for r in paper] == [r.task for r in PAPER]
    assert [r.task_name for r in measured] == [r.task for r in MEASURED]
    for result in paper:
        assert result.source_url == PAPER_URL
        assert result.dataset_split == "test"
    for result in measured:
        assert result.source_name.startswith(f"{MEASURED_SOURCE}: ")
        assert "paper" not in result.source_name.lower()
        assert result.source_url != PAPER_URL


def test_paper_numbers_equal_spec_section_6(eval_results):
    expected = spec_results()
    assert {r.task: (r.metric, r.value) for r in PAPER} == expected
    in_card = {r.task_name: (r.metric_type, r.metric_value) for r in eval_results if r.source_name == PAPER_SOURCE}
    assert in_card == expected


def test_body_tables_show_the_model_index_figures(card):
    rows = table_rows(card.text)
    for result in MEASURED:
        how = result.how.removeprefix(f"{MEASURED_SOURCE}: ")
        assert [result.task, result.dataset, result.metric_name, str(result.value), how] in rows
    measured = {(r.task, r.metric) for r in MEASURED}
    for result in PAPER:
        row = next(row for row in rows if row[0] == result.task and row[2] == result.metric_name)
        assert row[:4] == [result.task, f"{result.dataset} ({result.split})", result.metric_name, str(result.value)]
        if (result.task, result.metric) not in measured:
            assert row[4] == "not measured yet"


def test_body_has_every_section_in_order(card):
    lines = card.text.splitlines()
    positions = [lines.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)
    assert "@article{radford2018improving," in card.text
    assert 'from_pretrained("org/gpt1-repro", trust_remote_code=True)' in card.text
    assert "encode_task" in card.text and "add_special_tokens" not in card.text
    assert "accelerate launch examples/run_glue.py --model_name_or_path org/gpt1-repro --task_name rte" in card.text


def test_write_card_writes_readme_equal_to_render_card(tmp_path):
    path = write_card(tmp_path)
    assert path == tmp_path / "README.md"
    assert path.read_text(encoding="utf-8") == render_card()


def test_module_entry_point_writes_the_card(tmp_path):
    main([str(tmp_path / "card.md")])
    assert (tmp_path / "card.md").read_text(encoding="utf-8") == render_card()


def test_checked_in_hub_card_is_current():
    checked_in = (ROOT / "hub_card.md").read_text(encoding="utf-8")
    assert checked_in == render_card(), "hub_card.md is stale: run `python -m modeling_gpt1.hub_card`"
