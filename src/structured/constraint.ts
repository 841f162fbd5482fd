/**
 * JSON-schema-constrained decoding: per step, mask the logits of every token
 * whose bytes cannot continue the document toward one the schema allows.
 *
 * In the generate loop, between the forward pass and the sampler:
 *
 *   const c = new JsonSchemaConstraint(schema, tokenizer);
 *   for (;;) {
 *     const logits = model.forward(token, pos);
 *     c.maskLogits(logits);            // disallowed tokens → -Infinity
 *     token = sampler.sample(logits);
 *     c.accept(token);                 // advances the matcher
 *     if (tokenizer.isEog(token)) break;  // only allowed once c.isComplete()
 *   }
 *   JSON.parse(c.text());
 *
 * End-of-generation tokens are allowed exactly when the text so far is a
 * complete document; once a complete document can take no further byte they
 * are the only tokens allowed. Control/unknown tokens (no bytes) are never
 * allowed. A tokenizer whose vocabulary cannot spell the next required byte
 * leaves nothing allowed: maskLogits then throws.
 *
 * The mask walks a byte trie of the whole vocabulary (token-trie.ts, built
 * once per tokenizer) with the matcher state, keeping one state per depth.
 */
import { InvalidArgumentError, LutraError } from '../errors.ts';
import type { Tokenizer } from '../tokenizer/index.ts';
import { initialState, isAccepting, patternStringState, plainStringRoom, step, type State } from './matcher.ts';
import type { PatternDfa } from './regex.ts';
import { compileSchema, type CompiledSchema, type JsonSchema } from './schema.ts';
import { tokenTrieFor, type FlatTrie, type TokenTrie } from './token-trie.ts';

/** Every token is masked: the vocabulary cannot continue the document. */
export class StructuredOutputError extends LutraError {
  override readonly name: string = 'StructuredOutputError';
  constructor(message: string) {
    super('STRUCTURED_OUTPUT', message);
  }
}

const decoder = new TextDecoder();

export class JsonSchemaConstraint {
  readonly schema: CompiledSchema;
  readonly tokenizer: Tokenizer;
  private readonly trie: TokenTrie;
  private state: State;
  private buf: Uint8Array = new Uint8Array(256);
  private length = 0;
  private finished = false;
  /** mark[id] === gen: allowed in the last computed mask. */
  private readonly mark: Uint32Array;
  private gen = 0;
  private markedState: State | null = null;
  private readonly states: State[];
  private dStates = new Int32Array(0);
  private cps = new Int32Array(0);
  private rems = new Int32Array(0);

  constructor(schema: JsonSchema | CompiledSchema, tokenizer: Tokenizer) {
    this.schema = isCompiled(schema) ? schema : compileSchema(schema);
    this.tokenizer = tokenizer;
    this.trie = tokenTrieFor(tokenizer);
    this.state = initialState(this.schema);
    this.mark = new Uint32Array(this.trie.vocabSize);
    this.states = new Array(this.trie.all.maxDepth + 1);
  }

  /** Computes the allowed set for the current state (cached until the next accept). */
  private compute(): void {
    if (this.markedState === this.state) return;
    const gen = ++this.gen;
    const mark = this.mark;
    const t = this.trie;
    if (!this.finished) {
      const room = plainStringRoom(this.state);
      const pat = room >= 0 ? null : patternStringState(this.state);
      if (pat) {
        // inside a string under a pattern: plain tokens through the DFA alone, the rest by the matcher
        this.walkPattern(t.plain, pat.dfa, pat.d, gen);
        this.walk(t.rest, gen);
      } else if (room >= 0) {
        // inside a string: plain tokens short enough are allowed outright, only the rest is walked
        const { plainIds, plainCounts } = t;
        for (let k = 0; k < plainIds.length && plainCounts[k] <= room; k++) mark[plainIds[k]] = gen;
        this.walk(t.rest, gen);
      } else {
        this.walk(t.all, gen);
      }
      if (isAccepting(this.state)) for (const id of t.eog) mark[id] = gen;
    }
    this.markedState = this.state;
  }

  /** Plain tokens under a pattern: per depth, the DFA state and the UTF-8 sequence in progress. */
  private walkPattern(trie: FlatTrie, dfa: PatternDfa, d0: number, gen: number): void {
    const { bytes, depth, end, first, ids, size } = trie;
    const mark = this.mark;
    const n = trie.maxDepth + 1;
    if (this.dStates.length < n) {
      this.dStates = new Int32Array(n);
      this.cps = new Int32Array(n);
      this.rems = new Int32Array(n);
    }
    const ds = this.dStates;
    const cps = this.cps;
    const rems = this.rems;
    ds[0] = d0;
    cps[0] = 0;
    rems[0] = 0;
    let i = 0;
    while (i < size) {
      const dep = depth[i];
      const b = bytes[i];
      let d = ds[dep - 1];
      let cp = cps[dep - 1];
      let rem = rems[dep - 1];
      if (rem === 0) {
        if (b < 0x80) d = dfa.step(d, b);
        else if (b >= 0xf0) { cp = b & 0x07; rem = 3; }
        else if (b >= 0xe0) { cp = b & 0x0f; rem = 2; }
        else { cp = b & 0x1f; rem = 1; }
      } else {
        cp = (cp << 6) | (b & 0x3f);
        if (--rem === 0) d = dfa.step(d, cp);
      }
      if (d < 0) {
        i = end[i];
        continue;
      }
      ds[dep] = d;
      cps[dep] = cp;
      rems[dep] = rem;
      // plain tokens end on a character boundary
      if (rem === 0) for (let k = first[i], e = first[i + 1]; k < e; k++) mark[ids[k]] = gen;
      i++;
    }
  }

