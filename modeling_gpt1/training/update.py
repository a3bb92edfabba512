"""One micro-batch of an accumulated update, the step that pretraining and fine-tuning share."""

import torch
from accelerate import Accelerator


def micro_batch_step(
    accelerator: Accelerator, model, optimizer: torch.optim.Optimizer, inputs: dict, max_grad_norm: float
) -> dict[str, torch.Tensor]:
    """Forward and backward of one micro-batch under `accelerator.accumulate`; on the last micro-batch of an update
    (`accelerator.sync_gradients`) the gradients are clipped to `max_grad_norm` and the optimizer steps, on the
    others Accelerate skips the step and the zeroing. The outputs' losses (`loss`, and `mc_loss`/`lm_loss` where the
    model computed them), detached."""
    with accelerator.accumulate(model):
        outputs = model(**inputs)
        # the losses only: the logits are not kept through the backward pass
        losses = {name: value for name, value in outputs.items() if name.endswith("loss")}
        del outputs
        accelerator.backward(losses["loss"])
        if accelerator.sync_gradients:
            accelerator.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        optimizer.zero_grad()
    return {name: value.detach() for name, value in losses.items()}
