/**
 * <lutra-chat model="URL">: a self-contained chat box. It loads the model in
 * its own engine worker and streams replies. Everything the model writes (and
 * every piece of model metadata) is inserted as text nodes, never as HTML.
 *
 * Attributes: model (required URL of a .gguf), max-tokens (default 128),
 * temperature (default 0.7), placeholder.
 */
import type { Engine } from '../engine/types.ts';
import { LutraError } from '../errors.ts';

const STYLE = `
:host { display: block; font: 14px/1.45 system-ui, sans-serif; color: #1d2125; border: 1px solid #d0d4cc; border-radius: 8px; background: #fff; max-width: 42rem; }
.status { font: 12px ui-monospace, monospace; color: #56616b; padding: 6px 10px; border-bottom: 1px solid #eceee9; }
.log { padding: 8px 10px; min-height: 6rem; max-height: 24rem; overflow-y: auto; }
.msg { white-space: pre-wrap; margin: 6px 0; padding: 6px 8px; border-radius: 6px; }
.user { background: #eef3f8; }
.assistant { background: #f6f7f2; }
.error { background: #fdecea; color: #8a1c12; }
form { display: flex; gap: 6px; padding: 8px 10px; border-top: 1px solid #eceee9; }
textarea { flex: 1; font: inherit; resize: vertical; min-height: 2.2rem; }
button { font: inherit; }
`;

let sharedSheet: CSSStyleSheet | undefined;
function styleSheet(): CSSStyleSheet {
  // A constructed stylesheet needs no 'unsafe-inline' under a strict CSP.
  if (!sharedSheet) {
    sharedSheet = new CSSStyleSheet();
    sharedSheet.replaceSync(STYLE);
  }
  return sharedSheet;
}

export class LutraChatElement extends HTMLElement {
  /** How elements get their engine; set by the entry point (ESM library or script tag). */
  static createEngine: (() => Engine) | undefined;
  static readonly observedAttributes = ['model'];

  private engine: Engine | undefined;
  private readonly status: HTMLDivElement;
  private readonly log: HTMLDivElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private ready = false;
  private busy = false;
  private loadedModel: string | undefined;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [styleSheet()];
    this.status = el('div', 'status');
    this.status.setAttribute('part', 'status');
    this.log = el('div', 'log');
    this.log.setAttribute('part', 'log');
    this.log.setAttribute('aria-live', 'polite');
    const form = el('form', '');
    this.input = el('textarea', '');
    this.input.rows = 2;
    this.input.placeholder = this.getAttribute('placeholder') ?? 'Write a message…';
    this.sendButton = el('button', '');
    this.sendButton.type = 'submit';
    this.sendButton.textContent = 'Send';
    this.stopButton = el('button', '');
    this.stopButton.type = 'button';
    this.stopButton.textContent = 'Stop';
    this.stopButton.disabled = true;
    form.append(this.input, this.sendButton, this.stopButton);
    root.append(this.status, this.log, form);

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send();
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        void this.send();
      }
    });
    this.stopButton.addEventListener('click', () => void this.engine?.stop());
    this.updateButtons();
  }

  connectedCallback(): void {
    void this.loadModel();
  }

  attributeChangedCallback(): void {
    if (this.isConnected) void this.loadModel();
  }

  /** The element's engine, for scripts that want more than the chat box. */
  get lutraEngine(): Engine | undefined {
    return this.engine;
  }

  private async loadModel(): Promise<void> {
    const model = this.getAttribute('model');
    if (!model || model === this.loadedModel) return;
    this.loadedModel = model;
    if (!this.engine) {
      const create = LutraChatElement.createEngine;
      if (!create) {
        this.setStatus('lutra is not initialised: load it with its script tag or import it');
        return;
      }
      this.engine = create();
    }
    this.ready = false;
    this.updateButtons();
    this.setStatus('loading model…');
    try {
      const report = await this.engine.load({ url: new URL(model, document.baseURI).href }, {
        onProgress: (p) => this.setStatus(`${p.phase === 'download' ? 'downloading' : 'loading'} ${Math.round((100 * p.loaded) / Math.max(1, p.total))}%`),
      });
      this.ready = true;
      this.setStatus(`${report.source} · ${report.flavor === 'relaxed' ? 'relaxed SIMD' : 'SIMD128'} · ${report.threads} thread${report.threads > 1 ? 's' : ''}`);
      this.dispatchEvent(new CustomEvent('lutra-ready', { detail: report }));
    } catch (error) {
      this.loadedModel = undefined;
      this.setStatus('could not load the model');
      this.addMessage('error', describeError(error));
    }
    this.updateButtons();
  }

  private async send(): Promise<void> {
    const text = this.input.value.trim();
    if (!text || !this.ready || this.busy || !this.engine) return;
    this.input.value = '';
    this.addMessage('user', text);
    const reply = this.addMessage('assistant', '');
    this.busy = true;
    this.updateButtons();
    try {
      const result = await this.engine.generate(text, {
        maxTokens: numberAttribute(this, 'max-tokens', 128),
        temperature: numberAttribute(this, 'temperature', 0.7),
      }, (chunk) => {
        reply.append(document.createTextNode(chunk.text));
        this.log.scrollTop = this.log.scrollHeight;
      });
      reply.dataset.finished = result.finishReason;
      this.dispatchEvent(new CustomEvent('lutra-reply', { detail: result }));
    } catch (error) {
      this.addMessage('error', describeError(error));
    } finally {
      this.busy = false;
      this.updateButtons();
    }
  }

  private addMessage(kind: 'user' | 'assistant' | 'error', text: string): HTMLDivElement {
    const message = el('div', `msg ${kind}`);
    message.setAttribute('part', `message ${kind}`);
    message.textContent = text;
    this.log.append(message);
    this.log.scrollTop = this.log.scrollHeight;
    return message;
  }

  private setStatus(text: string): void {
    this.status.textContent = text;
  }

  private updateButtons(): void {
    this.sendButton.disabled = !this.ready || this.busy;
    this.stopButton.disabled = !this.busy;
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

function numberAttribute(element: HTMLElement, name: string, fallback: number): number {
  const value = Number(element.getAttribute(name));
  return element.hasAttribute(name) && Number.isFinite(value) ? value : fallback;
}

function describeError(error: unknown): string {
  if (error instanceof LutraError) return `${error.name} (${error.code}): ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function defineLutraChat(createEngine: () => Engine, tagName = 'lutra-chat'): void {
  LutraChatElement.createEngine ??= createEngine;
  if (!customElements.get(tagName)) customElements.define(tagName, LutraChatElement);
}
