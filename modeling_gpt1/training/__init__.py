"""GPT-1's training procedures on Accelerate (one CPU, several processes, FSDP, DeepSpeed).

`finetuning`: the paper's fine-tuning recipe (`FineTuning`, with its arguments, checkpoints and collate), used by
`examples/run_glue.py` and `examples/run_multiple_choice.py`. `pretraining`: GPT-1's pretraining run
(`examples/run_pretraining.py`, `examples/train_tiny.py`). `zero_shot_eval`: a zero-shot task scored across
processes by its metric. `update`: the micro-batch step both loops share. `throughput`: training FLOPs per token and
GPU peaks, for MFU. `checks`: what the scripts refuse before their work (output folders, model paths, a checkpoint of
another model or run) and the one `<script>: error:` line they refuse it with. Import the module you need:
`pretraining` needs the `examples` extra (datasets, matplotlib).
"""
