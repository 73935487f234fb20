import { TRAINING_BUSY_TITLE, useTrainingBusy } from '../shared/useTrainingBusy';
import type { GenerationResult } from '../../model/api';
import { useApp } from '../../state/store';
import { ErrorPanel } from '../ErrorPanel';
import { rate } from '../format';

const STOP_REASON: Record<GenerationResult['stopReason'], string> = {
  eos: 'finished (end of sequence)',
  max_tokens: 'reached the token limit',
  cancelled: 'stopped by you',
  context_full: 'the context window is full',
};

function Sampling() {
  const opts = useApp((s) => s.opts);
  const setOpts = useApp((s) => s.setOpts);
  const disabled = useApp((s) => s.generating);
  const num = (v: string, fallback: number) => (Number.isFinite(Number(v)) && v.trim() !== '' ? Number(v) : fallback);
  return (
    <fieldset className="sampling" disabled={disabled}>
      <legend>Sampling</legend>
      <label className="field">
        <span>Max new tokens</span>
        <input
          type="number"
          min={1}
          max={4096}
          value={opts.maxTokens}
          data-testid="max-tokens"
          onChange={(e) => setOpts({ maxTokens: Math.max(1, Math.round(num(e.target.value, opts.maxTokens))) })}
        />
      </label>
      <label className="field">
        <span>Seed</span>
        <input
          type="number"
          value={opts.seed}
          disabled={opts.greedy}
          data-testid="seed"
          title="The same seed, prompt and settings give the same answer"
          onChange={(e) => setOpts({ seed: Math.round(num(e.target.value, opts.seed)) })}
        />
      </label>
      <label className="check">
        <input type="checkbox" checked={opts.greedy} data-testid="greedy" onChange={(e) => setOpts({ greedy: e.target.checked })} />
        <span title="Always pick the most likely token (no sampling)">Greedy</span>
      </label>
      <label className="field">
        <span>
          Temperature <output>{opts.temperature.toFixed(2)}</output>
        </span>
        <input
          type="range"
          min={0.05}
          max={2}
          step={0.05}
          value={opts.temperature}
          disabled={opts.greedy}
          data-testid="temperature"
          onChange={(e) => setOpts({ temperature: Number(e.target.value) })}
        />
      </label>
      <label className="field">
        <span>Top-k</span>
        <input
          type="number"
          min={0}
          max={1000}
          value={opts.topK}
          disabled={opts.greedy}
          data-testid="top-k"
          title="Sample only from the k most likely tokens (0 = no limit)"
          onChange={(e) => setOpts({ topK: Math.max(0, Math.round(num(e.target.value, opts.topK))) })}
        />
      </label>
      <label className="field">
        <span>
          Top-p <output>{opts.topP.toFixed(2)}</output>
        </span>
        <input
          type="range"
          min={0.05}
          max={1}
          step={0.01}
          value={opts.topP}
          disabled={opts.greedy}
          data-testid="top-p"
          onChange={(e) => setOpts({ topP: Number(e.target.value) })}
        />
      </label>
    </fieldset>
  );
}

function Speed() {
  const generating = useApp((s) => s.generating);
  const live = useApp((s) => s.liveTokensPerSecond);
  const count = useApp((s) => s.tokenCount);
  const last = useApp((s) => s.lastResult);
  let body;
  if (generating) body = <>decode {rate(live)} tokens/s · {count} tokens so far</>;
  else if (last)
    body = (
      <>
        prefill {rate(last.prefillTokensPerSecond)} tokens/s ({last.promptTokens} prompt tokens) · decode {rate(last.decodeTokensPerSecond)} tokens/s (
        {last.tokens} new tokens) — {STOP_REASON[last.stopReason] ?? last.stopReason}
      </>
    );
  else body = <span className="muted">speed appears here (tokens per second, higher is faster)</span>;
  return (
    <p className="speed" data-testid="tokens-per-second" aria-live="off">
      {body}
    </p>
  );
}

export function ChatPanel() {
  const prompt = useApp((s) => s.prompt);
  const setPrompt = useApp((s) => s.setPrompt);
  const chat = useApp((s) => s.opts.chat);
  const hasTemplate = useApp((s) => !!s.summary?.hasChatTemplate);
  const setOpts = useApp((s) => s.setOpts);
  const generating = useApp((s) => s.generating);
  const ready = useApp((s) => s.modelStatus === 'ready');
  const generate = useApp((s) => s.generate);
  const training = useTrainingBusy();
  const stop = useApp((s) => s.stop);
  const output = useApp((s) => s.output);
  const error = useApp((s) => s.errors.generate);
  const dismiss = useApp((s) => s.dismissError);

  return (
    <section className="card chat" aria-labelledby="chat-h">
      <h2 id="chat-h">Chat</h2>
      <label htmlFor="prompt" className="sr-only">
        Prompt
      </label>
      <textarea
        id="prompt"
        data-testid="prompt"
        rows={4}
        value={prompt}
        placeholder="Ask the model something…"
        onChange={(e) => setPrompt(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void generate();
          }
        }}
      />
      <div className="row controls">
        <label className="check" title={hasTemplate ? '' : 'This model has no chat template (a base model): the prompt is continued as plain text'}>
          <input type="checkbox" data-testid="chat-template" checked={chat && hasTemplate} disabled={!hasTemplate || generating} onChange={(e) => setOpts({ chat: e.target.checked })} />
          <span>Apply chat template</span>
        </label>
        <span className="spacer" />
        <button className="primary big" data-testid="generate" onClick={() => void generate()} disabled={!ready || generating || !prompt.trim() || training} title={training ? TRAINING_BUSY_TITLE : 'Ctrl+Enter'}>
          Generate
        </button>
        <button className="secondary big" data-testid="stop" onClick={stop} disabled={!generating}>
          Stop
        </button>
      </div>
      <Sampling />
      {error && <ErrorPanel area="generate" error={error} onDismiss={() => dismiss('generate')} />}
      <div className={generating ? 'output generating' : 'output'} data-testid="output" aria-live="polite" aria-busy={generating}>
        {/* word-level tokens carry their leading space; the first one need not indent the answer */}
        {output.replace(/^[ \t]+/, '') || (!generating && <span className="muted">The answer streams here.</span>)}
      </div>
      {!generating && output.length > 0 && !output.trim() && (
        <p className="muted small">The model produced only whitespace ({output.length} characters): try another prompt, seed or temperature.</p>
      )}
      <Speed />
    </section>
  );
}
