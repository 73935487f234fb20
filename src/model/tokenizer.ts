// Tokenizer and chat template through @huggingface/transformers, built from the model's own files
// (tokenizer.json, tokenizer_config.json, chat_template.jinja) so it works the same from the hub,
// a local folder, the embedded default and Node, with no network of its own.
import * as hf from '@huggingface/transformers';
import type { ModelFiles } from './sources';

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

export interface Tokenizer {
  encode(text: string, addSpecialTokens?: boolean): number[];
  decode(ids: number[]): string;
  /** the chat-formatted prompt for one user message (after a system message, if given), or null when the model has no template */
  chatPrompt(user: string, system?: string): string | null;
  eosIds: number[];
  vocabSize: number;
}

async function json(files: ModelFiles, name: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await files.readText(name);
  } catch (e) {
    throw new TokenizerError(`${name} could not be read: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${name} is not valid JSON (${(e as Error).message})`);
  }
}

export async function loadTokenizer(files: ModelFiles): Promise<Tokenizer> {
  const tokJSON = await json(files, 'tokenizer.json');
  const tokConfig = (await files.has('tokenizer_config.json')) ? await json(files, 'tokenizer_config.json') : {};
  if (await files.has('chat_template.jinja')) tokConfig.chat_template = await files.readText('chat_template.jinja');
  const name = String(tokConfig.tokenizer_class ?? 'PreTrainedTokenizer').replace(/Fast$/, '');
  const Cls = ((hf as unknown as Record<string, unknown>)[name] ?? hf.PreTrainedTokenizer) as typeof hf.PreTrainedTokenizer;
  let tok: hf.PreTrainedTokenizer;
  try {
    tok = new Cls(tokJSON, tokConfig);
  } catch (e) {
    throw new TokenizerError(`tokenizer.json could not be built into a tokenizer: ${(e as Error).message}`);
  }
  const eos = new Set<number>();
  const eosTok = (tok as unknown as { eos_token_id?: number }).eos_token_id;
  if (Number.isInteger(eosTok)) eos.add(eosTok as number);
  const hasTemplate = typeof tokConfig.chat_template === 'string' || Array.isArray(tokConfig.chat_template);
  const vocab = (tokJSON.model as { vocab?: Record<string, number> | unknown[] } | undefined)?.vocab;
  const added = (tokJSON.added_tokens as { id: number }[] | undefined) ?? [];
  const vocabSize = Math.max(Array.isArray(vocab) ? vocab.length : Object.keys(vocab ?? {}).length, ...added.map((a) => a.id + 1));
  return {
    encode: (text, addSpecialTokens = true) => tok.encode(text, { add_special_tokens: addSpecialTokens }),
    decode: (ids) => tok.decode(ids, { skip_special_tokens: true }),
    chatPrompt: (user, system) => {
      if (!hasTemplate) return null;
      try {
        const messages = [...(system !== undefined ? [{ role: 'system', content: system }] : []), { role: 'user', content: user }];
        return tok.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }) as string;
      } catch {
        return null; // a template transformers.js cannot render: fall back to the plain prompt
      }
    },
    eosIds: [...eos],
    vocabSize,
  };
}
