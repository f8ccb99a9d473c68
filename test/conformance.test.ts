// The conformance kit (`npm run check:bank`) against running bank subgraphs: both demo banks pass;
// a bank built with the kit whose permission map opens the balance to anyone fails, for that reason;
// so does one whose adapter keeps decision records out of their hash chains.
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bankContractSdl } from '@consent-gateway/kit/bank';
import { checkBank, formatReport } from '@consent-gateway/kit/conformance';
import { KIT_VERSION, type ListeningSubgraph } from '@consent-gateway/kit/create-subgraph';
import { contractDifferences } from '../kit/src/conformance/contract.ts';
import { bankDatabaseName } from '../subgraphs/registry.ts';
import { seedBank } from '../scripts/seed.ts';
import { createCaller } from '../kit/src/conformance/caller.ts';
import { recordsChecks } from '../kit/src/conformance/records.ts';
import { serveLeakyBank, serveUnchainedBank } from './support/leaky-bank.ts';
import { serveLeakyConsentsBank } from './support/leaky-consents-bank.ts';
import { KIT_SOURCE_FLAG } from '../scripts/kit-source.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let stack: TestStack;
let leaky: ListeningSubgraph;
beforeAll(async () => {
  stack = await startTestStack();
  // A copy of northwind's data, served by the leaky subgraph under northwind's id.
  const db = stack.client.db(bankDatabaseName(stack.dbPrefix, 'leaky-northwind'));
  await seedBank(db, stack.bank('northwind'));
  leaky = await serveLeakyBank({ bank: { id: 'northwind', name: 'Northwind Bank' }, db, gatewayKey: createPublicKey(readFileSync(stack.keys.gatewayPublic, 'utf8')), auditKey: stack.auditKeys['bank-northwind']! });
});
afterAll(async () => {
  await leaky?.stop();
  await stack?.close();
});

const gatewayKey = () => createPrivateKey(readFileSync(stack.keys.gatewayPrivate, 'utf8'));

