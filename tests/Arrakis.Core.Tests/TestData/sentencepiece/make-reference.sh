#!/usr/bin/env bash
# Regenerates tiny-llama.model and reference.json. Not run by the tests or CI; needs Debian's `sentencepiece`
# package (spm_train, spm_encode) and node. The model is a 1000-piece BPE SentencePiece model trained with Llama's
# settings (byte fallback, split digits, dummy prefix, identity normalisation, unk/bos/eos = 0/1/2) on this
# repository's own docs plus the GPT-2 reference strings, so it carries no third-party text.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
cat ../../../../README.md ../../../../docs/*.md > "$work/corpus.txt"
node -e "for (const r of require('../gpt2/reference.json')) console.log(r.text.replace(/\n/g,' '))" >> "$work/corpus.txt"
spm_train --input="$work/corpus.txt" --model_prefix="$work/tiny-llama" --vocab_size=1000 --model_type=bpe \
  --byte_fallback=true --split_digits=true --add_dummy_prefix=true --normalization_rule_name=identity \
  --remove_extra_whitespaces=false --allow_whitespace_only_pieces=true --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 \
  --character_coverage=0.98 --max_sentence_length=100000 --minloglevel=2
cp "$work/tiny-llama.model" .
# spm_encode works line by line, so only strings without line breaks are used.
node -e "for (const r of require('../gpt2/reference.json')) if (!/[\r\n\u2028\u2029\u0085\u000b\u000c]/.test(r.text)) console.log(r.text)" > "$work/texts.txt"
spm_encode --model=tiny-llama.model --output_format=id < "$work/texts.txt" > "$work/ids.txt"
node -e "
const fs = require('fs');
const texts = fs.readFileSync('$work/texts.txt', 'utf8').split('\n').slice(0, -1);
const ids = fs.readFileSync('$work/ids.txt', 'utf8').split('\n').slice(0, -1);
if (texts.length !== ids.length) throw new Error('line counts differ');
const out = texts.map((text, i) => ({ text, ids: ids[i].trim() === '' ? [] : ids[i].trim().split(' ').map(Number) }));
process.stdout.write(JSON.stringify(out).replace(/\},\{/g, '},\n{') + '\n');
" > reference.json
rm -r "$work"
