// The supervisor behind `npm start`: each service its own process with its output prefixed; one
// that crashes is reported and started again without touching the others; stop ends them all.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { supervise } from '../scripts/supervisor.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!condition()) throw new Error(`never happened: ${what}`);
}

describe('the supervisor', () => {
  it('prefixes output, restarts a crashed service alone, and stops every service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'supervised-'));
    // Stays up until told to stop; says goodbye.
    writeFileSync(join(dir, 'steady.mjs'), `console.log('up'); process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); setInterval(() => {}, 1000);`);
    // Crashes twice (counted in a file), then stays up.
    writeFileSync(
      join(dir, 'crashy.mjs'),
      `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
       const f = ${JSON.stringify(join(dir, 'count'))};
       const n = existsSync(f) ? Number(readFileSync(f, 'utf8')) : 0;
       writeFileSync(f, String(n + 1));
       console.error('run ' + n);
       if (n < 2) process.exit(3);
       process.on('SIGTERM', () => process.exit(0));
       setInterval(() => {}, 1000);`,
    );
    const lines: string[] = [];
    const supervisor = supervise(
      [
        { name: 'steady', script: join(dir, 'steady.mjs'), env: {} },
        { name: 'crashy-service', script: join(dir, 'crashy.mjs'), env: {} },
      ],
      { log: (line) => lines.push(line), backoffMs: 50 },
    );
    await until(() => supervisor.restarts('crashy-service') === 2 && lines.some((l) => l.includes('run 2')), 'two restarts');
    await until(() => lines.includes('[steady        ] up'), 'the steady service logs');
    const steadyPid = supervisor.pid('steady')!;
    expect(lines.filter((l) => l.startsWith('[crashy-service] exited (code 3); starting it again in'))).toHaveLength(2);
    expect(lines).toContain('[crashy-service] run 0');
    // The crashes never touched the other service.
    expect(supervisor.restarts('steady')).toBe(0);
    expect(alive(steadyPid)).toBe(true);
    const crashyPid = supervisor.pid('crashy-service')!;
    await supervisor.stop();
    expect(lines).toContain('[steady        ] bye');
    expect([alive(steadyPid), alive(crashyPid)]).toEqual([false, false]);
    expect(lines.some((l) => l.includes('starting it again') && lines.indexOf(l) > lines.indexOf('[steady        ] bye'))).toBe(false);
  });
});
