"""GPT-1 (Radford et al., 2018, "Improving Language Understanding by Generative Pre-Training").

A 12-layer decoder-only Transformer: token + learned position embeddings, then blocks of masked
self-attention and a GELU MLP. Where it departs from GPT-2: each block normalises AFTER its
residual sums (`ln_1(x + attn(x))`, `ln_2(n + mlp(n))`), there is no final LayerNorm, no
residual-scaled init, 512 positions and a 40,478-token BPE vocabulary. GPT-2's pre-LN blocks with a final
LayerNorm and its scaled init are config options (`pre_layer_norm`, `scale_residual_init`), off by default. So is
GPT-3's attention, dense and locally banded layers in turn (`layer_types`, `sliding_window`, as transformers'
Mistral and Gemma 2 name them): a local layer's query sees only the `sliding_window` latest keys, itself included,
through a banded mask from transformers' mask helpers, and the KV cache keeps only those keys for it.

Where it departs from transformers' port (`models/openai`), which it otherwise matches number for
number: attention goes through transformers' backends (SDPA by default, eager, flash, flex) rather
than a hand-built masked matmul; there is a KV cache for generation; blocks support gradient
checkpointing; projections are `nn.Linear` (the port's Conv1D weights are transposed on
conversion); position ids follow the padding mask, so left-padded batches are right; and
`GPT1DoubleHeads` is the paper's fine-tuning model, with the auxiliary LM loss of L3 = L2 + lambda L1.
"""

import copy
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from torch import nn
from transformers import GenerationMixin, PreTrainedModel
from transformers import initialization as init
from transformers.activations import ACT2FN
from transformers.cache_utils import Cache, DynamicCache
from transformers.masking_utils import BlockMask, create_causal_mask, create_sliding_window_causal_mask
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_outputs import BaseModelOutputWithPast, CausalLMOutputWithPast
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS, slice_logits_to_keep
from transformers.utils import ModelOutput, can_return_tuple, is_torchdynamo_compiling, logging
from transformers.utils.generic import merge_with_config_defaults
from transformers.utils.output_capturing import OutputRecorder, capture_outputs

from .configuration_gpt1 import GPT1Config

logger = logging.get_logger(__name__)

IGNORE_INDEX = -100
# rows of LM logits the fine-tuning LM loss holds at once: 1,024 x 40,481 fp32 logits are 166 MB
LM_LOSS_CHUNK_ROWS = 1024
# rows of fp32 temporaries the pretraining loss holds at once over given logits: 128 x 40,478 are 21 MB
LOGITS_CHUNK_ROWS = 128
# the index dtypes nn.Embedding and tensor indexing both take
INDEX_DTYPES = (torch.int64, torch.int32)

# the mask helper of each layer type: causal for dense layers, banded causal for local ones
MASK_FUNCTIONS = {"full_attention": create_causal_mask, "sliding_attention": create_sliding_window_causal_mask}
# transformers 5.24 renamed the KV cache `past_key_values` -> `cache`: as a forward argument, as an output field and
# in the mask helpers (called positionally here). The outputs carry it under this version's name.
CACHE_FIELD = "cache" if "cache" in BaseModelOutputWithPast.__dataclass_fields__ else "past_key_values"


def cache_argument(cache: Cache | None, kwargs: dict) -> Cache | None:
    """The cache, passed as `cache` or, as transformers before 5.24 passes it, `past_key_values` (out of kwargs)."""
    old_name = kwargs.pop("past_key_values", None)
    if old_name is not None and cache is not None:
        raise ValueError("the cache was passed twice: as `cache` and as `past_key_values` (its name before 5.24)")
    return cache if cache is not None else old_name


