// The shipped default adapters' per-country signatures (scripts/default-signatures.ts writes them next to
// the adapters), so the Atlas and the Present deck show the country map without training.
import type { SignatureSet } from '../experiments/signatures';

export const DEFAULT_SIGNATURES_FILE = 'signatures.json';

export interface DefaultSignatures {
  /** the synthetic world the defaults were trained on, in words */
  world: string;
  /** the question whose prompt CUMA's gates were read on */
  question: string;
  adapters: { method: string; label: string; file: string; set: SignatureSet }[];
}

function isSignatureSet(x: unknown): x is SignatureSet {
  const s = x as SignatureSet;
  return (
    !!s &&
    (s.kind === 'routing' || s.kind === 'z') &&
    Array.isArray(s.countries) &&
    s.countries.every((c) => typeof c.country === 'string' && typeof c.zone === 'string' && Array.isArray(c.vector) && c.vector.every((v) => typeof v === 'number' && Number.isFinite(v)))
  );
}

/** Read and check the shipped file; null when it is missing or not in this shape. */
export async function fetchDefaultSignatures(base: string = import.meta.env.BASE_URL): Promise<DefaultSignatures | null> {
  try {
    const res = await fetch(`${base}adapters/${DEFAULT_SIGNATURES_FILE}`);
    if (!res.ok) return null;
    const j = (await res.json()) as DefaultSignatures;
    if (!j || !Array.isArray(j.adapters) || !j.adapters.every((a) => typeof a.method === 'string' && isSignatureSet(a.set))) return null;
    return j;
  } catch {
    return null;
  }
}
