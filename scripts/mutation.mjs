// `npm run test:mutation [-- <stryker options>]` (MUTATE_MODULE=<part of a name> for one module): Stryker over each group of modules in
// scripts/mutation-modules.mjs, then the score of each module as the Markdown table in
// the README. Fails when Stryker fails or a module scores below the minimum.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GROUPS, MODULES } from './mutation-modules.mjs';

const MINIMUM = 85;
const root = path.join(import.meta.dirname, '..');
const only = process.env.MUTATE_MODULE;
const stryker = path.join(root, 'node_modules', '.bin', 'stryker');

const groups = Object.keys(GROUPS).filter((g) => MODULES.some((m) => m.group === g && (!only || m.name.includes(only))));
if (groups.length === 0) {
  console.error(`no module matches ${JSON.stringify(only)}`);
  process.exit(2);
}
for (const group of groups) {
  const env = { ...process.env, MUTATION_GROUP: group, ...(only ? { MUTATE_MODULE: only } : {}) };
  const run = spawnSync(stryker, ['run', ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`stryker (${group}) failed with ${run.status ?? run.signal}`);
    process.exit(1);
  }
}

const rows = [];
for (const group of groups) {
  const file = path.join(root, 'reports', 'mutation', group, 'mutation.json');
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  for (const m of MODULES.filter((x) => x.group === group && (!only || x.name.includes(only)))) {
    let detected = 0;
    let undetected = 0;
    for (const { file: source } of m.files) {
      for (const mutant of report.files[source]?.mutants ?? []) {
        if (mutant.status === 'Killed' || mutant.status === 'Timeout') detected++;
        else if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') undetected++;
      }
    }
    const total = detected + undetected;
    rows.push({ m, total, undetected, score: total === 0 ? 100 : (100 * detected) / total });
  }
}

console.log('\n| Module | Mutated | Mutants | Undetected | Score |');
console.log('|---|---|---:|---:|---:|');
for (const { m, total, undetected, score } of rows) {
  const where = m.files.map((f) => `\`${f.file}\`${f.functions ? ` (${f.functions.join(', ')})` : ''}`).join(', ');
  console.log(`| ${m.name} | ${where} | ${total} | ${undetected} | ${score.toFixed(1)} % |`);
}
const low = rows.filter((r) => r.score < MINIMUM);
if (low.length > 0) {
  console.error(`\nBelow ${MINIMUM} %: ${low.map((r) => r.m.name).join('; ')}`);
  process.exit(1);
}
