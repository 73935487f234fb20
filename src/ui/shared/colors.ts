// Persona colours: the Okabe–Ito colour-blind-safe palette (the same accents as styles.css), in a fixed order.
export const PERSONA_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7'] as const;
export const PERSONA_MARKS = ['●', '▲', '■', '◆'] as const;

export function personaColor(i: number): string {
  return PERSONA_COLORS[i % PERSONA_COLORS.length];
}
