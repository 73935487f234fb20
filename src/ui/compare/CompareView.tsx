// Compare: 2–4 personas side by side answering the same question (option-probability bars) and the same
// free-text prompt (streamed generations), conditioned through the adapter or by persona prompting.
import { TRAINING_BUSY_TITLE, useTrainingBusy } from '../shared/useTrainingBusy';
import { useId } from 'react';
import { OPTION_LETTERS, type ConditionMode } from '../../adapters/session';
import { MAX_OPTIONS, MAX_PERSONAS, MIN_OPTIONS, MIN_PERSONAS, personaName, personaText, type Persona } from '../../state/scene';
import { scoreKey, useLab } from '../../state/lab';
import { totalVariation } from '../../state/plots';
import { useApp } from '../../state/store';
import { AdapterBar } from '../shared/AdapterBar';
import { personaColor, PERSONA_MARKS } from '../shared/colors';
import { LabErrors } from '../shared/LabError';
import { OptionBars } from '../shared/OptionBars';
import { PersonaText, ProfileBuilder } from '../shared/ProfileBuilder';
import { ShareButton } from '../shared/ShareButton';
import { ViewHeader } from '../shared/ViewHeader';
import { Term } from '../shared/glossary';

const MODES: { id: ConditionMode; label: string; hint: string }[] = [
  { id: 'adapter', label: 'Adapter', hint: "the persona's text is embedded and conditions the adapter; the prompt is the same for everyone" },
  { id: 'prompt', label: 'Persona prompting', hint: "the persona's text is written before the question (no adapter condition)" },
];

function QuestionCard() {
  const uid = useId();
  const question = useLab((s) => s.question);
  const options = useLab((s) => s.options);
  const mode = useLab((s) => s.mode);
  const adapter = useLab((s) => s.adapter);
  const ready = useApp((s) => s.modelStatus === 'ready');
  const lab = useLab.getState;
  return (
    <section className="card question-card" aria-labelledby={`${uid}-h`}>
      <h2 id={`${uid}-h`}>Question</h2>
      <label htmlFor={`${uid}-q`} className="sr-only">
        Question
      </label>
      <textarea id={`${uid}-q`} data-testid="question" rows={2} value={question} onChange={(e) => lab().setQuestion(e.target.value)} />
      <ol className="options" aria-label="Answer options">
        {options.map((o, i) => (
          <li key={i}>
            <span className="option-letter" aria-hidden>
              {OPTION_LETTERS[i]}.
            </span>
            <label className="sr-only" htmlFor={`${uid}-o${i}`}>
              Option {OPTION_LETTERS[i]}
            </label>
            <input id={`${uid}-o${i}`} type="text" className="option-input" data-testid={`option-${i}`} value={o} onChange={(e) => lab().setOption(i, e.target.value)} />
            <button className="icon-button" data-testid={`remove-option-${i}`} disabled={options.length <= MIN_OPTIONS} onClick={() => lab().removeOption(i)} aria-label={`Remove option ${OPTION_LETTERS[i]}`}>
              ×
            </button>
          </li>
        ))}
      </ol>
      <div className="row">
        <button className="link-button" data-testid="add-option" disabled={options.length >= MAX_OPTIONS} onClick={() => lab().addOption()}>
          + add option
        </button>
      </div>
      <fieldset className="mode-toggle">
        <legend title={MODES.find((m) => m.id === mode)!.hint}>Condition by</legend>
        {MODES.map((m) => (
          <label key={m.id} className="check" title={m.hint}>
            <input type="radio" name={`${uid}-mode`} data-testid={`mode-${m.id}`} checked={mode === m.id} onChange={() => lab().setMode(m.id)} />
            <span>{m.label}</span>
          </label>
        ))}
      </fieldset>
      {mode === 'adapter' && ready && (!adapter || adapter.method === 'lora') && (
        <p className="note" data-testid="no-condition-note">
          {adapter ? 'A dense LoRA has no condition:' : 'No adapter:'} every persona gets the same answer in adapter mode. Make a Zhyper or CUMA adapter above, or switch to persona
          prompting.
        </p>
      )}
      <LabErrors areas={['score']} />
    </section>
  );
}

