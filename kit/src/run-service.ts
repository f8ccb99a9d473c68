// The entry point shape every long-running command shares: start, stop cleanly on SIGINT/SIGTERM
// (or when the supervisor that started it goes away),
// and turn a configuration mistake into one readable line and exit code 1 (no stack trace).
import { ConfigError } from './config.ts';

export async function runService(start: () => Promise<() => Promise<void>>): Promise<void> {
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
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}
