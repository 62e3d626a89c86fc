/**
 * Presets: the seed's named scenarios as data. Each expands a peak (users or rate) and a duration
 * into explicit stages; every number can be overridden in the spec, and explicit `stages` replace
 * the shape altogether. Fractions of the duration keep a preset meaningful when it is shortened
 * for CI ("load" over 20 s still ramps, holds and ramps down).
 */
import type { PresetName } from '../types.js';
import type { PlannedStage, StageShape } from './stages.js';

export interface PresetDefaults {
  /** Peak users (closed model) or arrivals per second (open model). */
  peak: number;
  durationMs: number;
  /** Which model a preset uses when the spec gives neither users nor rate. */
  model: 'closed' | 'open';
  /** Breakpoint/capacity: the length of one step, over which the SLA is judged. */
  stepCount?: number;
}

interface Preset extends PresetDefaults {
  /** `stepCount` only matters to step-wise presets (capacity, breakpoint). */
  shape(peak: number, durationMs: number, stepCount?: number): StageShape;
}

const MINUTE = 60_000;

/** [fraction of duration, fraction of peak] pairs → stages that add up to exactly durationMs. */
function fromFractions(peak: number, durationMs: number, parts: Array<[number, number]>): PlannedStage[] {
  const stages: PlannedStage[] = [];
  let used = 0;
  parts.forEach(([time, level], i) => {
    const d = i === parts.length - 1 ? durationMs - used : Math.round(durationMs * time);
    used += d;
    stages.push({ durationMs: d, target: Math.round(peak * level * 1000) / 1000 });
  });
  return stages;
}

/** `steps` equal steps up to peak: a short ramp (≤ 5 s, ≤ 1/5 of the step) then a hold. */
function steps(peak: number, durationMs: number, count: number): PlannedStage[] {
  const stepMs = durationMs / count;
  const rampMs = Math.min(5000, stepMs / 5);
  const stages: PlannedStage[] = [];
  for (let k = 1; k <= count; k++) {
    const target = Math.round(((peak * k) / count) * 1000) / 1000;
    stages.push({ durationMs: Math.round(rampMs), target }, { durationMs: Math.round(stepMs - rampMs), target });
  }
  return stages;
}

export const PRESETS: Record<PresetName, Preset> = {
  smoke: { peak: 5, durationMs: MINUTE, model: 'closed', shape: (p, d) => ({ start: p, stages: [{ durationMs: d, target: p }] }) },
  load: {
    peak: 100,
    durationMs: 10 * MINUTE,
    model: 'closed',
    shape: (p, d) => ({
      start: 0,
      stages: fromFractions(p, d, [
        [0.1, 1],
        [0.8, 1],
        [0.1, 0],
      ]),
    }),
  },
  stress: {
    peak: 500,
    durationMs: 15 * MINUTE,
    model: 'closed',
    shape: (p, d) => ({
      start: 0,
      stages: fromFractions(p, d, [
        [0.2, 1],
        [0.7, 1],
        [0.1, 0],
      ]),
    }),
  },
  // A sudden surge from a tenth of the peak to the peak, held, then back to see recovery.
  spike: {
    peak: 1000,
    durationMs: 5 * MINUTE,
    model: 'closed',
    shape: (p, d) => ({
      start: 0,
      stages: fromFractions(p, d, [
        [0.05, 0.1],
        [0.15, 0.1],
        [0.05, 1],
        [0.2, 1],
        [0.05, 0.1],
        [0.4, 0.1],
        [0.1, 0],
      ]),
    }),
  },
  soak: {
    peak: 100,
    durationMs: 120 * MINUTE,
    model: 'closed',
    shape: (p, d) => ({
      start: 0,
      stages: fromFractions(p, d, [
        [0.05, 1],
        [0.9, 1],
        [0.05, 0],
      ]),
    }),
  },
  capacity: { peak: 2000, durationMs: 10 * MINUTE, model: 'closed', stepCount: 10, shape: (p, d, n = 10) => ({ start: 0, stages: steps(p, d, n) }) },
  breakpoint: { peak: 1000, durationMs: 5 * MINUTE, model: 'open', stepCount: 10, shape: (p, d, n = 10) => ({ start: 0, stages: steps(p, d, n) }) },
  // The seed's horizontal-scaling test: a breakpoint search per replica count (src/probes/load/scalability.ts);
  // the peak is per replica, so k replicas are searched up to k × peak in the same number of steps.
  scalability: { peak: 200, durationMs: 2 * MINUTE, model: 'open', stepCount: 10, shape: (p, d, n = 10) => ({ start: 0, stages: steps(p, d, n) }) },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** The stages of a preset for a peak and a duration (defaults when omitted). */
export function expandPreset(name: PresetName, peak?: number, durationMs?: number): StageShape {
  const preset = PRESETS[name];
  return preset.shape(peak ?? preset.peak, durationMs ?? preset.durationMs);
}
