// The product's views (one navigation bar). Model, Compare, Blend, Routing, Train and Atlas are built; the rest say what they will show.
export const VIEWS = ['model', 'compare', 'blend', 'routing', 'train', 'atlas', 'learn', 'present'] as const;
export type View = (typeof VIEWS)[number];

export const VIEW_INFO: Record<View, { title: string; summary: string }> = {
  model: { title: 'Model', summary: 'Adapter info, backbone picker (embedded, hub id or local folder), download progress and chat.' },
  compare: { title: 'Compare', summary: 'Two to four personas side by side: profile builders, their generations and option-probability bars.' },
  blend: { title: 'Blend', summary: "A slider between two personas' condition embeddings and the adapter strength, with distributions and z moving live." },
  routing: { title: 'Routing', summary: 'Token × expert and layer × expert gate heatmaps, the differences between personas, and z heatmaps.' },
  train: { title: 'Train', summary: "Pick a method, dataset and budget; watch progress, loss and metric curves, and a results table like CUMA's Table 1." },
  atlas: { title: 'Atlas', summary: 'A live t-SNE of per-country routing (or z) signatures, coloured by cultural zone.' },
  learn: { title: 'Learn', summary: 'Short interactive chapters on LoRA, Zhyper, mixture-of-experts routing and mean collapse.' },
  present: { title: 'Present', summary: 'Full-screen, keyboard-driven scenes for talks, with deterministic (seeded) replays.' },
};

export function isView(v: string): v is View {
  return (VIEWS as readonly string[]).includes(v);
}

/** The view named in the URL hash (#/model), so a link opens the same view. */
export function viewFromHash(hash: string): View {
  const v = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return isView(v) ? v : 'model';
}
