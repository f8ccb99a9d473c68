// Structured logs: one JSON object per line on stdout (pino), from every service. Each line has
// `time`, `level`, `service`, `pid`, `msg`; lines written while a request is served also carry its
// `requestId` (the gateway's, which subgraphs and banks read from the internal token), the
// caller's `user` as a pseudonym and `client` app (observability.ts binds them), and, when tracing
// is on, `traceId`/`spanId`. What a line never holds: tokens or authorization headers (redacted
// by path, and anything token-shaped scrubbed from strings), variables, documents, responses,
// field values, user ids in clear. Errors are logged by type and message, except MongoDB server
// errors, whose messages can quote documents (`dup key: { … }`): those by code only.
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { EnvReader } from './config.ts';
import { currentTraceIds } from './tracing.ts';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL, validated with the rest of a service's configuration (default: this process's LOG_LEVEL, else `info`). */
export function readLogLevel(r: EnvReader): LogLevel {
  return r.oneOf('LOG_LEVEL', LOG_LEVELS, levelFromEnv());
}

/** LOG_LEVEL as the environment has it, for loggers made before (or without) a configuration. */
function levelFromEnv(): LogLevel {
  const value = process.env.LOG_LEVEL?.trim();
  return (LOG_LEVELS as readonly string[]).includes(value ?? '') ? (value as LogLevel) : 'info';
}

/** Fields that may carry a secret or a value, wherever someone logs them: replaced, not written. */
const REDACTED = [
  'authorization',
  'cookie',
  'token',
  'accessToken',
  'password',
  'secret',
  'variables',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.authorization',
  '*.token',
  '*.variables',
];

const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/-]+=*/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** A string with anything token-shaped (a bearer credential, a JWT) replaced. */
export function scrub(text: string): string {
  return text.replace(BEARER, '$1 [redacted]').replace(JWT, '[redacted-token]');
}

const ECHOES_VALUES = /^Mongo(Server|BulkWrite|WriteConcern)Error$/;

/** An error as a log line may hold it: type, code, message (scrubbed) and stack, and its cause. */
export function safeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: scrub(String(error)) };
  const e = error as Error & { code?: unknown; codeName?: unknown };
  const fields: Record<string, unknown> = { type: e.name };
  if (typeof e.code === 'string' || typeof e.code === 'number') fields.code = e.code;
  if (typeof e.codeName === 'string') fields.codeName = e.codeName;
  if (!ECHOES_VALUES.test(e.name)) {
    fields.message = scrub(e.message);
    if (e.stack) fields.stack = scrub(e.stack);
  }
  if (e.cause !== undefined && depth < 2) fields.cause = safeError(e.cause, depth + 1);
  return fields;
}

const scrubTopLevel = (object: Record<string, unknown>) => {
  for (const [key, value] of Object.entries(object)) if (typeof value === 'string') object[key] = scrub(value);
  return object;
};

let stdout: DestinationStream | undefined;

export interface LoggerSettings {
  level?: LogLevel;
  /** Where lines go (default: stdout, written synchronously so that none is lost at exit). */
  destination?: DestinationStream;
}

/** The logger of one service (gateway, user-profile, bank-northwind…); requests get children of it. */
export function createLogger(service: string | undefined, settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? levelFromEnv(),
    base: { ...(service ? { service } : {}), pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }), log: scrubTopLevel },
    serializers: { err: safeError, error: safeError },
    redact: { paths: REDACTED, censor: '[redacted]' },
    // The span a line was written in, when tracing is on.
    mixin: () => currentTraceIds() ?? {},
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrub(arg) : arg)) as typeof args;
        method.apply(this, scrubbed);
      },
    },
  };
  return pino(options, settings.destination ?? (stdout ??= pino.destination({ dest: 1, sync: true })));
}
