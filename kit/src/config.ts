// Configuration comes from environment variables, validated at start with a clear message
// that names every problem at once.
import { readFileSync } from 'node:fs';

export class ConfigError extends Error {}

/** Reads and parses a file the configuration names; any failure is a ConfigError naming the file. */
export function loadConfigFile<T>(path: string, what: string, parse: (text: string) => T, hint = ''): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(error as Error).message}${hint && ` (${hint})`}`);
  }
  try {
    return parse(text);
  } catch (error) {
    throw new ConfigError(`${what} ${path} is not valid: ${(error as Error).message}`);
  }
}

export class EnvReader {
  private readonly problems: string[] = [];
  /** Every variable name asked for, so tests can check deployment files against the code. */
  readonly names = new Set<string>();
  private readonly env: NodeJS.ProcessEnv;
  constructor(env: NodeJS.ProcessEnv = process.env) {
    const names = this.names;
    this.env = new Proxy(env, { get: (target, key) => (typeof key === 'string' && names.add(key), target[key as string]) });
  }

  string(name: string, fallback?: string): string {
    const value = this.env[name]?.trim();
    if (value) return value;
    if (fallback !== undefined) return fallback;
    this.problems.push(`${name} is required`);
    return '';
  }

  optional(name: string): string | undefined {
    return this.env[name]?.trim() || undefined;
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  /** An optional secret; when set it must be long enough not to be guessed. */
  secret(name: string, minLength = 32): string | undefined {
    const value = this.optional(name);
    if (value !== undefined && value.length < minLength) this.problems.push(`${name} must be at least ${minLength} characters long`);
    return value;
  }

  /** One of a closed set of words. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.optional(name) ?? fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }

  url(name: string, fallback?: string): string {
    const value = this.string(name, fallback);
    if (value && !URL.canParse(value)) this.problems.push(`${name} must be a URL (got "${value}")`);
    return value;
  }

  /** Every variable whose name starts with `prefix`, by the rest of its name (recorded as `prefix*`). */
  prefixed(prefix: string): Record<string, string> {
    this.names.add(`${prefix}*`);
    const found: Record<string, string> = {};
    for (const name of Object.keys(this.env).filter((n) => n.startsWith(prefix)).sort()) {
      const value = this.optional(name);
      if (value) found[name.slice(prefix.length)] = value;
    }
    return found;
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws one ConfigError listing every problem found so far. */
  done(what: string): void {
    if (this.problems.length) {
      throw new ConfigError(`invalid ${what} configuration:\n${this.problems.map((p) => `  - ${p}`).join('\n')}`);
    }
  }
}

/** Stack traces and error details reach clients only when NODE_ENV=development, never by default. */
export const isDevelopment = (env: NodeJS.ProcessEnv = process.env) => env.NODE_ENV === 'development';
