// Where a run's answers come from: the synthetic world, or real opinions from a GlobalOpinionQA file that the
// user drops, picks, or fetches from the Hugging Face hub in their browser. Nothing of the file leaves the page.
import { useState, type DragEvent, type ReactNode } from 'react';
import { WORLD_CHOICES, type TrainForm, type WorldChoice } from '../../state/runlog';
import { useTrain } from '../../state/train';
import { GLOBAL_OPINIONS_DATASET } from '../../data/import-goqa';
import { FileButton } from '../shared/FileButton';
import { count } from '../format';

const plural = (n: number, what: string) => `${count(n)} ${what}${n === 1 ? '' : 's'}`;

export function DataSource(props: { disabled: boolean; numField(label: string, testId: string, value: number, onChange: (v: number) => void, title: string): ReactNode }) {
  const form = useTrain((s) => s.form);
  const setForm = useTrain((s) => s.setForm);
  const setWorld = useTrain((s) => s.setWorld);
  const goqa = useTrain((s) => s.goqa);
  const busy = useTrain((s) => s.goqaBusy);
  const loadFile = useTrain((s) => s.loadGoqaFile);
  const fetchHub = useTrain((s) => s.fetchGoqa);
  const [dataset, setDataset] = useState(GLOBAL_OPINIONS_DATASET);
  const [over, setOver] = useState(false);
  const set = (patch: Partial<TrainForm>) => setForm(patch);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer.files?.[0];
    if (f && !props.disabled) void loadFile(f);
  };

  return (
    <div className="data-source" data-testid="data-source" data-kind={form.data}>
      <div className="row data-kind" role="radiogroup" aria-label="Data">
        <label className="check">
          <input type="radio" name="data-kind" data-testid="data-synthetic" checked={form.data === 'synthetic'} disabled={props.disabled} onChange={() => set({ data: 'synthetic' })} />
          <span>Synthetic world</span>
        </label>
        <label className="check">
          <input type="radio" name="data-kind" data-testid="data-goqa" checked={form.data === 'goqa'} disabled={props.disabled} onChange={() => set({ data: 'goqa' })} />
          <span>Real opinions (GlobalOpinionQA)</span>
        </label>
      </div>
      {form.data === 'synthetic' ? (
        <label className="pfield wide">
          <span>World</span>
          <select data-testid="train-world" value={form.world} disabled={props.disabled} onChange={(e) => setWorld(e.target.value as WorldChoice)}>
            {(Object.keys(WORLD_CHOICES) as WorldChoice[]).map((w) => (
              <option key={w} value={w}>
                {WORLD_CHOICES[w].label}
              </option>
            ))}
          </select>
          <small className="muted">{WORLD_CHOICES[form.world].note}</small>
        </label>
      ) : (
        <div
          className={`goqa-drop${over ? ' over' : ''}`}
          data-testid="goqa-drop"
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={onDrop}
        >
          <p className="small">
            Drop <code>global_opinions.csv</code> here, pick it, or fetch it from the Hugging Face hub. Each country's answer distribution becomes P*, and people are sampled from it; they
            differ only by country (the file has no demographics).
          </p>
          <div className="row">
            <FileButton accept=".csv,text/csv" onFile={(f) => void loadFile(f)} testId="goqa-file" inputTestId="goqa-file-input" disabled={props.disabled || busy}>
              Pick a file…
            </FileButton>
            <input className="goqa-id" data-testid="goqa-dataset" value={dataset} onChange={(e) => setDataset(e.target.value)} aria-label="Hugging Face dataset id" disabled={props.disabled || busy} />
            <button data-testid="goqa-fetch" disabled={props.disabled || busy} onClick={() => void fetchHub(dataset)}>
              {busy ? 'Fetching…' : 'Fetch from the hub'}
            </button>
          </div>
          {goqa ? (
            <div className="goqa-summary" data-testid="goqa-summary" data-questions={goqa.questions.length} data-rejected={goqa.rejected.length}>
              <strong>{goqa.name}</strong>: {plural(goqa.questions.length, 'question')} read, {plural(goqa.rejected.length, 'row')} rejected, {plural(goqa.warnings.length, 'note')}.
              {(goqa.rejected.length > 0 || goqa.warnings.length > 0) && (
                <details>
                  <summary>What was left out, and why</summary>
                  <ul className="small" data-testid="goqa-issues">
                    {goqa.rejected.slice(0, 50).map((b) => (
                      <li key={`r${b.line}`}>
                        line {b.line}: {b.reason}
                      </li>
                    ))}
                    {goqa.warnings.slice(0, 50).map((w, i) => (
                      <li key={`w${i}`} className="muted">
                        {w}
                      </li>
                    ))}
                    {goqa.rejected.length + goqa.warnings.length > 100 && <li className="muted">… and more (npm run cli -- import --format goqa FILE lists them all)</li>}
                  </ul>
                </details>
              )}
            </div>
          ) : (
            <p className="muted small" data-testid="goqa-none">
              No file loaded in this tab yet (a file is not kept across reloads).
            </p>
          )}
          <div className="field-row">
            {props.numField('Questions', 'goqa-questions', form.goqaQuestions, (v) => set({ goqaQuestions: v }), 'the questions most countries answered')}
            {props.numField('People per country', 'goqa-people', form.goqaParticipants, (v) => set({ goqaParticipants: v }), 'sampled from each country’s answer distribution; each answers every question their country has')}
          </div>
        </div>
      )}
    </div>
  );
}
