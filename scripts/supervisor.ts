// Runs services as child processes, as they are deployed: each its own process (TypeScript through
// tsx, the kit from its sources), its output prefixed with its name; one that crashes is reported
// and started again with a growing delay, without touching the others; `stop` ends them all (the
// gateway first, so that no request finds half a graph) and waits for each. `npm start` uses it;
// so can a benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KIT_SOURCE_FLAG } from './kit-source.ts';
import { renderLogLine } from './log-lines.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Node flags of every service process (docker-compose.yml and the Dockerfile pass the same; a test
 * keeps them equal). A fixed young generation of 2 × 16 MiB: V8 otherwise starts it small and
 * doubles it the first time a process's load peaks (Node 20: to 32 MiB; Node 26: up to 64), which
 * shows as a one-time step in resident memory minutes or hours after start. Fixed, the memory a
 * service reaches in its first minutes is the memory it keeps, which is what a container limit is
 * sized from; 16 MiB semi-spaces are also Node 20's own ceiling, so the collector works as before.
 * No memory reducer: V8 otherwise gives back, on its own schedule (after a quiet moment, minutes
 * after start or never), about 30 MiB it holds since warm-up and the young generation of a process
 * with little traffic, then takes them again under load: a service's resident memory moved by up to
 * a fifth either way, with nothing kept or leaked (bench/README.md, memory). The peak a container
 * limit must allow is the same either way; without the reducer it is also the level the service
 * stays at, and no collection is started just because the service is quiet.
 */
export const SERVICE_NODE_FLAGS = ['--min-semi-space-size=16', '--max-semi-space-size=16', '--no-memory-reducer'] as const;

/**
 * The arguments of `node` for a service's entry point (docker-compose.yml and the Dockerfile run
 * the same; a test keeps them equal): its Node flags, the kit from its TypeScript sources
 * (scripts/kit-source.ts), TypeScript through tsx.
 */
export function serviceNodeArgs(script: string): string[] {
  return [...SERVICE_NODE_FLAGS, KIT_SOURCE_FLAG, '--import', 'tsx', script];
}

export interface ServiceSpec {
  name: string;
  /** The entry point, relative to the repository root (run with `node ...serviceNodeArgs(script)`). */
  script: string;
  env: NodeJS.ProcessEnv;
  /** Answers 200 once the service is up. */
  healthUrl?: string;
}

export interface SupervisorOptions {
  /** Where every line goes (each prefixed with its service's name). */
  log?: (line: string) => void;
  /** How a service's line is shown (default: JSON log lines made compact, see log-lines.ts; others as they are). */
  render?: (line: string) => string;
  /** First restart delay, doubled after each crash up to `maxBackoffMs`; reset once a run lasted `stableMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  stableMs?: number;
  /** How long a service may take to stop before it is killed. */
  stopTimeoutMs?: number;
}

export interface Supervisor {
  /** Resolves once every service with a health URL answers; rejects naming those that do not. */
  ready(timeoutMs?: number): Promise<void>;
  /** The process id of a service's current process (undefined while it is down). */
  pid(name: string): number | undefined;
  /** How many times a service was started again after it exited. */
  restarts(name: string): number;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function supervise(specs: readonly ServiceSpec[], options: SupervisorOptions = {}): Supervisor {
  const log = options.log ?? ((line: string) => console.log(line));
  const render = options.render ?? renderLogLine;
  const width = Math.max(...specs.map((s) => s.name.length));
  const initialBackoff = options.backoffMs ?? 500;
  let stopping = false;

  const services = specs.map((spec) => {
    const prefix = `[${spec.name.padEnd(width)}]`;
    const state = { spec, child: undefined as ChildProcess | undefined, restarts: 0, backoff: initialBackoff, timer: undefined as NodeJS.Timeout | undefined, exited: Promise.resolve() };
    const start = () => {
      const startedAt = Date.now();
      // Its own process group: a terminal's Ctrl-C reaches the supervisor only, which stops the
      // services in order. The IPC channel makes a service stop by itself if the supervisor dies.
      const child = spawn(process.execPath, serviceNodeArgs(spec.script), {
        cwd: ROOT,
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        detached: true,
      });
      state.child = child;
      for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => log(`${prefix} ${render(line)}`));
      state.exited = new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          state.child = undefined;
          resolve();
          if (stopping) return;
          if (Date.now() - startedAt >= (options.stableMs ?? 30_000)) state.backoff = initialBackoff;
          log(`${prefix} exited (${signal ?? `code ${code}`}); starting it again in ${(state.backoff / 1000).toFixed(1)} s`);
          state.timer = setTimeout(() => {
            state.restarts += 1;
            start();
          }, state.backoff);
          state.backoff = Math.min(state.backoff * 2, options.maxBackoffMs ?? 30_000);
        }),
      );
      child.once('error', (error) => log(`${prefix} could not be started: ${error.message}`));
    };
    const stop = async () => {
      clearTimeout(state.timer);
      const child = state.child;
      if (!child) return;
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs ?? 10_000);
      await state.exited;
      clearTimeout(killed);
    };
    start();
    return { state, stop };
  });
  const byName = new Map(services.map((s) => [s.state.spec.name, s.state]));

  return {
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let waiting = specs.filter((s) => s.healthUrl);
      while (waiting.length) {
        const answers = await Promise.all(waiting.map((s) => fetch(s.healthUrl!, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false)));
        waiting = waiting.filter((_s, i) => !answers[i]);
        if (!waiting.length) return;
        if (Date.now() > deadline) throw new Error(`not up after ${timeoutMs / 1000} s: ${waiting.map((s) => s.name).join(', ')}`);
        await sleep(200);
      }
    },
    pid: (name) => byName.get(name)?.child?.pid,
    restarts: (name) => byName.get(name)?.restarts ?? 0,
    async stop() {
      stopping = true;
      // The gateway (the last service) first, then every subgraph at once.
      const [last, ...others] = [...services].reverse();
      await last?.stop();
      await Promise.all(others.map((s) => s.stop()));
    },
  };
}