def dropout_mask(shape: torch.Size, p: float, device: torch.device) -> torch.Tensor:
    """Boolean mask, True with probability p (rounded to 1/65536), cut from 64-bit random draws.

    Drawing a float per element is most of what dropout costs on CPU; one draw over the whole 64-bit
    range gives four uniform 16-bit values instead, compared in place as int16.
    """
    if is_torchdynamo_compiling():
        return torch.rand(shape, device=device) < p  # dynamo cannot trace the in-place random_
    numel = math.prod(shape)
    draws = torch.empty(-(-numel // 4), dtype=torch.int64, device=device).random_(torch.iinfo(torch.int64).min, None)
    # [draws] -> [4 * draws] int16, each uniform over [-32768, 32768)
    return (draws.view(torch.int16)[:numel] < round(p * 65536) - 32768).view(shape)


def zeroed(dropped: torch.Tensor, tensor: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """`tensor` with the `dropped` elements set to 0: one pass. The zero is a 0-dim tensor of `tensor`'s dtype: given
    as a Python number, `torch.where` runs a promoting loop that takes twice as long on CPU."""
    return torch.where(dropped, tensor.new_zeros(()), tensor, out=out)


class Dropout(nn.Dropout):
    """`nn.Dropout` that, on CPU, draws its mask with `dropout_mask` and keeps it as 1 byte an element for
    backward (PyTorch's CPU dropout draws a float per element and keeps a float mask). Elsewhere, and under
    `torch.compile`, it is `nn.Dropout`."""

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or hidden_states.device.type != "cpu" or is_torchdynamo_compiling():
            return super().forward(hidden_states)
        dropped = dropout_mask(hidden_states.shape, self.p, hidden_states.device)
        return zeroed(dropped, hidden_states).mul_(1.0 / (1.0 - self.p))


def eager_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    dropout: float = 0.0,
    **kwargs,
):
    """Attention written out, with as few passes over the [seq, seq] scores as the maths allows.

    The 1/sqrt(head_dim) scale and the dropout rescaling act on the [seq, head_dim] query and value
    rather than on the scores; the softmax runs in the scores' dtype (PyTorch accumulates half
    precision in fp32); dropout keeps a 1-byte mask for backward where F.dropout keeps a float one
    on CPU, and backward keeps the probabilities before dropout (which the softmax keeps anyway) rather
    than a dropped-out copy (`DroppedAttention`). Returned weights are the dropped-out probabilities,
    without the 1/(1 - p) rescaling.
    """
    attn_weights = torch.matmul(query * scaling, key.transpose(2, 3))
    if attention_mask is not None:
        if attention_mask.dtype != attn_weights.dtype:
            # under autocast the mask is fp32: clamp it so its minimum stays finite in the scores' dtype
            attention_mask = attention_mask.clamp(min=torch.finfo(attn_weights.dtype).min).to(attn_weights.dtype)
        attn_weights = attn_weights.add_(attention_mask)  # in place: the scores are not kept for backward
    attn_weights = F.softmax(attn_weights, dim=-1)
    if dropout > 0.0 and module.training:
        dropped = dropout_mask(attn_weights.shape, dropout, attn_weights.device)
        attn_output, attn_weights = DroppedAttention.apply(attn_weights, dropped, value * (1.0 / (1.0 - dropout)))
    else:
        attn_output = torch.matmul(attn_weights, value)
    # [batch, heads, seq, head_dim] -> [batch, seq, heads, head_dim]
    return attn_output.transpose(1, 2).contiguous(), attn_weights


class DroppedAttention(torch.autograd.Function):
    """`(probabilities with the `dropped` ones zeroed) @ value`, and those dropped-out probabilities (no gradient).

    Backward keeps the probabilities (the softmax before keeps them anyway), the 1-byte mask and the
    values, and zeroes the dropped probabilities again where autograd would keep the dropped-out copy:
    one `[batch, heads, seq, seq]` tensor less per layer, for one more pass over it. Under autocast the
    matmuls run in autocast's dtype, as `torch.matmul` would.
    """

    @staticmethod
    def forward(ctx, probabilities, dropped, value):
        device_type = value.device.type
        enabled = torch.is_autocast_enabled(device_type)
        ctx.matmul_dtype = torch.get_autocast_dtype(device_type) if enabled else value.dtype
        with torch.autocast(device_type, enabled=False):
            kept = zeroed(dropped, probabilities)  # one pass, where masked_fill copies then fills
            output = kept.to(ctx.matmul_dtype) @ value.to(ctx.matmul_dtype)
        ctx.save_for_backward(probabilities, dropped, value)
        ctx.mark_non_differentiable(kept)
        return output, kept

    @staticmethod
    def backward(ctx, grad_output, _):
        probabilities, dropped, value = ctx.saved_tensors
        grad_output = grad_output.to(ctx.matmul_dtype)
        grad_kept = grad_output @ value.to(ctx.matmul_dtype).transpose(-1, -2)
        grad_probabilities = zeroed(dropped, grad_kept, out=grad_kept).to(probabilities.dtype)  # in place
        kept = zeroed(dropped, probabilities).to(ctx.matmul_dtype)
        grad_value = (kept.transpose(-1, -2) @ grad_output).to(value.dtype)
        return grad_probabilities, None, grad_value


def runs_eager_kernel(config: GPT1Config, training: bool, device: torch.device) -> bool:
    """Whether a model configured for SDPA runs `eager_attention_forward` instead: in training with attention dropout
    on CPU, where PyTorch's fused CPU kernels take no dropout and SDPA's unfused fallback is slower and keeps more
    memory than the eager kernel, which computes the same. Other devices, evaluation and other backends keep theirs."""
    return config._attn_implementation == "sdpa" and training and config.attn_pdrop > 0 and device.type == "cpu"


class GPT1Attention(nn.Module):
    """Masked multi-head self-attention with one fused Q/K/V projection."""

    def __init__(self, config: GPT1Config, layer_idx: int):
        super().__init__()
        self.config = config
        self.layer_idx = layer_idx
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.scaling = self.head_dim**-0.5
        self.attention_dropout = config.attn_pdrop
        self.is_causal = True
        self.attention_type = config.layer_types[layer_idx] if config.layer_types is not None else "full_attention"
        # flash attention reads the band from here; the other backends get it through the mask
        self.sliding_window = config.sliding_window if self.attention_type == "sliding_attention" else None
        self.c_attn = nn.Linear(config.hidden_size, 3 * config.hidden_size)
        self.c_proj = nn.Linear(config.hidden_size, config.hidden_size)
        self.c_proj.ends_residual_branch = True  # for GPT-2's scaled init
        self.resid_dropout = Dropout(config.resid_pdrop)

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        cache: Cache | None = None,
        **kwargs,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        input_shape = hidden_states.shape[:-1]
        # [batch, seq, 3 * hidden] -> 3 x [batch, heads, seq, head_dim]
        qkv = self.c_attn(hidden_states).view(*input_shape, 3, self.num_heads, self.head_dim)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)

        if cache is not None:
            key, value = cache.update(key, value, self.layer_idx)

        if runs_eager_kernel(self.config, self.training, query.device):
            attention_interface = eager_attention_forward  # with the trunk's masks made eager ones
        else:
            attention_interface = ALL_ATTENTION_FUNCTIONS.get_interface(
                self.config._attn_implementation, eager_attention_forward
            )
        attn_output, attn_weights = attention_interface(
            self,
            query,
            key,
            value,
            attention_mask,
            dropout=self.attention_dropout if self.training else 0.0,
            scaling=self.scaling,
            sliding_window=self.sliding_window,
            **kwargs,
        )
        # [batch, seq, heads, head_dim] -> [batch, seq, hidden]
        attn_output = attn_output.reshape(*input_shape, -1)
        return self.resid_dropout(self.c_proj(attn_output)), attn_weights


class GPT1MLP(nn.Module):
    """Position-wise feed-forward: hidden -> 4 x hidden, GELU (tanh approximation), back."""

    def __init__(self, config: GPT1Config):
        super().__init__()
        self.c_fc = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = ACT2FN[config.hidden_act]
        self.c_proj = nn.Linear(config.intermediate_size, config.hidden_size)
        self.c_proj.ends_residual_branch = True  # for GPT-2's scaled init
        self.dropout = Dropout(config.resid_pdrop)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.act(self.c_fc(hidden_states))))


class GPT1Block(GradientCheckpointingLayer):
    """One Transformer block, normalised after each residual sum (post-LN), or, with `config.pre_layer_norm`,
    before each sub-layer (pre-LN, as GPT-2)."""

    def __init__(self, config: GPT1Config, layer_idx: int):
        super().__init__()
        self.pre_layer_norm = config.pre_layer_norm
        self.attn = GPT1Attention(config, layer_idx)
        self.attention_type = self.attn.attention_type
        self.ln_1 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_epsilon)
        self.mlp = GPT1MLP(config)
        self.ln_2 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_epsilon)

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        cache: Cache | None = None,
        **kwargs,
    ) -> torch.Tensor:
        if self.pre_layer_norm:
            attn_output, _ = self.attn(self.ln_1(hidden_states), attention_mask, cache, **kwargs)
            hidden_states = hidden_states + attn_output
            return hidden_states + self.mlp(self.ln_2(hidden_states))
        attn_output, _ = self.attn(hidden_states, attention_mask, cache, **kwargs)
        hidden_states = self.ln_1(hidden_states + attn_output)
        return self.ln_2(hidden_states + self.mlp(hidden_states))


