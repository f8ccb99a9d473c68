// The embedded database picks its storage: PostgreSQL when one answers, SQLite files otherwise,
// and says which; asked for PostgreSQL where there is none, it fails with a clear message.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectMongo } from '@consent-gateway/kit/mongo';
import { startDevDatabase } from '../scripts/dev-database.ts';

/** A loopback port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const saved = { ...process.env };
afterEach(() => {
  for (const name of ['MONGODB_URI', 'FERRETDB_HANDLER', 'FERRETDB_POSTGRESQL_URL']) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('the embedded database', () => {
  it('uses SQLite files when no PostgreSQL answers, and says so', async () => {
    delete process.env.MONGODB_URI;
    delete process.env.FERRETDB_HANDLER;
    process.env.FERRETDB_POSTGRESQL_URL = `postgres://postgres@127.0.0.1:${await closedPort()}/`;
    const lines: string[] = [];
    const database = await startDevDatabase({ log: (line) => lines.push(line) });
    try {
      expect(database.ferretdb?.handler).toBe('sqlite');
      expect(database.description).toMatch(/FerretDB .*SQLite, temporary/);
      expect(lines.at(-1)).toMatch(/^database: FerretDB .*SQLite/);
      const client = await connectMongo(database.uri);
      await client.db('probe').collection('c').insertOne({ _id: 'x' } as never);
      expect(await client.db('probe').collection('c').countDocuments()).toBe(1);
      await client.close();
    } finally {
      await database.stop();
    }
  });

  it('refuses to start when asked for PostgreSQL and none answers', async () => {
    delete process.env.MONGODB_URI;
    process.env.FERRETDB_HANDLER = 'postgresql';
    process.env.FERRETDB_POSTGRESQL_URL = `postgres://postgres@127.0.0.1:${await closedPort()}/`;
    await expect(startDevDatabase({ log: () => {} })).rejects.toThrow(/FERRETDB_HANDLER=postgresql, but nothing answers at 127\.0\.0\.1:\d+/);
  });
});
