/* eslint-disable @typescript-eslint/no-require-imports -- this file is about what require() loads and when */
import * as fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import * as path from 'node:path';
import type { TelemetryClient } from 'applicationinsights';

/*
 * applicationinsights 3.x loaded for an isolated TelemetryClient (useGlobalProviders: false), and only
 * what that client runs.
 *
 * `require('applicationinsights')` loads about 2,900 modules from 84 packages: the entry point brings
 * the Azure Monitor OpenTelemetry distro (@azure/monitor-opentelemetry, for useAzureMonitor and the
 * global providers), which brings the OpenTelemetry Node SDK with every exporter it can configure
 * (OTLP over http, proto and gRPC, Prometheus, Zipkin), the propagators and the instrumentations for
 * http, Azure SDK, MongoDB, MySQL, Postgres, Redis, Winston and Bunyan. An isolated client uses none
 * of it: it builds its own tracer, meter and logger providers on the three Azure Monitor exporters
 * (shim/telemetryClientProvider.js). Its file requires `../main` (the distro) only for the
 * global-provider branch, and the OTLP http exporters only for OTLP settings this product never makes.
 *
 * So the client's module is required directly, with those four modules deferred: each is a stand-in
 * in the module cache that requires the real module the first time any of its exports is read. With
 * global providers, or an OTLP setting, they would load then and behave as before; with this
 * product's settings they are never read. Nothing in the SDK is changed or copied.
 */

/** The modules deferred, as the client's files name them (the distro, then the OTLP exporters). */
export const DEFERRED_MODULES = [
  ['out/src/shim/telemetryClient.js', '../main'],
  ['out/src/shim/telemetryClientProvider.js', '@opentelemetry/exporter-trace-otlp-http'],
  ['out/src/shim/telemetryClientProvider.js', '@opentelemetry/exporter-metrics-otlp-http'],
  ['out/src/shim/telemetryClientProvider.js', '@opentelemetry/exporter-logs-otlp-http'],
] as const;

const CLIENT_MODULE = 'out/src/shim/telemetryClient.js';

export interface LoadedSdk {
  TelemetryClient: typeof TelemetryClient;
  /** 'narrow': the client's own module with the four deferred; 'full': the package's entry point. */
  entry: 'narrow' | 'full';
  /** Why the narrow load was not possible (an SDK whose files moved), when it was not. */
  fallback?: string;
  /** The deferred modules (as DEFERRED_MODULES names them) that nothing has read yet. */
  stillDeferred(): string[];
}

let loaded: LoadedSdk | undefined;

/** The TelemetryClient class, loaded once per process (the narrow way unless the SDK's layout changed). */
export function loadSdk(): LoadedSdk {
  loaded ??= narrow();
  return loaded;
}

function narrow(): LoadedSdk {
  let root: string;
  let deferred: string[];
  try {
    root = path.dirname(require.resolve('applicationinsights/package.json'));
    deferred = DEFERRED_MODULES.map(([from, id]) => createRequire(path.join(root, from)).resolve(id));
    if (!fs.existsSync(path.join(root, CLIENT_MODULE))) throw new Error(`${CLIENT_MODULE} is not in the package`);
  } catch (err) {
    return full(err);
  }
  const stood = deferred.map((file, i) => ({ id: DEFERRED_MODULES[i]![1], stub: require.cache[file] ? undefined : deferModule(file) }));
  try {
    const { TelemetryClient } = require(path.join(root, CLIENT_MODULE)) as typeof import('applicationinsights');
    if (typeof TelemetryClient !== 'function') throw new Error(`${CLIENT_MODULE} exports no TelemetryClient`);
    distroVersion(root);
    return { TelemetryClient, entry: 'narrow', stillDeferred: () => stood.filter((s) => s.stub && !s.stub.loaded()).map((s) => s.id) };
  } catch (err) {
    for (const { stub } of stood) stub?.undo();
    return full(err);
  }
}

function full(err: unknown): LoadedSdk {
  const { TelemetryClient } = require('applicationinsights') as typeof import('applicationinsights');
  return { TelemetryClient, entry: 'full', fallback: err instanceof Error ? err.message : String(err), stillDeferred: () => [] };
}

/**
 * Puts a stand-in for `file` in the module cache: an exports object that requires the real module
 * (which then takes its place in the cache) the first time it is read.
 */
function deferModule(file: string): { loaded: () => boolean; undo: () => void } {
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  let real: object | undefined;
  const load = (): object => {
    if (!real) {
      if (require.cache[file] === stub) delete require.cache[file];
      real = require(file) as object;
    }
    return real;
  };
  stub.exports = new Proxy(
    {},
    {
      get: (_t, key) => Reflect.get(load(), key) as unknown,
      has: (_t, key) => Reflect.has(load(), key),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_t, key) => {
        const d = Reflect.getOwnPropertyDescriptor(load(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
  require.cache[file] = stub;
  return {
    loaded: () => real !== undefined,
    undo: () => {
      if (require.cache[file] === stub) delete require.cache[file];
    },
  };
}

/**
 * The one thing the distro does when it loads: it sets AZURE_MONITOR_DISTRO_VERSION, which the
 * exporter reports in every envelope's ai.internal.sdkVersion tag (node22:otel…:dst<version>). The
 * same value, read from the distro's package.json, keeps the envelopes what they were.
 */
function distroVersion(root: string): void {
  if (process.env.AZURE_MONITOR_DISTRO_VERSION) return;
  try {
    const entry = createRequire(path.join(root, CLIENT_MODULE)).resolve('@azure/monitor-opentelemetry');
    for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (!fs.existsSync(file)) continue;
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name !== '@azure/monitor-opentelemetry') continue;
      if (pkg.version) process.env.AZURE_MONITOR_DISTRO_VERSION = pkg.version;
      return;
    }
  } catch {
    // Without it the tag says ext<exporter version> instead of dst<distro version>; nothing reads it.
  }
}
