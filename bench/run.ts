// `npm run bench [-- <part>...] [--save]`: what the graph costs, compared, not just timed.
//   operations (the default)  each operation through the process graph: one client and eight,
//                             CPU per request of every process, memory, MongoDB commands
//   shield                    the consent rules' cost in one bank subgraph, shield on vs off
//   engines                   our gateway vs Hive Gateway's runtime (JS and Rust query planners)
//   memory                    20,000 requests: does each process's memory stay flat?
//   backends                  the embedded database's storages (SQLite, PostgreSQL) for our queries
//   all                       all of the above
// Results go to bench/results/<time>.json (not tracked); `--save` also writes
// bench/results/latest.json, which is committed. Nothing is asserted: speed goals are read from
// these files (bench/README.md), never from timed tests. Every result names the code it measured:
// the commit, and whether tracked files differed from it (then which), at the start and the end.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBackends } from './backends.ts';
import { runEngines } from './engines.ts';
import { startBenchGraph } from './graph.ts';
import { runMemory } from './memory.ts';
import { runOperations } from './operations.ts';
import { runShieldBench } from './shield.ts';

const PARTS = ['operations', 'shield', 'engines', 'memory', 'backends'] as const;
type Part = (typeof PARTS)[number];

const args = process.argv.slice(2);
const save = args.includes('--save');
const asked = args.filter((a) => !a.startsWith('--'));
const unknown = asked.filter((a) => a !== 'all' && !(PARTS as readonly string[]).includes(a));
if (unknown.length) {
  console.error(`unknown part(s): ${unknown.join(', ')}; use ${PARTS.join(', ')} or all`);
  process.exit(2);
}
const parts: Part[] = asked.includes('all') ? [...PARTS] : asked.length ? (asked as Part[]) : ['operations'];
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const log = (line: string) => console.error(line);
const load = () => loadavg().map((l) => +l.toFixed(2));

const REPOSITORY = join(dirname(fileURLToPath(import.meta.url)), '..');
/** A git command's output in this repository (as printed), or null when git (or the repository) is not there. */
function git(args: string[]): string | null {
  try {
    // --no-optional-locks: `status` must not take the index's lock from someone committing meanwhile.
    return execFileSync('git', ['--no-optional-locks', ...args], { cwd: REPOSITORY, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000, maxBuffer: 256 * 1024 * 1024 });
  } catch {
    return null;
  }
}
/**
 * Which code runs: the commit checked out, whether tracked files differ from it, which, and a hash
 * of that difference (two results with the same commit and hash measured the same code). Null
 * where git could not tell.
 */
function codeState() {
  const commit = git(['rev-parse', 'HEAD'])?.trim() ?? null;
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']);
  const changedFiles = status === null ? null : status.split('\n').filter(Boolean).map((line) => line.slice(3));
  const diff = changedFiles?.length ? git(['diff', '--no-ext-diff', '--binary', 'HEAD']) : null;
  return {
    commit,
    uncommittedChanges: changedFiles === null ? null : changedFiles.length > 0,
    changedFiles,
    diffSha256: diff === null ? null : createHash('sha256').update(diff).digest('hex'),
  };
}
const codeAtStart = codeState();
const code: ReturnType<typeof codeState> & { sameAtEnd?: boolean | null; atEnd?: ReturnType<typeof codeState> } = { ...codeAtStart };

const report: Record<string, unknown> = {
  at: new Date().toISOString(),
  // The commit measured, and whether tracked files had uncommitted changes (null: git unavailable).
  code,
  node: process.version,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadAverageAtStart: load() },
};

if (parts.includes('shield')) report.shield = await runShieldBench({ log });
if (parts.includes('backends')) report.backends = await runBackends({ requests: env('BENCH_SINGLE', 50), log });

const concurrency = env('BENCH_CONCURRENCY', 8);
/** Runs `fn` on a graph of its own, started for it and stopped after. */
async function onGraph(options: { gcProbe: boolean }, fn: (graph: Awaited<ReturnType<typeof startBenchGraph>>) => Promise<void>) {
  const graph = await startBenchGraph({ log: () => {}, gcProbe: options.gcProbe });
  try {
    report.database = graph.database.description.replace(/ at mongodb:\/\/\S+/, '');
    report.dataset = graph.dataset;
    await fn(graph);
  } finally {
    await graph.stop();
  }
}
if (parts.includes('operations') || parts.includes('engines')) {
  await onGraph({ gcProbe: false }, async (graph) => {
    if (parts.includes('operations')) report.operations = await runOperations(graph, { requests: env('BENCH_REQUESTS', 300), concurrency, single: env('BENCH_SINGLE', 50), log });
    if (parts.includes('engines')) report.engines = await runEngines(graph, { rounds: env('BENCH_ROUNDS', 3), requests: env('BENCH_ENGINE_REQUESTS', 200), concurrency, log });
  });
}
// Memory on freshly started processes: "after the first 1,000 requests" is each process's first
// 1,000, not its first after the other parts' load and the idle minutes in which V8 gave memory
// back (a bank that the engine comparison never calls sat idle for minutes there).
if (parts.includes('memory')) {
  await onGraph({ gcProbe: true }, async (graph) => {
    report.memory = await runMemory(graph, { total: env('BENCH_MEMORY_REQUESTS', 20_000), first: 1_000, concurrency, log });
  });
}

(report.machine as Record<string, unknown>).loadAverageAtEnd = load();
// Services started later (the memory part's graph) load the code as it is then: say if it moved.
const codeAtEnd = codeState();
code.sameAtEnd = codeAtStart.commit === null || codeAtEnd.commit === null ? null : JSON.stringify(codeAtEnd) === JSON.stringify(codeAtStart);
if (code.sameAtEnd === false) code.atEnd = codeAtEnd;
const dir = join('bench', 'results');
mkdirSync(dir, { recursive: true });
const json = `${JSON.stringify(report, null, 2)}\n`;
const file = join(dir, `${(report.at as string).replace(/[:.]/g, '-')}.json`);
writeFileSync(file, json);
if (save) writeFileSync(join(dir, 'latest.json'), json);
console.log(`wrote ${file}${save ? ' and bench/results/latest.json' : ''}`);
