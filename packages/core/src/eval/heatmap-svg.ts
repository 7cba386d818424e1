/**
 * Draws the cross-lingual matrix as a standalone SVG heatmap (no library: a few rects and text
 * elements are all it takes, and the file opens in any browser).
 */

/** Input of {@link heatmapSvg}. */
export interface HeatmapInput {
  title: string;
  /** Row labels (query languages). */
  rows: readonly string[];
  /** Column labels (document languages). */
  columns: readonly string[];
  /** `values[r][c]`, in [0, 1]; NaN draws an empty cell. */
  values: readonly (readonly number[])[];
  rowAxis?: string;
  columnAxis?: string;
}

const CELL = 64;
const LEFT = 110;
const TOP = 92;

/**
 * Returns SVG markup of a labelled heatmap, darker = higher, with each value printed in its cell.
 *
 * @example
 * ```ts
 * import { heatmapSvg } from "./heatmap-svg.js";
 * const svg = heatmapSvg({ title: "NDCG@10", rows: ["en"], columns: ["de"], values: [[0.5]] });
 * console.log(svg.startsWith("<svg")); // true
 * ```
 */
export function heatmapSvg(input: HeatmapInput): string {
  const width = LEFT + CELL * input.columns.length + 20;
  const height = TOP + CELL * input.rows.length + 20;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" font-size="16" text-anchor="middle" font-weight="bold">${escapeXml(input.title)}</text>`,
    `<text x="${LEFT + (CELL * input.columns.length) / 2}" y="48" font-size="12" text-anchor="middle" fill="#444">${escapeXml(input.columnAxis ?? "documents")}</text>`,
    `<text x="16" y="${TOP + (CELL * input.rows.length) / 2}" font-size="12" text-anchor="middle" fill="#444" transform="rotate(-90 16 ${TOP + (CELL * input.rows.length) / 2})">${escapeXml(input.rowAxis ?? "queries")}</text>`,
  ];
  input.columns.forEach((label, c) => {
    parts.push(`<text x="${LEFT + c * CELL + CELL / 2}" y="${TOP - 10}" font-size="13" text-anchor="middle">${escapeXml(label)}</text>`);
  });
  input.rows.forEach((label, r) => {
    parts.push(`<text x="${LEFT - 12}" y="${TOP + r * CELL + CELL / 2 + 5}" font-size="13" text-anchor="end">${escapeXml(label)}</text>`);
    input.columns.forEach((_, c) => {
      const value = input.values[r]?.[c] ?? Number.NaN;
      const x = LEFT + c * CELL;
      const y = TOP + r * CELL;
      const fill = Number.isFinite(value) ? colour(value) : "#eeeeee";
      parts.push(
        `<rect x="${x}" y="${y}" width="${CELL}" height="${CELL}" fill="${fill}" stroke="#ffffff" stroke-width="2"><title>${escapeXml(`${label} → ${input.columns[c] ?? ""}: ${format(value)}`)}</title></rect>`,
      );
      const ink = Number.isFinite(value) && value > 0.55 ? "#ffffff" : "#111111";
      parts.push(`<text x="${x + CELL / 2}" y="${y + CELL / 2 + 5}" font-size="13" text-anchor="middle" fill="${ink}">${format(value)}</text>`);
    });
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

function format(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : "–";
}

/** White → deep blue, linear in the value, clamped to [0, 1]. */
function colour(value: number): string {
  const t = Math.min(1, Math.max(0, value));
  const from = [247, 251, 255];
  const to = [8, 48, 107];
  const rgb = from.map((f, i) => Math.round(f + ((to[i] ?? 0) - f) * t));
  return `rgb(${rgb.join(",")})`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[ch] ?? ch);
}
