/** True under Node (tests, CLI), false in a page or worker: picks file system vs fetch, and browser-only fixes. */
export function inNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}
