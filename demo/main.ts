/**
 * The demo page: model panel, then three tabs (complete, chat, benchmark). It
 * talks only to the engine worker (WorkerEngine), so the page never blocks.
 *
 * URL parameters: ?threads=N overrides the thread count; ?debug enables the
 * engine's test hooks and exposes it as window.lutraEngine (browser tests).
 */
import { startEngineWorker } from '../src/client/default-worker.ts';
import { WorkerEngine } from '../src/client/worker-engine.ts';
import { setUpBenchTab } from './bench-tab.ts';
import { setUpChatTab } from './chat-tab.ts';
import { setUpCompleteTab } from './complete-tab.ts';
import { setUpModelPanel } from './model-panel.ts';
import { $, DemoState } from './ui.ts';

const engine = new WorkerEngine(startEngineWorker());
const params = new URLSearchParams(location.search);
const debug = params.has('debug');
if (debug) (window as unknown as { lutraEngine: WorkerEngine }).lutraEngine = engine;

const state = new DemoState(engine);
const modelPanel = setUpModelPanel(state, { threads: Number(params.get('threads')) || undefined, debug });
setUpCompleteTab(state);
setUpChatTab(state);
setUpBenchTab(state);

for (const tab of document.querySelectorAll<HTMLButtonElement>('[role="tab"]')) {
  tab.addEventListener('click', () => {
    for (const other of document.querySelectorAll<HTMLButtonElement>('[role="tab"]')) other.setAttribute('aria-selected', String(other === tab));
    for (const panel of document.querySelectorAll<HTMLElement>('[data-panel]')) panel.hidden = panel.dataset.panel !== tab.dataset.tab;
  });
}

$('mode').textContent = self.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated: one thread';
state.changed();
void modelPanel.load();
