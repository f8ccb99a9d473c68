// Runs before `npm test` (after ensure-deps.mjs has installed the dependencies): the browser tests
// drive Debian's Chromium with playwright-core, whose own browser download cannot work on a
// machine that reaches only package registries. A missing browser is installed with apt-get (CI
// runs as root, with no stdin); when none can be had the run stops here with the reason: browser
// tests never skip. The tests find the browser with `browserPath` below.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const BROWSER_CANDIDATES = ['/usr/bin/chromium'];

/** The Chromium binary to drive: CHROMIUM_PATH when set, else Debian's package; undefined when none. */
export function browserPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM_PATH) return existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  return BROWSER_CANDIDATES.find((path) => existsSync(path));
}

export const NO_BROWSER_HINT =
  "install Debian's package (`apt-get install chromium`, which `npm test` does by itself when it runs as root) or set CHROMIUM_PATH to a Chromium binary";

const log = (line: string) => console.log(`[browser] ${line}`);

function fail(reason: string): never {
  console.error(`[browser] no Chromium for the browser tests: ${reason}\n[browser] ${NO_BROWSER_HINT}, then run npm test again.`);
  process.exit(1);
}

function aptGet(args: string[]): boolean {
  log(`apt-get ${args.join(' ')}`);
  const run = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return run.status === 0;
}

function install(): string {
  log(`none of ${BROWSER_CANDIDATES.join(', ')} exists: installing Debian's chromium package (once)…`);
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) fail('apt-get is not available on this machine');
  if (process.getuid?.() !== 0) fail('installing it needs root (apt-get), and this run is not root');
  // Without recommends (a printing stack, udev rules...), plus one font so that pages have text.
  const packages = ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-liberation'];
  // A fresh machine may have no package lists yet: update once, then try again.
  if (!aptGet(packages) && !(aptGet(['update']) && aptGet(packages))) fail('apt-get could not install chromium (see its output above)');
  return browserPath() ?? fail('apt-get finished but no Chromium binary appeared');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.env.CHROMIUM_PATH && !browserPath()) fail(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist`);
  const path = browserPath() ?? install();
  try {
    const version = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
    log(`${version} at ${path}`);
  } catch (error) {
    fail(`${path} does not start (${(error as Error).message.split('\n')[0]})`);
  }
}
