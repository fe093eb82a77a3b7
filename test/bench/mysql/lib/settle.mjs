// Between runs: the previous run's client connections must be gone from MariaDB before the next
// run starts, or the next target pays for closing them. A proxy's own pool stays open, and its
// size is the proxy's business (lazily filled, maybe one pool per worker thread), so a count
// that has stopped moving and is within what a proxy may hold also counts as settled.

const POLL_MS = 200;
const STABLE_POLLS = 5;

/**
 * @param {() => Promise<number>} threadsConnected MariaDB's Threads_connected
 * @param {{ idle: number, persistentMax: number, timeoutMs: number }} o
 *   idle: connections with no client run going (admin); persistentMax: the most a proxy's pools
 *   may keep open on top of that.
 * @returns {Promise<{ settled: boolean, connections: number }>}
 */
export async function waitForSettledConnections(threadsConnected, { idle, persistentMax, timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  const recent = [];
  for (;;) {
    const connections = await threadsConnected();
    if (connections <= idle) return { settled: true, connections };
    recent.push(connections);
    if (recent.length > STABLE_POLLS) recent.shift();
    const stable = recent.length === STABLE_POLLS && recent.every((c) => c === connections);
    if (stable && connections <= persistentMax) return { settled: true, connections };
    if (Date.now() > deadline) return { settled: false, connections };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
