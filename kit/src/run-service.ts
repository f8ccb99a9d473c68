// The entry point shape every long-running command shares: start, stop cleanly on SIGINT/SIGTERM
// (or when the supervisor that started it goes away),
// and turn a configuration mistake into one readable line and exit code 1 (no stack trace). A
// service (named) says so as a log line; a command (npm start) on its stderr.
import { ConfigError } from './config.ts';
import { createLogger } from './log.ts';
import { settleYoungGeneration } from './settle-memory.ts';

export async function runService(start: () => Promise<() => Promise<void>>, options: { service?: string } = {}): Promise<void> {
  // A long-running service settles its memory first (settle-memory.ts); a command has no need.
  if (options.service !== undefined) settleYoungGeneration();
  try {
    const stop = await start();
    let stopping = false;
    const onSignal = async () => {
      if (stopping) return; // a second Ctrl-C while stopping must not cut the clean stop short
      stopping = true;
      await stop();
      process.exit(0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Started by a supervisor with an IPC channel (npm start): stop when the supervisor is gone.
    if (process.send) process.on('disconnect', onSignal);
  } catch (error) {
    if (options.service === undefined) console.error(error instanceof ConfigError ? error.message : error);
    else if (error instanceof ConfigError) createLogger(options.service).fatal(error.message);
    else createLogger(options.service).fatal({ err: error }, 'could not start');
    process.exit(1);
  }
}
