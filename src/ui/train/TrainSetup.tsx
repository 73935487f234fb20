// The run's setup: methods, world, budget, and the controls that start, pause, resume and stop it.
import { useId, useState, type ReactNode } from 'react';
import { METHOD_NAMES, METHODS, usesCondition, type ExperimentMethod } from '../../experiments/runner';
import { ENCODERS } from '../../condition/encoder';
import { useLab } from '../../state/lab';
import type { TrainForm } from '../../state/runlog';
import type { Recipe } from '../../experiments/recipes';
import { DataSource } from './DataSource';
import { useApp } from '../../state/store';
import { useTrain } from '../../state/train';

const METHOD_HINT: Record<ExperimentMethod, string> = {
  'persona-prompting': 'the profile in the prompt, nothing trained',
  lora: 'one adapter for everyone (q, v, o, down; r = 8)',
  'zhyper-diag': 'hypernetwork: r numbers z per layer from the persona',
  'zhyper-square': 'hypernetwork: an r×r matrix Z per layer',
  'cuma-semantic': 'routed experts, router reads the tokens only',
  cuma: 'routed experts, router reads tokens + persona (top-2 of 8)',
  'cuma-soft': 'every expert weighted (k = N)',
};

/** A number field that lets the user type freely; blank means `null` where `nullable`. */
function NumField(props: { label: ReactNode; value: number | null; onChange(v: number | null): void; testId: string; step?: number | 'any'; min?: number; nullable?: boolean; disabled?: boolean; title?: string; width?: string }) {
  const { label, value, onChange, testId, step = 1, min, nullable, disabled, title, width } = props;
  const [text, setText] = useState<string | null>(null);
  const shown = text ?? (value == null || !Number.isFinite(value) ? '' : String(value));
  return (
    <label className="pfield" title={title}>
      <span>{label}</span>
      <input
        type="number"
        data-testid={testId}
        value={shown}
        step={step}
        min={min}
        disabled={disabled}
        placeholder={nullable ? 'all' : undefined}
        style={width ? { width } : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const t = e.target.value.trim();
          onChange(t === '' ? (nullable ? null : NaN) : Number(t));
        }}
        onBlur={() => setText(null)}
      />
    </label>
  );
}

