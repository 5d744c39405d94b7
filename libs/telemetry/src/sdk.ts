// The OpenTelemetry SDK entry. Only apps/*/src/main.ts (and tests acting as a
// composition root) call startTelemetry; libraries use getTracer/withSpan,
// which stay no-ops until this runs (STYLE.md rule 14).
import { context, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';

/** Options for {@link startTelemetry}. */
export interface TelemetryOptions {
  /** `service.name` resource attribute, e.g. `cmid-ledger`. */
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** An exporter to use in addition to OTLP (tests pass an InMemorySpanExporter). */
  readonly exporter?: SpanExporter;
  /** Export `exporter` through a BatchSpanProcessor instead of a SimpleSpanProcessor. Default false. */
  readonly batchExporter?: boolean;
  /**
   * OTLP/HTTP base URL (spans go to `<url>/v1/traces`). Defaults to the
   * standard `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`;
   * with neither, no OTLP exporter is created.
   */
  readonly otlpEndpoint?: string;
  /** Environment to read the OTEL_* variables from; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Handle returned by {@link startTelemetry}. */
export interface TelemetryHandle {
  /** Exports pending spans now. */
  forceFlush(): Promise<void>;
  /** Flushes, stops exporters and unregisters the global provider, context manager and propagator. */
  shutdown(): Promise<void>;
}

/**
 * Registers the global OpenTelemetry tracer provider for this process:
 * NodeTracerProvider with the AsyncLocalStorage context manager, W3C trace
 * context + baggage propagation, an OTLP/HTTP exporter behind a
 * BatchSpanProcessor when an endpoint is configured, and an optional injected
 * exporter. Call once, from an app's main.ts; never from a library.
 *
 * @example
 * const telemetry = startTelemetry({ serviceName: 'cmid-ledger' });
 * process.once('SIGTERM', () => void telemetry.shutdown());
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  const env = options.env ?? process.env;
  const processors: SpanProcessor[] = [];
  if (options.exporter !== undefined) {
    processors.push(
      options.batchExporter === true ? new BatchSpanProcessor(options.exporter) : new SimpleSpanProcessor(options.exporter),
    );
  }
  const otlp = otlpExporter(options.otlpEndpoint, env);
  if (otlp !== undefined) processors.push(new BatchSpanProcessor(otlp));

  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      ...(options.serviceVersion === undefined ? {} : { 'service.version': options.serviceVersion }),
    }),
    spanProcessors: processors,
    // Nothing would export the spans: keep context propagation (trace ids still cross every hop)
    // but record nothing, which is most of tracing's cost on the activation path.
    ...(processors.length === 0 && { sampler: new AlwaysOffSampler() }),
  });
  provider.register({
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });

  let stopped: Promise<void> | undefined;
  return {
    forceFlush: () => provider.forceFlush(),
    shutdown: () => {
      stopped ??= provider.shutdown().finally(() => {
        trace.disable();
        context.disable();
        propagation.disable();
      });
      return stopped;
    },
  };
}

function otlpExporter(
  endpoint: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): OTLPTraceExporter | undefined {
  if (endpoint !== undefined) return new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const tracesUrl = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  if (tracesUrl) return new OTLPTraceExporter({ url: tracesUrl });
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (base) return new OTLPTraceExporter({ url: `${base.replace(/\/+$/, '')}/v1/traces` });
  return undefined;
}
