// Diversity of generations (CUMA §4.3, Community Alignment response generation).

/**
 * Whitespace tokenization used by `distinct2`: the text is split on runs of Unicode whitespace
 * (JavaScript's \s: spaces, tabs, newlines, NBSP, …), leading/trailing whitespace is dropped. Tokens
 * keep their case and punctuation ("Yes," and "yes" are different tokens); no lowercasing or
 * punctuation splitting is done, so scores are comparable only with scores computed the same way.
 */
export function whitespaceTokens(text: string): string[] {
  const t = text.trim();
  return t === '' ? [] : t.split(/\s+/u);
}

/**
 * Distinct-2: the number of distinct bigrams divided by the total number of bigrams, pooled over all
 * texts (corpus level), in [0, 1]. Higher means more diverse, less repetitive generations.
 *
 * Each text contributes its consecutive token pairs; bigrams never span two texts. A text is either
 * a string, tokenized by `whitespaceTokens`, or an already tokenized string[] (e.g. tokenizer
 * pieces), used as is. Bigrams are compared exactly (case-sensitive). With no bigram at all (empty
 * list, or every text shorter than two tokens) the result is 0.
 *
 * Example: ["a b a b"] → bigrams (a,b) (b,a) (a,b): 2 distinct / 3 total = 2/3.
 */
export function distinct2(texts: readonly string[] | readonly (readonly string[])[]): number {
  if (!Array.isArray(texts)) throw new Error('distinct2: texts is not an array');
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0; i < texts.length; i++) {
    const t: unknown = texts[i];
    let toks: readonly string[];
    if (typeof t === 'string') toks = whitespaceTokens(t);
    else if (Array.isArray(t) && t.every((x) => typeof x === 'string')) toks = t as string[];
    else throw new Error(`distinct2: texts[${i}] is neither a string nor an array of token strings`);
    for (let j = 0; j + 1 < toks.length; j++) {
      // length-prefixed key: unambiguous even for tokens that contain spaces or separators
      seen.add(`${toks[j].length}:${toks[j]}${toks[j + 1]}`);
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}
