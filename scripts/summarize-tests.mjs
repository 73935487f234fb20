// Prints the one closing line CI reads: "Tests: N passed, N failed".
import { readFileSync, existsSync } from 'node:fs';
const file = process.argv[2];
if (!existsSync(file)) {
  console.log('Tests: 0 passed, 1 failed');
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
