/**
 * The ONNX model of the exact MaxSim kernel, serialised by hand: four nodes do not justify a
 * protobuf runtime, and writing the few fields we need keeps the kernel independent of how a
 * test runner resolves `onnx-proto`'s optional `long` dependency.
 *
 * Graph (opset 17): `sims = Gemm(d, q, transB=1)` [t, m] → `Gather(sims, idx, axis=0)` [n, l, m]
 * → `ReduceMax(axes=[1])` [n, m] → `scores = MatMul(best, sel)` [n, nq].
 * The assignment graph (nearest centroid by inner product, used by k-means and the index):
 * `sims = Gemm(x, c, transB=1)` [t, k] → `codes = ArgMax(axis=1)`, `best = ReduceMax(axes=[1])`.
 */

const FLOAT = 1;
const FLOAT16 = 10;
const INT64 = 7;

class Writer {
  readonly bytes: number[] = [];
  varint(v: number): this {
    while (v > 0x7f) {
      this.bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.bytes.push(v);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }
  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }
  bytesField(field: number, b: number[]): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.bytes.push(x);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytesField(field, [...Buffer.from(s, "utf8")]);
  }
  msg(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytesField(field, inner.bytes);
  }
}

function valueInfo(w: Writer, field: number, name: string, elemType: number, dims: string[]): void {
  w.msg(field, (v) =>
    v.str(1, name).msg(2, (t) => t.msg(1, (tt) => tt.int(1, elemType).msg(2, (shape) => dims.forEach((d) => shape.msg(1, (dim) => dim.str(2, d)))))),
  );
}

function node(w: Writer, op: string, inputs: string[], outputs: string[], attrs: (a: Writer) => void = () => {}): void {
  w.msg(1, (n) => {
    inputs.forEach((i) => n.str(1, i));
    outputs.forEach((o) => n.str(2, o));
    n.str(3, `${op}_${outputs[0]}`).str(4, op);
    attrs(n);
  });
}

const intAttr = (n: Writer, name: string, v: number): Writer => n.msg(5, (a) => a.str(1, name).int(3, v).int(20, 2));
const intsAttr = (n: Writer, name: string, v: number[]): Writer =>
  n.msg(5, (a) => {
    a.str(1, name);
    v.forEach((x) => a.int(8, x));
    a.int(20, 7);
  });

/**
 * Serialised ONNX bytes of the kernel graph. With `documents: "float16"` the `d` input takes
 * float16 bits and a `Cast` to float32 runs first (MLAS converts with F16C; the GEMM itself stays
 * float32 because ORT's x86 CPU GEMM has no float16 kernel), so a float16 index is scored without
 * a float32 copy of its vectors.
 */
export function maxsimKernelModel(documents: "float32" | "float16" = "float32"): Uint8Array {
  const m = new Writer();
  m.int(1, 8); // ir_version
  m.str(2, "maxsim");
  m.msg(7, (g) => {
    if (documents === "float16") node(g, "Cast", ["d"], ["d32"], (n) => intAttr(n, "to", FLOAT));
    node(g, "Gemm", [documents === "float16" ? "d32" : "d", "q"], ["sims"], (n) => intAttr(n, "transB", 1));
    node(g, "Gather", ["sims", "idx"], ["gathered"], (n) => intAttr(n, "axis", 0));
    node(g, "ReduceMax", ["gathered"], ["best"], (n) => {
      intsAttr(n, "axes", [1]);
      intAttr(n, "keepdims", 0);
    });
    node(g, "MatMul", ["best", "sel"], ["scores"]);
    g.str(2, "maxsim-kernel");
    valueInfo(g, 11, "q", FLOAT, ["m", "dim"]);
    valueInfo(g, 11, "d", documents === "float16" ? FLOAT16 : FLOAT, ["t", "dim"]);
    valueInfo(g, 11, "idx", INT64, ["n", "l"]);
    valueInfo(g, 11, "sel", FLOAT, ["m", "nq"]);
    valueInfo(g, 12, "scores", FLOAT, ["n", "nq"]);
  });
  m.msg(8, (o) => o.str(1, "").int(2, 17));
  return Uint8Array.from(m.bytes);
}

/** Serialised ONNX bytes of the nearest-centroid assignment graph. */
export function assignModel(): Uint8Array {
  const m = new Writer();
  m.int(1, 8);
  m.str(2, "maxsim");
  m.msg(7, (g) => {
    node(g, "Gemm", ["x", "c"], ["sims"], (n) => intAttr(n, "transB", 1));
    node(g, "ArgMax", ["sims"], ["codes"], (n) => {
      intAttr(n, "axis", 1);
      intAttr(n, "keepdims", 0);
    });
    node(g, "ReduceMax", ["sims"], ["best"], (n) => {
      intsAttr(n, "axes", [1]);
      intAttr(n, "keepdims", 0);
    });
    g.str(2, "maxsim-assign");
    valueInfo(g, 11, "x", FLOAT, ["t", "dim"]);
    valueInfo(g, 11, "c", FLOAT, ["k", "dim"]);
    valueInfo(g, 12, "codes", INT64, ["t"]);
    valueInfo(g, 12, "best", FLOAT, ["t"]);
  });
  m.msg(8, (o) => o.str(1, "").int(2, 17));
  return Uint8Array.from(m.bytes);
}

/**
 * Serialised ONNX bytes of the best-`p` graph of two-level assignment: `sims = Gemm(x, c,
 * transB=1)` [t, g] → `TopK(sims, p, axis=1)` → `top` [t, p] (int64 group ids, best first).
 */
export function topGroupsModel(): Uint8Array {
  const m = new Writer();
  m.int(1, 8);
  m.str(2, "maxsim");
  m.msg(7, (g) => {
    node(g, "Gemm", ["x", "c"], ["sims"], (n) => intAttr(n, "transB", 1));
    node(g, "TopK", ["sims", "p"], ["values", "top"], (n) => intAttr(n, "axis", 1));
    g.str(2, "maxsim-top-groups");
    valueInfo(g, 11, "x", FLOAT, ["t", "dim"]);
    valueInfo(g, 11, "c", FLOAT, ["g", "dim"]);
    valueInfo(g, 11, "p", INT64, ["one"]);
    valueInfo(g, 12, "top", INT64, ["t", "p"]);
  });
  m.msg(8, (o) => o.str(1, "").int(2, 17));
  return Uint8Array.from(m.bytes);
}

/** Serialised ONNX bytes of a plain product `y = x · wᵀ` (random projections, hashing). */
export function matmulModel(): Uint8Array {
  const m = new Writer();
  m.int(1, 8);
  m.str(2, "maxsim");
  m.msg(7, (g) => {
    node(g, "Gemm", ["x", "w"], ["y"], (n) => intAttr(n, "transB", 1));
    g.str(2, "maxsim-matmul");
    valueInfo(g, 11, "x", FLOAT, ["t", "dim"]);
    valueInfo(g, 11, "w", FLOAT, ["k", "dim"]);
    valueInfo(g, 12, "y", FLOAT, ["t", "k"]);
  });
  m.msg(8, (o) => o.str(1, "").int(2, 17));
  return Uint8Array.from(m.bytes);
}