export function TrainSetup() {
  const uid = useId();
  const form = useTrain((s) => s.form);
  const control = useTrain((s) => s.control);
  const setForm = useTrain((s) => s.setForm);
  const toggleMethod = useTrain((s) => s.toggleMethod);
  const toggleLoco = useTrain((s) => s.toggleLocoMethod);
  const resetForm = useTrain((s) => s.resetForm);
  const encoderId = useLab((s) => s.encoderId);
  const modelStatus = useApp((s) => s.modelStatus);
  const summary = useApp((s) => s.summary);
  const active = control !== 'idle';
  const set = (patch: Partial<TrainForm>) => setForm(patch);
  const encoder = ENCODERS.find((e) => e.id === encoderId);
  const conditioned = form.methods.some(usesCondition);

  return (
    <section className="card train-setup" data-testid="train-setup" aria-labelledby={`${uid}-h`}>
      <div className="card-head">
        <h2 id={`${uid}-h`}>Setup</h2>
        <span className="model-chip" data-testid="train-model-status" data-status={modelStatus}>
          <span className={`status-dot ${active ? 'training' : modelStatus}`} aria-hidden />
          {modelStatus === 'ready' ? `model: ${summary?.label}${active ? ' · training' : ''}` : modelStatus === 'loading' ? 'loading the model…' : 'no model loaded'}
        </span>
      </div>

      <fieldset className="method-picks" disabled={active}>
        <legend>Methods (trained and evaluated in this order)</legend>
        {METHODS.map((m) => {
          const r = form.recipes[m] ?? form.recipe;
          return (
            <div key={m} className="method-row">
              <label className="check method-pick">
                <input type="checkbox" data-testid={`method-${m}`} checked={form.methods.includes(m)} onChange={() => toggleMethod(m)} />
                <span>
                  <strong>{METHOD_NAMES[m]}</strong> <span className="muted small">{METHOD_HINT[m]}</span>
                </span>
              </label>
              <select
                className="method-recipe"
                data-testid={`recipe-${m}`}
                aria-label={`${METHOD_NAMES[m]}: recipe`}
                value={r}
                onChange={(e) => set({ recipes: { ...form.recipes, [m]: e.target.value as Recipe } })}
              >
                <option value="atlas">atlas</option>
                <option value="code">code</option>
              </select>
            </div>
          );
        })}
      </fieldset>

      <fieldset className="train-fields" disabled={active}>
        <legend className="sr-only">Data and budget</legend>
        <DataSource
          disabled={active}
          numField={(label, testId, value, onChange, title) => <NumField label={label} testId={testId} value={value} min={1} onChange={(v) => onChange(v ?? NaN)} title={title} />}
        />
        <label className="pfield wide">
          <span>Recipe</span>
          <select data-testid="train-recipe" value={form.recipe} onChange={(e) => set({ recipe: e.target.value as Recipe, recipes: {} })}>
            <option value="atlas">atlas: this project's choices (made to show the methods apart on the embedded model)</option>
            <option value="code">code: as the authors' code, point by point (compare with the papers' tables)</option>
          </select>
          <small className="muted">What each differs in: the README's fidelity table. A method can take the other recipe (beside its name above).</small>
        </label>
        <div className="field-row">
          <NumField label="Steps" testId="train-steps" value={form.steps} min={1} onChange={(v) => set({ steps: v ?? NaN })} title="optimizer steps per trained method" />
          <NumField label="Batch" testId="train-batch" value={form.batchSize} min={1} onChange={(v) => set({ batchSize: v ?? NaN })} title="answers per optimizer step" />
          <NumField label="Learning rate" testId="train-lr" value={form.lr} step="any" onChange={(v) => set({ lr: v ?? NaN })} title="peak learning rate (10% linear warm-up, cosine decay)" width="7.5rem" />
          <NumField label="Zhyper lr" testId="train-lr-zhyper" value={form.lrZhyper} step="any" nullable onChange={(v) => set({ lrZhyper: v })} title="Zhyper's peak learning rate: its hypernetwork overshoots at the rate that suits LoRA and CUMA (2e-3 by default); blank: the learning rate" width="7.5rem" />
          <NumField label="Seed" testId="train-seed" value={form.seed} onChange={(v) => set({ seed: v ?? NaN })} title="world, split, initialization and batch order" />
        </div>
        <div className="field-row">
          <NumField label="λ load balance" testId="train-lambda" value={form.lbLambda} step="any" min={0} onChange={(v) => set({ lbLambda: v ?? NaN })} title="CUMA's load-balancing weight (0.01 in the authors' code); other methods ignore it" />
          <label className="check persona-check">
            <input type="checkbox" data-testid="train-persona" checked={form.personaInPrompt} onChange={(e) => set({ personaInPrompt: e.target.checked })} />
            <span>Profile in every prompt</span>
          </label>
          <label className="check persona-check" title="Zhyper and CUMA read (e_d − μ)/m: μ the training profiles' mean embedding, m their mean distance from it. Profile embeddings share one large direction and differ little around it; centred, the hypernetwork and router see the differences. Kept adapters have the centring folded into their weights and read raw e_d.">
            <input type="checkbox" data-testid="train-centre" checked={form.centerConditions} onChange={(e) => set({ centerConditions: e.target.checked })} />
            <span>Centre conditions</span>
          </label>
          <label className="check persona-check" title="Wrap every prompt in the model's chat template (when it has one), as Compare scores by default, so that an adapter kept from this run sees in Compare the prompts it was trained on. Off: plain prompts, as the CLI's presets.">
            <input type="checkbox" data-testid="train-chat" checked={form.chat} onChange={(e) => set({ chat: e.target.checked })} />
            <span>Chat template</span>
          </label>
          <label className="check persona-check" title="A loss 3× the median of the 10 steps before, or a gradient norm 10× theirs, is always warned about in the run; checked, the learning rate is also halved from there for the rest of that method's run.">
            <input type="checkbox" data-testid="train-lr-backoff" checked={!!form.lrBackoff} onChange={(e) => set({ lrBackoff: e.target.checked })} />
            <span>Halve the lr at a spike</span>
          </label>
        </div>
        <details className="more-settings">
          <summary>More settings (sample sizes, reporting, Table 2)</summary>
          <div className="field-row">
            <NumField label="Training answers" testId="train-max-examples" value={form.maxExamples} nullable onChange={(v) => set({ maxExamples: v })} title="at most this many training answers (a seeded sample); blank: all" />
            <NumField label="Test answers" testId="train-max-test" value={form.maxTest} nullable onChange={(v) => set({ maxTest: v })} title="at most this many test answers; blank: all" />
            <NumField label="Max options" testId="train-max-options" value={form.maxOptions} nullable onChange={(v) => set({ maxOptions: v })} title="keep questions with at most this many options (each option letter must be one token)" />
          </div>
          <div className="field-row">
            <NumField label="Metrics every" testId="train-metrics-every" value={form.metricsEvery} min={0} onChange={(v) => set({ metricsEvery: v ?? NaN })} title="probe accuracy and EMD every n steps (0: only at the end)" />
            <NumField label="Probe size" testId="train-probe" value={form.probeSize} min={1} onChange={(v) => set({ probeSize: v ?? NaN })} title="test answers in the probe" />
            <NumField label="Signatures every" testId="train-signatures-every" value={form.signaturesEvery} min={0} onChange={(v) => set({ signaturesEvery: v ?? NaN })} title="per-country signatures for the Atlas every n steps (0: after training)" />
            <NumField label="Profiles / country" testId="train-sig-profiles" value={form.signatureProfiles} min={1} onChange={(v) => set({ signatureProfiles: v ?? NaN })} title="profiles averaged into a country's signature" />
          </div>
          <label className="check">
            <input type="checkbox" data-testid="train-loco" checked={form.loco} onChange={(e) => set({ loco: e.target.checked })} />
            <span>Table 2: train again once per zone with that zone left out, and once with a share of every zone's profiles held out (costly: one run per zone and method)</span>
          </label>
          {form.loco && (
            <div className="field-row loco-row">
              <NumField label="Table 2 steps" testId="train-loco-steps" value={form.locoSteps} min={1} onChange={(v) => set({ locoSteps: v ?? NaN })} />
              <NumField
                label="Held-out profiles"
                testId="train-held-out"
                value={form.heldOutProfiles}
                step="any"
                min={0}
                onChange={(v) => set({ heldOutProfiles: v ?? NaN })}
                title="Appendix E.2: this share of every zone's profiles is held out of training while the zone's other profiles are trained on (one more run per method); 0: whole zones only"
              />
              <div className="loco-methods" role="group" aria-label="Table 2 methods">
                {METHODS.filter((m) => m !== 'persona-prompting').map((m) => (
                  <label key={m} className="check small">
                    <input type="checkbox" data-testid={`loco-${m}`} checked={form.locoMethods.includes(m)} onChange={() => toggleLoco(m)} />
                    {METHOD_NAMES[m]}
                  </label>
                ))}
              </div>
            </div>
          )}
          <button className="link-button small" type="button" onClick={resetForm}>
            Reset every setting
          </button>
        </details>
        {conditioned && (
          <p className="muted small encoder-line">
            Personas are embedded by <strong>{encoder?.label ?? encoderId}</strong> ({encoder?.dim ?? '?'} numbers), the encoder picked in the adapter bar (Compare, Blend, Routing).
          </p>
        )}
      </fieldset>

      <p className="muted small">Start, pause and stop are beside the run's progress, on the right.</p>
    </section>
  );
}
