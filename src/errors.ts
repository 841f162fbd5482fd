/**
 * Every failure lutra reports is a LutraError with a stable `code`, so callers
 * (and the demo page) can branch on the kind of failure without parsing text.
 * Subclasses group the codes by where they arise.
 */
export class LutraError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The bytes are not a valid GGUF file (bad magic, truncated, inconsistent). */
export class GGUFFormatError extends LutraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('GGUF_FORMAT', message, options);
  }
}

/** A valid GGUF file that lutra cannot run (architecture, tensor type, tokenizer). */
export class UnsupportedModelError extends LutraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNSUPPORTED_MODEL', message, options);
  }
}

/** The model, with the requested context, does not fit in the memory lutra can get. */
export class OutOfMemoryError extends LutraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OUT_OF_MEMORY', message, options);
  }
}

/** The caller's AbortSignal fired. */
export class AbortError extends LutraError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('ABORTED', message, options);
  }
}

/** A call that needs a loaded model came before load() finished, or after unload(). */
export class NotLoadedError extends LutraError {
  constructor(message = 'No model is loaded') {
    super('NOT_LOADED', message);
  }
}

/** Misuse of the API: bad option values, out-of-range token ids, context overflow. */
export class InvalidArgumentError extends LutraError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** A kernel worker of the pool failed to start or died; load the model again. */
export class WorkerError extends LutraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WORKER', message, options);
  }
}
