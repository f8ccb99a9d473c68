// An egress guard for tests, preloaded into every Node process of a run through
// NODE_OPTIONS="--import <this file's URL>" (children inherit it, whatever spawns them). It
// records every attempt to reach beyond this machine (a TCP or TLS connect, a UDP send, a DNS
// lookup of a name other than localhost) as one JSON line in $EGRESS_LOG, and refuses it: no
// packet leaves. Each process also records that it loaded the guard, so that "no attempt" can be
// told apart from "no guard". Plain JavaScript: it must load before any TypeScript loader.
import { appendFileSync } from 'node:fs';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const LOG = process.env.EGRESS_LOG;

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
function isLocal(host) {
  if (host === undefined || host === null || host === '') return true; // Node's default host is localhost
  const h = String(host).toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (LOOPBACK_V4.test(h) || h === '::1' || h === '0.0.0.0' || h === '::') return true;
  const mapped = h.match(/^::ffff:(.+)$/);
  return mapped ? LOOPBACK_V4.test(mapped[1]) : false;
}

function record(kind, target) {
  const entry = { kind, target, pid: process.pid, script: process.argv[1] ?? null, at: new Date().toISOString() };
  if (kind !== 'loaded') entry.stack = new Error().stack?.split('\n').slice(3, 9).map((l) => l.trim());
  appendFileSync(LOG, `${JSON.stringify(entry)}\n`);
}

function refusal(target) {
  return Object.assign(new Error(`outbound connection to ${target} refused by the test egress guard`), { code: 'EGRESS_BLOCKED' });
}

if (LOG) {
  record('loaded', null);

  // ---- TCP and TLS: every client socket connects through net.Socket.prototype.connect.
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    let options = args[0];
    if (Array.isArray(options)) options = options[0]; // net.connect passes its normalized arguments
    let host;
    let port;
    if (options && typeof options === 'object') {
      if (options.path) return connect.apply(this, args); // a Unix socket
      host = options.host;
      port = options.port;
    } else if (typeof options === 'string' && !/^\d+$/.test(options)) {
      return connect.apply(this, args); // a Unix socket path
    } else {
      port = options;
      host = typeof args[1] === 'string' ? args[1] : undefined;
    }
    if (isLocal(host)) return connect.apply(this, args);
    const target = `${host}:${port}`;
    record('connect', target);
    process.nextTick(() => this.destroy(refusal(target)));
    return this;
  };

  // ---- UDP.
  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function guardedSend(...args) {
    const address = args.slice(1).find((a) => typeof a === 'string');
    const remote = address ?? safeRemoteAddress(this);
    if (isLocal(remote)) return send.apply(this, args);
    record('udp', remote);
    const callback = args.find((a) => typeof a === 'function');
    if (callback) process.nextTick(callback, refusal(remote));
  };
  const udpConnect = dgram.Socket.prototype.connect;
  dgram.Socket.prototype.connect = function guardedUdpConnect(port, address, ...rest) {
    if (typeof address === 'string' && !isLocal(address)) {
      record('udp', `${address}:${port}`);
      throw refusal(address);
    }
    return udpConnect.call(this, port, address, ...rest);
  };

  // ---- DNS: lookups (getaddrinfo) and queries (c-ares) of any name but localhost.
  const guardCallback = (name, original) =>
    function guarded(hostname, ...rest) {
      if (isLocal(hostname)) return original.call(this, hostname, ...rest);
      record(`dns.${name}`, hostname);
      const callback = rest.find((a) => typeof a === 'function');
      const error = Object.assign(refusal(hostname), { code: 'ENOTFOUND', hostname });
      if (callback) process.nextTick(callback, error);
    };
  const guardPromise = (name, original) =>
    async function guarded(hostname, ...rest) {
      if (isLocal(hostname)) return original.call(this, hostname, ...rest);
      record(`dns.${name}`, hostname);
      throw Object.assign(refusal(hostname), { code: 'ENOTFOUND', hostname });
    };
  const RESOLVERS = ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname', 'resolveMx', 'resolveNs', 'resolveTxt', 'resolveSrv', 'resolvePtr', 'resolveNaptr', 'resolveSoa', 'resolveCaa', 'reverse'];
  for (const name of RESOLVERS) {
    if (typeof dns[name] === 'function') dns[name] = guardCallback(name, dns[name]);
    if (typeof dns.Resolver.prototype[name] === 'function') dns.Resolver.prototype[name] = guardCallback(name, dns.Resolver.prototype[name]);
    if (typeof dns.promises[name] === 'function') dns.promises[name] = guardPromise(name, dns.promises[name]);
    if (typeof dns.promises.Resolver.prototype[name] === 'function') dns.promises.Resolver.prototype[name] = guardPromise(name, dns.promises.Resolver.prototype[name]);
  }
  syncBuiltinESMExports(); // `import { lookup } from 'node:dns'` elsewhere sees the guarded functions
}

function safeRemoteAddress(socket) {
  try {
    return socket.remoteAddress().address;
  } catch {
    return undefined; // not connected: the address argument was required
  }
}
