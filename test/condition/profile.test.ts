import { describe, it, expect } from 'vitest';
import {
  ATTRIBUTE_ORDER, COUNTRIES, COUNTRY_GEO, EDUCATION, EMPLOYMENT, GENDERS, RELIGIONS,
  linearize, profileFromJson, ProfileError, type Profile,
} from '../../src/condition/profile';

const full: Profile = {
  freeText: 'Volunteers at the local library',
  employment: 'Part-time employed',
  ethnicity: 'Sami',
  religion: 'Protestant',
  education: "Master's degree",
  country: 'Norway',
  gender: 'Female',
  age: 34,
};

describe('linearize', () => {
  it('writes every attribute in CUMA order, free text last, whatever the key order', () => {
    expect(ATTRIBUTE_ORDER).toEqual(['Age', 'Gender', 'Country', 'Education', 'Religion', 'Ethnicity', 'Employment']);
    expect(linearize(full)).toBe(
      "Age: 34. Gender: Female. Country: Norway. Education: Master's degree. Religion: Protestant. " +
        'Ethnicity: Sami. Employment: Part-time employed. Volunteers at the local library.',
    );
    const reversed = Object.fromEntries(Object.entries(full).reverse()) as Profile;
    expect(linearize(reversed)).toBe(linearize(full));
  });

  it('leaves out missing, empty and blank fields instead of writing placeholders', () => {
    expect(linearize({ country: 'Sweden', religion: '', education: '   ', age: undefined })).toBe('Country: Sweden.');
    expect(linearize({})).toBe('');
    expect(linearize({ freeText: 'Just text' })).toBe('Just text.');
    expect(linearize({ age: Number.NaN, gender: 'Male' })).toBe('Gender: Male.');
  });

  it('collapses whitespace, keeps case, does not double a final period, rounds age', () => {
    expect(linearize({ age: 41.6, education: '  Ph.D. ', country: 'South  Korea', freeText: 'Loves jazz!' })).toBe(
      'Age: 42. Country: South Korea. Education: Ph.D. Loves jazz!',
    );
  });

  it('lets profiles that differ in one attribute differ in one place only', () => {
    const a = linearize({ ...full, country: 'Norway' });
    const b = linearize({ ...full, country: 'Nigeria' });
    expect(a.replace('Norway', 'Nigeria')).toBe(b);
  });
});

describe('option lists', () => {
  it('offers at least 40 distinct countries, each with an Inglehart–Welzel geo key', () => {
    expect(COUNTRIES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(COUNTRIES).size).toBe(COUNTRIES.length);
    expect([...COUNTRIES]).toEqual([...COUNTRIES].sort((a, b) => a.localeCompare(b)));
    for (const c of ['Norway', 'Sweden', 'Nigeria', 'United States', 'Great Britain', 'China', 'Brazil', 'India']) {
      expect(COUNTRIES).toContain(c);
    }
    for (const c of COUNTRIES) expect(COUNTRY_GEO[c]).toMatch(/^[a-z_]+$/);
  });

  it('has the other lists, with education ordered low to high', () => {
    expect(EDUCATION[0]).toBe('No formal education');
    expect(EDUCATION.at(-1)).toBe('Doctorate');
    expect(EDUCATION.indexOf("Bachelor's degree")).toBeLessThan(EDUCATION.indexOf("Master's degree"));
    expect(EDUCATION.indexOf('Primary school')).toBeLessThan(EDUCATION.indexOf('Upper secondary school'));
    for (const list of [GENDERS, RELIGIONS, EMPLOYMENT, EDUCATION]) {
      expect(list.length).toBeGreaterThanOrEqual(3);
      expect(new Set(list).size).toBe(list.length);
    }
    expect(RELIGIONS).toContain('Catholic');
    expect(RELIGIONS).toContain('No religion');
  });
});

describe('profileFromJson', () => {
  const err = (json: unknown) => {
    try {
      profileFromJson(json);
    } catch (e) {
      expect(e).toBeInstanceOf(ProfileError);
      return (e as Error).message;
    }
    throw new Error('expected a ProfileError');
  };

  it('accepts a valid profile, an empty one, and treats null fields as absent', () => {
    expect(profileFromJson(JSON.parse(JSON.stringify(full)))).toEqual(full);
    expect(profileFromJson({})).toEqual({});
    expect(profileFromJson({ age: 50, country: null })).toEqual({ age: 50 });
  });

  it('names the field and the wrong type', () => {
    expect(err({ age: '34' })).toBe('invalid profile: age must be a number, got string "34"');
    expect(err({ country: 7 })).toContain('country must be a string, got number 7');
    expect(err({ religion: ['Catholic'] })).toContain('religion must be a string, got an array');
    expect(err({ freeText: { a: 1 } })).toContain('freeText must be a string, got an object');
  });

  it('rejects impossible ages', () => {
    expect(err({ age: 3.5 })).toContain('age must be a whole number of years');
    expect(err({ age: -1 })).toContain('age must be between 0 and 120');
    expect(err({ age: 200 })).toContain('age must be between 0 and 120');
  });

  it('rejects misspelt keys instead of dropping them', () => {
    expect(err({ Country: 'Norway', free_text: 'x' })).toContain('unknown profile fields "Country", "free_text"');
  });

  it('rejects non-objects and reports every problem at once', () => {
    expect(err(null)).toBe('invalid profile: a profile must be a JSON object, got null');
    expect(err([1, 2])).toContain('got an array');
    expect(err('Norway')).toContain('got string "Norway"');
    const m = err({ age: 'old', gender: 1 });
    expect(m).toContain('age must be a number');
    expect(m).toContain('gender must be a string');
  });
});
