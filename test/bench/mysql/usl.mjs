// Universal Scalability Law fit: X(N) = λN / (1 + σ(N−1) + κN(N−1)).
//
// Pure: no I/O except when run as a script (`node usl.mjs 1:1200 4:4300 16:9000 ...`).
//
// Method. For fixed (σ, κ) the best λ under log-error has a closed form (the mean of
// log X − log shape), so the search is two-dimensional. A coarse log-spaced grid over σ and κ
// (zero included) finds the basin; Nelder–Mead on (a, b) with σ = sin²a, κ = b² refines it, which
// keeps 0 ≤ σ ≤ 1 and κ ≥ 0 without clamping and still lets either reach its bounds. λ is pinned by
// the low-concurrency points, so a curve must start at 4 threads or fewer: fitted only from
// points past the peak, λ, σ and κ trade off against each other without limit. Log-error, because
// throughput spans orders of magnitude between 1 and 4096 threads and every point should count.

/**
 * Throughput predicted by the USL.
 * @param {number} n concurrency (threads)
 * @param {{lambda: number, sigma: number, kappa: number}} p
 * @returns {number}
 */
export function uslThroughput(n, { lambda, sigma, kappa }) {
  return (lambda * n) / (1 + sigma * (n - 1) + kappa * n * (n - 1));
}

/** The lowest concurrency a curve must include for λ to be identifiable. */
const MAX_LOWEST_N = 4;

/** X(N)/λ: the part of the curve that depends on σ and κ only. */
function shape(n, sigma, kappa) {
  return n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
}

/** Best log λ for fixed σ, κ and the resulting sum of squared log errors. */
function logFit(points, sigma, kappa) {
  let sum = 0;
  for (const { n, x } of points) sum += Math.log(x) - Math.log(shape(n, sigma, kappa));
  const logLambda = sum / points.length;
  let sse = 0;
  for (const { n, x } of points) {
    const r = Math.log(x) - logLambda - Math.log(shape(n, sigma, kappa));
    sse += r * r;
  }
  return { logLambda, sse };
}

/** Nelder–Mead minimisation of f over R². Small and deterministic. */
function nelderMead(f, start, step, iterations = 400) {
  let simplex = [start, [start[0] + step[0], start[1]], [start[0], start[1] + step[1]]].map((v) => ({
    v,
    y: f(v),
  }));
  for (let i = 0; i < iterations; i++) {
    simplex.sort((a, b) => a.y - b.y);
    const [best, mid, worst] = simplex;
    if (Math.abs(worst.y - best.y) <= 1e-15 * (1 + Math.abs(best.y))) break;
    const c = [(best.v[0] + mid.v[0]) / 2, (best.v[1] + mid.v[1]) / 2];
    const along = (t) => [c[0] + t * (worst.v[0] - c[0]), c[1] + t * (worst.v[1] - c[1])];
    const r = { v: along(-1), y: 0 };
    r.y = f(r.v);
    if (r.y < best.y) {
      const e = { v: along(-2), y: 0 };
      e.y = f(e.v);
      simplex = [best, mid, e.y < r.y ? e : r];
    } else if (r.y < mid.y) {
      simplex = [best, mid, r];
    } else {
      const k = { v: along(r.y < worst.y ? -0.5 : 0.5), y: 0 };
      k.y = f(k.v);
      if (k.y < Math.min(worst.y, r.y)) {
        simplex = [best, mid, k];
      } else {
        const shrink = (p) => {
          const v = [best.v[0] + (p.v[0] - best.v[0]) / 2, best.v[1] + (p.v[1] - best.v[1]) / 2];
          return { v, y: f(v) };
        };
        simplex = [best, shrink(mid), shrink(worst)];
      }
    }
  }
  simplex.sort((a, b) => a.y - b.y);
  return simplex[0].v;
}

/**
 * Fit the USL to measured (concurrency, throughput) points.
 * Points with non-positive or non-finite throughput are ignored (a failed run is not a zero).
 * Throws when fewer than 3 points remain or none is at 4 threads or fewer.
 * @param {Array<{n: number, x: number}>} data
 * @returns {{lambda: number, sigma: number, kappa: number, r2: number, peakN: number, points: number}}
 *   λ = throughput of one thread, σ = contention, κ = coherency; r2 is R² on the linear
 *   throughput scale; peakN = √((1−σ)/κ) (at least 1), the concurrency where the fitted curve peaks.
 */
export function fitUsl(data) {
  const points = data.filter((p) => Number.isFinite(p.x) && p.x > 0 && Number.isFinite(p.n) && p.n >= 1);
  if (points.length < 3) {
    throw new Error(`USL fit needs at least 3 points with throughput > 0, got ${points.length}`);
  }
  const lowest = Math.min(...points.map((p) => p.n));
  if (lowest > MAX_LOWEST_N) {
    throw new Error(
      `USL fit needs a point at ${MAX_LOWEST_N} threads or fewer to pin λ, lowest is ${lowest}`,
    );
  }
  let best = { sigma: 0, kappa: 0, sse: Number.POSITIVE_INFINITY };
  const grid = [0];
  for (let e = -9; e <= 0; e += 0.25) grid.push(10 ** e);
  for (const sigma of grid) {
    for (const kappa of grid) {
      const { sse } = logFit(points, sigma, kappa);
      if (sse < best.sse) best = { sigma, kappa, sse };
    }
  }
  const objective = ([a, b]) => logFit(points, Math.sin(a) ** 2, b * b).sse;
  const a0 = Math.asin(Math.sqrt(best.sigma));
  const b0 = Math.sqrt(best.kappa);
  const [a, b] = nelderMead(objective, [a0, b0], [Math.max(a0 * 0.1, 1e-4), Math.max(b0 * 0.1, 1e-5)]);
  const sigma = Math.sin(a) ** 2;
  const kappa = b * b;
  const lambda = Math.exp(logFit(points, sigma, kappa).logLambda);

  const mean = points.reduce((s, p) => s + p.x, 0) / points.length;
  let ssRes = 0;
  let ssTot = 0;
  for (const { n, x } of points) {
    ssRes += (x - uslThroughput(n, { lambda, sigma, kappa })) ** 2;
    ssTot += (x - mean) ** 2;
  }
  const r2 = ssTot === 0 ? 1 : 1 - ssRes / ssTot;
  // σ ≥ 1 means no concurrency helps at all: the curve peaks at one thread.
  const peakN = kappa > 0 ? Math.max(1, Math.sqrt(Math.max(0, 1 - sigma) / kappa)) : Number.POSITIVE_INFINITY;
  return { lambda, sigma, kappa, r2, peakN, points: points.length };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args.length === 0) {
    console.error('usage: node usl.mjs <threads>:<qps> <threads>:<qps> ...   (at least 3 points)');
    process.exit(2);
  }
  const data = args.map((arg) => {
    const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(arg);
    if (!m) {
      console.error(`usl.mjs: "${arg}" is not <threads>:<qps> (e.g. 16:42000)`);
      process.exit(2);
    }
    return { n: Number(m[1]), x: Number(m[2]) };
  });
  const fit = fitUsl(data);
  console.log(JSON.stringify(fit, null, 2));
}
