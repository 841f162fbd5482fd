import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { SpmTokenizer } from '../../src/tokenizer/spm.ts';
import { createVocab, TokenType, type VocabInit } from '../../src/tokenizer/vocab.ts';
import { createTokenizer } from '../../src/tokenizer/index.ts';
import { loadGGUF, readText, rng, splitInputs } from './helpers.ts';
import { referenceEncode } from './reference-spm.ts';

const HEX = '0123456789ABCDEF';
const byteTokens = () => Array.from({ length: 256 }, (_, b) => `<0x${HEX[b >> 4]}${HEX[b & 15]}>`);

/** A small vocab: <unk> <s> </s>, optional 256 byte tokens, then the given pieces (score per piece). */
function tiny(pieces: [string, number, number?][], opts: { bytes?: boolean } & Partial<VocabInit> = {}) {
  const tokens = ['<unk>', '<s>', '</s>'];
  const scores = [0, 0, 0];
  const types: number[] = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL];
  if (opts.bytes ?? true) for (const b of byteTokens()) { tokens.push(b); scores.push(0); types.push(TokenType.BYTE); }
  for (const [t, s, ty] of pieces) { tokens.push(t); scores.push(s); types.push(ty ?? TokenType.NORMAL); }
  const tok = new SpmTokenizer(createVocab({ ...opts, tokens, scores, types }));
  const id = (t: string) => {
    const i = tokens.indexOf(t);
    if (i < 0) throw new Error(`no token ${t}`);
    return i;
  };
  const enc = (s: string, o: { addSpecial?: boolean; parseSpecial?: boolean } = {}) =>
    tok.encode(s, { addSpecial: false, ...o }).map((i) => tokens[i]);
  return { tok, id, enc, tokens };
}

