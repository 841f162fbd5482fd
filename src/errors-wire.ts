/**
 * Errors crossing the worker boundary keep their class and code.
 *
 * comlink's default 'throw' handler sends only name/message/stack, so a
 * GGUFFormatError thrown in the engine worker would arrive as a plain Error.
 * This handler, registered on both sides (worker and page), rebuilds the
 * LutraError subclass so callers can use instanceof and .code.
 */
import * as Comlink from 'comlink';
import {
  AbortError, ChatTemplateError, DownloadError, GGUFFormatError, InvalidArgumentError, LutraError, NotLoadedError,
  OutOfMemoryError, UnsupportedModelError, WorkerError,
} from './errors.ts';

interface WireError { isLutra: boolean; name: string; code: string; message: string; stack?: string; details?: Record<string, unknown> }

/** Extra fields some LutraError subclasses carry (numbers only), kept across the wire. */
const DETAIL_FIELDS = ['needed', 'available', 'maxContextLength', 'bitsPerWeight', 'status'];

const lutraErrorClasses: Record<string, new (message: string) => LutraError> = {
  ChatTemplateError, GGUFFormatError, UnsupportedModelError, OutOfMemoryError, AbortError, NotLoadedError, InvalidArgumentError, DownloadError, WorkerError,
};

export function toWire(value: unknown): WireError {
  if (value instanceof LutraError) {
    const details: Record<string, unknown> = {};
    for (const k of DETAIL_FIELDS) {
      const v = (value as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number') details[k] = v;
    }
    return { isLutra: true, name: value.name, code: value.code, message: value.message, stack: value.stack, details };
  }
  if (value instanceof Error) return { isLutra: false, name: value.name, code: 'INTERNAL', message: value.message, stack: value.stack };
  return { isLutra: false, name: 'Error', code: 'INTERNAL', message: String(value) };
}

export function fromWire(wire: WireError): Error {
  if (wire.isLutra) {
    const ErrorClass = lutraErrorClasses[wire.name];
    const error = ErrorClass ? new ErrorClass(wire.message) : new LutraError(wire.code, wire.message);
    if (wire.stack) error.stack = wire.stack;
    if (wire.details) Object.assign(error, wire.details);
    return error;
  }
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.stack) error.stack = wire.stack;
  return error;
}

let installed = false;
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  // comlink does not export its thrown-value marker; reuse its own test for it.
  const builtin = Comlink.transferHandlers.get('throw')!;
  Comlink.transferHandlers.set('throw', {
    canHandle: (value: unknown): value is { value: unknown } => builtin.canHandle(value),
    serialize: ({ value }: { value: unknown }) => [toWire(value), []],
    deserialize: (wire: WireError) => {
      throw fromWire(wire);
    },
  } as Comlink.TransferHandler<{ value: unknown }, WireError>);
}
