/**
 * Progress for long CLI verbs: a cli-progress bar with docs/s and ETA on a terminal, plain
 * throttled lines otherwise (logs and CI must not fill with carriage returns).
 */
import cliProgress from "cli-progress";

/** A progress reporter over a total measured in bytes of input (0 = unknown). */
export interface Progress {
  /**
   * Sets the bytes consumed so far (encoded or skipped) and the documents done; `skippedBytes`
   * of them were skipped without encoding (a resumed run), so they do not count toward the rate.
   */
  update(bytesDone: number, docs: number, skippedBytes?: number): void;
  /** Final update and cleanup. */
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Total input bytes, or 0 when unknown (stdin). */
  totalBytes: number;
  /** Where to draw. @defaultValue `process.stderr` */
  stream?: NodeJS.WriteStream;
  /** What the lines start with. @defaultValue `"indexing"` */
  label?: string;
  /** Seconds between plain lines when not a TTY. @defaultValue 2 */
  plainIntervalSeconds?: number;
}

function rate(docs: number, startMs: number): string {
  const s = (Date.now() - startMs) / 1000;
  return s > 0 ? (docs / s).toFixed(1) : "0.0";
}

/**
 * Seconds left at the measured encoding rate: the bytes still to read divided by the bytes
 * encoded per second so far (skipped bytes of a resumed run excluded, so they neither speed up
 * nor slow down the estimate); `NaN` until something was encoded.
 *
 * @example
 * ```ts
 * import { etaSeconds } from "./progress.js";
 * // 1000 bytes, 600 read of which 200 skipped, 400 encoded in 10 s → 40 B/s → 400 left = 10 s
 * console.log(etaSeconds(1000, 600, 200, 10), etaSeconds(1000, 200, 200, 3)); // 10 NaN
 * ```
 */
export function etaSeconds(totalBytes: number, bytesDone: number, skippedBytes: number, elapsedSeconds: number): number {
  const encoded = bytesDone - skippedBytes;
  if (encoded <= 0 || elapsedSeconds <= 0) return Number.NaN;
  return Math.max(0, totalBytes - bytesDone) / (encoded / elapsedSeconds);
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "…";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/**
 * A bar on a TTY (`[====----] 42% | 1200 docs | 35.2 docs/s | ETA 1m 3s`) or plain lines
 * (`indexing: 1200 docs, 42%, 35.2 docs/s, ETA 63 s`).
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const label = options.label ?? "indexing";
  const start = Date.now();
  const total = options.totalBytes;
  if (stream.isTTY && total > 0) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        // ETA from our own measured rate: cli-progress's {eta} follows raw progress, which skipped
        // (already indexed) documents of a resumed run make jump.
        format: `${label} [{bar}] {percentage}% | {docs} docs | {rate} docs/s | ETA {etaMeasured}`,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { docs: 0, rate: "0.0", etaMeasured: "…" });
    let lastDocs = 0;
    return {
      update(bytes, docs, skipped = 0) {
        lastDocs = docs;
        const eta = formatEta(etaSeconds(total, bytes, skipped, (Date.now() - start) / 1000));
        bar.update(Math.min(bytes, total), { docs, rate: rate(docs, start), etaMeasured: eta });
      },
      stop() {
        bar.update(total, { docs: lastDocs, rate: rate(lastDocs, start), etaMeasured: "0s" });
        bar.stop();
      },
    };
  }
  const interval = (options.plainIntervalSeconds ?? 2) * 1000;
  let last = 0;
  let lastDocs = 0;
  let lastBytes = 0;
  let lastSkipped = 0;
  const line = (): void => {
    const secs = (Date.now() - start) / 1000;
    let extra = "";
    if (total > 0) {
      const frac = Math.min(1, lastBytes / total);
      const eta = Math.round(etaSeconds(total, lastBytes, lastSkipped, secs));
      extra = `, ${(frac * 100).toFixed(0)}%${Number.isFinite(eta) ? `, ETA ${eta} s` : ""}`;
    }
    stream.write(`${label}: ${lastDocs} docs, ${rate(lastDocs, start)} docs/s${extra}\n`);
  };
  return {
    update(bytes, docs, skipped = 0) {
      lastDocs = docs;
      lastBytes = bytes;
      lastSkipped = skipped;
      const now = Date.now();
      if (now - last >= interval) {
        last = now;
        line();
      }
    },
    stop() {
      /* the summary line that follows says the final numbers */
    },
  };
}

/**
 * Model download and build messages (a hub model's first use downloads it, an LFM2 checkpoint's
 * graph is built once): one indented line each on stderr, so stdout stays clean for `--json`,
 * JSONL and pipes. Local model folders and cached models print nothing.
 */
export function modelProgress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}
