// What subscribe() remembers about delivered messages: which ids were seen (to drop repeats) and
// the seq to resume after. Pure bookkeeping, no I/O, so each can be tested alone.

/** Remembers what was delivered: recent message ids (bounded, oldest forgotten first), which
 * decide what is a repeat, and the highest seq per channel, which is only the point to resume
 * from. A lower seq than one already seen is never a reason to drop: two publishers on one channel
 * take seqs from separate blocks, so their messages interleave out of seq order. */
export class Deduper {
  constructor(maxIds = 2048) {
    this.maxIds = maxIds;
    this.lastSeq = new Map();
    this.ids = new Set();
  }

  /** True when the frame is new; records it. */
  accept(frame) {
    if (typeof frame.id === "string" && frame.id !== "") {
      if (this.ids.has(frame.id)) return false;
      this.ids.add(frame.id);
      if (this.ids.size > this.maxIds) this.ids.delete(this.ids.values().next().value);
    }
    if (typeof frame.seq === "number" && Number.isFinite(frame.seq)) {
      const key = frame.channel ?? "";
      if (!this.lastSeq.has(key) || frame.seq > this.lastSeq.get(key)) this.lastSeq.set(key, frame.seq);
    }
    return true;
  }

  seqOf(channel) {
    return this.lastSeq.get(channel ?? "") ?? null;
  }
}

/** The seq a reconnect passes as `since`: the highest seq of the subscribed channel among the
 * messages that were settled (delivered, or rejected by their schema). A message still waiting
 * for its schema does not count, so a subscription closed in between gets it again from whoever
 * resumes here. Never lowered: with two publishers a lower seq can be settled after a higher one. */
export class ResumePoint {
  constructor(channel, since = null) {
    this.channel = channel;
    this.seq = channel !== null && since !== null && since !== undefined ? since : null;
  }

  settle(message) {
    if (message.channel !== this.channel || typeof message.seq !== "number") return;
    if (this.seq === null || message.seq > this.seq) this.seq = message.seq;
  }
}
