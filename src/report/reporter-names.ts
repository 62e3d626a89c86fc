/**
 * The one list of reporter names, in a module with no dependencies so the command line can show
 * it in --help without loading the reporters (commands are imported lazily).
 */
export const REPORTER_NAMES = ['console', 'markdown', 'html', 'json', 'junit', 'github', 'ndjson'] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

/** The reporters `run` uses when --reporter is not given (github and ndjson are chosen explicitly). */
export const DEFAULT_REPORTERS: readonly ReporterName[] = ['console', 'markdown', 'html', 'json', 'junit'];
