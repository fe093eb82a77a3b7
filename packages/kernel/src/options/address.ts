import type { Address } from '../contract.js';
import { buildOption, invalid, type OptionBuilder } from './builder.js';

const EXPECTED = 'an address (host:port, [ipv6]:port, or a Unix socket path)';
const PORT_TEXT = /^\d{1,5}$/;

function port(text: string): number | undefined {
  if (!PORT_TEXT.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/**
 * Parses `host:port`, `[::1]:3306`, `unix:/path`, `/abs/path.sock` or `./rel.sock` (also `../`);
 * `undefined` when the text is none of those. Port 0 means "any free port".
 */
export function parseAddress(raw: unknown): Address | undefined {
  if (typeof raw === 'object' && raw !== null) return addressFromObject(raw as Record<string, unknown>);
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    return path === '' ? undefined : { kind: 'unix', path };
  }
  if (text.startsWith('/') || text.startsWith('./') || text.startsWith('../'))
    return { kind: 'unix', path: text };
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 2 || text[close + 1] !== ':') return undefined;
    const p = port(text.slice(close + 2));
    return p === undefined ? undefined : { kind: 'tcp', host: text.slice(1, close), port: p };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 1) return undefined;
  const host = text.slice(0, colon);
  // An unbracketed IPv6 host would make `host:port` ambiguous.
  if (host.includes(':') || /\s/.test(host)) return undefined;
  const p = port(text.slice(colon + 1));
  return p === undefined ? undefined : { kind: 'tcp', host, port: p };
}

/** Config files may spell an address as `{ host, port }` or `{ path }`. */
function addressFromObject(obj: Record<string, unknown>): Address | undefined {
  if (typeof obj.path === 'string' && obj.path !== '' && Object.keys(obj).length === 1) {
    return { kind: 'unix', path: obj.path };
  }
  const p =
    typeof obj.port === 'number' ? obj.port : typeof obj.port === 'string' ? port(obj.port) : undefined;
  if (
    typeof obj.host === 'string' &&
    obj.host !== '' &&
    p !== undefined &&
    Number.isInteger(p) &&
    p >= 0 &&
    p <= 65535
  ) {
    return { kind: 'tcp', host: obj.host, port: p };
  }
  return undefined;
}

/** Formats an address back into the text form `parseAddress` accepts. */
export function formatAddress(address: Address): string {
  if (address.kind === 'unix')
    return address.path.startsWith('/') || address.path.startsWith('.')
      ? address.path
      : `unix:${address.path}`;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** A listen/connect address. */
export function addressOption(defaultValue: string | undefined, description: string): OptionBuilder<Address> {
  return buildOption({
    type: 'address',
    description,
    expected: EXPECTED,
    defaultRaw: defaultValue,
    parse(raw, path) {
      const address = parseAddress(raw);
      if (!address) throw invalid(path, raw, EXPECTED);
      return address;
    },
  });
}