function GenerateCard() {
  const uid = useId();
  const prompt = useLab((s) => s.genPrompt);
  const busy = useLab((s) => s.busy);
  const training = useTrainingBusy();
  const ready = useApp((s) => s.modelStatus === 'ready');
  const maxTokens = useApp((s) => s.opts.maxTokens);
  const lab = useLab.getState;
  return (
    <section className="card generate-card" aria-labelledby={`${uid}-h`}>
      <h2 id={`${uid}-h`}>Free-text prompt</h2>
      <label htmlFor={`${uid}-p`} className="sr-only">
        Prompt every persona answers
      </label>
      <textarea
        id={`${uid}-p`}
        data-testid="gen-prompt"
        rows={3}
        value={prompt}
        onChange={(e) => lab().setGenPrompt(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void lab().generateAll();
          }
        }}
      />
      <div className="row">
        <button className="primary big" data-testid="generate-all" disabled={!ready || busy !== null || !prompt.trim() || training} onClick={() => void lab().generateAll()} title={training ? TRAINING_BUSY_TITLE : 'Ctrl+Enter'}>
          Generate
        </button>
        <button className="secondary big" data-testid="stop-all" disabled={busy !== 'generate'} onClick={() => lab().stopGenerating()}>
          Stop
        </button>
        <span className="muted small">
          Each persona in turn, up to {maxTokens} tokens (sampling settings from the Model view; the same seed for everyone).
        </span>
      </div>
      <LabErrors areas={['generate']} />
    </section>
  );
}

function PersonaCard({ persona, index, total }: { persona: Persona; index: number; total: number }) {
  const uid = useId();
  const gen = useLab((s) => s.generations[persona.id]);
  const generating = useLab((s) => s.generatingId === persona.id);
  const busy = useLab((s) => s.busy);
  const lab = useLab.getState;
  const color = personaColor(index);
  return (
    <section className="card persona-card" data-testid={`persona-${index}`} aria-labelledby={`${uid}-h`} style={{ borderTopColor: color }}>
      <div className="persona-head">
        <h2 id={`${uid}-h`}>
          <span style={{ color }} aria-hidden>
            {PERSONA_MARKS[index]}
          </span>{' '}
          Persona {index + 1} <span className="muted persona-name">· {personaName(persona, index)}</span>
        </h2>
        <button
          className="icon-button"
          data-testid={`remove-persona-${index}`}
          disabled={total <= MIN_PERSONAS || busy !== null}
          onClick={() => lab().removePersona(persona.id)}
          aria-label={`Remove persona ${index + 1}`}
          title="Remove this persona"
        >
          ×
        </button>
      </div>
      <ProfileBuilder persona={persona} index={index} onChange={(patch) => lab().setPersona(persona.id, patch)} />
      <PersonaText persona={persona} index={index} />
      <div className="generation-block">
        <h3 className="small-h">Generation</h3>
        <div className={generating ? 'output small-output generating' : 'output small-output'} data-testid={`generation-${index}`} aria-live="polite" aria-busy={generating} data-done={gen?.done ? 'true' : 'false'}>
          {gen?.text.replace(/^[ \t]+/, '') || <span className="muted">{gen && !gen.done ? 'waiting…' : 'Press Generate.'}</span>}
        </div>
      </div>
    </section>
  );
}

