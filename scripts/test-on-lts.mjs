// The last step of `npm test`: the suite once more on a current Node LTS, since DESIGN.md promises
// the machine's Node (20.19+) and a current LTS. That Node comes from the npm registry (the `node`
// package), installed once into node_modules/.cache/node-lts/<version>/. When the running Node is
// already at least that LTS, the first run covered it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LTS = '26.10.0'; // Node 26 became the active LTS in October 2026
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = (version) => Number(version.replace(/^v/, '').split('.')[0]);

if (major(process.version) >= major(LTS)) {
  console.log(`[lts] Node ${process.version} is already at least the LTS ${LTS}: the run above covered it`);
  process.exit(0);
}

const prefix = join(root, 'node_modules', '.cache', 'node-lts', LTS);
const node = join(prefix, 'node_modules', 'node', 'bin', 'node');
if (!existsSync(node)) {
  console.log(`[lts] installing Node ${LTS} from the npm registry (package "node", once)…`);
  const install = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node@${LTS}`], {
    stdio: 'inherit',
  });
  if (install.status !== 0 || !existsSync(node)) {
    console.error(`[lts] could not install Node ${LTS} (npm exit ${install.status}); the suite did not run on the LTS`);
    process.exit(1);
  }
}

console.log(`\n[lts] the suite again on Node ${LTS}`);
const run = spawnSync(node, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], {
  cwd: root,
  stdio: 'inherit',
  // Anything the tests start with `node` runs on the LTS too.
  env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` },
});
process.exit(run.status ?? 1);