class GPT1PreTrainedModel(PreTrainedModel):
    """Weight init (N(0, 0.02), zero biases; GPT-2's residual scaling with `config.scale_residual_init`), saving
    and backend flags."""

    config: GPT1Config
    config_class = GPT1Config
    base_model_prefix = "transformer"
    supports_gradient_checkpointing = True
    _no_split_modules = ["GPT1Block"]
    _skip_keys_device_placement = ["cache", "past_key_values"]
    _supports_flash_attn = True
    _supports_sdpa = True
    _supports_flex_attn = True
    _supports_attention_backend = True
    _can_compile_fullgraph = True
    _can_record_outputs = {
        "hidden_states": GPT1Block,
        "attentions": OutputRecorder(GPT1Attention, index=1),
    }

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs):
        """transformers' loading; a local safetensors file that cannot be read (truncated, not safetensors) raises an
        OSError naming it, where safetensors' own error names no file."""
        try:
            return super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)
        except SafetensorError as error:
            # a Hub id names no local folder, so finds no file here: safetensors' error then goes up as it came
            folder = Path(str(pretrained_model_name_or_path), kwargs.get("subfolder") or "")
            for file in sorted(folder.glob("*.safetensors")):
                try:
                    with safe_open(file, framework="pt"):
                        pass
                except SafetensorError as file_error:
                    raise OSError(
                        f"{file} is not a readable safetensors file ({file_error}): truncated or damaged; "
                        "save or download it again"
                    ) from error
            raise

    @torch.no_grad()
    def _init_weights(self, module):
        if self.config.scale_residual_init and getattr(module, "ends_residual_branch", False):
            # two residual branches per block (GPT-2); transformers initialises a tensor once, so this replaces
            # the Linear's default init rather than following it
            std = self.config.initializer_range / math.sqrt(2 * self.config.num_hidden_layers)
            init.normal_(module.weight, mean=0.0, std=std)
            init.zeros_(module.bias)
        else:
            super()._init_weights(module)


class GPT1Model(GPT1PreTrainedModel):
    """The GPT-1 trunk: embeddings and blocks, returning the last block's hidden states."""

    def __init__(self, config: GPT1Config):
        super().__init__(config)
        self.tokens_embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.positions_embed = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.drop = Dropout(config.embd_pdrop)
        self.h = nn.ModuleList([GPT1Block(config, i) for i in range(config.num_hidden_layers)])
        # GPT-1's last block already ends with a LayerNorm; pre-LN blocks (GPT-2) need a final one
        self.ln_f = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_epsilon) if config.pre_layer_norm else None
        self.gradient_checkpointing = False
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.tokens_embed

    def set_input_embeddings(self, new_embeddings: nn.Embedding):
        self.tokens_embed = new_embeddings

    @merge_with_config_defaults
    @capture_outputs
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        **kwargs,
    ) -> BaseModelOutputWithPast:
        cache = cache_argument(cache, kwargs)
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("GPT1Model needs exactly one of input_ids or inputs_embeds")
        if cache is not None and self.training and torch.is_grad_enabled() and self.h[0].gradient_checkpointing:
            # the backward pass replays the blocks, which would write the keys and values into the cache twice: as
            # everywhere in transformers, a checkpointed model leaves the cache alone (and so starts at position 0)
            logger.warning_once("Gradient checkpointing replays the blocks in backward: the cache passed is not used")
            cache = None
        if use_cache and cache is None and not self.training:
            # training builds no cache unless one is passed in: nothing would read it. With the config, local
            # layers get sliding cache layers, which keep only the band's keys.
            cache = DynamicCache(config=self.config)
        # a sliding cache layer counts every token it has seen, not the few it keeps, so layer 0 gives the length
        past_length = cache.get_seq_length() if cache is not None else 0
        masks = None
        if isinstance(attention_mask, dict):
            # built ahead by generate for a compileable cache (`create_masks_for_generate` below), one per layer type
            masks, attention_mask = attention_mask, None
        if not is_torchdynamo_compiling():
            self._check_inputs(input_ids, attention_mask, position_ids, inputs_embeds, cache, past_length)
        batch_size, seq_length = input_ids.shape if input_ids is not None else inputs_embeds.shape[:2]

        if inputs_embeds is None:
            inputs_embeds = self.tokens_embed(input_ids)
        # only position ids the caller gave go to the mask helper, which reads their resets as packed sequences
        mask_position_ids = position_ids
        if position_ids is None and attention_mask is not None and attention_mask.dim() == 2:
            # positions count real tokens only, so a left-padded sequence sees the positions it would unpadded
            position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)[:, -seq_length:]
        elif position_ids is None:
            position_ids = torch.arange(past_length, past_length + seq_length, device=inputs_embeds.device)[None]

        eager_kernel = runs_eager_kernel(self.config, self.training, inputs_embeds.device)
        if eager_kernel and not is_torchdynamo_compiling():  # dynamo traces no logging call
            logger.info_once(
                "GPT-1 attention: training on CPU with attention dropout runs the eager kernel where SDPA is "
                "configured (PyTorch's CPU SDPA has no fused dropout); set attn_implementation='eager' to say so"
            )
        if masks is None:
            masks = create_attention_masks(
                self.config, inputs_embeds, attention_mask, cache, mask_position_ids, eager_kernel
            )
        hidden_states = self.drop(inputs_embeds + self.positions_embed(position_ids))
        for block in self.h:
            hidden_states = block(
                hidden_states,
                attention_mask=masks[block.attention_type],
                cache=cache,
                position_ids=position_ids,
                **kwargs,
            )
        if self.ln_f is not None:
            hidden_states = self.ln_f(hidden_states)
        return BaseModelOutputWithPast(last_hidden_state=hidden_states, **{CACHE_FIELD: cache if use_cache else None})

    def _check_inputs(self, input_ids, attention_mask, position_ids, inputs_embeds, cache, past_length):
        """Raise a TypeError or ValueError naming the input that would otherwise fail deep inside the network, or
        silently: wrong type, dtype, rank or shape, or values outside what the model has."""
        check_tensor_inputs(self.config, input_ids, attention_mask, position_ids, inputs_embeds)
        if input_ids is not None and input_ids.dim() != 2:
            raise ValueError(f"input_ids must be [batch, seq_len], got shape {tuple(input_ids.shape)}")
        if inputs_embeds is not None and inputs_embeds.dim() != 3:
            raise ValueError(
                f"inputs_embeds must be [batch, seq_len, hidden_size], got shape {tuple(inputs_embeds.shape)}"
            )
        batch_size, seq_length = input_ids.shape if input_ids is not None else inputs_embeds.shape[:2]
        n_positions = self.config.max_position_embeddings
        if past_length + seq_length > n_positions:
            raise ValueError(
                f"GPT-1 has {n_positions} positions, but the input needs {past_length + seq_length} "
                f"({past_length} cached + {seq_length} new tokens); truncate the input or generate fewer tokens"
            )
        if isinstance(attention_mask, torch.Tensor):
            self._check_mask_shape(attention_mask, batch_size, seq_length, cache, past_length)
        if position_ids is not None and (
            position_ids.dim() not in (1, 2)
            or position_ids.shape[-1] != seq_length
            or (position_ids.dim() == 2 and position_ids.shape[0] not in (1, batch_size))
        ):
            raise ValueError(
                f"position_ids has shape {tuple(position_ids.shape)}, expected {(batch_size, seq_length)} "
                f"(or {(1, seq_length)})"
            )
        # the value checks: a flag on the device per input, one read back for them all, the values read only to say
        # what failed
        rules = {}  # name -> (the tensor, flag of values outside the rule, the rule)
        if input_ids is not None:
            outside = (input_ids < 0) | (input_ids >= self.config.vocab_size)
            rules["input_ids"] = (input_ids, outside.any(), f"lie in [0, vocab_size={self.config.vocab_size})")
        if position_ids is not None:
            outside = (position_ids < 0) | (position_ids >= n_positions)
            rules["position_ids"] = (position_ids, outside.any(), f"lie in [0, {n_positions})")
        if (
            isinstance(attention_mask, torch.Tensor)
            and attention_mask.dim() == 2
            and attention_mask.dtype != torch.bool
        ):
            # a value other than 0 and 1 changes when cast to bool, as the mask helpers cast it; in the positions it
            # would count twice, or negatively
            outside = attention_mask.bool() != attention_mask
            rules["attention_mask"] = (attention_mask, outside.any(), "hold only 0 (padding) and 1 (a real token)")
        if not rules:
            return
        flags = [flag for _, flag, _ in rules.values()]
        if bool(functools.reduce(lambda a, b: a | b.to(a.device), flags)):
            name, (tensor, _, rule) = next(item for item in rules.items() if item[1][1])
            hint = (
                "; add the fine-tuning tokens with model.resize_token_embeddings first" if name == "input_ids" else ""
            )
            raise ValueError(
                f"{name} must {rule}, found values in [{tensor.min().item()}, {tensor.max().item()}]{hint}"
            )

    def _check_mask_shape(self, attention_mask, batch_size, seq_length, cache, past_length):
        """Raise a TypeError or ValueError if a tensor mask is neither 2-D padding `[batch, cached + new tokens]` nor
        a prepared 4-D mask (bool, or float added to the scores) `[batch or 1, heads or 1, seq_len or 1, keys]`."""
        shape = tuple(attention_mask.shape)
        if attention_mask.dim() == 2:
            expected = (batch_size, past_length + seq_length)
            if shape != expected:
                raise ValueError(f"attention_mask has shape {shape}, expected {expected} (batch, cached + new tokens)")
            return
        if attention_mask.dim() != 4:
            raise ValueError(
                f"attention_mask must be 2-D (batch, cached + new tokens) or a prepared 4-D mask (batch, heads, "
                f"seq_len, keys), got shape {shape}"
            )
        if attention_mask.dtype != torch.bool and not attention_mask.is_floating_point():
            # integer 0/1 would be added to the scores as they are: nothing masked
            raise TypeError(
                "a 4-D attention_mask must be bool (True = attend) or float (added to the scores), "
                f"got {attention_mask.dtype}"
            )
        # the keys are the cached + new tokens, but for caches of a fixed size (static) and for local layers
        local = "sliding_attention" in (self.config.layer_types or ())
        keys = past_length + seq_length if cache is None or (type(cache) is DynamicCache and not local) else None
        heads = self.config.num_attention_heads
        if (
            shape[0] not in (1, batch_size)
            or shape[1] not in (1, heads)
            or shape[2] not in (1, seq_length)
            or shape[3] != (keys or shape[3])
        ):
            raise ValueError(
                f"attention_mask has shape {shape}, expected a 4-D mask (batch={batch_size} or 1, heads={heads} or 1, "
                f"seq_len={seq_length} or 1, keys={keys or 'the cache length'})"
            )


