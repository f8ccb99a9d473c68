// A whole graph per test file: fresh databases (own prefix) on the run's database server, the
// demo data, user-profile, messaging, one bank subgraph per demo bank (each its own server and
// database) and the gateway on free ports, and helpers to mint tokens, query the gateway, watch
// MongoDB commands and put consents straight into a bank's database.
import type { CommandStartedEvent, MongoClient } from 'mongodb';
import { inject } from 'vitest';
import type { ConsentDoc } from '@consent-gateway/kit/bank-mongo';
import type { LoggerSettings } from '@consent-gateway/kit/log';
import type { DemoBankId } from '../../scripts/demo-data.ts';
import { FIXED_ANCHOR, startDisposableStack, type DisposableStack } from '../../scripts/stack.ts';
import { devToken, type DevTokenOptions } from '../../scripts/token.ts';
import { linkBanks } from '../../subgraphs/user-profile/store.ts';

/** The demo data's anchor day, so that tests can compute the dates they expect. */
export const ANCHOR = FIXED_ANCHOR;

export interface GraphQLResponse {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>; extensions?: Record<string, any> };
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

export interface TestStack extends DisposableStack {
  commands: CommandLog;
  gatewayUrl: string;
  token(options: DevTokenOptions): Promise<string>;
  query(query: string, variables?: Record<string, unknown>, options?: { token?: string; headers?: Record<string, string> }): Promise<GraphQLResponse>;
  /** A bank's demo rows (accounts, transactions, merchants, consents). */
  bank(id: DemoBankId): DisposableStack['data']['banks'][DemoBankId];
  /**
   * Replaces a user's consents at one bank by writing its database directly, and links the user to
   * that bank in the directory, as a grant through the gateway would.
   */
  setConsents(bankId: DemoBankId, userId: string, consents: ConsentDoc[]): Promise<void>;
  /** Consents stored at every bank. */
  consentCount(): Promise<number>;
}

/** Any HTTP request; the answer as a GraphQL response (a body that is not JSON becomes one error), with its headers. */
export async function sendHttp(url: string, init: RequestInit = {}): Promise<GraphQLResponse & { headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { errors: [{ message: text }] };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export function postGraphQL(url: string, body: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse & { headers: Headers }> {
  return sendHttp(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

export async function startTestStack(options: { env?: NodeJS.ProcessEnv; seedData?: boolean; log?: LoggerSettings } = {}): Promise<TestStack> {
  const stack = await startDisposableStack({ uri: inject('mongoUri'), monitorCommands: true, ...options });
  const gatewayUrl = `${stack.gateway.url}/graphql`;
  const consents = (bankId: string) => stack.dbs.banks[bankId]!.collection<ConsentDoc>('consents');
  return {
    ...stack,
    commands: new CommandLog(stack.client),
    gatewayUrl,
    token: (o) => devToken(o, stack.keys.idpPrivate),
    query: (query, variables, o = {}) =>
      postGraphQL(gatewayUrl, { query, variables }, { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers }),
    bank: (id) => stack.data.banks[id],
    setConsents: async (bankId, userId, docs) => {
      await consents(bankId).deleteMany({ userId });
      if (docs.length === 0) return;
      await linkBanks(stack.dbs['user-profile'], userId, [bankId]);
      await consents(bankId).insertMany(docs);
    },
    consentCount: async () => (await Promise.all(Object.keys(stack.dbs.banks).map((id) => consents(id).countDocuments()))).reduce((a, b) => a + b, 0),
  };
}

/** The errors of a response whose extensions carry `code` (and `reason`), by path. */
export function forbiddenAt(response: GraphQLResponse, path: string): string | undefined {
  const error = response.body.errors?.find((e) => e.path?.join('.') === path && e.extensions?.code === 'FORBIDDEN');
  return error?.extensions?.reason;
}
