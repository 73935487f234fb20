// One persona's profile: sliders for the ordered attributes (age, education, religiosity), pickers for
// the categorical ones, a free-text field; the linearized text the encoder reads is written under it.
import { useId } from 'react';
import { COUNTRIES, EDUCATION, EMPLOYMENT, GENDERS, RELIGIONS, type Profile } from '../../condition/profile';
import { educationLevel, personaText, RELIGIOSITY, type Persona } from '../../state/scene';

type Patch = Partial<Pick<Persona, 'profile' | 'religiosity'>>;

function Select({ id, label, value, options, onChange, testId }: { id: string; label: string; value: string | undefined; options: readonly string[]; onChange: (v: string | undefined) => void; testId: string }) {
  return (
    <label className="pfield" htmlFor={id}>
      <span>{label}</span>
      <select id={id} data-testid={testId} value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">(not stated)</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
        {value && !options.includes(value) && <option value={value}>{value}</option>}
      </select>
    </label>
  );
}

export function ProfileBuilder({ persona, index, onChange, disabled }: { persona: Persona; index: number; onChange: (patch: Patch) => void; disabled?: boolean }) {
  const uid = useId();
  const p = persona.profile;
  const setField = <K extends keyof Profile>(k: K, v: Profile[K] | undefined) => {
    const profile: Profile = { ...p };
    if (v === undefined || v === '') delete profile[k];
    else profile[k] = v;
    onChange({ profile });
  };
  const edu = educationLevel(p.education);
  const rel = persona.religiosity == null ? 0 : persona.religiosity + 1;
  return (
    <fieldset className="profile" disabled={disabled}>
      <legend className="sr-only">Profile of persona {index + 1}</legend>
      <label className="pfield slider" htmlFor={`${uid}-age`}>
        <span>
          Age <output>{p.age ?? '—'}</output>
        </span>
        <input
          id={`${uid}-age`}
          type="range"
          min={16}
          max={90}
          step={1}
          value={p.age ?? 40}
          data-testid={`age-${index}`}
          aria-valuetext={`${p.age ?? 40} years`}
          onChange={(e) => setField('age', Number(e.target.value))}
        />
      </label>
      <label className="pfield slider" htmlFor={`${uid}-edu`}>
        <span>
          Education <output>{p.education ?? '—'}</output>
        </span>
        <input
          id={`${uid}-edu`}
          type="range"
          min={0}
          max={EDUCATION.length - 1}
          step={1}
          value={edu}
          data-testid={`education-${index}`}
          aria-valuetext={EDUCATION[edu]}
          onChange={(e) => setField('education', EDUCATION[Number(e.target.value)])}
        />
      </label>
      <label className="pfield slider" htmlFor={`${uid}-rel`}>
        <span>
          Religiosity <output>{persona.religiosity == null ? 'not stated' : RELIGIOSITY[persona.religiosity]}</output>
        </span>
        <input
          id={`${uid}-rel`}
          type="range"
          min={0}
          max={RELIGIOSITY.length}
          step={1}
          value={rel}
          data-testid={`religiosity-${index}`}
          aria-valuetext={persona.religiosity == null ? 'not stated' : RELIGIOSITY[persona.religiosity]}
          title="Written as a sentence in the free text (not a profile attribute)"
          onChange={(e) => {
            const v = Number(e.target.value);
            onChange({ religiosity: v === 0 ? null : v - 1 });
          }}
        />
      </label>
      <div className="pgrid">
        <Select id={`${uid}-country`} label="Country" value={p.country} options={COUNTRIES} onChange={(v) => setField('country', v)} testId={`country-${index}`} />
        <Select id={`${uid}-religion`} label="Religion" value={p.religion} options={RELIGIONS} onChange={(v) => setField('religion', v)} testId={`religion-${index}`} />
        <Select id={`${uid}-gender`} label="Gender" value={p.gender} options={GENDERS} onChange={(v) => setField('gender', v)} testId={`gender-${index}`} />
        <Select id={`${uid}-employment`} label="Employment" value={p.employment} options={EMPLOYMENT} onChange={(v) => setField('employment', v)} testId={`employment-${index}`} />
      </div>
      <label className="pfield" htmlFor={`${uid}-free`}>
        <span>Anything else</span>
        <input
          id={`${uid}-free`}
          type="text"
          className="free-text"
          value={p.freeText ?? ''}
          placeholder="e.g. Lives in a small fishing village"
          data-testid={`freetext-${index}`}
          onChange={(e) => setField('freeText', e.target.value)}
        />
      </label>
    </fieldset>
  );
}

/** The condition text, exactly as the encoder (or the prompt) gets it. */
export function PersonaText({ persona, index }: { persona: Persona; index: number }) {
  const text = personaText(persona);
  return (
    <p className="persona-text" data-testid={`persona-text-${index}`} title="The linearized profile: the text the condition encoder embeds">
      {text || <span className="muted">(empty profile: the unconditioned model)</span>}
    </p>
  );
}
