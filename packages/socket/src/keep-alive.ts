/**
 * The keepalive delay to hand Node for one asked for in `ms` (0 or less: off). Node gives the
 * kernel whole seconds: under one it would pass 0, which Linux refuses, and the socket would
 * keep the kernel's default of two hours. A delay under a second is a second.
 */
export function keepAliveDelay(ms: number): number {
  return ms > 0 ? Math.max(ms, 1000) : 0;
}
