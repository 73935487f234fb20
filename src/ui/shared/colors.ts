// Persona colours: the Okabe–Ito colour-blind-safe palette (the same accents as styles.css), in a fixed order.
export const PERSONA_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7'] as const;
export const PERSONA_MARKS = ['●', '▲', '■', '◆'] as const;

export function personaColor(i: number): string {
  return PERSONA_COLORS[i % PERSONA_COLORS.length];
}

// Cultural zones: one fixed colour and marker per zone in every plot (Okabe–Ito, with a marker shape
// as well, so no zone is told apart by colour alone). Keys are src/data/zones.ts's ZONES.
export const ZONE_STYLE: Readonly<Record<string, { color: string; symbol: string }>> = {
  'Protestant Europe': { color: '#0072b2', symbol: 'circle' },
  'English-speaking': { color: '#56b4e9', symbol: 'square' },
  'Catholic Europe': { color: '#cc79a7', symbol: 'diamond' },
  'Orthodox Europe': { color: '#d55e00', symbol: 'triangle-up' },
  Confucian: { color: '#e69f00', symbol: 'star' },
  'West & South Asia': { color: '#f0e442', symbol: 'triangle-down' },
  'African-Islamic': { color: '#009e73', symbol: 'hexagon' },
  'Latin America': { color: '#6b6b6b', symbol: 'cross' },
};

export function zoneStyle(zone: string): { color: string; symbol: string } {
  return ZONE_STYLE[zone] ?? { color: '#999999', symbol: 'circle-open' };
}

// Methods of the experiment: one colour and dash per method in the Train view's curves.
export const METHOD_STYLE: Readonly<Record<string, { color: string; dash: string }>> = {
  'persona-prompting': { color: '#6b6b6b', dash: 'dot' },
  lora: { color: '#e69f00', dash: 'solid' },
  'zhyper-diag': { color: '#0072b2', dash: 'solid' },
  'zhyper-square': { color: '#56b4e9', dash: 'dash' },
  'cuma-semantic': { color: '#cc79a7', dash: 'dash' },
  cuma: { color: '#d55e00', dash: 'solid' },
  'cuma-soft': { color: '#009e73', dash: 'dashdot' },
};

export function methodStyle(method: string): { color: string; dash: string } {
  return METHOD_STYLE[method] ?? { color: '#999999', dash: 'solid' };
}