describe('SpmTokenizer on a hand-built vocab', () => {
  const base: [string, number][] = [['▁', -5], ['a', -3], ['b', -3], ['c', -3], ['ab', -1], ['bc', -0.5], ['▁a', -2], ['aa', -1]];

  it('escapes spaces, adds the space prefix, merges the best-scoring pair first', () => {
    const { enc } = tiny(base);
    // "▁abc": bc (-0.5) beats ab (-1) and ▁a (-2); then ▁a; "▁abc" is no token
    expect(enc('abc')).toEqual(['▁a', 'bc']);
    expect(enc('c a')).toEqual(['▁', 'c', '▁a']);
  });

  it('breaks score ties in favour of the leftmost pair', () => {
    // "▁aaa": aa at 1-2 and aa at 2-3 tie (-1, both beat ▁a at -2); the left one wins
    const { enc } = tiny(base);
    expect(enc('aaa')).toEqual(['▁', 'aa', 'a']);
    const t2 = tiny([['▁', -5], ['a', -3], ['aa', -1]]);
    expect(t2.enc('aaa')).toEqual(['▁', 'aa', 'a']);
    expect(t2.enc('aaaa')).toEqual(['▁', 'aa', 'aa']);
  });

  it('falls back to <0xXX> byte tokens for characters that are no token', () => {
    const { enc } = tiny(base);
    expect(enc('aé')).toEqual(['▁a', '<0xC3>', '<0xA9>']);
    expect(enc('🦙')).toEqual(['▁', '<0xF0>', '<0x9F>', '<0xA6>', '<0x99>']);
  });

  it('gives one <unk> per unknown character when the vocab has no byte tokens', () => {
    const { enc } = tiny(base, { bytes: false });
    expect(enc('aé🦙b')).toEqual(['▁a', '<unk>', '<unk>', 'b']);
  });

  it('turns lone surrogates into U+FFFD (as UTF-8 encoding would)', () => {
    const { enc } = tiny(base);
    expect(enc('a\uD800')).toEqual(['▁a', '<0xEF>', '<0xBF>', '<0xBD>']);
    expect(enc('\uDC00a')).toEqual(['▁', '<0xEF>', '<0xBF>', '<0xBD>', 'a']);
  });

  it('honours addSpacePrefix = false', () => {
    const { enc } = tiny(base, { addSpacePrefix: false });
    expect(enc('abc')).toEqual(['a', 'bc']);
    expect(enc(' a')).toEqual(['▁a']);
  });

  it('adds BOS / EOS only with addSpecial, as the vocab asks', () => {
    const { enc } = tiny(base, { addEos: true });
    expect(enc('a', { addSpecial: true })).toEqual(['<s>', '▁a', '</s>']);
    expect(enc('', { addSpecial: true })).toEqual(['<s>', '</s>']);
    expect(enc('')).toEqual([]);
    const noBos = tiny(base, { addBos: false });
    expect(noBos.enc('a', { addSpecial: true })).toEqual(['▁a']);
    // addSpecial defaults to true
    expect(noBos.tok.encode('a').length).toBe(1);
    expect(tiny(base).tok.encode('a')).toEqual([1, tiny(base).id('▁a')]);
  });

  it('splits control tokens out only with parseSpecial, and re-adds the space prefix after them', () => {
    const { enc } = tiny(base);
    expect(enc('a<s>a', { parseSpecial: true })).toEqual(['▁a', '<s>', '▁a']);
    expect(enc('<s>', { parseSpecial: true })).toEqual(['<s>']);
    expect(enc('<s>a</s>', { parseSpecial: true })).toEqual(['<s>', '▁a', '</s>']);
    // without parseSpecial the text is just text
    expect(enc('<s>')).toEqual(['▁', '<0x3C>', '<0x73>', '<0x3E>']);
  });

  it('always splits user-defined tokens out', () => {
    const { enc } = tiny([...base, ['<|x|>', 0, TokenType.USER_DEFINED]]);
    expect(enc('a<|x|>a')).toEqual(['▁a', '<|x|>', '▁a']);
    expect(enc('<|x|><|x|>')).toEqual(['<|x|>', '<|x|>']);
    expect(enc('a <|x|> b')).toEqual(['▁a', '▁', '<|x|>', '▁', '▁', 'b']);
  });

  it('matches the longest special token first', () => {
    const { enc } = tiny([...base, ['<x>', 0, TokenType.USER_DEFINED], ['<x><y>', 0, TokenType.USER_DEFINED]]);
    expect(enc('<x><y><x>')).toEqual(['<x><y>', '<x>']);
  });

  it('Phi-3: special tokens swallow the whitespace after them (except <s>, <unk>, <|endoftext|>)', () => {
    const { enc } = tiny([...base, ['<|user|>', 0, TokenType.CONTROL]], { modelName: 'Phi3' });
    expect(enc('<|user|> \n a', { parseSpecial: true })).toEqual(['<|user|>', '▁a']);
    expect(enc('<s> a', { parseSpecial: true })).toEqual(['<s>', '▁', '▁a']);
  });

  it('decodes: ▁ → space, byte tokens → bytes, control tokens → "" unless asked', () => {
    const { tok, id } = tiny(base);
    const ids = tok.encode('abc aé🦙 c', { addSpecial: false });
    expect(tok.decode(ids)).toBe('abc aé🦙 c');
    expect(tok.decode([1, id('▁a'), 2])).toBe(' a');
    expect(tok.decode([1, id('▁a'), 2], { skipSpecial: false })).toBe('<s> a</s>');
    expect(tok.decode([0])).toBe('');
    expect(tok.decode([0], { skipSpecial: false })).toBe('<unk>');
  });

  it('removes one leading space from the first piece, but not after a BOS (llama.cpp detokenize)', () => {
    const { tok, id } = tiny([...base, ['▁▁', -0.1]]);
    expect(tok.decode([id('▁a')])).toBe('a');
    expect(tok.decode([id('▁▁'), id('a')])).toBe(' a');
    expect(tok.decode([1, id('▁a')])).toBe(' a');
    expect(tok.decode([1, id('▁a')], { removeSpecial: true })).toBe(' a');
    expect(tok.decode([id('a'), id('▁a')])).toBe('a a');
    // a leading control token takes the strip with it
    expect(tok.decode([2, id('▁a')])).toBe(' a');
    const noPrefix = tiny(base, { addSpacePrefix: false });
    expect(noPrefix.tok.decode([noPrefix.id('▁a')])).toBe(' a');
  });

  it('removeSpecial drops a leading BOS and trailing EOS when the vocab adds them', () => {
    const { tok, id } = tiny(base, { addEos: true });
    expect(tok.decode([1, id('a'), 2], { removeSpecial: true, skipSpecial: false })).toBe('a');
    expect(tok.decode([1, id('a'), 2], { skipSpecial: false })).toBe('<s>a</s>');
  });

  it('tokenBytes gives each token\'s bytes', () => {
    const { tok, id } = tiny(base);
    expect([...tok.tokenBytes(id('▁a'))]).toEqual([0x20, 0x61]);
    expect([...tok.tokenBytes(id('<0xF0>'))]).toEqual([0xf0]);
    expect([...tok.tokenBytes(1)]).toEqual([]);
    expect(new TextDecoder().decode(tok.tokenBytes(1, { special: true }))).toBe('<s>');
    // a copy: changing it does not change the tokenizer
    tok.tokenBytes(id('a'))[0] = 0;
    expect([...tok.tokenBytes(id('a'))]).toEqual([0x61]);
  });

  it('unused / undefined tokens render as nothing', () => {
    const { tok, id } = tiny([...base, ['zz', 0, TokenType.UNUSED]]);
    expect(tok.decode([id('a'), id('zz'), id('a')])).toBe('aa');
  });

  it('rejects out-of-range ids', () => {
    const { tok, tokens } = tiny(base);
    expect(() => tok.decode([tokens.length])).toThrow(InvalidArgumentError);
    expect(() => tok.decode([-1])).toThrow(InvalidArgumentError);
    expect(() => tok.tokenBytes(1.5)).toThrow(InvalidArgumentError);
  });
});

