// The kit as a partner bank installs it (kit/README.md, docs/partner-banks.md): compiled as
// `npm run build` compiles it (kit/tsconfig.build.json; into a temporary directory, so the
// repository's kit/dist is left alone), packed by `npm pack` (its package.json's "files" choose),
// unpacked into a temporary project's node_modules/@consent-gateway/kit, with the kit's
// dependencies linked from this repository's node_modules (nothing is downloaded). From there,
// without tsx, a loader or the repository's source condition: plain node imports every export and
// uses the kit without a database; a strict NodeNext TypeScript project type-checks against its
// declarations (skipLibCheck off); the bin prints its usage.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIT_SOURCE_CONDITION } from '../scripts/kit-source.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KIT = join(ROOT, 'kit');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const pkg = JSON.parse(readFileSync(join(KIT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A process with plain node's environment: no NODE_OPTIONS (no loader, no condition) reaches it. */
function run(command: string, args: string[], cwd: string): Promise<Run> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

async function ok(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

let work: string;
let consumer: string;
let installed: string;
let packed: string[];
let typeCheck: Promise<Run>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kit-package-'));
  // The kit's folder as `npm pack` sees it (its sources, tsconfig and all), with dist built by the
  // kit's own build configuration (here, where it finds its dependencies).
  const staged = join(work, 'kit');
  cpSync(KIT, staged, { recursive: true, filter: (path) => !/^(node_modules|dist)(\/|$)/.test(relative(KIT, path)) });
  await ok(process.execPath, [TSC, '-p', join(KIT, 'tsconfig.build.json'), '--outDir', join(staged, 'dist')], KIT);
  // --ignore-scripts: prepack would build again, into the same place.
  const [pack] = JSON.parse(await ok('npm', ['pack', staged, '--json', '--ignore-scripts', '--offline', '--pack-destination', work], work)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = pack!.files.map((f) => f.path).sort();

  consumer = join(work, 'partner-bank');
  installed = join(consumer, 'node_modules', '@consent-gateway', 'kit');
  mkdirSync(dirname(installed), { recursive: true });
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'partner-bank', version: '1.0.0', private: true, type: 'module' }));
  await ok('tar', ['-xzf', join(work, pack!.filename), '-C', dirname(installed)], work);
  renameSync(join(dirname(installed), 'package'), installed);
  // What `npm install` would have put beside it: the kit's dependencies (where the kit resolves
  // them in this repository), and Node's types for the TypeScript project.
  for (const name of [...Object.keys(pkg.dependencies), '@types/node']) {
    const from = [join(KIT, 'node_modules', name), join(ROOT, 'node_modules', name)].find((p) => existsSync(p));
    if (!from) throw new Error(`dependency ${name} is not installed in this repository`);
    mkdirSync(dirname(join(consumer, 'node_modules', name)), { recursive: true });
    symlinkSync(from, join(consumer, 'node_modules', name), 'dir');
  }

  // Started now, checked below: the longest step, and independent of the others.
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
  writeFileSync(join(consumer, 'bank.ts'), CONSUMER_TS);
  writeFileSync(join(consumer, 'type-check.mjs'), typeCheckScript(pathToFileURL(join(ROOT, 'node_modules', 'typescript', 'lib', 'typescript.js')).href));
  typeCheck = run(process.execPath, ['type-check.mjs'], consumer);
}, 120_000);

