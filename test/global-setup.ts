// Starts the MongoDB-compatible server every database test talks to, over a real connection.
// There is no skip: when no server can be had (no MONGODB_URI, no mongod, no Go to build the
// FerretDB server) the whole run fails, in CI and everywhere else.
import type { TestProject } from 'vitest/node';
import { startDevDatabase, type DatabaseKind } from '../scripts/dev-database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    databaseKind: DatabaseKind;
    databaseDescription: string;
  }
}

export default async function setup(project: TestProject) {
  const database = await startDevDatabase({ log: (line) => console.log(`[test database] ${line}`) });
  console.log(`[test database] tests run against ${database.description}`);
  project.provide('mongoUri', database.uri);
  project.provide('databaseKind', database.kind);
  project.provide('databaseDescription', database.description);
  return async () => database.stop();
}