class GPT1LMHeadModel(GPT1PreTrainedModel, GenerationMixin):
    """GPT-1 with its language-modelling head, tied to the token embedding: pretraining and generation."""

    _tied_weights_keys = {"lm_head.weight": "transformer.tokens_embed.weight"}

    def __init__(self, config: GPT1Config):
        super().__init__(config)
        self.transformer = GPT1Model(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        **kwargs,
    ) -> CausalLMOutputWithPast:
        """`labels` are the input ids themselves (shifted inside); -100 marks tokens left out of the loss."""
        if labels is not None and not is_torchdynamo_compiling():
            check_tensor_inputs(self.config, input_ids, inputs_embeds=inputs_embeds)
            check_lm_labels(labels, input_ids if input_ids is not None else inputs_embeds[..., 0], self.config)
        outputs: BaseModelOutputWithPast = self.transformer(
            input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            cache=cache_argument(cache, kwargs),
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            **kwargs,
        )
        hidden_states = slice_logits_to_keep(outputs.last_hidden_state, logits_to_keep)
        logits = self.lm_head(hidden_states)
        loss = None
        if labels is not None:
            loss = causal_lm_loss(logits, labels, **kwargs)
        return CausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            **{CACHE_FIELD: getattr(outputs, CACHE_FIELD)},
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )

    def create_masks_for_generate(
        self, config, inputs_embeds, attention_mask, cache=None, position_ids=None, **kwargs
    ) -> dict[str, torch.Tensor | None]:
        """The masks generate builds ahead of each step for a compileable cache, keyed by layer type as the trunk
        reads them (transformers' own function needs `config.layer_types`, which is None for GPT-1)."""
        cache = cache_argument(cache, kwargs)
        eager_kernel = runs_eager_kernel(config, self.training, inputs_embeds.device)
        return create_attention_masks(config, inputs_embeds, attention_mask, cache, position_ids, eager_kernel)

    def _validate_generated_length(self, generation_config, input_ids_length, has_default_max_length):
        """transformers' length checks, plus refusing up front to generate past the learned positions."""
        super()._validate_generated_length(generation_config, input_ids_length, has_default_max_length)
        n_positions = self.config.max_position_embeddings
        if generation_config.max_length > n_positions:
            raise ValueError(
                f"generation would reach {generation_config.max_length} tokens, but GPT-1 has {n_positions} "
                f"positions; with this {input_ids_length}-token prompt ask for at most "
                f"{n_positions - input_ids_length} new tokens"
            )


