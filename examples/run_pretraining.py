"""accelerate launch examples/run_pretraining.py --train_files corpus/*.txt --config_name gpt1 --output_dir out/lm

Pretrain a GPT-1 language model with the paper's procedure (SPEC section 4): the corpus tokenized once into a
cached, memory-mapped token stream (`modeling_gpt1.data.pretraining`); updates of random contiguous `block_size`-token
windows of it, 64 x 512 tokens by default (per-device batch x gradient accumulation x processes); Adam at a peak
of 2.5e-4, linear warm-up over 2,000 updates then cosine decay to 0; decoupled weight decay 0.01 on tensors of
two or more dimensions; dropout 0.1 (the config's). The last `--validation_split_percentage` of the stream is held
out for the validation perplexity, reported beside that of a unigram model of the same tokens.

The windows of update t are drawn from (seed, t) alone and every process reads its share of them, so the run is
the same on any number of processes with the same global batch, and a checkpoint's data position is its update
count. Checkpoints (`checkpoint-step-N`: model, optimizer, scheduler, RNG states, the loss history) are written
beside their place and renamed into it; `--resume_from_checkpoint latest` continues exactly. Writes TensorBoard
logs, `loss.png` (training and validation loss against tokens seen), `all_results.json`, and the model and
tokenizer, which load with `AutoModelForCausalLM` / `AutoTokenizer`.

`--zero_shot_tasks story_cloze=DIR cola=DIR ...` runs GPT-1's zero-shot heuristics (`modeling_gpt1.zero_shot`) at every
checkpoint, as the paper tracked them over pretraining: TensorBoard's `zero_shot_<task>_<metric>`, `zero_shot.png`
(each against tokens seen) and the last values in `all_results.json`.
"""

from modeling_gpt1.training.pretraining import main

if __name__ == "__main__":
    main()
