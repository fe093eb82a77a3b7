import { HEX } from './chars.js';

// Host = uri-host [ ":" port ] (RFC 9112 §3.2, RFC 9110 §7.2), uri-host from RFC 3986 §3.2.2:
// IP-literal / IPv4address / reg-name. A server must answer 400 to any other Host value: a value
// with a space, a slash or an "@" is something a proxy in front may have read differently.

/**
 * reg-name bytes besides pct-encoded: unreserved and sub-delims, but not ",". RFC 3986 allows
 * "," in a reg-name, yet no DNS name has one, and `a.com,b.com` is what a Host field sent twice
 * looks like once a proxy joins the lines: two Hosts, refused as such (nginx refuses it too).
 */
const REG_NAME = (() => {
  const t = new Uint8Array(256);
  const allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+;=";
  for (let i = 0; i < allowed.length; i++) t[allowed.charCodeAt(i)] = 1;
  return t;
})();

const IPV_FUTURE = /^[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/;
const PERCENT = 0x25;
const COLON = 0x3a;

/**
 * True when `value` is a valid Host field value: uri-host [ ":" port ]. The empty value is
 * valid (RFC 9112 §3.2: a request whose target has no authority sends an empty Host).
 */
export function isValidHost(value: string): boolean {
  let end: number;
  if (value.charCodeAt(0) === 0x5b) {
    end = value.indexOf(']');
    if (end < 0 || !isIpLiteral(value.slice(1, end))) return false;
    end++;
  } else {
    end = regNameEnd(value);
    if (end < 0) return false;
    // A port needs a host before it.
    if (end === 0 && value.length > 0) return false;
  }
  if (end === value.length) return true;
  return value.charCodeAt(end) === COLON && isDigits(value, end + 1);
}

/** Where the reg-name at the start of `value` ends (a ":" or the end), or -1 if it is invalid. */
function regNameEnd(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === COLON) return i;
    if (c === PERCENT) {
      // pct-encoded = "%" HEXDIG HEXDIG
      if (!isHexAt(value, i + 1) || !isHexAt(value, i + 2)) return -1;
      i += 2;
    } else if (c > 0xff || REG_NAME[c] !== 1) return -1;
  }
  return value.length;
}

/** port = *DIGIT (RFC 3986 allows it empty). */
function isDigits(value: string, from: number): boolean {
  for (let i = from; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isHexAt(value: string, i: number): boolean {
  const c = value.charCodeAt(i);
  return c <= 0xff && HEX[c] !== 255;
}

/** IP-literal contents: IPv6address or IPvFuture (no zone id: RFC 9110 does not allow one). */
function isIpLiteral(inner: string): boolean {
  // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
  if (inner[0] === 'v' || inner[0] === 'V') return IPV_FUTURE.test(inner);
  return isIPv6(inner);
}

/** RFC 3986 IPv6address: eight 16-bit groups (the last two may be an IPv4 address), "::" once. */
function isIPv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  const all = groups.flat();
  // Only the very last group may be an IPv4 address: not one before "::".
  const lastMayBeIPv4 = groups[groups.length - 1].length > 0;
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i];
    if (lastMayBeIPv4 && i === all.length - 1 && g.includes('.')) {
      if (!isIPv4(g)) return false;
      count += 2;
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) count++;
    else return false;
  }
  return halves.length === 2 ? count < 8 : count === 8;
}

/** dec-octet "." dec-octet "." dec-octet "." dec-octet, no leading zeros. */
function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}