@dataclass
class GPT1DoubleHeadsOutput(ModelOutput):
    """Outputs of `GPT1DoubleHeads`, named as transformers' DoubleHeads models name them.

    Args:
        loss: `mc_loss + lm_coef * lm_loss` (the paper's L3), or whichever of the two was computed.
        mc_loss: the task loss (L2): cross-entropy, or mean squared error for a one-label regression.
        lm_loss: the auxiliary LM loss (L1), averaged over each sequence's real tokens, then over sequences.
        logits: LM logits, `[batch, num_sequences, seq_len, vocab]`, only with `output_logits=True`.
        mc_logits: task scores, `[batch, num_sequences]` for multiple choice, else `[batch, num_labels]`.
    """

    loss: torch.FloatTensor | None = None
    mc_loss: torch.FloatTensor | None = None
    lm_loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    mc_logits: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


class GPT1DoubleHeads(GPT1PreTrainedModel):
    """GPT-1 fine-tuning model: the trunk, its LM head and the paper's linear classifier.

    Inputs are `[batch, num_sequences, seq_len]` (a 2-D batch is one sequence per example), each
    sequence built as SPEC section 5 says (`start ... extract`). The classifier reads the final
    state at the extract token. With `config.classifier_type == "multiple_choice"` each sequence
    gets one score and the softmax runs across them (RACE, Story Cloze); with `"pooled"` the
    extract states of an example's sequences are added and mapped to `num_labels` (one sequence
    for classification and entailment, both orders for similarity; MSE when `num_labels == 1`).
    """

    _tied_weights_keys = {"lm_head.weight": "transformer.tokens_embed.weight"}
    # its loss is a mean per sequence, so the Trainer must not rescale it by a token count
    accepts_loss_kwargs = False
    fixed_classifier_type: str | None = None

    def __init__(self, config: GPT1Config):
        if self.fixed_classifier_type not in (None, config.classifier_type):
            config = copy.deepcopy(config)  # leave the caller's config as it was
            config.classifier_type = self.fixed_classifier_type
        super().__init__(config)
        self.transformer = GPT1Model(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        num_outputs = 1 if config.classifier_type == "multiple_choice" else config.num_labels
        self.classifier = nn.Linear(config.hidden_size, num_outputs)
        # the Auto class a saved copy names for this model follows its classifier
        if config.classifier_type == "pooled":
            self._auto_class = "AutoModelForSequenceClassification"
        self.post_init()

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        mc_token_ids: torch.LongTensor | None = None,
        labels: torch.LongTensor | None = None,
        mc_labels: torch.Tensor | None = None,
        output_logits: bool = False,
        **kwargs,
    ) -> GPT1DoubleHeadsOutput:
        """Scores and losses of the paper's fine-tuning model.

        The LM head runs only for what is asked of it: the LM loss, computed a chunk of rows at a time
        (`chunked_lm_loss`, no full-vocabulary logits held), and the logits with `output_logits=True`.

        Args:
        mc_token_ids: `[batch, num_sequences]` index of the token whose state the classifier reads;
            by default the first extract token of each sequence, as the original code.
        labels: LM labels shaped like `input_ids` (-100 = ignored). When omitted, in training, with
            `mc_labels` and `config.lm_coef > 0`, the auxiliary LM loss runs on `input_ids` over the real
            (unpadded) tokens; in evaluation (`model.eval()`) it is left out.
        mc_labels: `[batch]` choice index, class index, or regression target.
        output_logits: also return the LM logits, `[batch, num_sequences, seq_len, vocab]`.
        """
        if not is_torchdynamo_compiling():
            check_tensor_inputs(self.config, input_ids, attention_mask, position_ids, inputs_embeds, mc_token_ids)
        input_ids, attention_mask, position_ids, inputs_embeds, mc_token_ids, labels = as_sequences(
            input_ids, attention_mask, position_ids, inputs_embeds, mc_token_ids, labels
        )
        input_shape = input_ids.shape if input_ids is not None else inputs_embeds.shape[:-1]
        if not is_torchdynamo_compiling():
            self._check_task_inputs(input_ids, attention_mask, mc_token_ids, labels, mc_labels, input_shape)
        outputs = self._run_trunk(input_ids, attention_mask, position_ids, inputs_embeds, **kwargs)
        # [batch * num_sequences, seq_len, hidden] -> [batch, num_sequences, seq_len, hidden]
        hidden_states = outputs.last_hidden_state.unflatten(0, input_shape[:2])
        mc_logits = self._classify(hidden_states, self._extract_positions(input_ids, mc_token_ids))
        mc_loss = self._task_loss(mc_logits, mc_labels)
        lm_loss = self._lm_loss(hidden_states, labels, input_ids, attention_mask, mc_labels)
        return GPT1DoubleHeadsOutput(
            loss=self._total_loss(mc_loss, lm_loss),
            mc_loss=mc_loss,
            lm_loss=lm_loss,
            logits=self.lm_head(hidden_states) if output_logits else None,
            mc_logits=mc_logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )

    def _run_trunk(self, input_ids, attention_mask, position_ids, inputs_embeds, **kwargs) -> BaseModelOutputWithPast:
        """The trunk over every sequence of the batch at once; `kwargs` (the cache, output flags) pass through."""
        # [batch, num_sequences, seq_len, ...] -> [batch * num_sequences, seq_len, ...]
        input_ids, attention_mask, position_ids, inputs_embeds = (
            t.flatten(0, 1) if t is not None else None
            for t in (input_ids, attention_mask, position_ids, inputs_embeds)
        )
        return self.transformer(
            input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            use_cache=False,
            **kwargs,
        )

    def _extract_positions(self, input_ids, mc_token_ids) -> torch.LongTensor:
        """`mc_token_ids` when given, else the position of each sequence's FIRST extract token (as the original)."""
        if mc_token_ids is not None:
            return mc_token_ids
        return (input_ids == self.config.extract_token_id).int().argmax(-1)

    def _classify(self, hidden_states, mc_token_ids) -> torch.Tensor:
        """The classifier on the final states at the extract tokens: `[batch, num_sequences]` scores for multiple
        choice, else `[batch, num_labels]` from the sum over an example's sequences."""
        batch_size, num_sequences, _, hidden_size = hidden_states.shape
        # [batch, num_sequences, seq_len, hidden] -> [batch * num_sequences, seq_len, hidden], one state per row
        flat_states = hidden_states.flatten(0, 1)
        rows = torch.arange(flat_states.shape[0], device=flat_states.device)
        extract_states = flat_states[rows, mc_token_ids.reshape(-1)].view(batch_size, num_sequences, hidden_size)
        # one dropout mask per example, shared by all its sequences, as the original
        keep = F.dropout(
            extract_states.new_ones(batch_size, 1, hidden_size),
            p=self.config.classifier_dropout,
            training=self.training,
        )
        extract_states = extract_states * keep
        if self.config.classifier_type == "multiple_choice":
            return self.classifier(extract_states).squeeze(-1)  # [batch, num_sequences]
        return self.classifier(extract_states.sum(1))  # [batch, num_labels]

    def _task_loss(self, mc_logits, mc_labels) -> torch.Tensor | None:
        """The task loss (L2): cross-entropy, or mean squared error for a one-label pooled classifier."""
        if mc_labels is None:
            return None
        if self.config.classifier_type == "pooled" and self.config.num_labels == 1:
            return F.mse_loss(mc_logits.squeeze(-1).float(), mc_labels.float())
        return F.cross_entropy(mc_logits.float(), mc_labels.long())

    def _lm_loss(self, hidden_states, labels, input_ids, attention_mask, mc_labels) -> torch.Tensor | None:
        """The LM loss (L1) on `labels`; without them, in training, on the inputs' real tokens when there is a task
        loss to add it to (the auxiliary objective, `lm_coef > 0`)."""
        auxiliary = self.training and mc_labels is not None and self.config.lm_coef > 0 and input_ids is not None
        if labels is None and auxiliary:
            labels = auxiliary_lm_labels(input_ids, attention_mask)
        if labels is None:
            return None
        # [batch, num_sequences, seq_len, ...] -> [batch * num_sequences, seq_len, ...]
        return chunked_lm_loss(hidden_states.flatten(0, 1), self.lm_head.weight, labels.flatten(0, 1))

    def _total_loss(self, mc_loss, lm_loss) -> torch.Tensor | None:
        """The paper's L3 = L2 + lm_coef * L1, or whichever of the two losses was computed."""
        if mc_loss is None or lm_loss is None:
            return mc_loss if mc_loss is not None else lm_loss
        return mc_loss + self.config.lm_coef * lm_loss

    def _check_task_inputs(self, input_ids, attention_mask, mc_token_ids, labels, mc_labels, input_shape):
        """Raise a ValueError naming the task input whose shape or values the heads cannot use."""
        batch_size, num_sequences, seq_length = input_shape
        if attention_mask is not None and tuple(attention_mask.shape) != tuple(input_shape):
            raise ValueError(f"attention_mask has shape {tuple(attention_mask.shape)}, expected {tuple(input_shape)}")
        if mc_token_ids is not None:
            if tuple(mc_token_ids.shape) != (batch_size, num_sequences):
                raise ValueError(
                    f"mc_token_ids has shape {tuple(mc_token_ids.shape)}, expected {(batch_size, num_sequences)}"
                )
            if mc_token_ids.min() < 0 or mc_token_ids.max() >= seq_length:
                raise ValueError(f"mc_token_ids must lie in [0, seq_len={seq_length})")
        elif input_ids is not None:
            has_extract = (input_ids == self.config.extract_token_id).any(-1)
            if not bool(has_extract.all()):
                example, sequence = (~has_extract).nonzero()[0].tolist()
                raise ValueError(
                    f"sequence {sequence} of example {example} has no extract token "
                    f"(extract_token_id={self.config.extract_token_id}); append it or pass mc_token_ids"
                )
        else:
            raise ValueError("with inputs_embeds, pass mc_token_ids to say where the extract token is")
        if labels is not None:
            check_lm_labels(labels, input_ids if input_ids is not None else labels, self.config)
        if mc_labels is None:
            return
        if tuple(mc_labels.shape) != (batch_size,):
            raise ValueError(f"mc_labels has shape {tuple(mc_labels.shape)}, expected {(batch_size,)}")
        if self.config.classifier_type == "multiple_choice":
            num_classes = num_sequences
        elif self.config.num_labels == 1:
            return
        else:
            num_classes = self.config.num_labels
        if mc_labels.is_floating_point() or mc_labels.min() < 0 or mc_labels.max() >= num_classes:
            raise ValueError(f"mc_labels must be integers in [0, {num_classes}), got {mc_labels.tolist()}")


