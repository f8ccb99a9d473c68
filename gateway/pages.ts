// The pages the gateway serves next to the graph: the privacy centre at /privacy and, when
// introspection is on, the offline GraphQL explorer at GET /graphql (a browser asking for HTML).
// Every file is read once at start from gateway/pages/ or from our own npm dependencies into an
// allow-list keyed by URL path, so no part of a request path ever reaches the file system. Pages
// load nothing from elsewhere and say so in their Content-Security-Policy.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@consent-gateway/kit/config';
import { HttpError, requestUrl, sendError } from '@consent-gateway/kit/http';
import type { GatewayConfig } from './config.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const PAGES_DIR = fileURLToPath(new URL('./pages/', import.meta.url));
const GRAPHQL_PATH = '/graphql';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const policy = (directives: Record<string, string>) =>
  Object.entries(directives).map(([name, value]) => `${name} ${value}`).join('; ');

const STRICT = {
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self'",
  'font-src': "'self'",
  'connect-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': "'none'",
};

/** The privacy centre (and the page saying the explorer is off): our own files only, no inline script or style. */
export const STRICT_CSP = policy(STRICT);
/**
 * GraphiQL's bundle embeds its fonts and icons as data: URLs, and its dialogs (Radix, with
 * react-remove-scroll) insert <style> elements at run time; still nothing from another origin
 * and no inline script.
 */
export const EXPLORER_CSP = policy({ ...STRICT, 'style-src': "'self' 'unsafe-inline'", 'img-src': "'self' data:", 'font-src': "'self' data:" });

interface Page {
  body: Buffer;
  type: string;
  etag: string;
  csp: string;
}

function page(body: Buffer | string, file: string, csp: string): Page {
  const type = CONTENT_TYPES[extname(file)];
  if (!type) throw new ConfigError(`gateway page ${file}: no content type for "${extname(file)}" files`);
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { body: bytes, type, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`, csp };
}

/** Every file of one folder under gateway/pages/, by the URL path it is served at. */
function folder(name: string, urlPrefix: string, csp: string, render: (file: string, text: Buffer) => Buffer | string = (_f, t) => t) {
  const dir = join(PAGES_DIR, name);
  const files = new Map<string, Page>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) files.set(`${urlPrefix}/${entry.name}`, page(render(entry.name, readFileSync(join(dir, entry.name))), entry.name, csp));
  }
  return files;
}

const require = createRequire(import.meta.url);
/** A file of an installed package, found through its package.json (React's `exports` hide its UMD builds). */
const fromPackage = (pkg: string, file: string) => readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), file));

/** GraphiQL 3's browser bundle and the React 18 UMD builds it runs on, from node_modules. */
const VENDOR_FILES: Record<string, [pkg: string, file: string]> = {
  'react.production.min.js': ['react', 'umd/react.production.min.js'],
  'react-dom.production.min.js': ['react-dom', 'umd/react-dom.production.min.js'],
  'graphiql.min.js': ['graphiql', 'graphiql.min.js'],
  'graphiql.min.css': ['graphiql', 'graphiql.min.css'],
};

/**
 * The names of the operations the gateway's own pages send (the privacy centre's, the explorer's
 * examples): files we ship, not names a caller chooses, so metrics may label them by name.
 */
export function pageOperationNames(): string[] {
  const names = new Set<string>();
  for (const entry of readdirSync(PAGES_DIR, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.(js|json|html)$/.test(entry.name)) continue;
    // In JSON, documents are strings: their line breaks are `\n` escapes.
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8').replaceAll('\\n', '\n');
    for (const match of text.matchAll(/\b(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)\s*[({]/g)) names.add(match[1]!);
  }
  return [...names].sort();
}

export interface Site {
  files: Map<string, Page>;
  /** What a browser gets at GET /graphql: the explorer, or a page saying it is switched off. */
  graphqlPage: Page;
  graphqlPageStatus: number;
}

/** How long an export may wait for a bank (DATA_SUBJECT_TIMEOUT_MS), in the privacy centre's words. */
export function waitInWords(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds % 60 !== 0) return seconds === 1 ? 'a second' : `${seconds} seconds`;
  return seconds === 60 ? 'a minute' : `${seconds / 60} minutes`;
}

export function loadSite(config: Pick<GatewayConfig, 'introspection' | 'privacySignIn' | 'dataSubjectTimeoutMs'>): Site {
  // What index.html's placeholders are filled with at start.
  const filled: Record<string, string> = { signIn: config.privacySignIn, exportWait: waitInWords(config.dataSubjectTimeoutMs) };
  const files = folder('privacy', '/privacy', STRICT_CSP, (file, text) => {
    if (file !== 'index.html') return text;
    let html = text.toString('utf8');
    for (const [name, value] of Object.entries(filled)) {
      if (!html.includes(`{{${name}}}`)) throw new ConfigError(`gateway/pages/privacy/index.html lost its {{${name}}} placeholder`);
      html = html.replace(`{{${name}}}`, value);
    }
    return html;
  });
  files.set('/privacy', files.get('/privacy/index.html')!);
  files.set('/privacy/', files.get('/privacy/index.html')!);
  if (config.introspection === 'off') {
    return { files, graphqlPage: page(readFileSync(join(PAGES_DIR, 'explorer-off.html')), 'explorer-off.html', STRICT_CSP), graphqlPageStatus: 404 };
  }
  for (const [path, explorerPage] of folder('explorer', '/explorer', EXPLORER_CSP)) files.set(path, explorerPage);
  for (const [name, [pkg, file]] of Object.entries(VENDOR_FILES)) files.set(`/explorer/vendor/${name}`, page(fromPackage(pkg, file), name, EXPLORER_CSP));
  return { files, graphqlPage: files.get('/explorer/index.html')!, graphqlPageStatus: 200 };
}

/** The weight a browser's Accept header gives a media type (exact, then type/*, then *\/*). */
function weight(accept: string, type: string): number {
  const ranges = accept.split(',').map((part) => {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { range: range.trim(), q: q ? Number(q.slice(2)) || 0 : 1 };
  });
  const [major] = type.split('/');
  for (const candidate of [type, `${major}/*`, '*/*']) {
    const match = ranges.find((r) => r.range === candidate);
    if (match) return match.q;
  }
  return 0;
}

