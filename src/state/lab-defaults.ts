// The trained default adapters the app ships (npm run train:defaults): which presets have one, and fetching it.
import { methodOfPreset, type MethodId } from '../adapters/methods';
import { type AdapterSummary, type MethodPreset } from '../adapters/session';

/** The trained defaults' manifest (scripts/train-defaults.ts writes it). */
interface DefaultsManifest {
  adapters: { method: string; file: string }[];
}

/** The methods `npm run train:defaults` ships trained on the embedded model (scripts/train-defaults.ts). */
const SHIPPED_DEFAULTS: readonly MethodId[] = ['zhyper-diag', 'cuma'];
const DEFAULT_FOR = (p: MethodPreset): MethodId | undefined => SHIPPED_DEFAULTS.find((m) => m === methodOfPreset(p));

/** Whether `npm run train:defaults` ships a trained adapter for this preset (on the embedded model). */
export const hasTrainedDefault = (p: MethodPreset): boolean => DEFAULT_FOR(p) !== undefined;

/** The bar's method for an adapter's spec (null when none of the presets describes it). */
export function presetOf(a: AdapterSummary): MethodPreset | null {
  if (a.method === 'lora') return 'lora';
  if (a.method === 'zhyper') return a.variant === 'square' ? 'zhyper-square' : 'zhyper';
  if (a.method === 'cuma') return a.semanticOnly ? 'cuma-semantic' : a.topK !== undefined && a.topK === a.experts ? 'cuma-soft' : 'cuma';
  return null;
}

/** The shipped trained adapter for `preset` on the embedded model, or null (none shipped, or not reachable). */
export async function trainedDefault(preset: MethodPreset, base: string = import.meta.env.BASE_URL): Promise<{ file: string; bytes: Uint8Array } | null> {
  const method = DEFAULT_FOR(preset);
  if (!method) return null;
  try {
    const res = await fetch(`${base}adapters/manifest.json`);
    if (!res.ok) return null;
    const m = (await res.json()) as DefaultsManifest;
    const entry = m.adapters?.find((a) => a.method === method);
    if (!entry) return null;
    const f = await fetch(`${base}adapters/${entry.file}`);
    if (!f.ok) return null;
    return { file: entry.file, bytes: new Uint8Array(await f.arrayBuffer()) };
  } catch {
    return null;
  }
}

