"""Runs of the fine-tuning scripts as users start them, for test_run_glue.py and test_run_multiple_choice.py.

Each run is a fresh process from the repository root, offline: `python examples/<script>` for one process, or
`accelerate launch` with examples/accelerate/cpu_2proc.yaml for two CPU processes (gloo). The starting point is a
tiny GPT-1 saved as a plain LM with the real tokenizer, so the scripts add the three fine-tuning tokens.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from shared_data import MERGES, REPO, VOCAB, require
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel, GPT1Tokenizer

EXAMPLES = REPO / "examples"
CPU_2PROC = EXAMPLES / "accelerate" / "cpu_2proc.yaml"
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
# every dropout off, so that one and two processes compute the same function
NO_DROPOUT = {"embd_pdrop": 0.0, "attn_pdrop": 0.0, "resid_pdrop": 0.0, "classifier_dropout": 0.0}
TIMEOUT = 600


def save_plain_lm(folder: Path) -> Path:
    """A tiny GPT-1 LM (width 32, 2 layers, 128 positions) without the fine-tuning tokens, and the real tokenizer."""
    tokenizer = GPT1Tokenizer(require(VOCAB), require(MERGES))
    torch.manual_seed(0)
    config = GPT1Config(vocab_size=tokenizer.vocab_size, n_embd=32, n_layer=2, n_head=2, n_positions=128, **NO_DROPOUT)
    GPT1LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def command(script: str, args, processes: int = 1) -> list[str]:
    """The command line of `examples/<script>` with `args`, on one process or on two through accelerate."""
    args = [str(arg) for arg in args]
    if processes == 1:
        return [sys.executable, str(EXAMPLES / script), *args]
    assert processes == 2, "cpu_2proc.yaml starts two processes"
    launcher = [sys.executable, "-m", "accelerate.commands.accelerate_cli", "launch", "--config_file", str(CPU_2PROC)]
    return [*launcher, str(EXAMPLES / script), *args]


def environment(processes: int = 1) -> dict:
    # cpu_2proc.yaml's launcher needs ACCELERATE_USE_CPU to make its processes CPU + gloo (see the file)
    return {**os.environ, **OFFLINE, **({"ACCELERATE_USE_CPU": "true"} if processes > 1 else {})}


def run(script: str, args, processes: int = 1) -> subprocess.CompletedProcess:
    """Run a script to its end; its stdout and stderr are kept as text."""
    return subprocess.run(
        command(script, args, processes),
        cwd=REPO,
        env=environment(processes),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def run_ok(script: str, args, processes: int = 1) -> str:
    """Run a script that must succeed; its stdout and stderr together."""
    done = run(script, args, processes)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-5000:]
    return log


def run_killed_after_first_epoch(script: str, args, output_dir: Path) -> int:
    """Start a one-process run and SIGKILL it as soon as its `checkpoint-epoch-1` is in place (the folder is
    renamed into place complete); the process's return code."""
    return run_killed_after(script, args, output_dir / "checkpoint-epoch-1")


def run_killed_after(script: str, args, checkpoint: Path) -> int:
    """Start a one-process run and SIGKILL it as soon as the folder `checkpoint` is in place; its return code."""
    process = subprocess.Popen(
        command(script, args), cwd=REPO, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + TIMEOUT
    while not checkpoint.is_dir() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    stderr = process.communicate()[1].decode(errors="replace")
    assert checkpoint.is_dir(), f"the run ended without {checkpoint.name}:\n{stderr[-3000:]}"
    return process.returncode


def results(output_dir: Path) -> dict:
    return json.loads((output_dir / "all_results.json").read_text())


def predictions(output_dir: Path, split: str = "validation") -> list[dict]:
    """The rows of `predictions_<split>.jsonl`."""
    lines = (output_dir / f"predictions_{split}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def event_files(output_dir: Path) -> list[Path]:
    return sorted(output_dir.rglob("events.out.tfevents.*"))


def train_losses(output_dir: Path, tag: str = "train_loss") -> list[tuple[int, float]]:
    """The `tag` scalars of every TensorBoard event file in the output folder, as (step, value)."""
    losses = []
    for path in event_files(output_dir):
        events = EventAccumulator(str(path), size_guidance={"scalars": 0})
        events.Reload()
        if tag in events.Tags()["scalars"]:
            losses += [(event.step, event.value) for event in events.Scalars(tag)]
    return sorted(losses)


def weights(path: Path) -> dict[str, torch.Tensor]:
    return load_file(path)


def write_earlier_outputs(output_dir: Path) -> Path:
    """What an earlier run leaves in its output folder (results, predictions), for a failing run to leave alone."""
    output_dir.mkdir(parents=True)
    (output_dir / "all_results.json").write_text(json.dumps({"train_steps": 4, "eval_accuracy": 0.75}, indent=2))
    (output_dir / "predictions_validation.jsonl").write_text('{"id": "0", "prediction": 1, "label": 1}\n')
    return output_dir


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes), to tell whether a run changed anything there."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def assert_clean_error(done: subprocess.CompletedProcess, *parts: str):
    """A failure with a message of one line holding each of `parts`, and no traceback."""
    assert done.returncode != 0, done.stdout[-3000:]
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    # argparse's own errors come after its usage lines; the last line is the error either way
    error = lines[-1]
    assert "error: " in error, done.stderr
    for part in parts:
        assert str(part) in error, f"{part!r} not in {error!r}"


def stopped_with_error(main, argv, capsys) -> str:
    """The one-line error of a script's `main(argv)` that stops before its work, run in this process."""
    with pytest.raises(SystemExit) as stopped:
        main([str(arg) for arg in argv])
    message = stopped.value.code if isinstance(stopped.value.code, str) else capsys.readouterr().err
    return message.strip().splitlines()[-1]
