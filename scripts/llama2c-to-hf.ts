// A llama2.c checkpoint and its tokenizer as a Hugging Face folder this runtime loads (src/model/llama2c.ts):
//   npm run convert:llama2c -- MODEL.bin TOKENIZER.bin OUT_DIR
// then, e.g., npm run cli -- generate --model OUT_DIR --prompt "Once upon a time" --no-chat --weights f16
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convertLlama2cModel, Llama2cError, llama2cTokenizerFiles, readLlama2cTokenizer, type Llama2cHeader } from '../src/model/llama2c';
import { writeSafetensors } from '../src/model/safetensors';
import { isMainModule } from './is-main';

/** the file is read whole into one buffer (Node's limit): the TinyStories models (up to 110M, 440 MB) fit */
const MAX_BYTES = 2 ** 31 - 1;

export function writeLlama2cFolder(modelPath: string, tokenizerPath: string, dir: string): Llama2cHeader {
  const size = statSync(modelPath).size;
  if (size > MAX_BYTES) throw new Llama2cError(`${modelPath} is ${(size / 2 ** 30).toFixed(1)} GiB; this converter reads a checkpoint whole and takes up to 2 GiB`);
  const { header, config, tensors } = convertLlama2cModel(new Uint8Array(readFileSync(modelPath)), modelPath);
  const { tokenizerJSON, tokenizerConfig } = llama2cTokenizerFiles(readLlama2cTokenizer(new Uint8Array(readFileSync(tokenizerPath)), header.vocabSize, tokenizerPath));
  mkdirSync(dir, { recursive: true });
  const json = (x: unknown) => JSON.stringify(x, null, 2) + '\n';
  writeFileSync(join(dir, 'config.json'), json(config));
  // run.c stops where the model writes <s>: these models mark a story's end with it (and rarely write </s>)
  writeFileSync(join(dir, 'generation_config.json'), json({ bos_token_id: 1, eos_token_id: [2, 1] }));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt', converted_from: 'llama2.c version-0 .bin' }));
  writeFileSync(join(dir, 'tokenizer.json'), json(tokenizerJSON));
  writeFileSync(join(dir, 'tokenizer_config.json'), json(tokenizerConfig));
  return header;
}

if (isMainModule(import.meta.url, 'llama2c-to-hf')) {
  const [model, tok, out] = process.argv.slice(2);
  if (!model || !tok || !out) {
    console.error('usage: npm run convert:llama2c -- MODEL.bin TOKENIZER.bin OUT_DIR');
    process.exit(2);
  }
  try {
    const h = writeLlama2cFolder(model, tok, resolve(out));
    console.log(`wrote ${resolve(out)}: Llama, dim ${h.dim}, ${h.numLayers} layers, ${h.numHeads}/${h.numKVHeads} heads, hidden ${h.hiddenDim}, vocab ${h.vocabSize}`);
  } catch (e) {
    console.error(`${(e as Error).name}: ${(e as Error).message}`);
    process.exit(1);
  }
}
