/**
 * An independent LFM2-ColBERT forward pass in plain TypeScript (Float64Array loops, no ONNX),
 * written from transformers' `modeling_lfm2.py` (Lfm2RMSNorm, Lfm2ShortConv.slow_forward,
 * Lfm2Attention + eager_attention_forward, apply_rotary_pos_emb, Lfm2MLP, Lfm2Model.forward) and,
 * for LFM2.5, from the public MLX Swift port of `Lfm2BidirectionalModel` (centred conv with
 * `kernel/2` zero padding, key-padding-only attention), then PyLate's Dense and L2 norm.
 * Test-only: it runs one text at a time, unpadded, exactly as a user encoding that text alone.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SafetensorsFile } from "../../src/model/safetensors.js";

export interface ReferenceModel {
  bidirectional: boolean;
  H: number;
  heads: number;
  kvHeads: number;
  hd: number;
  eps: number;
  theta: number;
  L: number;
  layerTypes: string[];
  w: Map<string, Float64Array>;
  dense: Float64Array;
  dim: number;
}

/** Loads every tensor of a checkpoint directory as float64. */
export async function loadReference(dir: string): Promise<ReferenceModel> {
  const c = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  const w = new Map<string, Float64Array>();
  const file = await SafetensorsFile.open(join(dir, "model.safetensors"));
  for (const name of file.names()) w.set(name.replace(/^model\./, ""), Float64Array.from(await file.read(name)));
  await file.close();
  const dfile = await SafetensorsFile.open(join(dir, "1_Dense", "model.safetensors"));
  const dt = { data: await dfile.read("linear.weight"), shape: dfile.info("linear.weight")!.shape };
  await dfile.close();
  const H = c.hidden_size as number;
  const heads = c.num_attention_heads as number;
  return {
    bidirectional: (c.architectures as string[]).some((a) => a.includes("Bidirectional")),
    H,
    heads,
    kvHeads: c.num_key_value_heads as number,
    hd: H / heads,
    eps: c.norm_eps as number,
    theta: c.rope_theta as number,
    L: c.conv_L_cache as number,
    layerTypes: c.layer_types as string[],
    w,
    dense: Float64Array.from(dt.data),
    dim: dt.shape[0]!,
  };
}

function get(m: ReferenceModel, name: string): Float64Array {
  const t = m.w.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return t;
}

/** y = W x for torch Linear weight W [out, in]. */
function linear(W: Float64Array, x: Float64Array, out: number): Float64Array {
  const inF = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = 0;
    for (let i = 0; i < inF; i++) s += W[o * inF + i]! * x[i]!;
    y[o] = s;
  }
  return y;
}

/** Lfm2RMSNorm: weight * x * rsqrt(mean(x²) + eps). */
function rms(x: Float64Array, weight: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * r * weight[i]!);
}

/**
 * Encodes one text (no padding): `ids` and `mask` of equal length; positions with mask 0 (query
 * expansion tokens that PyLate does not attend to) are masked as attention keys, and for the
 * causal model also zeroed at the conv blocks' input (transformers' batched behaviour).
 * Returns one L2-normalised vector per position.
 */
