/**
 * Give the worker's event loop one turn, so that messages queued while a
 * generation runs (stop(), new callbacks) are handled between tokens.
 * A MessageChannel round trip costs microseconds; setTimeout(0) is clamped to
 * 4 ms once nested, which would cap a small model at 250 tokens/s.
 */
let channel: MessageChannel | undefined;
const waiting: Array<() => void> = [];

export function yieldToEventLoop(): Promise<void> {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => {
      waiting.shift()?.();
      // Node: an open port keeps the process alive; hold it only while a turn is pending.
      if (waiting.length === 0) nodePort(channel!.port1).unref?.();
    };
  }
  nodePort(channel.port1).ref?.();
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    channel!.port2.postMessage(0);
  });
}

function nodePort(port: MessagePort): { ref?: () => void; unref?: () => void } {
  return port as unknown as { ref?: () => void; unref?: () => void };
}
