/**
 * Every failure lutra reports is a LutraError with a stable `code`, so callers
 * (and the demo page) can branch on the kind of failure without parsing text.
 * Subclasses group the codes by where they arise.
 */
export class LutraError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Each subclass names itself with a string field: class names do not survive
    // minification, and errors-wire.ts rebuilds error classes by name.
    this.name = 'LutraError';
    this.code = code;
  }
}

/** The bytes are not a valid GGUF file (bad magic, truncated, inconsistent). */
export class GGUFFormatError extends LutraError {
  override readonly name: string = 'GGUFFormatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('GGUF_FORMAT', message, options);
  }
}

/** A valid GGUF file that lutra cannot run (architecture, tensor type, tokenizer). */
export class UnsupportedModelError extends LutraError {
  override readonly name: string = 'UnsupportedModelError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNSUPPORTED_MODEL', message, options);
  }
}

export interface OutOfMemoryDetails {
  /** Bytes the model needs with the requested context. */
  needed?: number;
  /** Bytes available (wasm32's 4 GiB or the memoryBudget set). */
  available?: number;
  /** Longest context that would fit, when one does. */
  maxContextLength?: number;
  /** When not even the weights fit: the bits per weight a quantization would need to fit. */
  bitsPerWeight?: number;
}

/** The model, with the requested context, does not fit in the memory lutra can get. */
export class OutOfMemoryError extends LutraError {
  override readonly name: string = 'OutOfMemoryError';
  readonly needed?: number;
  readonly available?: number;
  readonly maxContextLength?: number;
  readonly bitsPerWeight?: number;
  constructor(message: string, options?: { cause?: unknown } & OutOfMemoryDetails) {
    super('OUT_OF_MEMORY', message, options);
    this.needed = options?.needed;
    this.available = options?.available;
    this.maxContextLength = options?.maxContextLength;
    this.bitsPerWeight = options?.bitsPerWeight;
  }
}

/** A download failed (HTTP error, connection lost and not resumable, file changed on the server). */
export class DownloadError extends LutraError {
  override readonly name: string = 'DownloadError';
  /** HTTP status, when the server answered with an error. */
  readonly status?: number;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('DOWNLOAD', message, options);
    this.status = options?.status;
  }
}

/** The caller's AbortSignal fired. */
export class AbortError extends LutraError {
  override readonly name: string = 'AbortError';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('ABORTED', message, options);
  }
}

/** A call that needs a loaded model came before load() finished, or after unload(). */
export class NotLoadedError extends LutraError {
  override readonly name: string = 'NotLoadedError';
  constructor(message = 'No model is loaded') {
    super('NOT_LOADED', message);
  }
}

/** Misuse of the API: bad option values, out-of-range token ids, context overflow. */
export class InvalidArgumentError extends LutraError {
  override readonly name: string = 'InvalidArgumentError';
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** A kernel worker of the pool failed to start or died; load the model again. */
export class WorkerError extends LutraError {
  override readonly name: string = 'WorkerError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('WORKER', message, options);
  }
}

/** A chat template failed to parse, raised an exception (raise_exception) or failed while rendering. */
export class ChatTemplateError extends LutraError {
  override readonly name: string = 'ChatTemplateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHAT_TEMPLATE', message, options);
  }
}
