import { describe, expect, it } from 'vitest';
import { createTokenizer, type Tokenizer } from '../../src/tokenizer/index.ts';
import { StreamingDetokenizer } from '../../src/tokenizer/stream.ts';
import { TokenType } from '../../src/tokenizer/vocab.ts';
import { loadGGUF, rng } from './helpers.ts';

const HEX = '0123456789ABCDEF';
const isWellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

function stream(tok: Tokenizer, ids: number[], opts = {}) {
  const d = new StreamingDetokenizer(tok, opts);
  const chunks = ids.map((id) => d.push(id));
  const tail = d.flush();
  return { chunks, tail, text: chunks.join('') + tail };
}

describe('StreamingDetokenizer', () => {
  const tok = createTokenizer(loadGGUF('vocab/ggml-vocab-llama-spm.gguf'));
  const byteId = (b: number) => tok.vocab.tokens.indexOf(`<0x${HEX[b >> 4]}${HEX[b & 15]}>`);

  it('holds back an emoji that arrives one byte token at a time', () => {
    const ids = tok.encode('🦙!', { addSpecial: false });
    expect(ids.map((i) => tok.vocab.tokens[i])).toEqual(['▁', '<0xF0>', '<0x9F>', '<0xA6>', '<0x99>', '!']);
    const { chunks, tail } = stream(tok, ids);
    expect(chunks).toEqual(['', '', '', '', '🦙', '!']);
    expect(tail).toBe('');
  });

  it('never splits a character across chunks (2-, 3- and 4-byte sequences, surrogate pairs)', () => {
    for (const s of ['é', '中文', '😀🦙', 'aé中😀z']) {
      const ids = [...new TextEncoder().encode(s)].map(byteId);
      const { chunks, tail } = stream(tok, ids, { stripLeadingSpace: false });
      expect(chunks.join('')).toBe(s);
      expect(tail).toBe('');
      for (const c of chunks) expect(isWellFormed(c) && !c.includes('\uFFFD')).toBe(true);
    }
  });

  it('flush() turns a dangling incomplete sequence into U+FFFD', () => {
    const d = new StreamingDetokenizer(tok);
    expect(d.push(byteId(0xf0))).toBe('');
    expect(d.push(byteId(0x9f))).toBe('');
    expect(d.flush()).toBe('\uFFFD');
    expect(d.flush()).toBe('');
  });

  it('an invalid byte in the middle comes out as U+FFFD right away, like decode()', () => {
    const ids = [byteId(0x61), byteId(0xe4), byteId(0x62), byteId(0xff), byteId(0x63)];
    const { chunks, text } = stream(tok, ids, { stripLeadingSpace: false });
    expect(text).toBe(tok.decode(ids));
    expect(chunks.join('')).toBe('a\uFFFDb\uFFFDc');
  });

  it('strips the first token\'s leading space like decode(), unless told not to', () => {
    const ids = tok.encode('Hello world', { addSpecial: false });
    expect(stream(tok, ids).text).toBe('Hello world');
    expect(stream(tok, ids, { stripLeadingSpace: false }).text).toBe(' Hello world');
    const withBos = tok.encode('Hello world', { addSpecial: true });
    expect(stream(tok, withBos).text).toBe(tok.decode(withBos));
    expect(stream(tok, withBos, { skipSpecial: false }).text).toBe('<s> Hello world');
  });

  it('reset() starts a new sequence', () => {
    const d = new StreamingDetokenizer(tok);
    const ids = tok.encode('Hi', { addSpecial: false });
    expect(ids.map((i) => d.push(i)).join('')).toBe('Hi');
    d.push(byteId(0xe4));
    d.reset();
    expect(ids.map((i) => d.push(i)).join('') + d.flush()).toBe('Hi');
  });

  describe.each(['vocab/ggml-vocab-llama-spm.gguf', 'models/stories260K.gguf', 'models/TinyStories-656K.f16.gguf'])('random token sequences: %s', (file) => {
    const t = createTokenizer(loadGGUF(file));
    const n = t.vocab.tokens.length;
    const bytes: number[] = [];
    const normal: number[] = [];
    const control: number[] = [];
    for (let i = 0; i < n; i++) {
      const ty = t.vocab.types[i];
      if (ty === TokenType.BYTE) bytes.push(i);
      else if (ty === TokenType.NORMAL) normal.push(i);
      else control.push(i);
    }
    const byteTok = new Map<number, number>();
    for (const i of bytes) byteTok.set(parseInt(t.vocab.tokens[i].slice(3, 5), 16), i);

    it('chunks concatenate to the full decode; valid UTF-8 streams need no flush and have clean chunks', () => {
      const r = rng(n);
      const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
      let validSeen = 0;
      for (let k = 0; k < 2000; k++) {
        const ids: number[] = [];
        const len = 1 + Math.floor(r() * 30);
        const mode = k % 3;
        while (ids.length < len) {
          const x = r();
          if (mode === 0 && byteTok.size === 256 && x < 0.4) {
            // a whole random character as byte tokens
            const cp = pick([0x41, 0xe9, 0x4e2d, 0x1f999, 0x10ffff, 0x800, 0xffff]) + Math.floor(r() * 3);
            const s = cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 'x' : String.fromCodePoint(cp);
            for (const b of new TextEncoder().encode(s)) ids.push(byteTok.get(b)!);
          } else if (mode === 1 && bytes.length > 0 && x < 0.5) {
            ids.push(pick(bytes)); // arbitrary bytes: often invalid UTF-8
          } else if (x < 0.05 && control.length > 0) {
            ids.push(pick(control));
          } else {
            ids.push(pick(normal));
          }
        }
        for (const opts of [{}, { skipSpecial: false }]) {
          const full = t.decode(ids, opts);
          const { chunks, tail, text } = stream(t, ids, opts);
          expect(text).toBe(full);
          for (const c of chunks) expect(isWellFormed(c)).toBe(true);
          let valid = true;
          try {
            new TextDecoder('utf-8', { fatal: true }).decode((t as any).decodeBytes(ids, opts));
          } catch {
            valid = false;
          }
          if (valid) {
            validSeen++;
            expect(tail).toBe('');
            expect(chunks.join('')).toBe(full);
            if (!full.includes('\uFFFD')) for (const c of chunks) expect(c.includes('\uFFFD')).toBe(false);
          }
        }
      }
      expect(validSeen).toBeGreaterThan(1000);
    });
  });
});