describe('SpmTokenizer on real vocabularies', () => {
  const FILES = ['vocab/ggml-vocab-llama-spm.gguf', 'vocab/ggml-vocab-phi-3.gguf', 'models/stories260K.gguf', 'models/TinyStories-656K.f16.gguf'];
  const inputs = splitInputs(readText('vocab/ggml-vocab-llama-spm.gguf.inp'));
  const corpora = [readText('corpus/tinystories_val.txt'), readText('corpus/wiki.test.raw')];

  for (const file of ['vocab/ggml-vocab-llama-spm.gguf', 'vocab/ggml-vocab-phi-3.gguf', 'models/stories260K.gguf']) {
    it(`${file}: decode(encode(s)) === s for every test input (vocab with byte tokens)`, () => {
      const tok = createTokenizer(loadGGUF(file));
      for (const s of inputs) expect(tok.decode(tok.encode(s, { addSpecial: false }))).toBe(s);
      // with BOS, llama.cpp keeps the prefix space: the text comes back with one leading space
      for (const s of inputs.filter((x) => x !== '')) expect(tok.decode(tok.encode(s, { addSpecial: true }))).toBe(` ${s}`);
    });
  }

  it('llama-spm: decode(encode(corpus)) === corpus', () => {
    const tok = createTokenizer(loadGGUF('vocab/ggml-vocab-llama-spm.gguf'));
    for (const c of corpora) expect(tok.decode(tok.encode(c, { addSpecial: false })) === c).toBe(true);
  });

  for (const file of FILES) {
    it(`${file}: same ids as a plain global-heap implementation on corpus text and random strings`, () => {
      const tok = createTokenizer(loadGGUF(file));
      const same = (s: string) => {
        const a = tok.encode(s, { addSpecial: false });
        const b = referenceEncode(tok.vocab, s);
        if (a.length !== b.length || a.some((x, i) => x !== b[i])) expect({ s, a }).toEqual({ s, a: b });
      };
      for (const c of corpora) same(c.slice(0, 150_000));
      const r = rng(1234);
      const alphabet = [...'aaeeiioottnnssrrhhll  \n\t.,!?\'"-()0123456789ABCDEFGHIJ', 'é', 'ß', '中', '文', '🦙', '😀', '▁', 'Ä', 'н', 'щ'];
      for (let k = 0; k < 300; k++) {
        const len = Math.floor(r() * 40);
        let s = '';
        for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
        same(s);
      }
      // long runs with no cut point (exercise the heap path, not only the short-run scan)
      for (const alpha of ['aeinrst', 'ab', ' ', 'e ', '\n ', 'th e']) {
        for (let k = 0; k < 20; k++) {
          const len = 30 + Math.floor(r() * 300);
          let s = '';
          for (let i = 0; i < len; i++) s += alpha[Math.floor(r() * alpha.length)];
          same(s);
        }
      }
    });
  }

  it('encodes English text at a useful speed (logged; asserts only that it is not pathological)', () => {
    const text = corpora[0];
    const mb = Buffer.byteLength(text) / 1e6;
    for (const file of FILES) {
      const tok = createTokenizer(loadGGUF(file));
      tok.encode(text.slice(0, 20_000)); // JIT warm-up and one-time tables
      const t0 = performance.now();
      const ids = tok.encode(text, { addSpecial: false });
      const s = (performance.now() - t0) / 1000;
      console.log(`${file}: ${(mb / s).toFixed(1)} MB/s (${ids.length} tokens from ${mb.toFixed(2)} MB)`);
      expect(mb / s).toBeGreaterThan(0.5);
    }
  });
});
