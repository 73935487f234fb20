import { useEffect } from 'react';
import { useApp } from '../state/store';
import { viewFromHash } from '../state/views';
import { ModelView } from './model/ModelView';
import { NavBar } from './NavBar';
import { Placeholder } from './Placeholder';

export function App() {
  const view = useApp((s) => s.view);

  useEffect(() => {
    const onHash = () => useApp.getState().setView(viewFromHash(location.hash));
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
        {view !== 'model' && <Placeholder view={view} />}
      </main>
    </>
  );
}
