// A whole graph per test file: fresh databases (own prefix) on the run's database server, the
// demo data, the three subgraphs and the gateway on free ports, and helpers to mint tokens,
// query the gateway and watch MongoDB commands.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandStartedEvent, MongoClient } from 'mongodb';
import { inject } from 'vitest';
import { connectMongo } from '../../subgraphs/kit/mongo.ts';
import { SUBGRAPH_NAMES } from '../../subgraphs/catalog.ts';
import { demoData, type DemoData } from '../../scripts/demo-data.ts';
import { ensureDevKeys, type DevKeys } from '../../scripts/dev-keys.ts';
import { seed } from '../../scripts/seed.ts';
import { startStack, type Stack } from '../../scripts/stack.ts';
import { devToken, type DevTokenOptions } from '../../scripts/token.ts';

/** Fixed, so every test run sees the same data. */
export const ANCHOR = new Date('2026-11-01T00:00:00.000Z');

export interface GraphQLResponse {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }> };
}

export interface Command {
  name: string;
  db: string;
  collection?: string;
  command: Record<string, any>;
}

/** Records MongoDB commands (driver command monitoring) while `watch` runs. */
export class CommandLog {
  readonly commands: Command[] = [];
  private recording = false;
  constructor(client: MongoClient) {
    client.on('commandStarted', (e: CommandStartedEvent) => {
      if (!this.recording) return;
      const collection = e.command[e.commandName];
      this.commands.push({ name: e.commandName, db: e.databaseName, collection: typeof collection === 'string' ? collection : undefined, command: e.command });
    });
  }

  async watch<T>(fn: () => Promise<T>): Promise<{ result: T; commands: Command[] }> {
    this.commands.length = 0;
    this.recording = true;
    try {
      const result = await fn();
      return { result, commands: [...this.commands] };
    } finally {
      this.recording = false;
    }
  }
}

export interface TestStack extends Stack {
  client: MongoClient;
  keys: DevKeys;
  data: DemoData;
  commands: CommandLog;
  gatewayUrl: string;
  token(options: DevTokenOptions): Promise<string>;
  query(query: string, variables?: Record<string, unknown>, options?: { token?: string; headers?: Record<string, string> }): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

export async function postGraphQL(url: string, body: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { errors: [{ message: text }] };
  }
  return { status: res.status, body: parsed };
}

export async function startTestStack(options: { env?: NodeJS.ProcessEnv; seedData?: boolean } = {}): Promise<TestStack> {
  const client = await connectMongo(inject('mongoUri'), { monitorCommands: true });
  const keys = ensureDevKeys(`${mkdtempSync(join(tmpdir(), 'consent-keys-'))}/`);
  const prefix = `t${randomBytes(4).toString('hex')}_`;
  const stack = await startStack({
    client,
    dbPrefix: prefix,
    keys,
    gatewayPort: 0,
    subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])),
    env: options.env,
  });
  const data = demoData(ANCHOR);
  if (options.seedData !== false) await seed(stack.dbs, data);
  const gatewayUrl = `${stack.gateway.url}/graphql`;
  return {
    ...stack,
    client,
    keys,
    data,
    commands: new CommandLog(client),
    gatewayUrl,
    token: (o) => devToken(o, keys.idpPrivate),
    query: (query, variables, o = {}) =>
      postGraphQL(gatewayUrl, { query, variables }, { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers }),
    close: async () => {
      await stack.stop();
      await Promise.all(Object.values(stack.dbs).map((db) => db.dropDatabase().catch(() => undefined)));
      await client.close();
    },
  };
}

/** The errors of a response whose extensions carry `code` (and `reason`), by path. */
export function forbiddenAt(response: GraphQLResponse, path: string): string | undefined {
  const error = response.body.errors?.find((e) => e.path?.join('.') === path && e.extensions?.code === 'FORBIDDEN');
  return error?.extensions?.reason;
}
