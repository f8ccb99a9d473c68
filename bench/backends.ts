// `npm run bench -- backends`: the embedded database's two storages for our queries. For each
// (SQLite files; the local PostgreSQL when one answers) an in-process graph over a fresh embedded
// FerretDB with the demo data, and each operation from one client: median and p90 round trip.
import { startDevDatabase } from '../scripts/dev-database.ts';
import { startDisposableStack } from '../scripts/stack.ts';
import { devToken } from '../scripts/token.ts';
import { checked, OPERATIONS, percentile, send } from './load.ts';
import { WITHOUT_RATE_LIMITS } from './without-rate-limits.ts';

export async function runBackends(options: { requests: number; log: (line: string) => void }) {
  const results: Record<string, unknown> = {};
  for (const handler of ['sqlite', 'postgresql'] as const) {
    const saved = { uri: process.env.MONGODB_URI, handler: process.env.FERRETDB_HANDLER };
    delete process.env.MONGODB_URI;
    process.env.FERRETDB_HANDLER = handler;
    let database;
    try {
      database = await startDevDatabase({ log: () => {} });
    } catch (error) {
      results[handler] = { unavailable: (error as Error).message.split('\n')[0] };
      options.log(`backends ${handler}: ${(results[handler] as { unavailable: string }).unavailable}`);
      continue;
    } finally {
      if (saved.uri === undefined) delete process.env.MONGODB_URI;
      else process.env.MONGODB_URI = saved.uri;
      if (saved.handler === undefined) delete process.env.FERRETDB_HANDLER;
      else process.env.FERRETDB_HANDLER = saved.handler;
    }
    const stack = await startDisposableStack({ uri: database.uri, env: WITHOUT_RATE_LIMITS });
    try {
      const url = `${stack.gateway.url}/graphql`;
      const tokens = { alice: await devToken({ sub: 'alice' }, stack.keys.idpPrivate), bob: await devToken({ sub: 'bob' }, stack.keys.idpPrivate) };
      const operations: Record<string, { medianMs: number; p90Ms: number }> = {};
      for (const [name, op] of Object.entries(OPERATIONS)) {
        for (let i = 0; i < 5; i++) await send(url, op.query, tokens[op.as]);
        const times: number[] = [];
        for (let i = 0; i < options.requests; i++) {
          const { ms, body } = await send(url, op.query, tokens[op.as]);
          checked(name, op, body);
          times.push(ms);
        }
        times.sort((a, b) => a - b);
        operations[name] = { medianMs: +percentile(times, 50).toFixed(1), p90Ms: +percentile(times, 90).toFixed(1) };
      }
      results[handler] = { database: database.description.replace(/ at mongodb:\/\/\S+/, ''), transactions: stack.data ? Object.values(stack.data.banks).reduce((n, b) => n + b.transactions.length, 0) : undefined, operations };
      options.log(`backends ${handler}: ${JSON.stringify(operations)}`);
    } finally {
      await stack.close();
      await database.stop();
    }
  }
  return { what: `each operation ${options.requests} times from one client, through an in-process graph over the embedded FerretDB with each storage and the demo data`, ...results };
}