/** A browser navigating to /graphql, as opposed to a GraphQL client sending a GET query. */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept || !/\btext\/html\b/i.test(accept)) return false;
  return weight(accept, 'text/html') > weight(accept, 'application/json');
}

function send(req: IncomingMessage, res: ServerResponse, file: Page, status = 200): void {
  res.setHeader('content-type', file.type);
  res.setHeader('content-security-policy', file.csp);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  res.setHeader('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  // Always revalidated (file names carry no version), cheaply through the ETag.
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('etag', file.etag);
  if (status === 200 && req.headers['if-none-match'] === file.etag) {
    res.statusCode = 304;
    return void res.end();
  }
  res.statusCode = status;
  res.setHeader('content-length', file.body.length);
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

const isPagePath = (path: string) => path === '/privacy' || path.startsWith('/privacy/') || path.startsWith('/explorer/');

/** Wraps the gateway's HTTP handler: page paths are answered here, everything else goes on to it. */
export function withPages(handler: Handler, site: Site): Handler {
  return async (req, res) => {
    let path: string;
    try {
      path = requestUrl(req).pathname;
    } catch (error) {
      return sendError(res, error as HttpError);
    }
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    if (path === GRAPHQL_PATH) {
      if (readOnly && prefersHtml(req.headers.accept)) return send(req, res, site.graphqlPage, site.graphqlPageStatus);
      return handler(req, res);
    }
    if (!isPagePath(path)) return handler(req, res);
    if (!readOnly) {
      res.setHeader('allow', 'GET, HEAD');
      return sendError(res, new HttpError(405, `${req.method} is not allowed on ${path}`, 'METHOD_NOT_ALLOWED'));
    }
    const file = site.files.get(path);
    if (!file) return sendError(res, new HttpError(404, `no page ${path}`, 'NOT_FOUND'));
    send(req, res, file);
  };
}
