import { useEffect } from 'react';
import { exposeLabForTests, useLab } from '../state/lab';
import { useApp } from '../state/store';
import { viewFromHash } from '../state/views';
import { BlendView } from './blend/BlendView';
import { CompareView } from './compare/CompareView';
import { ModelView } from './model/ModelView';
import { NavBar } from './NavBar';
import { Placeholder } from './Placeholder';
import { RoutingView } from './routing/RoutingView';

const BUILT = new Set(['model', 'compare', 'blend', 'routing']);

export function App() {
  const view = useApp((s) => s.view);

  useEffect(() => {
    exposeLabForTests();
    // a shared link (#/compare?scene=…) restores its personas, question, prompt and view
    useLab.getState().applyHash(location.hash);
    const onHash = () => {
      useApp.getState().setView(viewFromHash(location.hash));
      useLab.getState().applyHash(location.hash);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    // Start the GPU worker and load the embedded default: a speaker opens the app and it works, offline.
    void useApp.getState().boot();
  }, []);

  return (
    <>
      <NavBar />
      <main className="content" data-view={view}>
        {/* Model stays mounted so a load or generation keeps its place while other views are open. */}
        <div hidden={view !== 'model'} data-testid="view-model">
          <ModelView />
        </div>
        {/* The conditioned views keep their work in the store (useLab), so they can unmount. */}
        {view === 'compare' && <CompareView />}
        {view === 'blend' && <BlendView />}
        {view === 'routing' && <RoutingView />}
        {!BUILT.has(view) && <Placeholder view={view} />}
      </main>
    </>
  );
}
