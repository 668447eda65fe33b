/** The development outbox: messages kept in memory (the last 100) for a developer or a test to read. */
// Enough to follow a development session; older messages drop off.
const OUTBOX_LIMIT = 100;

export interface MemoryOutbox<M extends { to: string }> {
  readonly messages: M[];
  /** Keeps a message, dropping the oldest past the limit. */
  keep(message: M): void;
  /** The newest message sent to `to`, if any. */
  last(to: string): M | undefined;
}

export function createMemoryOutbox<M extends { to: string }>(): MemoryOutbox<M> {
  const messages: M[] = [];
  return {
    messages,
    keep(message) {
      messages.push(message);
      if (messages.length > OUTBOX_LIMIT) messages.shift();
    },
    last: (to) => messages.findLast((message) => message.to === to),
  };
}
