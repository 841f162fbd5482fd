/**
 * The engine worker: LocalEngine exposed to the page through comlink. All
 * model work (parsing, weight placement, the forward pass) happens here, so the
 * page's main thread never blocks.
 */
import * as Comlink from 'comlink';
import { LocalEngine } from '../src/engine/local-engine.ts';
import { installErrorTransfer } from '../src/errors-wire.ts';

installErrorTransfer();
Comlink.expose(new LocalEngine());
