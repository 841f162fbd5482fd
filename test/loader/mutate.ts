/**
 * GGUF mutations for the hostile-file tests (Node fuzz and the browser run):
 * truncation, bit flips biased to the header, huge counts and lengths, tensor
 * dims/offsets/types out of range, overflowing dim products, hyperparameters
 * set to 0, 1, huge or odd values, and combinations.
 */
import { GGMLType } from '../../src/gguf/ggml-types.ts';

/** xorshift32 */
export function rng(seed: number) {
  let s = seed | 1;
  const next = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 2 ** 32; };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(a: readonly T[]) => a[Math.floor(next() * a.length)] };
}

export interface Layout {
  countsAt: number[]; // n_tensors, n_kv
  kvValues: Array<{ key: string; type: number; at: number }>;
  lengths: number[]; // positions of u64 string lengths and array counts
  dims: number[]; // positions of u64 dims
  types: number[]; // positions of u32 tensor types
  offsets: number[]; // positions of u64 data offsets
  headerEnd: number;
}

/** Where the fields of a (valid) GGUF header are, to aim mutations at them. */
export function layout(b: Uint8Array): Layout {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const L: Layout = { countsAt: [8, 16], kvValues: [], lengths: [], dims: [], types: [], offsets: [], headerEnd: 0 };
  const nT = Number(dv.getBigUint64(8, true)), nKv = Number(dv.getBigUint64(16, true));
  let p = 24;
  const size = [1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8];
  const str = () => { L.lengths.push(p); const n = Number(dv.getBigUint64(p, true)); p += 8; const s = new TextDecoder().decode(b.subarray(p, p + n)); p += n; return s; };
  const skip = (type: number): void => {
    if (type === 8) { str(); return; }
    if (type === 9) {
      const et = dv.getUint32(p, true);
      L.lengths.push(p + 4);
      const n = Number(dv.getBigUint64(p + 4, true));
      p += 12;
      if (size[et] > 0) p += size[et] * n;
      else for (let i = 0; i < n; i++) skip(et);
      return;
    }
    p += size[type];
  };
  for (let i = 0; i < nKv; i++) {
    const key = str();
    const type = dv.getUint32(p, true);
    p += 4;
    L.kvValues.push({ key, type, at: p });
    skip(type);
  }
  for (let i = 0; i < nT; i++) {
    str();
    const nd = dv.getUint32(p, true);
    p += 4;
    for (let d = 0; d < nd; d++) { L.dims.push(p); p += 8; }
    L.types.push(p); p += 4;
    L.offsets.push(p); p += 8;
  }
  L.headerEnd = p;
  return L;
}

const HUGE64 = [2n ** 64n - 1n, 2n ** 63n, 2n ** 53n, 2n ** 53n - 1n, 2n ** 32n, 2n ** 32n + 7n, 2n ** 31n, 0xffffffffn, 1n << 40n, 65536n, 0n, 1n, 3n];
const HUGE32 = [0, 1, 2, 3, 0x7fffffff, 0xffffffff, 0x80000000, 65536, 4096, 1 << 20, 17, 31, 33];

export function mutate(src: Uint8Array, L: Layout, r: ReturnType<typeof rng>): { bytes: Uint8Array; kind: string } {
  const b = src.slice();
  const dv = new DataView(b.buffer);
  const kind = r.pick(['truncate', 'flip', 'flip', 'count', 'length', 'dim', 'dims-overflow', 'offset', 'type', 'hparam', 'hparam', 'multi']);
  const one = (k: string): void => {
    switch (k) {
      case 'flip': {
        const n = 1 + r.int(8);
        for (let i = 0; i < n; i++) {
          const at = r.next() < 0.8 ? r.int(L.headerEnd) : r.int(b.length);
          b[at] ^= 1 << r.int(8);
        }
        return;
      }
      case 'count': dv.setBigUint64(r.pick(L.countsAt), r.pick(HUGE64), true); return;
      case 'length': dv.setBigUint64(r.pick(L.lengths), r.pick(HUGE64), true); return;
      case 'dim': dv.setBigUint64(r.pick(L.dims), r.pick(HUGE64), true); return;
      case 'dims-overflow': {
        const i = r.int(L.dims.length - 1);
        dv.setBigUint64(L.dims[i], 1n << BigInt(20 + r.int(20)), true);
        dv.setBigUint64(L.dims[i + 1], 1n << BigInt(20 + r.int(20)), true);
        return;
      }
      case 'offset': dv.setBigUint64(r.pick(L.offsets), r.next() < 0.5 ? r.pick(HUGE64) : BigInt(r.int(b.length) & ~31), true); return;
      case 'type': dv.setUint32(r.pick(L.types), r.pick([...HUGE32, GGMLType.Q4_0, GGMLType.F16, GGMLType.Q8_0, 40, 41]), true); return;
      case 'hparam': {
        const kv = r.pick(L.kvValues.filter((v) => [2, 4, 5, 6, 9].includes(v.type)));
        if (kv.type === 2) dv.setUint16(kv.at, r.pick(HUGE32) & 0xffff, true);
        else if (kv.type === 4 || kv.type === 5) dv.setUint32(kv.at, r.pick(HUGE32), true);
        else if (kv.type === 6) dv.setFloat32(kv.at, r.pick([0, -1, NaN, Infinity, 1e30, 1e-30]), true);
        else dv.setBigUint64(kv.at + 4, r.pick(HUGE64), true);
        return;
      }
    }
  };
  if (kind === 'truncate') return { bytes: b.subarray(0, r.int(b.length)), kind };
  if (kind === 'multi') {
    for (let i = 0; i < 3; i++) one(r.pick(['flip', 'count', 'length', 'dim', 'offset', 'type', 'hparam']));
    if (r.next() < 0.3) return { bytes: b.subarray(0, r.int(b.length)), kind };
    return { bytes: b, kind };
  }
  one(kind);
  return { bytes: b, kind };
}

