// The kit (kit/, the workspace package @consent-gateway/kit) is published compiled: its package
// exports point at kit/dist, which a partner bank's plain Node and tsc load. In this repository
// nothing is built: every export also carries the condition below, pointing at the TypeScript
// source, and everything here resolves with it: tsc (customConditions in tsconfig.json), vitest
// (resolve.conditions in vitest.config.ts) and every Node process the repository starts
// (package.json's scripts pass the flag to tsx; the supervisor, the Dockerfile, docker-compose.yml
// and the tests that start a process pass it to node). Without it, a process finds no kit/dist
// and stops with ERR_MODULE_NOT_FOUND.
export const KIT_SOURCE_CONDITION = '@consent-gateway/source';

/** The Node flag that resolves the kit to its sources (give it to `node` before `--import tsx`, or to `tsx`). */
export const KIT_SOURCE_FLAG = `--conditions=${KIT_SOURCE_CONDITION}`;