  private walk(trie: FlatTrie, gen: number): void {
    const { bytes, depth, end, first, ids, size } = trie;
    const mark = this.mark;
    const states = this.states;
    states[0] = this.state;
    let i = 0;
    while (i < size) {
      const d = depth[i];
      const s = step(states[d - 1], bytes[i]);
      if (s.length === 0) {
        i = end[i];
        continue;
      }
      states[d] = s;
      for (let k = first[i], e = first[i + 1]; k < e; k++) mark[ids[k]] = gen;
      i++;
    }
  }

  /** Sets the logits of disallowed tokens to -Infinity (ids beyond the vocabulary too). */
  maskLogits(logits: Float32Array): void {
    this.compute();
    const mark = this.mark;
    const gen = this.gen;
    const n = Math.min(logits.length, mark.length);
    let allowed = 0;
    for (let i = 0; i < n; i++) {
      if (mark[i] !== gen) logits[i] = -Infinity;
      else allowed++;
    }
    for (let i = n; i < logits.length; i++) logits[i] = -Infinity;
    if (allowed === 0) {
      throw new StructuredOutputError(this.finished
        ? 'The structured output is finished (an end-of-generation token was accepted)'
        : `No token of the vocabulary can continue the JSON document after ${JSON.stringify(this.text())}`);
    }
  }

  /** Is this token allowed next? */
  isAllowed(token: number): boolean {
    this.compute();
    return token >= 0 && token < this.mark.length && this.mark[token] === this.gen;
  }

  /** The ids allowed next, ascending. */
  allowedTokens(): Int32Array {
    this.compute();
    const out: number[] = [];
    for (let i = 0; i < this.mark.length; i++) if (this.mark[i] === this.gen) out.push(i);
    return Int32Array.from(out);
  }

  /** Advances by a sampled token. Throws InvalidArgumentError if the token is not allowed. */
  accept(token: number): void {
    if (token < 0 || token >= this.trie.vocabSize) throw new InvalidArgumentError(`Token id ${token} is out of range`);
    if (this.finished) throw new InvalidArgumentError('The structured output is already finished');
    if (this.tokenizer.isEog(token)) {
      if (!isAccepting(this.state)) throw new InvalidArgumentError(`End-of-generation token ${token} before the JSON document is complete`);
      this.finished = true;
      this.markedState = null;
      return;
    }
    const b = this.trie.tokenBytes[token];
    if (b.length === 0) throw new InvalidArgumentError(`Token ${token} has no text and is not allowed in structured output`);
    let s = this.state;
    for (let i = 0; i < b.length; i++) {
      s = step(s, b[i]);
      if (s.length === 0) {
        throw new InvalidArgumentError(`Token ${token} (${JSON.stringify(decoder.decode(b))}) does not continue the JSON document ${JSON.stringify(this.text())}`);
      }
    }
    this.state = s;
    this.append(b);
  }

  private append(b: Uint8Array): void {
    if (this.length + b.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + b.length));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Is the text so far a complete document (end-of-generation allowed)? */
  isComplete(): boolean {
    return isAccepting(this.state);
  }

  /** Has an end-of-generation token been accepted? */
  isFinished(): boolean {
    return this.finished;
  }

  /** The generated bytes so far (a copy; may end inside a UTF-8 sequence). */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** The generated text so far. */
  text(): string {
    return decoder.decode(this.buf.subarray(0, this.length));
  }

  /** An independent copy at the same point (shares the schema and the token trie). */
  clone(): JsonSchemaConstraint {
    const c = new JsonSchemaConstraint(this.schema, this.tokenizer);
    c.state = this.state;
    c.buf = this.buf.slice();
    c.length = this.length;
    c.finished = this.finished;
    return c;
  }

  /** Starts over (same schema and tokenizer). */
  reset(): void {
    this.state = initialState(this.schema);
    this.length = 0;
    this.finished = false;
    this.markedState = null;
  }
}

function isCompiled(s: JsonSchema | CompiledSchema): s is CompiledSchema {
  return typeof s === 'object' && s !== null && 'root' in s && typeof (s as CompiledSchema).validate === 'function';
}
