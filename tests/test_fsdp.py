"""FSDP2 for real on two CPU processes (gloo): PyTorch's `fully_shard` over the units `examples/accelerate/fsdp.yaml`
names (one per `GPT1Block`, then the root), a few AdamW steps against a one-process reference on the same global
batch, the full state dict gathered and round-tripped through `save_pretrained` / `from_pretrained`.

Accelerate cannot be used for this on CPU: with `use_cpu` it turns an FSDP config into plain DDP. The sharding,
the reduce-scatter of gradients and the gathering of the state dict are PyTorch's own, as under `fsdp.yaml` on GPUs.
"""

import json
import socket
import subprocess
import sys

import yaml
from shared_data import REPO

WORKER = r"""
import copy, json, sys

import torch
import torch.distributed as dist
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
from torch.distributed.fsdp import FSDPModule, fully_shard
from torch.distributed.tensor import DTensor

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel
from modeling_gpt1.modeling_gpt1 import GPT1Block

output_dir, block_class = sys.argv[1], sys.argv[2]
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
no_dropout = {"embd_pdrop": 0.0, "attn_pdrop": 0.0, "resid_pdrop": 0.0}
config = GPT1Config(vocab_size=96, n_embd=32, n_layer=3, n_head=2, n_positions=32, **no_dropout)
torch.manual_seed(0)
model = GPT1LMHeadModel(config)
reference = copy.deepcopy(model)  # the same initial weights, trained in one process on the whole batch

assert GPT1Block.__name__ == block_class  # the class fsdp.yaml wraps
for block in model.transformer.h:
    fully_shard(block)
fully_shard(model)
units = sum(isinstance(module, FSDPModule) for module in model.modules())
sharded = all(isinstance(parameter, DTensor) for parameter in model.parameters())
tied = model.lm_head.weight is model.transformer.tokens_embed.weight

optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01, fused=True)  # as the scripts
reference_optimizer = torch.optim.AdamW(reference.parameters(), lr=1e-2, weight_decay=0.01, fused=True)
generator = torch.Generator().manual_seed(1)
losses = []
for step in range(3):
    batch = torch.randint(0, config.vocab_size, (2 * world, 16), generator=generator)
    mine = batch.chunk(world)[rank]  # each process its share of the global batch
    loss = model(mine, labels=mine).loss
    loss.backward()  # FSDP averages the gradients over the processes
    optimizer.step()
    optimizer.zero_grad()
    reference_loss = reference(batch, labels=batch).loss
    reference_loss.backward()
    reference_optimizer.step()
    reference_optimizer.zero_grad()
    losses.append(loss.detach())

# the mean of the processes' losses is the whole batch's (equal shares of equal length)
dist.all_reduce(mean_loss := torch.stack(losses), op=dist.ReduceOp.AVG)
full = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
if rank == 0:
    expected = reference.state_dict()
    gap = max((full[name] - expected[name]).abs().max().item() for name in expected)
    restored = GPT1LMHeadModel(config)
    restored.load_state_dict(full)
    restored.save_pretrained(output_dir)
    loaded = GPT1LMHeadModel.from_pretrained(output_dir).eval()
    probe = torch.randint(0, config.vocab_size, (2, 16), generator=generator)
    with torch.no_grad():
        logits_gap = (loaded(probe).logits - reference.eval()(probe).logits).abs().max().item()
    print(json.dumps({
        "units": units, "sharded": sharded, "tied": tied, "keys": sorted(full) == sorted(expected),
        "parameter_gap": gap, "logits_gap": logits_gap,
        "loss_gap": (mean_loss[-1] - reference_loss.detach()).abs().item(),
        "tied_after_loading": loaded.lm_head.weight is loaded.transformer.tokens_embed.weight,
    }))
dist.barrier()  # rank 1 waits for rank 0's save and load: tearing gloo down alone aborts the process (seen)
dist.destroy_process_group()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_fully_sharded_training_matches_one_process_and_saves_an_ordinary_checkpoint(tmp_path):
    block_class = yaml.safe_load((REPO / "examples" / "accelerate" / "fsdp.yaml").read_text())["fsdp_config"][
        "fsdp_transformer_layer_cls_to_wrap"
    ]
    (tmp_path / "worker.py").write_text(WORKER)
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    launcher += ["--master_addr", "127.0.0.1", "--master_port", str(free_port())]
    done = subprocess.run(
        [*launcher, str(tmp_path / "worker.py"), str(tmp_path / "saved"), block_class],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["units"] == 3 + 1  # a unit per block, then the root holding the embeddings and the tied head
    assert report["sharded"] and report["tied"] and report["keys"] and report["tied_after_loading"]
    # Adam divides by the gradients' running norm, which lifts float rounding; unsynced gradients would be ~1e-2 off
    assert report["parameter_gap"] < 5e-5
    assert report["loss_gap"] < 1e-5
    assert report["logits_gap"] < 1e-5
