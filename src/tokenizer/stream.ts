/**
 * Streaming detokenization: token ids in, text chunks out. A chunk never ends inside a
 * UTF-8 sequence (bytes of a character split across tokens, e.g. an emoji arriving as four
 * `<0xXX>` byte tokens, are held back until the character is complete), and the chunks
 * concatenate to exactly what a one-shot decode of the same ids gives.
 */

/** What the detokenizer needs from a tokenizer. */
export interface PieceSource {
  tokenBytes(id: number, opts?: { special?: boolean }): Uint8Array;
  readonly vocab: { readonly addSpacePrefix: boolean };
}

export interface StreamOptions {
  /** Render control / unknown tokens as "" (default true), like decode(). */
  skipSpecial?: boolean;
  /**
   * Remove one leading space from the first token's piece, as decode() does for a sequence
   * that does not start with BOS. Default: the vocab's addSpacePrefix (so the stream matches
   * decode() of the same ids). Pass false when streaming a continuation of a prompt.
   */
  stripLeadingSpace?: boolean;
}

export class StreamingDetokenizer {
  private readonly source: PieceSource;
  private readonly special: boolean;
  private readonly stripLeadingSpace: boolean;
  private decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private first = true;

  constructor(source: PieceSource, opts: StreamOptions = {}) {
    this.source = source;
    this.special = !(opts.skipSpecial ?? true);
    this.stripLeadingSpace = opts.stripLeadingSpace ?? source.vocab.addSpacePrefix;
  }

  /** Adds one token; returns the text that is now complete (possibly ""). */
  push(id: number): string {
    let bytes = this.source.tokenBytes(id, { special: this.special });
    if (this.first) {
      this.first = false;
      if (this.stripLeadingSpace && bytes.length > 0 && bytes[0] === 0x20) bytes = bytes.subarray(1);
    }
    return this.decoder.decode(bytes, { stream: true });
  }

  /** Ends the stream: returns what is held back, with U+FFFD for an incomplete sequence. */
  flush(): string {
    return this.decoder.decode();
  }

  /** Starts over, as for a new sequence. */
  reset(): void {
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    this.first = true;
  }
}

