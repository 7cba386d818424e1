/**
 * Progress for long CLI verbs: a cli-progress bar with docs/s and ETA on a terminal, plain
 * throttled lines otherwise (logs and CI must not fill with carriage returns).
 */
import cliProgress from "cli-progress";

/** A progress reporter over a total measured in bytes of input (0 = unknown). */
export interface Progress {
  /** Sets the bytes consumed so far and the documents done. */
  update(bytesDone: number, docs: number): void;
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
        format: `${label} [{bar}] {percentage}% | {docs} docs | {rate} docs/s | ETA {eta_formatted}`,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { docs: 0, rate: "0.0" });
    let lastDocs = 0;
    return {
      update(bytes, docs) {
        lastDocs = docs;
        bar.update(Math.min(bytes, total), { docs, rate: rate(docs, start) });
      },
      stop() {
        bar.update(total, { docs: lastDocs, rate: rate(lastDocs, start) });
        bar.stop();
      },
    };
  }
  const interval = (options.plainIntervalSeconds ?? 2) * 1000;
  let last = 0;
  let lastDocs = 0;
  let lastBytes = 0;
  const line = (): void => {
    const secs = (Date.now() - start) / 1000;
    let extra = "";
    if (total > 0) {
      const frac = Math.min(1, lastBytes / total);
      const eta = frac > 0 ? Math.round((secs / frac) * (1 - frac)) : NaN;
      extra = `, ${(frac * 100).toFixed(0)}%${Number.isFinite(eta) ? `, ETA ${eta} s` : ""}`;
    }
    stream.write(`${label}: ${lastDocs} docs, ${rate(lastDocs, start)} docs/s${extra}\n`);
  };
  return {
    update(bytes, docs) {
      lastDocs = docs;
      lastBytes = bytes;
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
