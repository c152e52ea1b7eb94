/**
 * Chat-like message text for compression runs: words of everyday chat drawn by a generator seeded
 * with the message's sequence number, cut to the workload's size. The default text (one repeated
 * character) compresses to almost nothing and would flatter every coding; this compresses as
 * short chat lines of a shared vocabulary do. Same length in bytes (ASCII) as the default text.
 */
const WORDS = (
  "the a to and you it is that in of for i on we this be have are with just not but so can what " +
  "will at about if get do was all my your one up out there now from time how like know see think " +
  "go new today good back meeting later thanks ok yes no sure call tomorrow morning afternoon lunch " +
  "team update build release test fix bug deploy review merge branch server client message chat " +
  "link file share doc plan week friday monday minutes quick question done soon let me check sounds " +
  "great nice agreed maybe tonight home work coffee after before again please here"
).split(" ");

/** A 32-bit generator (mulberry32): the same seed gives the same text. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `size` characters of chat-like words for message `seq`. */
export function chatText(seq: number, size: number): string {
  const next = random(seq * 2_654_435_761 + size);
  let text = "";
  while (text.length < size) text += `${text === "" ? "" : " "}${WORDS[Math.floor(next() * WORDS.length)] ?? "ok"}`;
  return text.slice(0, size);
}
