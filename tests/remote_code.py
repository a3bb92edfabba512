"""Load a saved GPT-1 folder through the Auto classes with `trust_remote_code=True` in a fresh interpreter
that never imports `modeling_gpt1`: what a Hub user without the package gets."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from modeling_gpt1 import GPT1LMHeadModel, GPT1Tokenizer

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import torch
    import transformers

    folder, saved = sys.argv[1], torch.load(sys.argv[2])
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, trust_remote_code=True)
    results = {
        "AutoTokenizer": {"class": type(tokenizer).__name__, "module": type(tokenizer).__module__},
        "ids": tokenizer(saved["text"])["input_ids"],
    }
    for name, output in (("AutoModel", "last_hidden_state"), ("AutoModelForCausalLM", "logits")):
        model = getattr(transformers, name).from_pretrained(folder, trust_remote_code=True).eval()
        with torch.no_grad():
            got = model(saved["input_ids"])[output]
        results[name] = {
            "class": type(model).__name__,
            "module": type(model).__module__,
            "max_diff": float((got - saved[output]).abs().max()),
        }
    results["imported_modeling_gpt1"] = any(m.split(".")[0] == "modeling_gpt1" for m in sys.modules)
    print(json.dumps(results))
    """
)
EXPECTED_CLASSES = {
    "AutoTokenizer": "GPT1Tokenizer",
    "AutoModel": "GPT1Model",
    "AutoModelForCausalLM": "GPT1LMHeadModel",
}


def run_fresh_python(script: str, *args: str, workdir: Path, stdin: str | None = None, env: dict | None = None):
    """Run `script` in a fresh interpreter with `workdir` as its folder, so that it cannot import this
    repository's `modeling_gpt1`; return the JSON of its last printed line. By default it runs offline, with
    `workdir` as its module cache; `env` replaces that environment."""
    if env is None:
        env = {**os.environ, "HF_MODULES_CACHE": str(workdir / "modules"), "HF_HUB_OFFLINE": "1"}
        env.pop("PYTHONPATH", None)
    completed = subprocess.run(
        [sys.executable, "-c", script, *args],
        input=stdin,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def assert_loads_with_remote_code(folder: Path, workdir: Path, text: str = "I don't think it's U.S. policy."):
    """The fresh process gets our classes from the folder's code, the same ids for `text` and the same outputs."""
    tokenizer = GPT1Tokenizer.from_pretrained(folder)
    model = GPT1LMHeadModel.from_pretrained(folder).eval()
    # a plain LM has no rows for the fine-tuning tokens the tokenizer adds by default
    input_ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        expected = {"logits": model(input_ids).logits, "last_hidden_state": model.transformer(input_ids)[0]}
    torch.save({"text": text, "input_ids": input_ids, **expected}, workdir / "expected.pt")
    results = run_fresh_python(SCRIPT, str(folder), str(workdir / "expected.pt"), workdir=workdir)
    assert results["imported_modeling_gpt1"] is False
    assert results["ids"] == tokenizer(text)["input_ids"]
    for auto_name, class_name in EXPECTED_CLASSES.items():
        assert results[auto_name]["class"] == class_name
        assert results[auto_name]["module"].startswith("transformers_modules.")
    assert results["AutoModel"]["max_diff"] <= 1e-6 and results["AutoModelForCausalLM"]["max_diff"] <= 1e-6
