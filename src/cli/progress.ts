// A progress bar for long runs, on stderr when it is a terminal; silent in CI,
// in pipes and in log files, where the final report says what happened.
import cliProgress from "cli-progress";

export type Progress = { update(done: number): void; stop(): void };

const SILENT: Progress = { update() {}, stop() {} };

/**
 * Shows `label [bar] done/total · rate/s · eta` when `stream` is an interactive
 * terminal; silent otherwise and when `quiet` (callers pass whether CI is set).
 */
export function startProgress(label: string, total: number, options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (!stream.isTTY || options.quiet || total <= 0) return SILENT;
  const bar = new cliProgress.SingleBar(
    { stream, format: `${label.padEnd(34)} [{bar}] {value}/{total} · {speed}/s · eta {eta_formatted}`, hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(total, 0, { speed: 0 });
  return {
    update(done) {
      bar.update(Math.min(done, total), { speed: Math.round(done / Math.max(0.001, (performance.now() - started) / 1000)) });
    },
    stop() {
      bar.stop();
    },
  };
}
