// Which two personas Blend and Routing compare (A and B; by default Compare's personas 1 and 2).
import { useShallow } from 'zustand/react/shallow';
import { useId } from 'react';
import { blendPair, useLab } from '../../state/lab';
import { personaName, personaText } from '../../state/scene';
import { personaColor, PERSONA_MARKS } from './colors';

export function PairPicker() {
  const uid = useId();
  const personas = useLab((s) => s.personas);
  const [A, B] = useLab(useShallow(blendPair));
  const set = useLab((s) => s.setBlendPair);
  const pick = (which: 'A' | 'B', id: string) => (which === 'A' ? set(id, id === B.id ? A.id : B.id) : set(id === A.id ? B.id : A.id, id));
  return (
    <div className="pair-picker">
      {(['A', 'B'] as const).map((which) => {
        const cur = which === 'A' ? A : B;
        const i = personas.findIndex((p) => p.id === cur.id);
        return (
          <div key={which} className="pair-side" style={{ borderLeftColor: personaColor(i) }}>
            <label htmlFor={`${uid}-${which}`}>
              <strong>Persona {which}</strong>
            </label>
            <select id={`${uid}-${which}`} data-testid={`pair-${which.toLowerCase()}`} value={cur.id} onChange={(e) => pick(which, e.target.value)}>
              {personas.map((p, j) => (
                <option key={p.id} value={p.id}>
                  {PERSONA_MARKS[j]} Persona {j + 1} · {personaName(p, j)}
                </option>
              ))}
            </select>
            <p className="persona-text small" data-testid={`pair-text-${which.toLowerCase()}`}>
              {personaText(cur) || '(empty profile)'}
            </p>
          </div>
        );
      })}
      <p className="muted small pair-note">Edit the personas in Compare.</p>
    </div>
  );
}
