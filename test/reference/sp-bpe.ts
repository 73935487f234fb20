// SentencePiece BPE encoding as llama2.c's run.c does it (its `encode`), written from that algorithm: the text with
// a leading space, one piece per character (bytes + 3 where a character is not a piece), then merge the adjacent
// pair whose union is a piece of the highest score, leftmost first, until none is. The reference for the
// tokenizer.json that src/model/llama2c.ts builds for transformers.js.
import type { Llama2cPiece } from '../../src/model/llama2c';

export function spBpeEncode(pieces: Llama2cPiece[], text: string, bos = true): number[] {
  const id = new Map(pieces.map((p, i) => [p.piece, i]));
  const out: number[] = bos ? [1] : [];
  if (!text) return out;
  const toks: number[] = [];
  for (const ch of Array.from(' ' + text)) {
    const i = id.get(ch);
    if (i !== undefined) toks.push(i);
    else for (const b of new TextEncoder().encode(ch)) toks.push(b + 3);
  }
  for (;;) {
    let best = -Infinity, at = -1, merged = -1;
    for (let i = 0; i + 1 < toks.length; i++) {
      const m = id.get(pieces[toks[i]].piece + pieces[toks[i + 1]].piece);
      if (m !== undefined && pieces[m].score > best) [best, at, merged] = [pieces[m].score, i, m];
    }
    if (at < 0) break;
    toks.splice(at, 2, merged);
  }
  return [...out, ...toks];
}
