import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { DataType, GraphBuilder, floatTensor } from "../src/onnx/graph-builder.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function affine(): GraphBuilder {
  const g = new GraphBuilder("affine");
  g.input("x", DataType.FLOAT, ["n", 3]);
  // 3x2 weight, big enough to be stored externally with a low threshold.
  g.initializer("w", floatTensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]));
  g.initializer("b", floatTensor(new Float32Array([0.5, -0.5]), [2]));
  const xw = g.op("MatMul", ["x", "w"]);
  g.node("Add", [xw, "b"], ["y"]);
  g.output("y", DataType.FLOAT, ["n", 2]);
  return g;
}

describe("GraphBuilder", () => {
  it("serialises a model onnxruntime runs with the expected numbers", async () => {
    const session = await ort.InferenceSession.create(affine().toBytes());
    const out = await session.run({ x: new ort.Tensor("float32", new Float32Array([1, 0, 0, 1, 1, 1]), [2, 3]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1.5, 1.5, 9.5, 11.5]);
    await session.release();
  });

  it("saves weights as external data that onnxruntime loads from the path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "maxsim-onnx-"));
    dirs.push(dir);
    const path = join(dir, "model.onnx");
    await affine().save(path, { externalThreshold: 16 });
    expect((await stat(`${path}.data`)).size).toBeGreaterThan(0);
    const session = await ort.InferenceSession.create(path);
    const out = await session.run({ x: new ort.Tensor("float32", new Float32Array([0, 1, 0]), [1, 3]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([3.5, 3.5]);
    await session.release();
  });
});