export function referenceForward(m: ReferenceModel, ids: number[], mask: number[]): Float64Array[] {
  const S = ids.length;
  const { H, hd, heads, kvHeads, eps } = m;
  const emb = get(m, "embed_tokens.weight");
  let h = ids.map((id) => emb.slice(id * H, (id + 1) * H));
  m.layerTypes.forEach((kind, li) => {
    const p = `layers.${li}`;
    const x = h.map((v) => rms(v, get(m, `${p}.operator_norm.weight`), eps));
    let mixed: Float64Array[];
    if (kind === "conv") {
      // Causal: transformers' apply_mask_to_padding_states (batches > 1, as PyLate encodes and
      // trains) multiplies the conv block's input by the attention mask. LFM2.5's custom code
      // does not: its conv runs over expansion tokens too.
      const convInput = m.bidirectional ? x : x.map((v, t) => v.map((val) => val * mask[t]!));
      const bcx = convInput.map((v) => linear(get(m, `${p}.conv.in_proj.weight`), v, 3 * H));
      const Bx = bcx.map((v) => Float64Array.from({ length: H }, (_, c) => v[c]! * v[2 * H + c]!));
      const cw = get(m, `${p}.conv.conv.weight`); // [H, 1, L]
      // Causal: torch Conv1d(padding=L-1), first S outputs. Centred: padding L//2 each side.
      const left = m.bidirectional ? Math.floor(m.L / 2) : m.L - 1;
      mixed = Array.from({ length: S }, (_, t) => {
        const y = new Float64Array(H);
        for (let c = 0; c < H; c++) {
          let s = 0;
          for (let k = 0; k < m.L; k++) {
            const src = t - left + k;
            if (src >= 0 && src < S) s += cw[c * m.L + k]! * Bx[src]![c]!;
          }
          y[c] = bcx[t]![H + c]! * s;
        }
        return linear(get(m, `${p}.conv.out_proj.weight`), y, H);
      });
    } else {
      const a = `${p}.self_attn`;
      const perHead = (v: Float64Array, n: number, norm: Float64Array) => {
        const out = new Float64Array(n * hd);
        for (let hh = 0; hh < n; hh++) out.set(rms(v.subarray(hh * hd, (hh + 1) * hd), norm, eps), hh * hd);
        return out;
      };
      const rope = (v: Float64Array, n: number, t: number) => {
        const out = new Float64Array(v.length);
        const half = hd / 2;
        for (let hh = 0; hh < n; hh++) {
          for (let i = 0; i < half; i++) {
            const ang = t / m.theta ** ((2 * i) / hd);
            const x1 = v[hh * hd + i]!;
            const x2 = v[hh * hd + half + i]!;
            // q*cos + rotate_half(q)*sin, rotate_half(q) = [-x2, x1]
            out[hh * hd + i] = x1 * Math.cos(ang) - x2 * Math.sin(ang);
            out[hh * hd + half + i] = x2 * Math.cos(ang) + x1 * Math.sin(ang);
          }
        }
        return out;
      };
      const q = x.map((v, t) => rope(perHead(linear(get(m, `${a}.q_proj.weight`), v, heads * hd), heads, get(m, `${a}.q_layernorm.weight`)), heads, t));
      const k = x.map((v, t) => rope(perHead(linear(get(m, `${a}.k_proj.weight`), v, kvHeads * hd), kvHeads, get(m, `${a}.k_layernorm.weight`)), kvHeads, t));
      const vv = x.map((v) => linear(get(m, `${a}.v_proj.weight`), v, kvHeads * hd));
      const groups = heads / kvHeads;
      mixed = Array.from({ length: S }, (_, t) => {
        const ctx = new Float64Array(heads * hd);
        for (let hh = 0; hh < heads; hh++) {
          const kvh = Math.floor(hh / groups); // repeat_kv
          const scores: number[] = [];
          const keys: number[] = [];
          for (let j = 0; j < S; j++) {
            if (mask[j] !== 1) continue;
            if (!m.bidirectional && j > t) continue;
            let s = 0;
            for (let d = 0; d < hd; d++) s += q[t]![hh * hd + d]! * k[j]![kvh * hd + d]!;
            scores.push(s / Math.sqrt(hd));
            keys.push(j);
          }
          const mx = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - mx));
          const z = e.reduce((a2, b) => a2 + b, 0);
          keys.forEach((j, idx) => {
            for (let d = 0; d < hd; d++) ctx[hh * hd + d]! += (e[idx]! / z) * vv[j]![kvh * hd + d]!;
          });
        }
        return linear(get(m, `${a}.out_proj.weight`), ctx, H);
      });
    }
    h = h.map((v, t) => v.map((val, i) => val + mixed[t]![i]!));
    const f = `${p}.feed_forward`;
    const ff = get(m, `${f}.w1.weight`).length / H;
    h = h.map((v) => {
      const xn = rms(v, get(m, `${p}.ffn_norm.weight`), eps);
      const g1 = linear(get(m, `${f}.w1.weight`), xn, ff);
      const g3 = linear(get(m, `${f}.w3.weight`), xn, ff);
      const act = g1.map((val, i) => (val / (1 + Math.exp(-val))) * g3[i]!);
      const out = linear(get(m, `${f}.w2.weight`), act, H);
      return v.map((val, i) => val + out[i]!);
    });
  });
  return h.map((v) => {
    const y = linear(m.dense, rms(v, get(m, "embedding_norm.weight"), eps), m.dim);
    const n = Math.max(Math.sqrt(y.reduce((a, b) => a + b * b, 0)), 1e-12);
    return y.map((val) => val / n);
  });
}
