// npm run fidelity: writes the README's fidelity table (between its fidelity markers) from src/experiments/recipes.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { fidelityMarkdown } from '../src/experiments/recipes';

const START = '<!-- fidelity:start (npm run fidelity writes this table from src/experiments/recipes.ts) -->';
const END = '<!-- fidelity:end -->';
const readme = readFileSync('README.md', 'utf8');
const a = readme.indexOf(START), b = readme.indexOf(END);
if (a < 0 || b < a) throw new Error(`README.md has no fidelity markers (${START} … ${END})`);
writeFileSync('README.md', readme.slice(0, a + START.length) + '\n' + fidelityMarkdown() + readme.slice(b));
console.log('README.md: fidelity table written');
