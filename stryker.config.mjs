// Mutation testing of the pure modules: `npm run test:mutation` (scripts/mutation.mjs runs
// this once per group of scripts/mutation-modules.mjs; not part of `npm test`).
// Each module is a whole file or the named top-level functions of a file; the ranges are
// found by parsing the source, so they follow the code as it is edited.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { GROUPS, MODULES } from './scripts/mutation-modules.mjs';

/** `file:start-end` ranges of the named top-level declarations (functions or consts). */
function ranges(file, names) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found = new Map();
  for (const statement of source.statements) {
    const declared = ts.isFunctionDeclaration(statement)
      ? [statement.name?.text]
      : ts.isVariableStatement(statement)
        ? statement.declarationList.declarations.map((d) => (ts.isIdentifier(d.name) ? d.name.text : undefined))
        : [];
    for (const name of declared) {
      if (!name || !names.includes(name)) continue;
      const start = source.getLineAndCharacterOfPosition(statement.getStart()).line + 1;
      const end = source.getLineAndCharacterOfPosition(statement.getEnd()).line + 1;
      found.set(name, `${file}:${start}-${end}`);
    }
  }
  const missing = names.filter((n) => !found.has(n));
  if (missing.length > 0) throw new Error(`${file}: no top-level ${missing.join(', ')}`);
  return [...found.values()];
}

const group = process.env.MUTATION_GROUP ?? 'protocol';
if (!GROUPS[group]) throw new Error(`MUTATION_GROUP=${group} is not one of ${Object.keys(GROUPS).join(', ')}`);
const only = process.env.MUTATE_MODULE;
const selected = MODULES.filter((m) => m.group === group && (!only || m.name.includes(only)));
if (selected.length === 0) throw new Error(`MUTATE_MODULE=${only} matches no module of group ${group}`);
// Read by vitest.mutation.config.ts in the test runner processes, which inherit it.
process.env.MUTATION_TESTS = JSON.stringify(GROUPS[group].tests);
const reports = `reports/mutation/${group}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  mutate: selected.flatMap((m) => m.files.flatMap((f) => (f.functions ? ranges(f.file, f.functions) : [f.file]))),
  coverageAnalysis: 'perTest',
  // A protocol mutant that breaks a schema at load time fails every test file's import;
  // with bail on, vitest stops at the first of them and Stryker counts no failed test.
  // Without bail, protocol/test/load.mutation.test.ts (a test that imports) reports it.
  disableBail: group === 'protocol',
  // The machine is shared: one test process at a time.
  concurrency: 1,
  timeoutMS: 10_000,
  incremental: true,
  incrementalFile: `${reports}/stryker-incremental.json`,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `${reports}/mutation.html` },
  jsonReporter: { fileName: `${reports}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false },
  thresholds: { high: 90, low: 85, break: null },
  // Only what the unit tests need is copied into the sandbox.
  ignorePatterns: [
    '/*',
    '!/package.json',
    '!/tsconfig.base.json',
    '!/vitest.mutation.config.ts',
    '!/scripts',
    '!/e2e',
    '!/protocol',
    '!/kit',
    '!/processor',
    '!/station-server',
    '!/station-ui',
    '!/gallery',
    '**/dist',
    '**/data',
  ],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
