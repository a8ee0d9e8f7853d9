import { execFile } from 'node:child_process';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TempDir, tempDir } from '../src/harness/tmp.js';

// The import rules `npm run lint` holds (.dependency-cruiser.cjs), each shown to
// catch the wrong import it names, and to leave the right ones alone.
const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const depcruise = path.join(repoRoot, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

let tmp: TempDir;
beforeAll(async () => {
  tmp = await tempDir('imports');
});
afterAll(async () => {
  await tmp?.remove();
});

/** Lays out a small repository with the project's import rules and cruises it. */
async function cruise(name: string, files: Record<string, string>): Promise<Violation[]> {
  const root = path.join(tmp.path, name);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await copyFile(path.join(repoRoot, '.dependency-cruiser.cjs'), path.join(root, '.dependency-cruiser.cjs'));
  await copyFile(path.join(repoRoot, 'tsconfig.base.json'), path.join(root, 'tsconfig.base.json'));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  const dirs = [...new Set(Object.keys(files).map((f) => f.split('/')[0] as string))];
  const { stdout } = await run(
    process.execPath,
    [depcruise, ...dirs, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', '--no-progress'],
    { cwd: root, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
  ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const leaf = 'export const x = 1;\n';

describe('import rules', () => {
  it("leave the project's own directions alone", async () => {
    const violations = await cruise('clean', {
      'protocol/src/ids.ts': leaf,
      'station-ui/src/shared/theme.ts': leaf,
      'station-ui/src/features/finish.ts': "import { x } from '../shared/theme.js';\nexport const y = x;\n",
      'station-ui/src/app/App.ts': "import { y } from '../features/finish.js';\nexport const z = y;\n",
      'station-server/src/camera/camera.ts': leaf,
      'station-server/src/station.ts': "import { x } from './camera/camera.js';\nexport const s = x;\n",
      'station-server/src/server/http.ts': "import { s } from '../station.js';\nexport const h = s;\n",
      'station-server/src/main.ts': "import { h } from './server/http.js';\nconsole.log(h);\n",
      'gallery/src/s3.ts': leaf,
      'gallery/src/server.ts': "import { x } from './s3.js';\nexport const g = x;\n",
    });
    expect(violations).toEqual([]);
  });

  it.each([
    ['no-reaching-into-another-workspace', { 'processor/src/status.ts': "import '../../protocol/src/ids.js';\n" }],
    ['kit-is-plumbing', { 'kit/src/log.ts': "import '../../station-server/src/disk.js';\n", 'station-server/src/disk.ts': leaf }],
    ['ui-takes-only-pure-kit', { 'station-ui/src/app/App.ts': "import '../../../kit/src/files.js';\n" }],
    ['protocol-is-contracts-only', { 'protocol/src/ids.ts': "import '../../gallery/src/s3.js';\n" }],
    ['harness-is-for-tests', { 'processor/src/upload.ts': "import '../../e2e/src/harness/s3.js';\n" }],
    ['ui-shared-is-a-leaf', { 'station-ui/src/shared/theme.ts': "import '../features/finish.js';\n" }],
    ['ui-features-below-app', { 'station-ui/src/features/finish.ts': "import '../app/App.js';\n" }],
    ['station-adapters-below-core', { 'station-server/src/camera/camera.ts': "import '../station.js';\n" }],
    ['station-core-below-routes', { 'station-server/src/station.ts': "import './server/http.js';\n" }],
    ['gallery-views-and-storage-below-routes', { 'gallery/src/s3.ts': "import './server.js';\n" }],
    ['no-composition-root-imports', { 'processor/src/render.ts': "import './main.js';\n" }],
    ['no-unresolvable', { 'gallery/src/urls.ts': "import './nowhere.js';\n" }],
    [
      'no-circular',
      {
        'processor/src/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
        'processor/src/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      },
    ],
  ] as const)('%s catches the wrong import', async (rule, wrong) => {
    const files: Record<string, string> = {
      'protocol/src/ids.ts': leaf,
      'gallery/src/s3.ts': leaf,
      'gallery/src/server.ts': leaf,
      'kit/src/files.ts': leaf,
      'e2e/src/harness/s3.ts': leaf,
      'station-ui/src/features/finish.ts': leaf,
      'station-ui/src/app/App.ts': leaf,
      'station-server/src/station.ts': leaf,
      'station-server/src/server/http.ts': leaf,
      'processor/src/main.ts': leaf,
      ...wrong,
    };
    const violations = await cruise(rule, files);
    expect(violations.map((v) => v.rule.name)).toContain(rule);
    // A relative path into another workspace also breaks the package boundary; nothing else may fire.
    const allowed: string[] = [rule, 'no-reaching-into-another-workspace'];
    expect(violations.filter((v) => !allowed.includes(v.rule.name))).toEqual([]);
  });
});
