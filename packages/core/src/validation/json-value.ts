/**
 * Metadata (and any owner meta) is stored as JSON: it must survive `JSON.stringify` → `JSON.parse`
 * unchanged, or the live collection and a reopened one would answer differently. This module
 * checks a value and returns a **copy** in one iterative pass (no recursion: a value nested 100k
 * deep is refused with a typed error instead of overflowing the stack), before any encoding work.
 *
 * Accepted: plain objects (prototype `Object.prototype` or `null`), arrays, strings, finite
 * numbers, booleans, `null`. Object properties whose value is `undefined` are dropped (as JSON
 * drops them). Refused with the path of the culprit: BigInt, NaN/±Infinity, `Date` and other class
 * instances (Map, Set, typed arrays…), functions, symbols, `undefined` in an array, cycles, depth
 * beyond {@link MAX_JSON_DEPTH}, and values larger than the given byte limit.
 *
 * Why not zod's `z.json()`: it recurses (stack overflow on deep input) and returns the input, not
 * a copy; this walk is both the check and the copy.
 */
import { MaxsimError } from "../errors.js";
import { describeValue, formatPath } from "./describe.js";

/** Deepest nesting of objects/arrays accepted in metadata (the top-level object is depth 1). */
export const MAX_JSON_DEPTH = 32;
/** Largest metadata of one document, in bytes of its JSON text. */
export const MAX_METADATA_BYTES = 64 * 1024;

/** Options of {@link copyJsonValue}. */
export interface JsonCopyOptions {
  /** The public call, for messages. */
  where: string;
  /** How the value is named in messages (`docs[3].metadata`). */
  name: string;
  /** Largest JSON text in bytes. @defaultValue {@link MAX_METADATA_BYTES} */
  maxBytes?: number;
  /** Deepest nesting. @defaultValue {@link MAX_JSON_DEPTH} */
  maxDepth?: number;
  /** Error code. @defaultValue `"INVALID_INPUT"` */
  code?: "INVALID_INPUT" | "INVALID_OPTION";
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

const FIX = "Metadata must be JSON: plain objects, arrays, strings, finite numbers, booleans and null (store dates as ISO strings, big integers as strings)";

/**
 * Checks that `value` is a JSON value within the limits and returns a deep copy of it (with
 * `undefined` object properties dropped, `-0` as `0`), so later changes to the caller's object
 * cannot change what is stored.
 *
 * @throws MaxsimError `INVALID_INPUT` (or `options.code`) naming the path, the value's type and the limits
 * @example
 * ```ts
 * import { copyJsonValue } from "@maxsim/core/validation";
 * const meta = { tags: ["a"], skip: undefined };
 * const copy = copyJsonValue(meta, { where: "demo", name: "metadata" });
 * meta.tags.push("b");
 * console.log(copy); // { tags: [ 'a' ] }
 * try {
 *   copyJsonValue({ when: new Date(0) }, { where: "demo", name: "metadata" });
 * } catch (e) {
 *   console.log((e as { code: string }).code); // INVALID_INPUT
 * }
 * ```
 */
export function copyJsonValue(value: unknown, options: JsonCopyOptions): unknown {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const maxBytes = options.maxBytes ?? MAX_METADATA_BYTES;
  const code = options.code ?? "INVALID_INPUT";
  const fail = (path: PropertyKey[], problem: string): MaxsimError =>
    new MaxsimError(
      code,
      `${options.where}: ${formatPath(options.name, path)} ${problem}. ${FIX}; at most ${maxDepth} levels deep and ${maxBytes} bytes as JSON.`,
    );
  // Each frame copies one container. `bytes` is a lower bound of the JSON text (a huge value is
  // refused before it is fully walked), `upper` an upper bound (below the limit: no exact count).
  let bytes = 0;
  let upper = 0;
  const add = (lo: number, hi: number): void => {
    bytes += lo;
    upper += hi;
  };
  const onPath = new Set<object>();
  interface Frame {
    src: object;
    dst: unknown[] | Record<string, unknown>;
    keys: string[];
    next: number;
    path: PropertyKey[];
  }
  const scalar = (v: unknown, path: PropertyKey[]): { ok: true; value: unknown } | { ok: false } => {
    switch (typeof v) {
      case "string":
        add(v.length + 2, v.length * 6 + 2);
        return { ok: true, value: v };
      case "number":
        if (!Number.isFinite(v)) throw fail(path, `is ${describeValue(v)}, which JSON cannot hold`);
        add(1, 24);
        return { ok: true, value: v === 0 ? 0 : v };
      case "boolean":
        add(4, 5);
        return { ok: true, value: v };
      case "object":
        if (v === null) {
          add(4, 4);
          return { ok: true, value: null };
        }
        return { ok: false };
      default:
        throw fail(path, `is ${describeValue(v)}, which JSON cannot hold`);
    }
  };
  const open = (v: object, path: PropertyKey[], depth: number): Frame => {
    if (depth > maxDepth) throw fail(path, `nests deeper than ${maxDepth} levels`);
    if (onPath.has(v)) throw fail(path, "is a circular reference (an object that contains itself)");
    if (Array.isArray(v)) {
      onPath.add(v);
      add(2, 2);
      return { src: v, dst: new Array<unknown>(), keys: [], next: 0, path };
    }
    if (!isPlainObject(v)) throw fail(path, `is ${describeValue(v)}, not a plain object`);
    onPath.add(v);
    add(2, 2);
    return { src: v, dst: {}, keys: Object.keys(v), next: 0, path };
  };
  const first = scalar(value, []);
  if (first.ok) return first.value;
  const root = open(value as object, [], 1);
  const stack: Frame[] = [root];
  while (stack.length > 0) {
    if (bytes > maxBytes) throw fail([], `is larger than ${maxBytes} bytes as JSON`);
    const frame = stack[stack.length - 1]!;
    const isArray = Array.isArray(frame.src);
    const length = isArray ? (frame.src as unknown[]).length : frame.keys.length;
    if (frame.next >= length) {
      onPath.delete(frame.src);
      stack.pop();
      continue;
    }
    const i = frame.next++;
    const key: PropertyKey = isArray ? i : frame.keys[i]!;
    const child = (frame.src as Record<PropertyKey, unknown>)[key];
    const path = [...frame.path, key];
    if (child === undefined) {
      if (isArray) throw fail(path, "is undefined (JSON would store null)");
      continue; // JSON drops undefined properties
    }
    add(1, 1); // separator
    if (!isArray) add((key as string).length + 3, (key as string).length * 6 + 3);
    const s = scalar(child, path);
    let copied: unknown;
    let pushed: Frame | undefined;
    if (s.ok) copied = s.value;
    else {
      pushed = open(child as object, path, stack.length + 1);
      copied = pushed.dst;
    }
    if (isArray) (frame.dst as unknown[]).push(copied);
    // defineProperty: a key named "__proto__" (JSON.parse makes such own keys) stays a plain key.
    else Object.defineProperty(frame.dst, key, { value: copied, enumerable: true, writable: true, configurable: true });
    if (pushed) stack.push(pushed);
  }
  if (upper > maxBytes) {
    // Between the bounds (non-ASCII text, escapes): measure exactly.
    const exact = Buffer.byteLength(JSON.stringify(root.dst), "utf8");
    if (exact > maxBytes) throw fail([], `is ${exact} bytes as JSON, more than ${maxBytes}`);
  }
  return root.dst;
}
