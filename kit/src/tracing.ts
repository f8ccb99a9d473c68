// Traces (OpenTelemetry) from the gateway to the subgraphs and banks to MongoDB, one trace per
// client request, linked across services by W3C trace context (`traceparent`). Nothing is
// started, registered or exported unless the operator configures an exporter
// (OTEL_TRACES_EXPORTER=otlp, or an OTLP endpoint): then spans go to that endpoint only, over
// OTLP/HTTP. No resource detectors run (no cloud metadata probes; the service name is set here),
// and the exporter's module is not even loaded otherwise.
// Spans hold no values: no variables, documents, response data or MongoDB command contents; the
// one person-identifying attribute, `enduser.pseudo.id`, is a keyed hash (pseudonym.ts).
import type { IncomingMessage } from 'node:http';
import { context, INVALID_SPAN_CONTEXT, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent, MongoClient } from 'mongodb';
import type { EnvReader } from './config.ts';

export { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface TracingConfig {
  /** `otlp`: spans go over OTLP/HTTP (JSON) to the configured endpoint; `none`: no tracing at all. */
  exporter: 'otlp' | 'none';
}

/**
 * The standard variables, read the safe way round: no exporter unless one is named
 * (OTEL_TRACES_EXPORTER=otlp) or an endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); OTEL_SDK_DISABLED=true switches it all off.
 */
export function readTracingConfig(r: EnvReader): TracingConfig {
  const endpoints = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'].filter((name) => r.optional(name));
  for (const name of endpoints) r.url(name);
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = r.optional(name);
    if (protocol && protocol !== 'http/json') r.problem(`${name} must be http/json, the OTLP protocol this build exports with (got "${protocol}")`);
  }
  const named = r.optional('OTEL_TRACES_EXPORTER');
  const exporter = named ? r.oneOf('OTEL_TRACES_EXPORTER', ['otlp', 'none'] as const, 'none') : endpoints.length ? 'otlp' : 'none';
  const disabled = r.oneOf('OTEL_SDK_DISABLED', ['true', 'false'] as const, 'false') === 'true';
  return { exporter: disabled ? 'none' : exporter };
}

export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is buffered, then unregisters everything. */
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

let provider: BasicTracerProvider | undefined;

/** Whether this process records spans (an exporter was configured). */
export const tracingEnabled = () => provider !== undefined;

/**
 * Starts tracing for this process when an exporter is configured (or given: a test's in-memory
 * exporter); otherwise registers nothing. One per process: in-process stacks share it.
 */
export async function startTracing(service: string, config: TracingConfig, options: { exporter?: SpanExporter } = {}): Promise<Tracing> {
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  else if (config.exporter === 'otlp') {
    // Loaded only now: a process that exports nothing never loads an exporter.
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }
  if (!processors.length) return { enabled: false, shutdown: async () => {}, forceFlush: async () => {} };
  if (provider) throw new Error('tracing is already started in this process');
  const started = new BasicTracerProvider({
    // The SDK's own description of itself plus our service name: no detector runs.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': service })),
    spanProcessors: processors,
  });
  provider = started;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(started);
  return {
    enabled: true,
    forceFlush: () => started.forceFlush(),
    shutdown: async () => {
      await started.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
      provider = undefined;
    },
  };
}

const tracer = () => trace.getTracer('consent-gateway');
const NOT_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Runs `fn` in a server span for one HTTP request. A subgraph continues the caller's trace from
 * its `traceparent`; the gateway (`continueTrace: false`) starts a new one: clients do not choose
 * trace ids at the edge.
 */
export async function inServerSpan<T>(req: IncomingMessage, path: string, options: { service: string; continueTrace: boolean }, fn: (span: Span) => Promise<T>): Promise<T> {
  if (!provider) return fn(NOT_RECORDING);
  const parent = options.continueTrace ? propagation.extract(ROOT_CONTEXT, req.headers) : ROOT_CONTEXT;
  const attributes = { 'http.request.method': req.method ?? 'GET', 'url.path': path, 'consent.service': options.service };
  return tracer().startActiveSpan(`${req.method ?? 'GET'} ${path}`, { kind: SpanKind.SERVER, attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } finally {
      span.end();
    }
  });
}

/** Runs `fn` in a client span (a call to another service); a throw marks it failed, with no message (messages may quote values). */
export async function inClientSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  if (!provider) return fn(NOT_RECORDING);
  return tracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The `traceparent` (W3C) of the active span, for an outgoing call; empty when tracing is off. */
export function traceHeaders(): Record<string, string> {
  if (!provider) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** The active span's ids, for log lines; undefined when tracing is off. */
export function currentTraceIds(): { traceId: string; spanId: string } | undefined {
  if (!provider) return undefined;
  const ids = trace.getActiveSpan()?.spanContext();
  return ids && isSpanContextValid(ids) ? { traceId: ids.traceId, spanId: ids.spanId } : undefined;
}

/** Adds attributes to the active span (no-op when tracing is off). */
export function annotateSpan(attributes: Attributes): void {
  if (provider) trace.getActiveSpan()?.setAttributes(attributes);
}

/**
 * A client span per MongoDB command, from the driver's command monitoring (the client must be
 * created with `monitorCommands: true`): command name, database, collection, server; never the
 * command's contents (filters, documents, updates) nor a failure's message, which may quote them.
 * Command monitoring rather than @opentelemetry/instrumentation-mongodb: no module patching
 * (which needs loader hooks under ESM), and nothing to configure away.
 */
export function traceMongoCommands(client: MongoClient): void {
  if (!provider) return;
  const open = new Map<string, Span>();
  const key = (e: { connectionId?: string | number; requestId: number }) => `${e.connectionId}:${e.requestId}`;
  client.on('commandStarted', (e: CommandStartedEvent) => {
    const collection = e.command[e.commandName];
    const [host, port] = e.address.split(':');
    const attributes: Attributes = {
      'db.system.name': 'mongodb',
      'db.namespace': e.databaseName,
      'db.operation.name': e.commandName,
      ...(typeof collection === 'string' ? { 'db.collection.name': collection } : {}),
      ...(host ? { 'server.address': host } : {}),
      ...(port ? { 'server.port': Number(port) } : {}),
    };
    const name = typeof collection === 'string' ? `${e.commandName} ${collection}` : e.commandName;
    open.set(key(e), tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes }));
  });
  const end = (e: CommandSucceededEvent | CommandFailedEvent, failed: boolean) => {
    const span = open.get(key(e));
    if (!span) return;
    open.delete(key(e));
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  client.on('commandSucceeded', (e: CommandSucceededEvent) => end(e, false));
  client.on('commandFailed', (e: CommandFailedEvent) => end(e, true));
}