afterAll(async () => {
  await typeCheck?.catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The files an export entry points at for everyone outside this repository. */
function publishedTargets(entry: string | Record<string, string>): string[] {
  const targets = typeof entry === 'string' ? [entry] : Object.entries(entry).filter(([condition]) => condition !== KIT_SOURCE_CONDITION).map(([, target]) => target);
  return targets.map((t) => t.replace(/^\.\//, ''));
}

describe('the packed kit', () => {
  it('holds dist (modules, declarations, source maps), the README and the contract, and nothing else', () => {
    const unexpected = packed.filter((f) => !/^(package\.json|README\.md|schema\/bank-account\.graphql|dist\/.+\.(js|d\.ts|js\.map))$/.test(f));
    expect(unexpected).toEqual([]);
    for (const module of packed.filter((f) => f.endsWith('.js'))) {
      const base = module.slice(0, -'.js'.length);
      expect(packed, module).toEqual(expect.arrayContaining([`${base}.d.ts`, `${base}.js.map`]));
      // A map carries its source: the sources themselves are not shipped.
      const map = JSON.parse(readFileSync(join(installed, `${base}.js.map`), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
      expect(map.sourcesContent?.length, `${base}.js.map`).toBe(map.sources.length);
    }
    expect(packed.filter((f) => f.endsWith('.js')).length).toBeGreaterThan(40);
  });

  it('has every file its exports and bin name, and a README that names every export and the bin', () => {
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    for (const [subpath, entry] of Object.entries(pkg.exports)) {
      for (const target of publishedTargets(entry)) expect(packed, `${subpath} → ${target}`).toContain(target);
      if (subpath !== './package.json') expect(readme, subpath).toContain(`@consent-gateway/kit${subpath.slice(1)}`);
    }
    for (const [name, target] of Object.entries(pkg.bin)) {
      expect(packed).toContain(target);
      expect(readme).toContain(name);
      expect(readFileSync(join(installed, target), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    }
  });

  it('loads in plain node: every export, an internal token minted and verified, the consent policy, the contract', async () => {
    writeFileSync(join(consumer, 'check.mjs'), CONSUMER_JS);
    const result = await run(process.execPath, ['check.mjs'], consumer);
    // It ends by itself: importing the kit starts nothing (no server, no database client, no timer).
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as {
      execArgv: string[];
      resolved: Record<string, string>;
      exportCounts: Record<string, number>;
      claims: { identity: { sub: string; purpose: string }; requestId: string };
      decisions: Array<{ outcome: string; reason?: string }>;
      contract: string;
    };
    expect(out.execArgv).toEqual([]);
    expect(Object.keys(out.resolved).sort()).toEqual(Object.keys(pkg.exports).sort());
    for (const [subpath, url] of Object.entries(out.resolved)) {
      expect(url, subpath).toMatch(/\/node_modules\/@consent-gateway\/kit\/(dist\/.+\.js|schema\/bank-account\.graphql|package\.json)$/);
    }
    for (const [subpath, count] of Object.entries(out.exportCounts)) if (subpath !== './context') expect(count, subpath).toBeGreaterThan(0);
    expect(out.claims).toMatchObject({ identity: { sub: 'alice', purpose: 'customer_service' }, requestId: 'req-1' });
    expect(out.decisions).toEqual([expect.objectContaining({ outcome: 'ALLOW' }), { outcome: 'DENY', reason: 'CONSENT_REQUIRED' }]);
    expect(out.contract).toMatch(/type BankAccount @key\(fields: "id"\)/);
  });

  it('type-checks a strict NodeNext TypeScript project that builds a bank subgraph on the MongoDB adapter', async () => {
    const result = await typeCheck;
    expect(result.code, result.stderr).toBe(0);
    const { checked, errors } = JSON.parse(result.stdout) as { checked: string[]; errors: string };
    expect(errors).toBe('');
    expect(checked).toContain('bank.ts');
    expect(checked).toEqual(expect.arrayContaining(['node_modules/@consent-gateway/kit/dist/bank/index.d.ts', 'node_modules/@consent-gateway/kit/dist/bank/mongo-store.d.ts', 'node_modules/@consent-gateway/kit/dist/create-subgraph.d.ts']));
  }, 120_000);

  it('has a bin that prints its usage and says what its exit codes mean', async () => {
    const bin = join(installed, pkg.bin['consent-kit-check-bank']!);
    const help = await run(process.execPath, [bin, '--help'], consumer);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: consent-kit-check-bank <graphql-url> --bank <id> /);
    expect(help.stdout).toMatch(/Exit codes: 0 every check passed; 1 a check failed .*; 2 nothing was checked/);
    const wrong = await run(process.execPath, [bin], consumer);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/GraphQL URL is required[\s\S]*usage: consent-kit-check-bank/);
  });
});

/** A partner's strict configuration, stricter than this repository's. */
const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    noPropertyAccessFromIndexSignature: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
    lib: ['ES2023'],
  },
  files: ['bank.ts'],
};

/**
 * tsc's check of the project (its tsconfig, skipLibCheck off) reporting every error in the
 * project's own files and in the kit's declarations; other packages' declarations are theirs, and
 * checking all of them (some 600 files) would make this the slowest test of its file.
 */
const typeCheckScript = (typescript: string) => `import ts from ${JSON.stringify(typescript)};
const parsed = ts.getParsedCommandLineOfConfigFile('tsconfig.json', {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\\n')); } });
const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences });
const ours = program.getSourceFiles().filter((f) => !f.fileName.includes('/node_modules/') || f.fileName.includes('/node_modules/@consent-gateway/kit/'));
const diagnostics = [...parsed.errors, ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...ours.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)])];
const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => '\\n' };
console.log(JSON.stringify({ checked: ours.map((f) => f.fileName.slice(process.cwd().length + 1)), errors: ts.formatDiagnostics(diagnostics, host) }));
`;

const CONSUMER_TS = `import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { Db } from 'mongodb';
import { createBankSubgraph, type AccountRow, type BankInfo, type BankStore } from '@consent-gateway/kit/bank';
import { createMongoBankStore, type MongoBankStore } from '@consent-gateway/kit/bank-mongo';
import { createSubgraph, listenSubgraph, type ListeningSubgraph } from '@consent-gateway/kit/create-subgraph';
import { decideAccess, type ConsentRecord, type Decision } from '@consent-gateway/kit/consent-policy';
import { bankAudience, mintInternalToken, verifyInternalToken, type InternalClaims } from '@consent-gateway/kit/internal-token';
import { runCheckBankCli } from '@consent-gateway/kit/conformance-cli';

export async function serve(db: Db, gatewayPublicKeyPem: string, auditKey: string): Promise<ListeningSubgraph> {
  const store: MongoBankStore = createMongoBankStore(db);
  await store.ensureIndexes();
  const adapter: BankStore = store;
  const info: BankInfo = { id: 'examplebank', name: 'Example Bank' };
  const bank = createBankSubgraph({ bank: info, store: adapter });
  // @ts-expect-error a bank subgraph needs a store (the declarations are real types, not any)
  createBankSubgraph({ bank: info });
  const subgraph = await createSubgraph(bank.definition, { ...bank.runtime, gatewayKey: createPublicKey(gatewayPublicKeyPem), auditKey });
  return listenSubgraph(subgraph, 4010, '127.0.0.1');
}

export const owner = (row: AccountRow): string => row.userId;

export async function roundTrip(): Promise<InternalClaims> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const claims: InternalClaims = { identity: { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' }, requestId: 'req-1' };
  return verifyInternalToken(await mintInternalToken(claims, bankAudience('examplebank'), privateKey), bankAudience('examplebank'), publicKey);
}

export function decide(consents: readonly ConsentRecord[]): Decision {
  return decideAccess({ viewer: { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' }, ownerId: 'alice', bankId: 'examplebank', permission: 'BALANCES' }, consents, new Date());
}

export const check = (args: readonly string[]): Promise<number> => runCheckBankCli(args);
`;

const CONSUMER_JS = `import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./node_modules/@consent-gateway/kit/package.json', import.meta.url), 'utf8'));
const resolved = {};
const exportCounts = {};
for (const subpath of Object.keys(pkg.exports)) {
  const specifier = '@consent-gateway/kit' + subpath.slice(1);
  resolved[subpath] = import.meta.resolve(specifier);
  if (resolved[subpath].endsWith('.js')) exportCounts[subpath] = Object.keys(await import(specifier)).length;
}

const { bankAudience, mintInternalToken, verifyInternalToken } = await import('@consent-gateway/kit/internal-token');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const identity = { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' };
const token = await mintInternalToken({ identity, requestId: 'req-1' }, bankAudience('examplebank'), privateKey);
const claims = await verifyInternalToken(token, bankAudience('examplebank'), publicKey);

const { decideAccess } = await import('@consent-gateway/kit/consent-policy');
const consent = { _id: 'examplebank:cns_1', userId: 'alice', bankId: 'examplebank', permissions: ['ACCOUNTS_BASIC', 'BALANCES'], purposes: ['customer_service'], grantedAt: '2026-01-01T00:00:00.000Z', expiresAt: null, revokedAt: null };
const request = { viewer: identity, ownerId: 'alice', bankId: 'examplebank', permission: 'BALANCES' };
const decisions = [decideAccess(request, [consent], new Date('2026-06-01T00:00:00Z')), decideAccess(request, [], new Date('2026-06-01T00:00:00Z'))];

const { bankContractSdl } = await import('@consent-gateway/kit/bank');
console.log(JSON.stringify({ execArgv: process.execArgv, resolved, exportCounts, claims, decisions, contract: bankContractSdl() }));
`;