class GPT1ForSequenceClassification(GPT1DoubleHeads):
    """`GPT1DoubleHeads` with the pooled classifier (classification, entailment, similarity, regression)."""

    fixed_classifier_type = "pooled"


class GPT1ForMultipleChoice(GPT1DoubleHeads):
    """`GPT1DoubleHeads` with the multiple-choice classifier (one score per sequence)."""

    fixed_classifier_type = "multiple_choice"


def create_attention_masks(
    config: GPT1Config,
    inputs_embeds: torch.Tensor,
    attention_mask: torch.Tensor | None,
    cache: Cache | None,
    position_ids: torch.LongTensor | None,
    eager_kernel: bool = False,
) -> dict[str, torch.Tensor | None]:
    """The attention mask of each layer type the model has (only the causal one for GPT-1), from transformers' helpers.

    Each is None, a 4-D mask or a flex BlockMask, as the backend in `config._attn_implementation` takes it. With
    `eager_kernel` (SDPA configured, the eager kernel run: `runs_eager_kernel`), SDPA's boolean masks are built even
    where SDPA would take `is_causal` instead, and made additive (0 = attend, the dtype's minimum = masked), as
    `eager_attention_forward` takes them.
    """
    masks = {}
    for layer_type in dict.fromkeys(config.layer_types or ["full_attention"]):
        # positional: the cache's keyword is `cache` from transformers 5.24, `past_key_values` before
        mask = MASK_FUNCTIONS[layer_type](
            config, inputs_embeds, attention_mask, cache, position_ids, allow_is_causal_skip=not eager_kernel
        )
        if eager_kernel and mask is not None and mask.dtype == torch.bool:
            mask = torch.where(mask, 0.0, torch.finfo(inputs_embeds.dtype).min).to(inputs_embeds.dtype)
        masks[layer_type] = mask
    return masks


def what_came(value) -> str:
    """What an error message says was given: a tensor's dtype and shape, or the value's type."""
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return type(value).__name__


