import { QosConfigError } from './config-error.js';
import { parseDurationMs } from './duration.js';

/** A token-bucket rate: `per_second` admissions per second on average, up to `burst` at once. */
export interface RateConfig {
  per_second: number;
  /** Bucket size; defaults to `max(1, per_second)` (one second's worth). */
  burst?: number;
}

/**
 * One tenant's settings as an operator writes them (YAML/JSON keys). Every field is optional;
 * see {@link TENANT_DEFAULTS}.
 */
export interface TenantConfig {
  /** Share of contended slots relative to other waiting tenants (> 0). Default 1. */
  weight?: number;
  /**
   * Most slots the tenant may hold at once: a whole number of slots (`8`), a fraction of the pool
   * (`0.75`) or a percentage (`"75%"`). Shares are rounded down, but never below one slot.
   * Default `"100%"`.
   */
  max_in_flight?: number | string;
  /** Most requests the tenant may have waiting (0: never wait). Default 1000. */
  max_queued?: number;
  /** How long a request may wait for a slot: milliseconds or `"250ms"`, `"5s"`. Default 5 s. */
  queue_timeout?: number | string;
  /** Admission rate limit; a number is `per_second` with the default burst. Default: none. */
  rate?: number | RateConfig;
  /** Priority class: waiting tenants of a higher class are always served first. Default 0. */
  priority?: number;
  /** Most client connections (see `QosScheduler.connect`). Default: unlimited. */
  max_connections?: number;
}

/** How `max_in_flight` was given: absolute slots or a share of the pool. */
export type InFlightLimit = { kind: 'slots'; slots: number } | { kind: 'share'; share: number };

/** A validated, normalized {@link TenantConfig}. */
export interface TenantSettings {
  readonly weight: number;
  readonly maxInFlight: InFlightLimit;
  readonly maxQueued: number;
  readonly queueTimeoutMs: number;
  readonly rate: { readonly perSecond: number; readonly burst: number } | null;
  readonly priority: number;
  readonly maxConnections: number;
}

/** The settings of a tenant that configures nothing. */
export const TENANT_DEFAULTS: TenantSettings = {
  weight: 1,
  maxInFlight: { kind: 'share', share: 1 },
  maxQueued: 1000,
  queueTimeoutMs: 5000,
  rate: null,
  priority: 0,
  maxConnections: Number.POSITIVE_INFINITY,
};

const KEYS = new Set([
  'weight',
  'max_in_flight',
  'max_queued',
  'queue_timeout',
  'rate',
  'priority',
  'max_connections',
]);

/** Validates one tenant's settings; throws {@link QosConfigError} naming the first bad option. */
export function parseTenantConfig(tenant: string, raw: unknown): TenantSettings {
  if (raw === undefined || raw === null) return TENANT_DEFAULTS;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new QosConfigError(tenant, 'settings', raw, `an object with ${[...KEYS].join(', ')}`);
  }
  const config = raw as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!KEYS.has(key))
      throw new QosConfigError(tenant, key, config[key], `one of the options ${[...KEYS].join(', ')}`);
  }
  return {
    weight: positive(tenant, 'weight', config.weight, TENANT_DEFAULTS.weight),
    maxInFlight: inFlightLimit(tenant, config.max_in_flight),
    maxQueued: wholeNumber(tenant, 'max_queued', config.max_queued, TENANT_DEFAULTS.maxQueued),
    queueTimeoutMs: timeout(tenant, config.queue_timeout),
    rate: rate(tenant, config.rate),
    priority: integer(tenant, 'priority', config.priority, TENANT_DEFAULTS.priority),
    maxConnections:
      config.max_connections === undefined
        ? TENANT_DEFAULTS.maxConnections
        : wholeNumber(tenant, 'max_connections', config.max_connections, 0),
  };
}

/** The effective slot cap of a limit in a pool of `poolSlots`. */
export function slotCap(limit: InFlightLimit, poolSlots: number): number {
  if (limit.kind === 'slots') return limit.slots;
  return Math.max(1, Math.floor(limit.share * poolSlots + 1e-9));
}

function positive(tenant: string, option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new QosConfigError(tenant, option, value, 'a positive number');
  }
  return value;
}

function wholeNumber(tenant: string, option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new QosConfigError(tenant, option, value, 'a whole number (0 or more)');
  }
  return value;
}

function integer(tenant: string, option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new QosConfigError(tenant, option, value, 'an integer (higher is served first)');
  }
  return value;
}

const IN_FLIGHT_EXPECTED =
  'a whole number of slots (1 or more), a fraction of the pool between 0 and 1 (0.75) or a percentage ("75%")';

function inFlightLimit(tenant: string, value: unknown): InFlightLimit {
  if (value === undefined) return TENANT_DEFAULTS.maxInFlight;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 1) return { kind: 'slots', slots: value };
    if (value > 0 && value < 1) return { kind: 'share', share: value };
  } else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
    const percent = match === null ? Number.NaN : Number(match[1]);
    if (percent > 0 && percent <= 100) return { kind: 'share', share: percent / 100 };
  }
  throw new QosConfigError(tenant, 'max_in_flight', value, IN_FLIGHT_EXPECTED);
}

function timeout(tenant: string, value: unknown): number {
  if (value === undefined) return TENANT_DEFAULTS.queueTimeoutMs;
  const ms = parseDurationMs(value);
  if (ms === undefined || ms <= 0) {
    throw new QosConfigError(
      tenant,
      'queue_timeout',
      value,
      'a positive duration: milliseconds or "250ms", "5s", "1m"',
    );
  }
  return ms;
}

function rate(tenant: string, value: unknown): TenantSettings['rate'] {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') {
    const perSecond = positive(tenant, 'rate', value, 0);
    return { perSecond, burst: Math.max(1, perSecond) };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new QosConfigError(tenant, 'rate', value, 'requests per second, or { per_second, burst }');
  }
  const config = value as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (key !== 'per_second' && key !== 'burst') {
      throw new QosConfigError(tenant, `rate.${key}`, config[key], 'only per_second and burst');
    }
  }
  const perSecond = positive(tenant, 'rate.per_second', config.per_second ?? Number.NaN, 0);
  const burst =
    config.burst === undefined ? Math.max(1, perSecond) : positive(tenant, 'rate.burst', config.burst, 1);
  if (burst < 1)
    throw new QosConfigError(tenant, 'rate.burst', config.burst, 'a number of requests, 1 or more');
  return { perSecond, burst };
}
