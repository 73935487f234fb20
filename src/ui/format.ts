// Numbers with their units, the same way everywhere.
export function mib(bytes: number): string {
  const v = bytes / 2 ** 20;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} MiB`;
}

/** download sizes in decimal megabytes, as the Hugging Face hub shows them */
export function mb(bytes: number): string {
  const v = bytes / 1e6;
  return `${v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2)} MB`;
}

export function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function int(n: number): string {
  return n.toLocaleString('en-US');
}

export function rate(tps: number): string {
  if (!Number.isFinite(tps) || tps <= 0) return '–';
  return tps >= 100 ? tps.toFixed(0) : tps >= 10 ? tps.toFixed(1) : tps.toFixed(2);
}