def check_tensor_inputs(
    config: GPT1Config, input_ids=None, attention_mask=None, position_ids=None, inputs_embeds=None, mc_token_ids=None
):
    """Raise a TypeError naming the first tensor input given (not None) that is not a tensor of a dtype the model
    takes, a ValueError if the input is empty or its embeddings are not `hidden_size` wide.

    Checks the trunk and the heads share, whatever rank they take (2-D and 3-D for `GPT1DoubleHeads`, 2-D for the
    others); ranks and shapes are the caller's to check. Nothing is read from the device.
    """
    for name, tensor in (("input_ids", input_ids), ("position_ids", position_ids), ("mc_token_ids", mc_token_ids)):
        if tensor is not None and (not isinstance(tensor, torch.Tensor) or tensor.dtype not in INDEX_DTYPES):
            raise TypeError(f"{name} must be a tensor of torch.int64 (or int32) indices, got {what_came(tensor)}")
    if inputs_embeds is not None:
        if not isinstance(inputs_embeds, torch.Tensor) or not inputs_embeds.is_floating_point():
            raise TypeError(f"inputs_embeds must be a floating-point tensor, got {what_came(inputs_embeds)}")
        if inputs_embeds.dim() < 2 or inputs_embeds.shape[-1] != config.hidden_size:
            raise ValueError(
                f"inputs_embeds must end in hidden_size={config.hidden_size} features, got shape "
                f"{tuple(inputs_embeds.shape)}"
            )
    if attention_mask is not None and not isinstance(attention_mask, BlockMask):
        if not isinstance(attention_mask, torch.Tensor) or attention_mask.is_complex():
            raise TypeError(
                f"attention_mask must be a tensor of 0 and 1 (bool, integer or float), got {what_came(attention_mask)}"
            )
    name, inputs = ("input_ids", input_ids) if input_ids is not None else ("inputs_embeds", inputs_embeds)
    if inputs is not None and inputs.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(inputs.shape)}); give at least one token per sequence")


def as_sequences(input_ids, attention_mask, position_ids, inputs_embeds, mc_token_ids, labels) -> tuple:
    """The task inputs of `GPT1DoubleHeads` as `[batch, num_sequences, seq_len, ...]`, in the order given: a 2-D
    batch is one sequence per example."""
    if input_ids is None and inputs_embeds is None:
        raise ValueError("GPT1DoubleHeads needs input_ids or inputs_embeds")
    input_shape = input_ids.shape if input_ids is not None else inputs_embeds.shape[:-1]
    if len(input_shape) == 2:
        # [batch, seq_len, ...] -> [batch, 1, seq_len, ...]
        input_ids, attention_mask, position_ids, inputs_embeds, labels = (
            t[:, None] if t is not None else None
            for t in (input_ids, attention_mask, position_ids, inputs_embeds, labels)
        )
        if mc_token_ids is not None and mc_token_ids.dim() == 1:
            mc_token_ids = mc_token_ids[:, None]
    elif len(input_shape) != 3:
        name, shape = ("input_ids", input_shape) if input_ids is not None else ("inputs_embeds", inputs_embeds.shape)
        features = ", hidden_size" if input_ids is None else ""
        raise ValueError(
            f"GPT1DoubleHeads takes {name} of shape [batch, num_sequences, seq_len{features}], got {tuple(shape)}"
        )
    return input_ids, attention_mask, position_ids, inputs_embeds, mc_token_ids, labels


def check_lm_labels(labels: torch.Tensor, inputs: torch.Tensor, config: GPT1Config):
    """Raise a TypeError if LM labels are not int64 ids, a ValueError if they do not match the input shape or lie
    outside the vocabulary."""
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
        # the dtype cross-entropy takes for its targets
        raise TypeError(f"labels must be a torch.int64 tensor of token ids (-100 = ignored), got {what_came(labels)}")
    if labels.shape != inputs.shape:
        raise ValueError(f"labels has shape {tuple(labels.shape)}, expected the input's {tuple(inputs.shape)}")
    outside = (labels != IGNORE_INDEX) & ((labels < 0) | (labels >= config.vocab_size))
    if bool(outside.any()):
        raise ValueError(f"labels must be -100 or lie in [0, vocab_size={config.vocab_size})")


