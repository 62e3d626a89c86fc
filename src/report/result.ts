/** Moved to src/result (below the engine and the reporters); kept for code not yet updated. */
export * from '../result/result.js';
