import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaxsimError } from "../../src/errors.js";
import { writeSafetensors } from "../../src/fixtures/index.js";
import { halfToFloat, readSafetensors, SafetensorsFile } from "../../src/model/safetensors.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "maxsim-st-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a safetensors file from raw little-endian payloads. */
async function write(name: string, tensors: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[], headerOverride?: string): Promise<string> {
  let offset = 0;
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = Buffer.from(headerOverride ?? JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([len, json, ...tensors.map((t) => Buffer.from(t.bytes))]));
  return path;
}

const u16 = (values: number[]) => new Uint8Array(new Uint16Array(values).buffer);

describe("safetensors reader", () => {
  it("reads F32, F16 and BF16 to exact float32 values with shapes", async () => {
    const f32 = new Float32Array([1.5, -2.25, 3.0e-8, 1e30]);
    const path = await write("mixed.safetensors", [
      { name: "a", dtype: "F32", shape: [2, 2], bytes: new Uint8Array(f32.buffer) },
      // 1, -2, smallest subnormal, max half, +inf
      { name: "h", dtype: "F16", shape: [5], bytes: u16([0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00]) },
      // 1, 3.140625, -0.5
      { name: "b", dtype: "BF16", shape: [3], bytes: u16([0x3f80, 0x4049, 0xbf00]) },
    ]);
    const t = await readSafetensors(path);
    expect(t.get("a")!.shape).toEqual([2, 2]);
    expect(Array.from(t.get("a")!.data)).toEqual(Array.from(f32));
    expect(Array.from(t.get("h")!.data)).toEqual([1, -2, 2 ** -24, 65504, Infinity]);
    expect(Array.from(t.get("b")!.data)).toEqual([1, 3.140625, -0.5]);
  });

  it("reads one tensor at a time and exposes metadata", async () => {
    const path = await write("one.safetensors", [{ name: "w", dtype: "F32", shape: [1], bytes: new Uint8Array(new Float32Array([7]).buffer) }]);
    const file = await SafetensorsFile.open(path);
    expect(file.names()).toEqual(["w"]);
    expect(file.metadata).toEqual({ format: "pt" });
    expect(Array.from(await file.read("w"))).toEqual([7]);
    await expect(file.read("missing")).rejects.toMatchObject({ code: "CHECKPOINT_INVALID" });
    await file.close();
  });

  it("half conversion handles NaN and negative zero", () => {
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
  });

  it("rejects truncated headers, bad JSON, out-of-range offsets and unsupported dtypes", async () => {
    const bad = join(dir, "short.safetensors");
    await writeFile(bad, Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1]));
    await expect(SafetensorsFile.open(bad)).rejects.toMatchObject({ code: "CHECKPOINT_INVALID" });
    const notJson = await write("notjson.safetensors", [], "{not json");
    await expect(SafetensorsFile.open(notJson)).rejects.toMatchObject({ code: "CHECKPOINT_INVALID" });
    const outside = await write("outside.safetensors", [], JSON.stringify({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }));
    await expect(SafetensorsFile.open(outside)).rejects.toMatchObject({ code: "CHECKPOINT_INVALID" });
    const i64 = await write("i64.safetensors", [{ name: "n", dtype: "I64", shape: [1], bytes: new Uint8Array(8) }]);
    const error = await readSafetensors(i64).catch((e: unknown) => e);
    expect(MaxsimError.isInstance(error) && error.code).toBe("CHECKPOINT_INVALID");
    expect(String((error as Error).message)).toContain("I64");
  });
});

describe("writeSafetensors (fixtures)", () => {
  it("refuses a tensor whose values do not fill its shape, naming the tensor", async () => {
    await expect(writeSafetensors(join(dir, "bad.safetensors"), [{ name: "w", dims: [2, 2], data: new Float32Array(3) }])).rejects.toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringMatching(/Tensor w has 3 values for shape \[2, 2\] \(4\)/),
    });
  });
});