def auxiliary_lm_labels(input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """LM labels for the auxiliary objective: the task inputs themselves, predicted from real tokens only.

    A token is a target when it and the token before it are real, so neither padding nor (with left
    padding) the first real token counts; with right padding this is the original's mask.
    """
    input_ids = input_ids.long()  # cross-entropy's targets are int64; ids may come as int32
    if attention_mask is None:
        return input_ids
    real = attention_mask.bool()
    is_target = real & F.pad(real[..., :-1], (1, 0), value=False)
    return input_ids.masked_fill(~is_target, IGNORE_INDEX)


def chunked_lm_loss(hidden_states: torch.Tensor, lm_head_weight: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """LM loss averaged over each sequence's labelled tokens, then over sequences (as the original), computed from the
    final hidden states a chunk of `LM_LOSS_CHUNK_ROWS` labelled positions at a time (`LinearCrossEntropy`).

    Args:
        hidden_states: `[sequences, seq_len, hidden]`, position t predicting token t + 1.
        lm_head_weight: `[vocab, hidden]`, the (tied) LM head.
        labels: `[sequences, seq_len]`, the input ids with -100 where no loss is taken.
    """
    # shift the labels rather than the states, so the states are not copied
    targets = F.pad(labels[:, 1:], (0, 1), value=IGNORE_INDEX)
    is_target = targets != IGNORE_INDEX
    counts = is_target.sum(-1, keepdim=True)
    # each labelled token weighs 1 / (its sequence's count x the number of sequences with a labelled token)
    sequences = (counts > 0).sum().clamp(min=1)
    row_weights = (is_target / (counts.clamp(min=1) * sequences)).flatten()
    hidden_states, targets = hidden_states.flatten(0, 1), targets.flatten().clamp(min=0)
    if not is_torchdynamo_compiling():
        # the LM head runs on labelled positions only (a data-dependent size, which dynamo would break its graph on)
        rows = is_target.flatten().nonzero().squeeze(1)
        hidden_states, targets, row_weights = hidden_states[rows], targets[rows], row_weights[rows]
    return LinearCrossEntropy.apply(hidden_states, lm_head_weight, targets, row_weights)


def causal_lm_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    num_items_in_batch: torch.Tensor | int | None = None,
    shift_labels: torch.Tensor | None = None,
    **kwargs,
) -> torch.Tensor:
    """transformers' `ForCausalLMLoss`: the cross-entropy of each position's logits against the next label (or
    `shift_labels` as given), -100 left out, averaged over the labelled tokens or summed and divided by
    `num_items_in_batch` (the Trainer's count over accumulated batches). Computed by `LogitsCrossEntropy`, which
    keeps no log-softmax of the logits."""
    if shift_labels is None:
        shift_labels = F.pad(labels, (0, 1), value=IGNORE_INDEX)[..., 1:]  # token t is predicted at t - 1
    targets = shift_labels.reshape(-1).to(logits.device)
    loss = LogitsCrossEntropy.apply(logits.reshape(-1, logits.shape[-1]), targets)
    if num_items_in_batch is None:
        return loss / (targets != IGNORE_INDEX).sum()  # no labelled token: 0 / 0 = nan, as cross_entropy's mean
    if isinstance(num_items_in_batch, torch.Tensor):
        num_items_in_batch = num_items_in_batch.to(loss.device)
    return loss / num_items_in_batch


class LogitsCrossEntropy(torch.autograd.Function):
    """`sum_i cross_entropy(logits[i], targets[i])` over the rows whose target is not -100, in fp32.

    `F.cross_entropy` keeps the whole log-softmax for backward, and its backward makes a zero-filled
    gradient and then another for the log-softmax: three vocabulary-wide tensors, 166 MB each for a 2 x 512
    batch of GPT-1. This keeps the logits (which the caller holds anyway) and one log-normaliser a row, and
    backward writes the gradient, softmax minus the one-hot target, straight into the one tensor it returns;
    fp32 temporaries exist `LOGITS_CHUNK_ROWS` rows at a time.
    """

    @staticmethod
    def forward(ctx, logits, targets):
        is_target = targets != IGNORE_INDEX
        targets = targets.clamp(min=0)  # ignored rows index column 0, then count for nothing
        log_normalisers = torch.empty(len(targets), dtype=torch.float32, device=logits.device)
        for start in range(0, len(targets), LOGITS_CHUNK_ROWS):
            rows = slice(start, start + LOGITS_CHUNK_ROWS)
            log_normalisers[rows] = logits[rows].float().logsumexp(-1)
        target_logits = logits.gather(1, targets[:, None]).squeeze(1).float()
        ctx.save_for_backward(logits, targets, is_target, log_normalisers)
        return torch.where(is_target, log_normalisers - target_logits, 0.0).sum()

    @staticmethod
    def backward(ctx, grad_loss):
        logits, targets, is_target, log_normalisers = ctx.saved_tensors
        row_scales = is_target * grad_loss.float()  # [rows]: 0 where no target
        grad_logits = torch.empty_like(logits)
        for start in range(0, len(targets), LOGITS_CHUNK_ROWS):
            rows = slice(start, start + LOGITS_CHUNK_ROWS)
            # fp32 logits: the softmax is written in place of the gradient; otherwise into an fp32 chunk, then copied
            out = grad_logits[rows] if grad_logits.dtype == torch.float32 else None
            grad = torch.sub(logits[rows].float(), log_normalisers[rows, None], out=out).exp_()
            grad.scatter_add_(1, targets[rows, None], grad.new_full((grad.shape[0], 1), -1.0))
            grad.mul_(row_scales[rows, None])
            if out is None:
                grad_logits[rows] = grad
        return grad_logits, None


class LinearCrossEntropy(torch.autograd.Function):
    """`sum_i row_weights[i] * cross_entropy(hidden[i] @ weight.T, targets[i])`, a chunk of rows at a time.

    Full-vocabulary logits exist one chunk at a time (fp32, for the log-softmax): none are kept for
    backward. The forward pass computes the gradients chunk by chunk, from the softmax it has at hand
    (as Liger's fused linear cross-entropy does), and backward scales them by the incoming gradient: no
    logits are recomputed, and the matmuls are the three a plain LM head's step does. Under autocast the
    matmuls run in autocast's dtype, as `nn.Linear` would.

    Written here because the original's loss weighs tokens per sequence, and the fused losses at hand weigh
    classes only: torch's `F.linear_cross_entropy` (2.13+; per-token losses recompute the logits in
    backward, and `torch.compile` breaks its graph there) and Liger's fused linear cross-entropy (CUDA).
    """

    @staticmethod
    def forward(ctx, hidden, weight, targets, row_weights):
        device_type = hidden.device.type
        compute_dtype = torch.get_autocast_dtype(device_type) if torch.is_autocast_enabled(device_type) else None
        compute_dtype = compute_dtype or hidden.dtype
        grad_hidden = torch.zeros_like(hidden) if ctx.needs_input_grad[0] else None
        grad_weight = torch.zeros_like(weight, dtype=torch.float32) if ctx.needs_input_grad[1] else None
        loss = hidden.new_zeros((), dtype=torch.float32)
        with torch.autocast(device_type, enabled=False):
            weight_c = weight.to(compute_dtype)
            for start in range(0, hidden.shape[0], LM_LOSS_CHUNK_ROWS):
                rows = slice(start, start + LM_LOSS_CHUNK_ROWS)
                chunk, chunk_targets, chunk_weights = hidden[rows].to(compute_dtype), targets[rows], row_weights[rows]
                logits = (chunk @ weight_c.T).float()  # [rows, vocab]
                log_normaliser = logits.logsumexp(-1)
                target_logits = logits.gather(1, chunk_targets[:, None]).squeeze(1)
                loss = loss + (chunk_weights * (log_normaliser - target_logits)).sum()
                if grad_hidden is None and grad_weight is None:
                    continue
                # d loss / d logits = weight x (softmax - one-hot target), written over the logits
                grad_logits = logits.sub_(log_normaliser[:, None]).exp_()
                minus_one = grad_logits.new_full((len(chunk_targets), 1), -1.0)
                grad_logits.scatter_add_(1, chunk_targets[:, None], minus_one)
                grad_logits = grad_logits.mul_(chunk_weights[:, None]).to(compute_dtype)
                if grad_hidden is not None:
                    grad_hidden[rows] = grad_logits @ weight_c
                if grad_weight is not None and compute_dtype == torch.float32:
                    grad_weight.addmm_(grad_logits.T, chunk)  # no [vocab, hidden] temporary
                elif grad_weight is not None:
                    grad_weight += (grad_logits.T @ chunk).float()
        ctx.save_for_backward(grad_hidden, grad_weight)
        ctx.weight_dtype = weight.dtype
        return loss

    @staticmethod
    def backward(ctx, grad_loss):
        grad_hidden, grad_weight = ctx.saved_tensors
        if grad_hidden is not None:
            grad_hidden = grad_hidden * grad_loss
        if grad_weight is not None:
            grad_weight = (grad_weight * grad_loss).to(ctx.weight_dtype)
        return grad_hidden, grad_weight, None, None


__all__ = [
    "GPT1PreTrainedModel",
    "GPT1Model",
    "GPT1LMHeadModel",
    "GPT1DoubleHeads",
    "GPT1DoubleHeadsOutput",
    "GPT1ForSequenceClassification",
    "GPT1ForMultipleChoice",
]