/** `scripts/check-bank.ts` as node runs it, or through `npm run check:bank` typed in `cwd`. */
function cli(args: string[], npmIn?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = npmIn
      ? spawn('npm', ['--prefix', ROOT, 'run', '-s', 'check:bank', '--', ...args], { cwd: npmIn, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [KIT_SOURCE_FLAG, '--import', 'tsx', 'scripts/check-bank.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('check:bank', () => {
  it.each([
    ['northwind', ['alice', 'bob']],
    ['contoso', ['alice']],
  ])('passes the demo bank %s', async (bankId, users) => {
    const report = await checkBank({ url: `${stack.banks[bankId]!.url}/graphql`, bankId, gatewayKey: gatewayKey(), testUsers: users, runs: 40, seed: 7 });
    expect(report.ok, formatReport(report)).toBe(true);
    expect(report.checks).toHaveLength(8);
    expect(report.checks[0]!.summary).toBe(`runs kit ${KIT_VERSION} (this checker: kit ${KIT_VERSION})`);
    expect(report.checks.find((c) => c.name.startsWith('serves the records routes'))!.summary).toMatch(/decision records for reviewers only, each in a hash chain/);
    expect(report.checks.at(-1)!.summary).toMatch(/protected values rightly revealed: no leak/);
  }, 120_000);

  it('fails a bank that opens balances to anyone, naming the field, from the command line (exit 1)', async () => {
    const run = await cli([`${leaky.url}/graphql`, '--bank', 'northwind', '--key', stack.keys.gatewayPrivate, '--user', 'alice', '--user', 'bob', '--runs', '40', '--seed', '7']);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const lines = run.stdout.split('\n');
    // Everything a reviewer sees from outside is fine (tokens, contract, own bank): the leak is in the rules.
    const passed = lines.filter((l) => l.startsWith('  ✓'));
    for (const check of ['refuses every call without a valid gateway token', 'serves the bank subgraph contract', 'answers for itself only']) expect(passed.some((l) => l.includes(check)), check).toBe(true);
    const failed = lines.filter((l) => l.startsWith('  ✗'));
    expect(failed.map((l) => l.slice(4, 20))).toEqual(['denies by defaul', 'no field resolve']);
    const findings = lines.filter((l) => l.startsWith('      - '));
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) expect(finding).toMatch(/BankAccount\.balance of northwind:acc_\S+ \(owner \w+\) resolved for .*, although no consent allows it/);
    expect(run.stdout).toMatch(/FAILED/);
  }, 120_000);

  it("fails a bank whose adapter lists every customer's consents to each (its consentsOfUsers forgot the user filter)", async () => {
    const db = stack.client.db(bankDatabaseName(stack.dbPrefix, 'all-consents-northwind'));
    await seedBank(db, stack.bank('northwind'));
    const leakyConsents = await serveLeakyConsentsBank({ bank: { id: 'northwind', name: 'Northwind Bank' }, db, gatewayKey: createPublicKey(readFileSync(stack.keys.gatewayPublic, 'utf8')), auditKey: stack.auditKeys['bank-northwind']! });
    try {
      const report = await checkBank({ url: `${leakyConsents.url}/graphql`, bankId: 'northwind', gatewayKey: gatewayKey(), testUsers: ['alice', 'bob'], runs: 20, seed: 7 });
      expect(report.ok, formatReport(report)).toBe(false);
      const failed = report.checks.filter((c) => !c.ok);
      // Nothing a reviewer sees before anyone has consents gives it away; the customers' own listings do.
      expect(failed.map((c) => c.name.slice(0, 16)), formatReport(report)).toContain('denies by defaul');
      const details = failed.flatMap((c) => c.details);
      expect(details).toContainEqual(expect.stringMatching(/^User\.consents of (alice|bob) listed a consent that (alice|bob) granted \(northwind:cns_\S+\): another customer's receipt/));
      expect(details).toContainEqual(expect.stringMatching(/^the export of (alice|bob) holds \d+ consent\(s\) of someone else/));
    } finally {
      await leakyConsents.stop();
    }
  }, 120_000);

  it('fails a bank whose adapter keeps decision records out of their hash chains', async () => {
    const db = stack.client.db(bankDatabaseName(stack.dbPrefix, 'unchained-northwind'));
    const unchained = await serveUnchainedBank({ bank: { id: 'northwind', name: 'Northwind Bank' }, db, gatewayKey: createPublicKey(readFileSync(stack.keys.gatewayPublic, 'utf8')), auditKey: stack.auditKeys['bank-northwind']! });
    try {
      const result = await recordsChecks(createCaller(`${unchained.url}/graphql`, 'northwind', gatewayKey()), 'northwind', ['alice']);
      expect(result.details).toEqual([expect.stringMatching(/^decision record \S+ has no place in a hash chain/)]);
      const honest = await recordsChecks(createCaller(`${stack.banks.northwind!.url}/graphql`, 'northwind', gatewayKey()), 'northwind', ['alice']);
      expect(honest.details).toEqual([]);
    } finally {
      await unchained.stop();
    }
  });

  it('refuses calls with the wrong key and says how to fix it', async () => {
    const report = await checkBank({ url: `${stack.banks.northwind!.url}/graphql`, bankId: 'contoso', gatewayKey: gatewayKey(), testUsers: ['alice'] });
    expect(report.ok).toBe(false);
    expect(report.checks).toHaveLength(2);
    expect(report.checks[1]!.summary).toMatch(/refuses a valid gateway token .*audience bank:contoso/);
  });

  it('fails a bank on a kit older than the checker, saying to upgrade', async () => {
    const old = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","kit":"0.0.9"}'));
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    try {
      const report = await checkBank({ url: `http://127.0.0.1:${(old.address() as AddressInfo).port}/graphql`, bankId: 'northwind', gatewayKey: gatewayKey(), testUsers: ['alice'] });
      expect(report.checks[0]).toMatchObject({ ok: false, summary: `runs kit 0.0.9, older than this checker's ${KIT_VERSION}` });
      expect(report.checks[0]!.details[0]).toMatch(/upgrade the kit/);
    } finally {
      old.close();
    }
  });

  it('--make-key makes a key pair for the bank to load, where the command was typed, and stops there (exit 2)', async () => {
    // `npm run` runs the script from the repository's root; a relative directory is still the user's.
    const typedIn = realpathSync(mkdtempSync(join(tmpdir(), 'check-bank-')));
    const run = await cli([`${stack.banks.northwind!.url}/graphql`, '--bank', 'northwind', '--make-key', 'keys', '--user', 'alice'], typedIn);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toContain(`load ${join(typedIn, 'keys', 'gateway-public.pem')} as the bank's gateway key (GATEWAY_PUBLIC_KEY_FILE)`);
    expect(createPublicKey(readFileSync(join(typedIn, 'keys', 'gateway-public.pem'), 'utf8')).asymmetricKeyType).toBe('ed25519');
  });

  it('says what its exit codes mean, and refuses a usage error with 2', async () => {
    const run = await cli(['not a url', '--bank', 'northwind']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/GraphQL URL is required[\s\S]*Exit codes: 0 every check passed; 1 a check failed .*; 2 nothing was checked/);
  });

  it('compares SDL with the contract type by type', () => {
    expect(contractDifferences(bankContractSdl(), bankContractSdl())).toEqual([]);
    const changed = bankContractSdl().replace('  balance: Money\n', '  balance: Money\n  secret: String\n').replace(/type MerchantLocation \{[^}]*\}/, '');
    expect(contractDifferences(changed, bankContractSdl())).toEqual(['BankAccount: unexpected "secret: String"', 'MerchantLocation: missing']);
  });
});
