// llama2.c tokenizer files written by the tests (the layout of llama2.c's tokenizer.py export; see
// src/model/llama2c.ts), and the 512-piece one the stories260K checks load the model with.
import type { Llama2cPiece } from '../../src/model/llama2c';

export function llama2cTokenizerBytes(pieces: Llama2cPiece[]): Uint8Array {
  const enc = new TextEncoder();
  const raw = pieces.map((p) => enc.encode(p.piece));
  const out = new Uint8Array(4 + raw.reduce((a, r) => a + 8 + r.length, 0));
  const v = new DataView(out.buffer);
  v.setInt32(0, Math.max(...raw.map((r) => r.length)), true);
  let at = 4;
  raw.forEach((r, i) => {
    v.setFloat32(at, pieces[i].score, true);
    v.setInt32(at + 4, r.length, true);
    out.set(r, at + 8);
    at += 8 + r.length;
  });
  return out;
}

const BIGRAMS = 'he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur'.split(' ');
const WORDS = ['the', 'and', 'was', 'to', 'a', 'she', 'he', 'it', 'her', 'day', 'big', 'play', 'said', 'time', 'upon', 'once', 'little', 'girl', 'named', 'Lily'];

/**
 * A SentencePiece-style vocabulary of `size` pieces as llama2.c's export writes one: <unk>, <s>, </s>, the 256
 * byte tokens, merged pieces with falling scores (each one's halves are pieces), then single characters last.
 * The stories260K model's own tok512 is not public in any copy reachable here, so its checks run on ids and
 * load it with this one; the pieces only matter for the tokenizer's own tests.
 */
export function syntheticPieces(size = 512): Llama2cPiece[] {
  const singles = Array.from(new Set(Array.from(' abcdefghijklmnopqrstuvwxyzLOT.,!?\'"')));
  const merged: string[] = [];
  const add = (s: string) => {
    if (!merged.includes(s) && !singles.includes(s)) merged.push(s);
  };
  for (const c of 'abcdefghijklmnopqrstuvwxyz') add(' ' + c);
  for (const b of BIGRAMS) add(b);
  // words grow left to right from pieces already there, so every one is reachable by merges
  for (const w of WORDS) for (let k = 2; k <= w.length + 1; k++) add((' ' + w).slice(0, k));
  for (const c of 'LOT') add(' ' + c);
  const head = ['<unk>', '\n<s>\n', '\n</s>\n', ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`)];
  const room = size - head.length - singles.length;
  // then letter pairs, in a fixed order, to fill the vocabulary
  for (let i = 0; merged.length < room && i < 26 * 26; i++) add(`${singles[(i % 26) + 1]}${singles[Math.floor(i / 26) + 1]}`);
  if (merged.length < room) throw new Error(`syntheticPieces cannot fill ${size} pieces`);
  const pieces = [...merged.slice(0, room), ...singles];
  return [...head.map((piece) => ({ piece, score: 0 })), ...pieces.map((piece, i) => ({ piece, score: -i }))];
}
