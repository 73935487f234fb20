// A random model with SmolLM2-135M's shapes, in Hugging Face format (the hub is not reachable here),
// made with the fixtures' own generator.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from '../src/model/safetensors';
import { makeConfig, makeTokenizer, makeWeights, SPECS, type ModelSpec } from '../scripts/make-test-models';
import { SMOL } from './core';

export const SMOL_SPEC: ModelSpec = {
  ...SPECS.default,
  seed: 135,
  hidden: SMOL.hidden,
  intermediate: SMOL.intermediate,
  layers: SMOL.layers,
  heads: SMOL.heads,
  kvHeads: SMOL.kvHeads,
  headDim: SMOL.headDim,
  ropeTheta: 100000,
  tie: true,
  dtype: 'F32',
};

export function writeSmolShaped(dir: string): string {
  if (existsSync(join(dir, 'model.safetensors'))) return dir;
  mkdirSync(dir, { recursive: true });
  const tok = makeTokenizer();
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(makeWeights(SMOL_SPEC, SMOL.vocab)));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(makeConfig(SMOL_SPEC, tok, SMOL.vocab)));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizerJSON));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tok.tokenizerConfig));
  return dir;
}
