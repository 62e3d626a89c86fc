/**
 * The HTTP/1.1 framing faults of a load run, by kind and labelled as reports show them: judge
 * counts them (load.protocol_errors) and present lists them (the Protocol errors table). Pure.
 */
import type { LoadReport } from '../../load/types.js';
import { PROTOCOL_FAULTS, type ProtocolFault } from '../../sources/http/error-kind.js';

/** How each framing fault reads in a report. */
const PROTOCOL_FAULT_LABELS: Record<ProtocolFault, string> = {
  bad_content_length: 'bad Content-Length (negative, malformed or conflicting)',
  bad_status_line: 'bad status line',
  bad_chunk: 'bad chunk size',
  unrequested_bytes: 'bytes after a complete response (a response sent before its request)',
  idle_answer: 'answer on an idle connection (no request in flight)',
};

/** The framing faults of a run by kind, in a fixed order; for reports from before the breakdown, the total alone. */
export function protocolFaultRows(report: LoadReport): Array<[string, number]> {
  const counts = report.protocolErrors ?? {};
  const rows = PROTOCOL_FAULTS.filter((fault) => (counts[fault] ?? 0) > 0).map((fault): [string, number] => [PROTOCOL_FAULT_LABELS[fault], counts[fault]!]);
  const charged = report.overall.errorKinds.protocol_error ?? 0;
  const broken = PROTOCOL_FAULTS.reduce((sum, fault) => sum + (fault === 'idle_answer' ? 0 : (counts[fault] ?? 0)), 0);
  if (charged > broken) rows.push(['protocol error (kind not recorded)', charged - broken]);
  return rows;
}
