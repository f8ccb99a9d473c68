// The rate limits would stop a benchmark's single user after its burst, and the caps on
// operations in flight would refuse its concurrent load: lifted for benchmarks, since what they
// measure is the graph (or the refusals), not the limiter.
export const WITHOUT_RATE_LIMITS: NodeJS.ProcessEnv = Object.fromEntries([
  ...['USER', 'CLIENT', 'ANONYMOUS'].flatMap((who) => [
    [`RATE_LIMIT_${who}_BURST`, '10000000'],
    [`RATE_LIMIT_${who}_PER_SECOND`, '1000000'],
  ]),
  ...['USER', 'ANONYMOUS'].map((who) => [`RATE_LIMIT_${who}_IN_FLIGHT`, '1000000']),
]);
