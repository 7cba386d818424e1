/** Plain-text tables for the terminal. */

/**
 * Formats rows as an aligned text table.
 *
 * @example
 * ```ts
 * import { formatTable } from "./table.js";
 * console.log(formatTable(["q\\d", "en"], [["en", "0.910"]]));
 * // q\d  en
 * // en   0.910
 * ```
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => [...(r[c] ?? "")].length)));
  return all
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
