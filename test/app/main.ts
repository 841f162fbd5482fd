// A small app that uses lutra the way a library user does: by package name,
// type-checked against the published declarations (tsconfig.json here).
import { createEngine, GGUFFormatError, type EngineReport, type GenerationChunk } from 'lutra';

const status = document.getElementById('status')!;
const out = document.getElementById('out')!;

async function main(): Promise<void> {
  const engine = createEngine();
  const report: EngineReport = await engine.load({ url: new URL('stories260K.gguf', document.baseURI).href });
  status.textContent = `loaded ${report.source} on ${report.threads} thread(s)`;
  for await (const chunk of engine.stream('Once upon a time', { maxTokens: 24, temperature: 0 })) {
    const typed: GenerationChunk = chunk;
    out.append(document.createTextNode(typed.text));
  }
  const reply = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8, temperature: 0 });
  out.dataset.chatTokens = String(reply.usage.completion_tokens);
  try {
    await engine.load({ bytes: new Uint8Array([0, 1, 2, 3]) });
  } catch (error) {
    out.dataset.typedError = String(error instanceof GGUFFormatError);
  }
  status.textContent = 'done';
}

main().catch((error: unknown) => { status.textContent = `failed: ${String(error)}`; });
