/**
 * Distribution-free confidence intervals for percentiles (order statistics).
 *
 * With n independent samples sorted, the number B of samples below the true p-quantile q is
 * binomial(n, p). The interval [X(l), X(u)] between the l-th and u-th smallest samples covers q
 * with probability P(l <= B <= u - 1) = F(u - 1) - F(l - 1), whatever the latency distribution.
 * We choose equal tails: the largest l with F(l - 1) <= alpha/2 and the smallest u with
 * F(u - 1) >= 1 - alpha/2, so the coverage is at least the confidence asked for.
 *
 * Ranks are 1-based. A lower rank of 0 means "below the smallest sample" (no lower bound); an upper
 * rank of n + 1 means the n samples cannot bound the percentile from above (p99 from 20 samples):
 * such a percentile can never be shown to meet a budget, only to break one.
 *
 * Pure: no I/O, no histograms (see histogram.ts for reading the ranks off a histogram).
 */

export interface RankInterval {
  /** 1-based rank of the lower bound; 0 = unbounded below. */
  lower: number;
  /** 1-based rank of the upper bound; n + 1 = unbounded above. */
  upper: number;
}

/** Above this many samples the normal approximation of the binomial is used (error far below one rank). */
const EXACT_LIMIT = 20_000;

/**
 * The ranks bounding the p-quantile (p in (0, 1)) of n samples with at least `confidence` coverage.
 * For n = 0 the interval is unbounded on both sides.
 */
export function quantileRankInterval(n: number, p: number, confidence = 0.95): RankInterval {
  assertArguments(n, p, confidence);
  if (n === 0) return { lower: 0, upper: 1 };
  const tail = (1 - confidence) / 2;
  return n <= EXACT_LIMIT ? exactRanks(n, p, tail) : approximateRanks(n, p, tail);
}

/** The smallest n whose interval for the p-quantile has an upper bound (upper rank <= n). */
export function minSamplesForUpperBound(p: number, confidence = 0.95): number {
  assertArguments(1, p, confidence);
  // The upper rank is bounded once P(B <= n - 1) = 1 - p^n >= 1 - tail, i.e. p^n <= tail.
  const tail = (1 - confidence) / 2;
  return Math.max(1, Math.ceil(Math.log(tail) / Math.log(p) - 1e-12));
}

/** The smallest n whose interval for the p-quantile has a lower bound (lower rank >= 1). */
export function minSamplesForLowerBound(p: number, confidence = 0.95): number {
  assertArguments(1, p, confidence);
  // The lower rank is >= 1 once P(B <= 0) = (1 - p)^n <= tail.
  const tail = (1 - confidence) / 2;
  return Math.max(1, Math.ceil(Math.log(tail) / Math.log(1 - p) - 1e-12));
}

/** The 1-based rank of the point estimate of the p-quantile: the smallest k with k >= p * n. */
export function quantileRank(n: number, p: number): number {
  if (n === 0) return 0;
  return Math.min(n, Math.max(1, Math.ceil(p * n - 1e-9)));
}

/** The binomial(n, p) cumulative distribution P(B <= k), computed exactly in log space. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let sum = 0;
  forEachPmf(n, p, (index, probability) => {
    if (index > k) return false;
    sum += probability;
    return true;
  });
  return Math.min(1, sum);
}

function exactRanks(n: number, p: number, tail: number): RankInterval {
  // Walk the CDF once: F(k) for k = 0..n. lower = largest l with F(l-1) <= tail (F(-1) = 0).
  let lower = 0;
  let upper = n + 1;
  let cdf = 0;
  forEachPmf(n, p, (k, probability) => {
    cdf += probability;
    // After adding pmf(k), cdf = F(k). l = k + 1 is allowed while F(k) <= tail.
    if (cdf <= tail) lower = k + 1;
    if (cdf >= 1 - tail - 1e-12) {
      upper = k + 1;
      return false;
    }
    return true;
  });
  return { lower: Math.min(lower, n), upper: Math.min(upper, n + 1) };
}

function approximateRanks(n: number, p: number, tail: number): RankInterval {
  // Normal approximation with continuity correction; n > 20,000 keeps the error well under a rank.
  const z = inverseStandardNormal(1 - tail);
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  const lower = Math.floor(mean - z * sd + 0.5);
  const upper = Math.ceil(mean + z * sd + 0.5);
  return { lower: Math.max(0, Math.min(n, lower)), upper: Math.max(1, Math.min(n + 1, upper)) };
}

/**
 * Calls visit(k, pmf(k)) for k = 0, 1, … until it returns false or k = n. Probabilities are built
 * from the log of the first term by the ratio pmf(k+1)/pmf(k) = (n-k)/(k+1) · p/(1-p), in log space
 * so that p^n underflowing (n large) does not zero every term.
 */
function forEachPmf(n: number, p: number, visit: (k: number, probability: number) => boolean): void {
  let logPmf = n * Math.log1p(-p);
  const logOdds = Math.log(p) - Math.log1p(-p);
  for (let k = 0; k <= n; k += 1) {
    if (!visit(k, Math.exp(logPmf))) return;
    logPmf += Math.log(n - k) - Math.log(k + 1) + logOdds;
  }
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function inverseStandardNormal(probability: number): number {
  if (!(probability > 0 && probability < 1)) throw new RangeError(`probability must be in (0, 1), got ${probability}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (probability < low) {
    const q = Math.sqrt(-2 * Math.log(probability));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (probability > 1 - low) return -inverseStandardNormal(1 - probability);
  const q = probability - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

function assertArguments(n: number, p: number, confidence: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`sample count must be a non-negative integer, got ${n}`);
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile must be in (0, 1), got ${p}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
}
