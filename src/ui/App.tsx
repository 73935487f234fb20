import { useEffect } from 'react';
import { exposeLabForTests, useLab } from '../state/lab';
import { exposeTrainForTests, useTrain } from '../state/train';
import { exposeAtlasForTests } from '../state/atlas';
import { useApp } from '../state/store';
import { viewFromHash } from '../state/views';
import { BlendView } from './blend/BlendView';
import { CompareView } from './compare/CompareView';
import { ModelView } from './model/ModelView';
import { NavBar } from './NavBar';
import { Placeholder } from './Placeholder';
import { RoutingView } from './routing/RoutingView';
import { TrainView } from './train/TrainView';
import { AtlasView } from './atlas/AtlasView';
import { LearnView } from './learn/LearnView';
import { PresentView } from './present/PresentView';

const BUILT = new Set(['model', 'compare', 'blend', 'routing', 'train', 'atlas', 'learn', 'present']);

export function App() {
  const view = useApp((s) => s.view);

  useEffect(() => {
    exposeLabForTests();
    exposeTrainForTests();
    exposeAtlasForTests();
    // kept runs: the list is ready when Train opens, and runs a reload cut off are marked interrupted
    void useTrain.getState().init();
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
        {/* Train and Atlas keep runs and layouts in their stores (useTrain, useAtlas), so they can unmount. */}
        {view === 'train' && <TrainView />}
        {view === 'atlas' && <AtlasView />}
        {view === 'learn' && <LearnView />}
        {view === 'present' && <PresentView />}
        {!BUILT.has(view) && <Placeholder view={view} />}
      </main>
    </>
  );
}
