// The deck's editor: the method, the two personas, the question, and the scenes (kind, text, notes, order).
// Changes are kept in this browser at once; Export / Import move a deck between machines as JSON.
import { FileButton } from '../shared/FileButton';
import { COUNTRIES } from '../../condition/profile';
import { QUESTIONS } from '../../data/questions';
import { DECK_METHODS, SCENE_KINDS, SCENE_KIND_LABEL, type SceneKind } from '../../state/deck';
import { usePresent } from '../../state/present';
import { RELIGIOSITY } from '../../state/scene';
import { downloadFile } from '../shared/download';

const METHOD_TEXT = { cuma: 'CUMA (trained default)', zhyper: 'Zhyper diag (trained default)' } as const;

export function DeckEditor({ current, go }: { current: number; go: (n: number) => void }) {
  const deck = usePresent((s) => s.deck);
  const importError = usePresent((s) => s.importError);
  const p = usePresent.getState;
  const questionIndex = QUESTIONS.findIndex((q) => q.text === deck.question);
  return (
    <section className="card deck-editor" data-testid="deck-editor" aria-label="Deck editor">
      <div className="row">
        <h2>Deck</h2>
        <span className="muted small">Kept in this browser as you edit.</span>
        <span className="spacer" />
        <button className="secondary" data-testid="deck-export" onClick={() => downloadFile('adapter-atlas-deck.json', p().exportDeck())}>
          Export deck
        </button>
        <FileButton className="secondary" accept=".json,application/json" onFile={(f) => void f.text().then((t) => p().importDeck(t, f.name))} testId="deck-import" inputTestId="deck-import-input">
          Import deck…
        </FileButton>
        <button
          className="link-button"
          data-testid="deck-reset"
          onClick={() => {
            if (confirm('Replace this deck with the default deck?')) p().resetDeck();
          }}
        >
          Reset to the default deck
        </button>
      </div>
      {importError && (
        <p className="error-message" role="alert" data-testid="deck-import-error">
          {importError} Your deck is unchanged.
        </p>
      )}
      <div className="deck-fields">
        <label className="pfield">
          <span>Title</span>
          <input type="text" value={deck.title} maxLength={200} onChange={(e) => p().setDeck({ title: e.target.value })} data-testid="deck-title" />
        </label>
        <label className="pfield">
          <span>Method</span>
          <select value={deck.method} onChange={(e) => p().setDeck({ method: e.target.value as (typeof DECK_METHODS)[number] })} data-testid="deck-method">
            {DECK_METHODS.map((m) => (
              <option key={m} value={m}>
                {METHOD_TEXT[m]}
              </option>
            ))}
          </select>
        </label>
        <label className="pfield">
          <span>Question</span>
          <select
            value={questionIndex}
            onChange={(e) => {
              const q = QUESTIONS[Number(e.target.value)];
              if (q) p().setDeck({ question: q.text, options: [...q.options] });
            }}
            data-testid="deck-question"
          >
            {questionIndex < 0 && <option value={-1}>{deck.question}</option>}
            {QUESTIONS.map((q, i) => (
              <option key={q.id} value={i}>
                {q.text}
              </option>
            ))}
          </select>
        </label>
        {([0, 1] as const).map((i) => {
          const persona = deck.personas[i];
          const set = (patch: Partial<typeof persona>) => {
            const personas = [...deck.personas] as typeof deck.personas;
            personas[i] = { ...persona, ...patch };
            p().setDeck({ personas });
          };
          return (
            <fieldset key={i} className="pfield deck-persona">
              <legend>Persona {i === 0 ? 'A' : 'B'}</legend>
              <select value={persona.profile.country ?? ''} onChange={(e) => set({ profile: { ...persona.profile, country: e.target.value } })} data-testid={`deck-country-${i}`} aria-label={`Persona ${i === 0 ? 'A' : 'B'} country`}>
                {COUNTRIES.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
              <select value={persona.religiosity ?? -1} onChange={(e) => set({ religiosity: Number(e.target.value) < 0 ? null : Number(e.target.value) })} aria-label={`Persona ${i === 0 ? 'A' : 'B'} religiosity`}>
                <option value={-1}>religiosity not stated</option>
                {RELIGIOSITY.map((r, k) => (
                  <option key={r} value={k}>
                    {r}
                  </option>
                ))}
              </select>
            </fieldset>
          );
        })}
      </div>
      <ol className="deck-scenes">
        {deck.scenes.map((s, i) => (
          <li key={i} className={i + 1 === current ? 'current' : undefined} data-testid={`deck-scene-${i}`}>
            <button className="link-button" onClick={() => go(i + 1)} title="Show this scene">
              {i + 1}.
            </button>
            <select value={s.kind} onChange={(e) => p().setScene(i, { kind: e.target.value as SceneKind })} aria-label={`Scene ${i + 1} kind`}>
              {SCENE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {SCENE_KIND_LABEL[k]}
                </option>
              ))}
            </select>
            <input type="text" value={s.title} maxLength={200} onChange={(e) => p().setScene(i, { title: e.target.value })} aria-label={`Scene ${i + 1} title`} />
            <input type="text" value={s.text} maxLength={600} onChange={(e) => p().setScene(i, { text: e.target.value })} aria-label={`Scene ${i + 1} text`} placeholder="what the audience reads" />
            <input type="text" value={s.notes} maxLength={2000} onChange={(e) => p().setScene(i, { notes: e.target.value })} aria-label={`Scene ${i + 1} notes`} placeholder="presenter notes" />
            <button className="icon-button" onClick={() => p().moveScene(i, -1)} disabled={i === 0} aria-label={`Move scene ${i + 1} up`}>
              ↑
            </button>
            <button className="icon-button" onClick={() => p().moveScene(i, 1)} disabled={i === deck.scenes.length - 1} aria-label={`Move scene ${i + 1} down`}>
              ↓
            </button>
            <button className="icon-button" onClick={() => p().removeScene(i)} disabled={deck.scenes.length <= 1} aria-label={`Remove scene ${i + 1}`}>
              ×
            </button>
          </li>
        ))}
      </ol>
      <div className="row">
        <span>Add a scene:</span>
        {SCENE_KINDS.map((k) => (
          <button key={k} className="small-button" onClick={() => p().addScene(k)} data-testid={`deck-add-${k}`}>
            + {SCENE_KIND_LABEL[k]}
          </button>
        ))}
      </div>
    </section>
  );
}
