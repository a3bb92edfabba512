"""Training throughput: FLOPs per token and the GPUs' peaks, for the MFU that pretraining and the benchmarks show."""

import re

import torch

# dense bf16 tensor-core peaks (FLOP/s) by words of the device name, first match, for the MFU shown on GPUs;
# `--peak_tflops` gives another
PEAK_FLOPS = [
    ({"H100", "PCIe"}, 756e12),
    ({"H100"}, 989e12),
    ({"H200"}, 989e12),
    ({"GH200"}, 989e12),
    ({"A100"}, 312e12),
    ({"A10"}, 125e12),
    ({"L4"}, 121e12),
]


def flops_per_token(config, num_parameters: int, sequence_length: int) -> float:
    """Training FLOPs per token by PaLM's formula (appendix B): 6 per parameter, plus 12 x layers x width x T for
    attention (width = heads x head size)."""
    return 6 * num_parameters + 12 * config.num_hidden_layers * config.hidden_size * sequence_length


def peak_flops(device: torch.device, peak_tflops: float | None = None) -> float | None:
    """One device's peak FLOP/s for MFU: `peak_tflops` when given, or the table's for a known GPU; None otherwise."""
    if peak_tflops:
        return peak_tflops * 1e12
    if device.type != "cuda":
        return None
    words = set(re.split(r"[\s\-]+", torch.cuda.get_device_name(device)))
    return next((flops for names, flops in PEAK_FLOPS if names <= words), None)
