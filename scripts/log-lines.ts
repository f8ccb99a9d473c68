// How `npm start` shows the services' log lines. Services write JSON lines (pino), which is what a
// log pipeline wants and what a person reading a terminal does not; the supervisor turns each into
// one compact line after the service's name: the level when it is not `info`, the message, then
// the other fields as key=value (time, pid and the service name left out; an error as its type and
// message, without the stack). No pretty-printer dependency, nothing on the services' side:
// `LOG_FORMAT=json npm start` passes the lines through untouched.
const LEFT_OUT = new Set(['time', 'level', 'service', 'pid', 'hostname', 'msg', 'err']);

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

export function renderLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.level !== 'string' || typeof entry.msg !== 'string') return line;
  const err = entry.err as { type?: string; message?: string; code?: unknown } | undefined;
  return [
    entry.level === 'info' ? '' : entry.level.toUpperCase(),
    entry.msg,
    ...Object.entries(entry)
      .filter(([key]) => !LEFT_OUT.has(key))
      .map(([key, value]) => `${key}=${show(value)}`),
    err ? `(${err.type ?? 'Error'}: ${err.message ?? `code ${show(err.code)}`})` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
