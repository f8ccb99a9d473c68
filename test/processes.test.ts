// The graph as `npm start` runs it: user-profile, messaging, each bank and the gateway in their own
// processes, each bank on its own database. The README's query works; a bank process that dies is
// started again by the supervisor while the rest keeps serving; stopping ends every process.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectMongo } from '@consent-gateway/kit/mongo';
import type { MongoClient } from 'mongodb';
import { loadBankRegistry } from '../gateway/bank-registry.ts';
import { DEMO_BANKS, demoData } from '../scripts/demo-data.ts';
import { ensureDevKeys } from '../scripts/dev-keys.ts';
import { startProcessStack, type ProcessStack } from '../scripts/process-stack.ts';
import { graphDbs, seed } from '../scripts/seed.ts';
import { FIXED_ANCHOR } from '../scripts/stack.ts';
import { devToken } from '../scripts/token.ts';
import { bankDatabaseName } from '../subgraphs/registry.ts';
import { freePort } from '../scripts/free-port.ts';
import { postGraphQL } from './support/stack.ts';

let stack: ProcessStack;
let client: MongoClient;
const prefix = `p${randomBytes(4).toString('hex')}_`;
const keys = ensureDevKeys(`${mkdtempSync(join(tmpdir(), 'consent-keys-'))}/`);
const lines: string[] = [];
beforeAll(async () => {
  client = await connectMongo(inject('mongoUri'));
  await seed(graphDbs(client, prefix), demoData(FIXED_ANCHOR));
  const registryFile = join(mkdtempSync(join(tmpdir(), 'consent-banks-')), 'banks.json');
  writeFileSync(registryFile, JSON.stringify(await Promise.all(DEMO_BANKS.map(async (b) => ({ ...b, url: `http://localhost:${await freePort()}/graphql` })))));
  stack = await startProcessStack({
    mongoUri: inject('mongoUri'),
    dbPrefix: prefix,
    keys,
    gatewayPort: await freePort(),
    ports: { 'user-profile': await freePort(), messaging: await freePort() },
    registry: loadBankRegistry(registryFile),
    registryFile,
    supervisor: { log: (line) => lines.push(line), backoffMs: 100 },
    env: { LOG_LEVEL: 'info' }, // the services' "ready" lines below
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
  for (const { name } of databases.filter((d) => d.name.startsWith(prefix))) await client.db(name).dropDatabase();
  await client.close();
});

const README_QUERY = '{ me { displayName accounts { bank { name } balance { minorUnits currency } } } }';
const query = async (sub: string) => postGraphQL(stack.gatewayUrl, { query: README_QUERY }, { authorization: `Bearer ${await devToken({ sub }, keys.idpPrivate)}` });

describe('the stack as processes', () => {
  it('runs every service in its own process, each bank on its own database, and answers the README query', async () => {
    const pids = ['user-profile', 'messaging', 'bank-contoso', 'bank-northwind', 'gateway'].map((name) => stack.supervisor.pid(name));
    expect(new Set(pids).size).toBe(5);
    expect(pids.every((pid) => pid && pid !== process.pid)).toBe(true);
    const res = await query('alice');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.me.accounts.map((a: any) => a.bank.name)).toEqual(['Northwind Bank', 'Northwind Bank']);
    for (const bank of DEMO_BANKS) {
      const health = await fetch(`${stack.urls[`bank-${bank.id}`]}/health`);
      expect(await health.json()).toMatchObject({ subgraph: 'bank-account', bank: bank.id });
    }
    expect(lines.some((l) => /^\[bank-northwind *\] bank northwind \(Northwind Bank\) ready at .*database=.*bank_northwind/.test(l))).toBe(true);
    expect(await client.db(bankDatabaseName(prefix, 'contoso')).collection('accounts').countDocuments()).toBe(1);
  });

  it('starts a bank process again after it died, while the others keep serving', async () => {
    const pid = stack.supervisor.pid('bank-northwind')!;
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 400 && !(stack.supervisor.pid('bank-northwind') && stack.supervisor.pid('bank-northwind') !== pid); i++) await new Promise((r) => setTimeout(r, 25));
    expect(lines.some((l) => /^\[bank-northwind *\] exited \(SIGKILL\); starting it again/.test(l))).toBe(true);
    expect(stack.supervisor.restarts('gateway')).toBe(0);
    // Until it is up again, alice's Northwind data is missing, with a named error; then it is back.
    let res = await query('alice');
    for (let i = 0; i < 400 && res.body.errors; i++) {
      expect(res.body.errors[0]?.extensions).toMatchObject({ bank: 'northwind' });
      await new Promise((r) => setTimeout(r, 50));
      res = await query('alice');
    }
    expect(res.body.data.me.accounts).toHaveLength(2);
  });
});
