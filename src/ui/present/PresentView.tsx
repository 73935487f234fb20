// Present: a talk mode. Full screen (F or the button), keyboard driven (→ / Space next, ← back, 1–9 a scene,
// Home / End, N notes, R replay on the map scene, Esc leaves full screen), the scene number in the URL
// (#/present/3). The deck is edited below the stage and kept in this browser; it travels as a JSON file.
import { useCallback, useEffect, useRef, useState } from 'react';
import { sceneFromHash } from '../../state/deck';
import { usePresent } from '../../state/present';
import { DeckEditor } from './DeckEditor';
import { AtlasScene, BlendScene, CollapseScene, PersonasScene, ResultsScene, RoutingScene } from './scenes';

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function PresentView() {
  const deck = usePresent((s) => s.deck);
  const notes = usePresent((s) => s.notes);
  const editing = usePresent((s) => s.editing);
  const count = deck.scenes.length;
  const [n, setN] = useState(() => sceneFromHash(location.hash, count));
  const [full, setFull] = useState(false);
  const [replayKey, setReplayKey] = useState(0);
  const stage = useRef<HTMLDivElement | null>(null);

  const go = useCallback(
    (k: number) => {
      const next = Math.min(Math.max(1, k), count);
      history.replaceState(null, '', `${location.pathname}${location.search}#/present/${next}`);
      setN(next);
      setReplayKey(0);
    },
    [count],
  );
  useEffect(() => {
    const on = () => setN(sceneFromHash(location.hash, count));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, [count]);
  useEffect(() => {
    if (n > count) go(count);
  }, [n, count, go]);
  // the URL names the scene from the first render on
  useEffect(() => {
    if (!/^#\/?present\/\d+/.test(location.hash)) history.replaceState(null, '', `${location.pathname}${location.search}#/present/${n}`);
  }, [n]);

  const toggleFull = useCallback(() => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => {});
    else void stage.current?.requestFullscreen?.().catch(() => {});
  }, []);
  useEffect(() => {
    const on = () => setFull(document.fullscreenElement === stage.current);
    document.addEventListener('fullscreenchange', on);
    return () => document.removeEventListener('fullscreenchange', on);
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      // inside the editor, Space and Backspace belong to its buttons and fields
      if ((e.target as HTMLElement | null)?.closest?.('.deck-editor')) return;
      const k = e.key;
      if (k === 'ArrowRight' || k === ' ' || k === 'PageDown') go(n + 1);
      else if (k === 'ArrowLeft' || k === 'PageUp' || k === 'Backspace') go(n - 1);
      else if (k === 'Home') go(1);
      else if (k === 'End') go(count);
      else if (/^[1-9]$/.test(k)) go(Number(k));
      else if (k === 'f' || k === 'F') toggleFull();
      else if (k === 'n' || k === 'N') usePresent.getState().toggleNotes();
      else if (k === 'r' || k === 'R') setReplayKey((x) => x + 1);
      else if (k === 'Escape' && document.fullscreenElement) void document.exitFullscreen().catch(() => {});
      else if (k === 'Escape' && editing) usePresent.getState().setEditing(false);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [n, count, go, toggleFull, editing]);

  // clamped while rendering: a shorter deck (a scene removed, an import, a reset) never reads past its end
  const cur = Math.min(Math.max(1, n), count);
  const scene = deck.scenes[cur - 1];
  return (
    <div className="present-view" data-testid="view-present" data-scene={cur}>
      <div ref={stage} className={`present-stage${full ? ' full' : ''}`} data-testid="present-stage" data-fullscreen={full ? 'true' : 'false'}>
        <div className="stage-body" data-testid={`present-scene-${scene.kind}`}>
          {scene.kind === 'title' ? (
            <div className="scene-title">
              <h1>{scene.title || deck.title}</h1>
              {scene.text && <p>{scene.text}</p>}
              <p className="scene-hint">→ or Space: next · ←: back · F: full screen · N: notes</p>
            </div>
          ) : (
            <>
              <header className="scene-head">
                <h1>{scene.title}</h1>
                {scene.text && <p>{scene.text}</p>}
              </header>
              <div className="scene-content">
                {scene.kind === 'personas' && <PersonasScene deck={deck} />}
                {scene.kind === 'blend' && <BlendScene deck={deck} />}
                {scene.kind === 'routing' && <RoutingScene deck={deck} />}
                {scene.kind === 'atlas' && <AtlasScene deck={deck} replayKey={replayKey} />}
                {scene.kind === 'collapse' && <CollapseScene />}
                {scene.kind === 'results' && <ResultsScene />}
              </div>
            </>
          )}
        </div>
        <footer className="stage-foot">
          <button className="secondary" onClick={() => go(cur - 1)} disabled={cur <= 1} aria-label="Previous scene" data-testid="present-prev">
            ←
          </button>
          <span className="stage-count" data-testid="present-count">
            {cur} / {count}
          </span>
          <button className="secondary" onClick={() => go(cur + 1)} disabled={cur >= count} aria-label="Next scene" data-testid="present-next">
            →
          </button>
          <span className="spacer" />
          <button className="secondary" onClick={() => usePresent.getState().toggleNotes()} data-testid="present-notes-toggle" aria-pressed={notes}>
            Notes (N)
          </button>
          <button className="secondary" onClick={toggleFull} data-testid="present-fullscreen">
            {full ? 'Leave full screen (Esc)' : 'Full screen (F)'}
          </button>
          {!full && (
            <button className="secondary" onClick={() => usePresent.getState().setEditing(!editing)} data-testid="present-edit" aria-pressed={editing}>
              {editing ? 'Close editor' : 'Edit deck'}
            </button>
          )}
        </footer>
        {notes && (
          <aside className="stage-notes" data-testid="present-notes" aria-label="Presenter notes">
            <strong>Notes:</strong> {scene.notes || <span className="muted">none for this scene</span>}
          </aside>
        )}
      </div>
      {editing && !full && <DeckEditor current={cur} go={go} />}
    </div>
  );
}
