// Learn: four short chapters, each a toy that reacts to its controls and a link to the view that shows
// the same thing on the real model. The chapter is in the URL (#/learn/zhyper), so a link opens it.
import { useEffect, useState } from 'react';
import { Glossary } from '../shared/glossary';
import { CollapseChapter } from './CollapseChapter';
import { LoraChapter } from './LoraChapter';
import { RoutingChapter } from './RoutingChapter';
import { ZhyperChapter } from './ZhyperChapter';

export const CHAPTERS = [
  { id: 'lora', title: 'LoRA', needsGpu: false },
  { id: 'zhyper', title: 'Zhyper', needsGpu: false },
  { id: 'routing', title: 'Routing', needsGpu: false },
  { id: 'collapse', title: 'Mean collapse', needsGpu: false },
  { id: 'glossary', title: 'Glossary', needsGpu: false },
] as const;
type ChapterId = (typeof CHAPTERS)[number]['id'];

function chapterFromHash(hash: string): ChapterId {
  const id = hash.replace(/^#\/?learn\/?/, '').split(/[/?]/)[0];
  return (CHAPTERS.find((c) => c.id === id)?.id ?? 'lora') as ChapterId;
}

export function LearnView() {
  const [chapter, setChapter] = useState<ChapterId>(() => chapterFromHash(location.hash));
  useEffect(() => {
    const on = () => setChapter(chapterFromHash(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const go = (id: ChapterId) => {
    history.replaceState(null, '', `${location.pathname}${location.search}#/learn/${id}`);
    setChapter(id);
  };
  return (
    <div className="learn-view" data-testid="view-learn" data-chapter={chapter}>
      <header className="learn-head">
        <h1>Learn</h1>
        <nav className="chapter-tabs" aria-label="Chapters">
          {CHAPTERS.map((c, i) => (
            <button key={c.id} className={chapter === c.id ? 'tab active' : 'tab'} aria-current={chapter === c.id ? 'page' : undefined} data-testid={`learn-tab-${c.id}`} onClick={() => go(c.id)}>
              {c.id === 'glossary' ? c.title : `${i + 1}. ${c.title}`}
            </button>
          ))}
        </nav>
        <p className="muted small learn-lead">Four toys for anyone who knows matrix multiplication; each ends with a link to the same thing on the real model.</p>
      </header>
      {chapter === 'lora' && <LoraChapter />}
      {chapter === 'zhyper' && <ZhyperChapter />}
      {chapter === 'routing' && <RoutingChapter />}
      {chapter === 'collapse' && <CollapseChapter />}
      {chapter === 'glossary' && <Glossary />}
    </div>
  );
}
