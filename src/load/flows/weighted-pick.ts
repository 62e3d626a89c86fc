/**
 * Weighted choice by smooth weighted round-robin (nginx's algorithm): over any window of W picks
 * (W = sum of weights) each option is chosen exactly its weight's number of times, evenly spread.
 * A short CI run therefore honours a 5 % flow as closely as a long one, where a random draw would
 * wander by several percent over a few hundred iterations.
 */

export interface WeightedPicker {
  next(): number;
}

export function createWeightedPicker(weights: readonly number[], offset = 0): WeightedPicker {
  if (weights.length === 0) throw new Error('createWeightedPicker: no options');
  if (weights.some((w) => !(w >= 0)) || weights.every((w) => w === 0)) throw new Error('createWeightedPicker: weights must be ≥ 0 and not all 0');
  if (weights.length === 1) return { next: () => 0 };
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const picker = {
    next(): number {
      let best = 0;
      for (let i = 0; i < weights.length; i++) {
        current[i] += weights[i];
        if (current[i] > current[best]) best = i;
      }
      current[best] -= total;
      return best;
    },
  };
  // Workers start at different points of the cycle so that their first picks differ.
  for (let i = 0; i < offset; i++) picker.next();
  return picker;
}