/** The scores: the main action (Score) and its result, side by side with the question. */
function AnswersCard() {
  const uid = useId();
  const personas = useLab((s) => s.personas);
  const options = useLab((s) => s.options);
  const scores = useLab((s) => s.scores);
  const key = useLab((s) => scoreKey(s));
  const scoresKey = useLab((s) => s.scoresKey);
  const busy = useLab((s) => s.busy);
  const training = useTrainingBusy();
  const scoringId = useLab((s) => s.scoringId);
  const ready = useApp((s) => s.modelStatus === 'ready');
  const scoringIndex = personas.findIndex((p) => p.id === scoringId);
  const barH = 70 + (personas.length > 2 ? 30 : 38) * options.length;
  return (
    <section className="card answers-card" aria-labelledby={`${uid}-h`}>
      <div className="card-head">
        <h2 id={`${uid}-h`}>Answers</h2>
        <div className="row">
          {busy === 'score' && scoringIndex >= 0 && (
            <span className="muted" role="status">
              persona {scoringIndex + 1} of {personas.length}…
            </span>
          )}
          <button className="primary big" data-testid="score" disabled={!ready || busy !== null || training} title={training ? TRAINING_BUSY_TITLE : undefined} onClick={() => void useLab.getState().scoreAll()}>
            {busy === 'score' ? 'Scoring…' : 'Score'}
          </button>
        </div>
      </div>
      <Difference />
      <div className={`answer-bars n${personas.length}`}>
        {personas.map((p, i) => {
          const score = scores[p.id];
          const stale = !!score && (score.text !== personaText(p) || (scoresKey !== null && scoresKey !== key));
          const name = `${PERSONA_MARKS[i]} ${personaName(p, i)}`;
          return (
            <OptionBars
              key={p.id}
              result={score?.result ?? null}
              options={options}
              color={personaColor(i)}
              title={score ? `${name}${stale ? ' (out of date: score again)' : ''}` : `${name} (press Score)`}
              testId={`option-bars-${i}`}
              stale={stale}
              height={barH}
            />
          );
        })}
      </div>
    </section>
  );
}

function Difference() {
  const personas = useLab((s) => s.personas);
  const scores = useLab((s) => s.scores);
  const embedded = useApp((s) => s.source?.kind === 'embedded');
  const a = scores[personas[0]?.id]?.result;
  const b = scores[personas[1]?.id]?.result;
  if (!a || !b || a.probs.length !== b.probs.length) return null;
  const tv = totalVariation(a.probs, b.probs);
  const logDiff = Math.max(...a.probs.map((p, i) => Math.abs(Math.log(Math.max(p, 1e-300)) - Math.log(Math.max(b.probs[i], 1e-300)))));
  return (
    <div className="difference" data-testid="difference" data-tv={tv} data-logdiff={logDiff}>
      <p>
        Persona 1 vs 2: <Term t="TV">total variation distance</Term> <strong>{tv.toFixed(3)}</strong> <span className="muted">(0 = same answers, 1 = no overlap)</span> · largest log-probability change{' '}
        <strong>{logDiff < 0.001 ? logDiff.toExponential(1) : logDiff.toFixed(3)}</strong>
      </p>
      {tv < 0.005 && (
        <p className="note" data-testid="small-difference-note">
          The bars look alike: who is asking moves these answers by less than half a percentage point.
          {embedded
            ? ' The embedded default is a tiny constructed model (a word bigram) and a random adapter is untrained, so the answers barely depend on the persona. Load a real backbone in the Model view (e.g. SmolLM2-135M-Instruct), or raise the adapter strength in Blend.'
            : ' Try persona prompting, a higher adapter strength (Blend), or another question.'}
        </p>
      )}
    </div>
  );
}

export function CompareView() {
  const personas = useLab((s) => s.personas);
  const busy = useLab((s) => s.busy);
  const lab = useLab.getState;
  return (
    <div className="lab-view compare-view" data-testid="view-compare">
      <ViewHeader title="Compare" actions={<ShareButton />}>
        One question, {personas.length} personas: each profile becomes a sentence, its embedding conditions the adapter.
      </ViewHeader>
      <LabErrors areas={['scene']} />
      <AdapterBar />
      <div className="two-cards question-answers">
        <QuestionCard />
        <AnswersCard />
      </div>
      <GenerateCard />
      <div className={`personas n${personas.length}`}>
        {personas.map((p, i) => (
          <PersonaCard key={p.id} persona={p} index={i} total={personas.length} />
        ))}
      </div>
      <div className="row">
        <button className="secondary big" data-testid="add-persona" disabled={personas.length >= MAX_PERSONAS || busy !== null} onClick={() => lab().addPersona()}>
          + Add persona ({personas.length} of {MAX_PERSONAS})
        </button>
        <button className="link-button" data-testid="reset-scene" disabled={busy !== null} onClick={() => {
            if (confirm('Replace your personas, question and prompt with the defaults?')) lab().resetScene();
          }}>
          Reset to the default personas
        </button>
      </div>
    </div>
  );
}
