"""The accelerate config files of examples/accelerate, read by accelerate's own loader."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from accelerate.commands.config.config_args import ClusterConfig, load_config_from_file
from accelerate.utils import DistributedType, FullyShardedDataParallelPlugin

from modeling_gpt1 import GPT1LMHeadModel
from modeling_gpt1.modeling_gpt1 import GPT1Block

CONFIGS = Path(__file__).resolve().parents[1] / "examples" / "accelerate"

# file -> (distributed_type, num_processes, mixed_precision, use_cpu)
EXPECTED = {
    "one_gpu.yaml": (DistributedType.NO, 1, "bf16", False),
    "multi_gpu.yaml": (DistributedType.MULTI_GPU, 8, "bf16", False),
    "fsdp.yaml": (DistributedType.FSDP, 8, "bf16", False),
    # the MULTI_GPU launcher starts the processes; ACCELERATE_USE_CPU=true makes them CPU + gloo (see the file)
    "cpu_2proc.yaml": (DistributedType.MULTI_GPU, 2, "no", True),
    # mixed precision is set in its DeepSpeed file
    "deepspeed.yaml": (DistributedType.DEEPSPEED, 8, None, False),
}


def test_every_config_file_is_checked():
    assert sorted(path.name for path in CONFIGS.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_config_loads_with_accelerate(name):
    config = load_config_from_file(str(CONFIGS / name))
    assert isinstance(config, ClusterConfig)
    assert (config.distributed_type, config.num_processes, config.mixed_precision, config.use_cpu) == EXPECTED[name]
    assert config.num_machines == 1


@pytest.mark.parametrize("name", EXPECTED)
def test_config_has_the_keys_accelerate_writes(name):
    """Saving the loaded config with accelerate gives the file back: no key missing, none unknown."""
    path = CONFIGS / name
    assert load_config_from_file(str(path)).to_dict() == yaml.safe_load(path.read_text())


def test_fsdp_wraps_the_model_block(tiny_config):
    fsdp = load_config_from_file(str(CONFIGS / "fsdp.yaml")).fsdp_config
    assert fsdp["fsdp_transformer_layer_cls_to_wrap"] == GPT1Block.__name__
    assert fsdp["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"
    # full shard: FSDP2 reshards the parameters after the forward pass
    assert (fsdp["fsdp_version"], fsdp["fsdp_reshard_after_forward"]) == (2, True)
    assert fsdp["fsdp_state_dict_type"] == "FULL_STATE_DICT"

    # accelerate finds the class by its name in a real model
    plugin = FullyShardedDataParallelPlugin(
        fsdp_version=fsdp["fsdp_version"],
        auto_wrap_policy=fsdp["fsdp_auto_wrap_policy"].lower(),
        transformer_cls_names_to_wrap=fsdp["fsdp_transformer_layer_cls_to_wrap"].split(","),
    )
    plugin.set_auto_wrap_policy(GPT1LMHeadModel(tiny_config))
    assert plugin.auto_wrap_policy.keywords["transformer_layer_cls"] == {GPT1Block}


PROBE = """
import json

import torch
import torch.distributed as dist
from accelerate import Accelerator

accelerator = Accelerator()
ranks = accelerator.gather(torch.tensor([accelerator.process_index])).tolist()
if accelerator.is_main_process:
    print(json.dumps([str(accelerator.distributed_type), dist.get_backend(), accelerator.device.type, ranks]))
# without it, gloo sometimes aborts a process at exit ("terminate called without an active exception")
accelerator.end_training()
"""


def test_cpu_config_launches_two_gloo_processes(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    done = subprocess.run(
        [sys.executable, "-m", "accelerate.commands.accelerate_cli", "launch"]
        + ["--config_file", str(CONFIGS / "cpu_2proc.yaml"), str(probe)],
        env={**os.environ, "ACCELERATE_USE_CPU": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == ["DistributedType.MULTI_CPU", "gloo", "cpu", [0, 1]]


def test_deepspeed_file_leaves_the_batch_to_the_scripts():
    """ZeRO-2 in bf16; the batch sizes and accumulation are "auto", filled by Accelerate from the script."""
    config = load_config_from_file(str(CONFIGS / "deepspeed.yaml")).deepspeed_config
    path = CONFIGS.parent.parent / config["deepspeed_config_file"]  # relative to the repository root
    settings = json.loads(path.read_text())
    assert settings["zero_optimization"]["stage"] == 2 and settings["bf16"] == {"enabled": True}
    for name in ("gradient_accumulation_steps", "train_batch_size", "train_micro_batch_size_per_gpu"):
        assert settings[name] == "auto", name
    assert settings["gradient_clipping"] == 1.0
