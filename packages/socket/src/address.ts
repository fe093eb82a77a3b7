import { type Address, formatAddress, parseAddress } from '@scalestack/kernel';

/** Anything `listen`/`connect` accept: a parsed {@link Address} or its text form. */
export type AddressLike = Address | string;

/**
 * Turns text (`host:port`, `[::1]:3306`, `unix:/path`, `/path.sock`) into an {@link Address}.
 *
 * @throws TypeError naming the value and the accepted forms
 */
export function toAddress(address: AddressLike): Address {
  if (typeof address !== 'string') return address;
  const parsed = parseAddress(address);
  if (!parsed) {
    throw new TypeError(
      `invalid socket address ${JSON.stringify(address)}: expected host:port, [ipv6]:port, unix:/path or /path.sock`,
    );
  }
  return parsed;
}

export { formatAddress };
