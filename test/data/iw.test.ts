// Inglehart–Welzel positions (with the sign correction) and the cultural-zone assignment.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COUNTRIES, COUNTRY_GEO, type Country } from '../../src/condition/profile';
import { IW_RAW, ZONES, ZONE_ASSIGNMENT, canonicalCountry, countriesIn, iwPosition, zoneCenter, zoneOf, parseCsv } from '../../src/data';

const here = dirname(fileURLToPath(import.meta.url));
// shared/reference/iw-map next to the checkout (/work/shared) or inside it (shared/)
const IW_DIR = [resolve(here, '../../../shared/reference/iw-map'), resolve(here, '../../shared/reference/iw-map')].find((d) =>
  existsSync(join(d, 'traditional-secular.csv')),
);

describe('Inglehart–Welzel positions', () => {
  it('Sweden proves the sign: it is at the secular AND self-expression extreme after the correction', () => {
    const sweden = iwPosition('Sweden');
    expect(sweden.traditionalSecular).toBeGreaterThan(1);
    expect(sweden.survivalSelfExpression).toBeGreaterThan(3);
    // the raw data holds it with the reversed sign
    expect(IW_RAW.sweden[2]).toBeLessThan(-3);
    // no country is more self-expressive than Sweden
    const max = Math.max(...COUNTRIES.map((c) => iwPosition(c).survivalSelfExpression));
    expect(sweden.survivalSelfExpression).toBe(max);
  });

  it('Zimbabwe and the African-Islamic zone sit at the survival end; Protestant Europe at the self-expression end', () => {
    expect(iwPosition('Zimbabwe').survivalSelfExpression).toBeLessThan(-1.5);
    expect(zoneCenter('African-Islamic').survivalSelfExpression).toBeLessThan(0);
    expect(zoneCenter('Protestant Europe').survivalSelfExpression).toBeGreaterThan(2);
    for (const z of ZONES) {
      if (z === 'Protestant Europe') continue;
      expect(zoneCenter(z).survivalSelfExpression).toBeLessThan(zoneCenter('Protestant Europe').survivalSelfExpression);
    }
    // the traditional/secular axis needs no correction: Confucian and Protestant are secular, African-Islamic traditional
    expect(zoneCenter('Confucian').traditionalSecular).toBeGreaterThan(0.5);
    expect(zoneCenter('African-Islamic').traditionalSecular).toBeLessThan(-0.5);
  });

  it('has a position for every country of COUNTRY_GEO', () => {
    for (const c of COUNTRIES) {
      const p = iwPosition(c);
      expect(Number.isFinite(p.traditionalSecular) && Number.isFinite(p.survivalSelfExpression)).toBe(true);
      expect(p.year).toBeGreaterThanOrEqual(1981);
    }
  });

  it.skipIf(!IW_DIR)('the embedded table is the latest year of each country in shared/reference/iw-map', () => {
    const load = (file: string) => {
      const { records } = parseCsv(readFileSync(join(IW_DIR!, file), 'utf8'));
      const m = new Map<string, Map<number, number>>();
      for (const { fields } of records.slice(1)) {
        const [geo, year, v] = fields;
        if (!m.has(geo)) m.set(geo, new Map());
        m.get(geo)!.set(Number(year), Number(v));
      }
      return m;
    };
    const trad = load('traditional-secular.csv');
    const surv = load('survival-selfexpression.csv');
    for (const [country, geo] of Object.entries(COUNTRY_GEO)) {
      const years = [...trad.get(geo)!.keys()].filter((y) => surv.get(geo)!.has(y));
      const latest = Math.max(...years);
      expect(IW_RAW[geo], country).toEqual([latest, trad.get(geo)!.get(latest), surv.get(geo)!.get(latest)]);
    }
    // the data's own sign, as its README says: Sweden about −3.1, Zimbabwe about +1.9
    expect(surv.get('sweden')!.get(2017)).toBeCloseTo(-3.11, 2);
    expect(surv.get('zimbabwe')!.get(2020)).toBeCloseTo(1.93, 2);
  });
});

describe('cultural zones', () => {
  it('assigns every country of COUNTRY_GEO to exactly one of the eight zones, with a reason', () => {
    expect(Object.keys(ZONE_ASSIGNMENT).sort()).toEqual([...COUNTRIES].sort());
    for (const c of COUNTRIES) {
      expect(ZONES).toContain(ZONE_ASSIGNMENT[c].zone);
      expect(ZONE_ASSIGNMENT[c].why.length).toBeGreaterThan(5);
    }
    for (const z of ZONES) expect(countriesIn(z).length).toBeGreaterThanOrEqual(5);
    expect(ZONES.flatMap((z) => countriesIn(z)).length).toBe(COUNTRIES.length);
  });

  it('places the textbook members where the map does', () => {
    const expectZone: [Country, string][] = [
      ['Sweden', 'Protestant Europe'],
      ['Germany', 'Protestant Europe'],
      ['Ireland', 'English-speaking'],
      ['United States', 'English-speaking'],
      ['Poland', 'Catholic Europe'],
      ['Russia', 'Orthodox Europe'],
      ['Japan', 'Confucian'],
      ['India', 'West & South Asia'],
      ['Egypt', 'African-Islamic'],
      ['Pakistan', 'African-Islamic'],
      ['Brazil', 'Latin America'],
    ];
    for (const [c, z] of expectZone) expect(zoneOf(c), c).toBe(z);
  });

  it('canonicalCountry maps other sources’ spellings', () => {
    expect(canonicalCountry('Britain')).toBe('Great Britain');
    expect(canonicalCountry('Taiwan')).toBe('Taiwan ROC');
    expect(canonicalCountry('Czech Republic')).toBe('Czechia');
    expect(canonicalCountry('Germany (Old national sample)')).toBe('Germany');
    expect(canonicalCountry('  south   korea ')).toBe('South Korea');
    expect(canonicalCountry('Atlantis')).toBeUndefined();
    expect(canonicalCountry('__proto__')).toBeUndefined();
    expect(zoneOf('Britain')).toBe('English-speaking');
  });
});
