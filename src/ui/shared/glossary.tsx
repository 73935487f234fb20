// Every abbreviation and symbol the app puts on screen, explained once: on hover (<Term>) and in the
// glossary (Learn → Glossary). One catalogue, so a term reads the same everywhere.
import type { ReactNode } from 'react';

export const GLOSSARY = {
  EMD: "Earth mover's distance (Wasserstein-1) between a predicted and a true answer distribution over ordered options, divided by the largest possible distance (K − 1): 0 = identical, 1 = all mass at opposite ends. Lower is better.",
  'EMD (WVB)': "WorldValuesBench's EMD, as CUMA reports it: per question, the histogram of the participants' answers against the histogram of the model's most likely answers over the same participants, W1 divided by K − 1, then the mean over questions. A model that answers everyone alike scores the distance of that spike from the real spread. 0–1, lower is better.",
  'EMD to P*': "Per held-out answer, the EMD between the model's option probabilities and the true distribution P* for that person, averaged (a calibration measure; needs P*). 0–1, lower is better.",
  'macro-accuracy': "CUMA's country macro-accuracy: accuracy within each country, averaged with every country counted once. 0–1, higher is better.",
  'σ_inequity': "CUMA's inequity: the standard deviation (population) of the per-country accuracies. 0 = every country served equally well; lower is fairer.",
  'held-out profiles': 'Zero-shot as CUMA Appendix E.2: a random share of the profiles of every zone never appears in training; their zone is still trained on through the other profiles.',
  'macro-F1': 'The F1 score (harmonic mean of precision and recall) computed per answer option, then averaged with equal weight: rare answers count as much as common ones. 0–1, higher is better.',
  accuracy: 'Share of held-out answers where the most likely option is the one the person gave. 0–1, higher is better.',
  entropy: 'How spread out a predicted answer distribution is, in nats: 0 = certain of one option, ln K = uniform. High entropy with poor accuracy is the mark of mean collapse.',
  TV: 'Total variation distance between two answer distributions: half the sum of the absolute differences. 0 = the same answers, 1 = no overlap.',
  'ḡ_c': "A country's routing signature (CUMA Eq. 23): the router's gate per expert averaged over the country's profiles, their prompts' tokens and the layers.",
  'z̄_c': "A country's Zhyper signature: z = H(c) averaged over the country's profiles, every layer and module concatenated.",
  silhouette: 'How well countries of one cultural zone group together in signature space: for each country, (b − a)/max(a, b) with a the mean distance to its own zone and b to the nearest other zone, averaged. −1…1; above 0, zones are apart.',
  λ: "The weight of CUMA's load-balancing loss in the training objective (0.01 in the paper).",
  '‖g‖': 'The global norm of the gradient over every trainable tensor, before clipping. A sudden jump signals an unstable step.',
  T2L: 'Text-to-LoRA: a hypernetwork that generates all of a LoRA adapter’s A and B from a text. Zhyper generates only z and trains A and B, so its hypernetwork is much smaller.',
  'P*': "The synthetic world's exact answer distribution P*(answer | question, profile): the ground truth the metrics compare against.",
  e_d: "The demographic embedding: the condition encoder's vector for a persona's description. CUMA's router and Zhyper's hypernetwork read it.",
  z: "Zhyper's r numbers per layer and module (diag z), or an r×r matrix (square Z), that the hypernetwork outputs for a condition; ΔW = B·diag(z)·A.",
  r: "The LoRA rank: B is d×r and A is r×k, so the update B·A has at most r independent directions.",
  s: 'The LoRA scale: the model uses W + s·B·A (s = α/r, or α/√r with rsLoRA).',
  'top-k': 'Each token is sent to the k experts with the largest router scores; their gates are renormalised and the others are 0.',
  LOCO: 'Leave one cultural zone out: trained without any answer of that zone’s people, tested on them (Table 2).',
  'question prior': 'Each question’s answer frequencies in training, the same for everyone: where an adapter that ignores who is asking ends up (mean collapse).',
} as const;

export type GlossaryTerm = keyof typeof GLOSSARY;

/** An abbreviation with its meaning on hover (and to screen readers). */
export function Term({ t, children }: { t: GlossaryTerm; children?: ReactNode }) {
  return (
    <abbr className="term" title={GLOSSARY[t]} data-term={t}>
      {children ?? t}
    </abbr>
  );
}

export function Glossary() {
  return (
    <section className="card glossary" data-testid="glossary" aria-labelledby="glossary-h">
      <h2 id="glossary-h">Glossary</h2>
      <dl>
        {(Object.keys(GLOSSARY) as GlossaryTerm[]).map((k) => (
          <div key={k} className="glossary-row">
            <dt>{k}</dt>
            <dd>{GLOSSARY[k]}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
