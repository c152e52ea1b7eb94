import { describe, expect, it } from "vitest";
import { MemoryFeed } from "../../server/feed.js";

const publishMany = (feed: MemoryFeed, count: number): number[] =>
  Array.from({ length: count }, (_, i) => feed.publish({ from: "f", text: `m${i}` }).message.id);

describe("Feed", () => {
  it("gives contiguous, strictly increasing ids starting after its base", () => {
    const feed = new MemoryFeed(10, 3, 1000);
    expect(publishMany(feed, 4)).toEqual([1001, 1002, 1003, 1004]);
    expect(feed.lastId).toBe(1004);
  });

  it("serializes each message once, in a fixed field order, with the nonce only when given", () => {
    const feed = new MemoryFeed(10, 3, 0);
    const plain = feed.publish({ from: "a", text: "b" }, 42);
    const withNonce = feed.publish({ from: "a", text: "b", nonce: "n" }, 43);
    expect(plain.json).toBe('{"id":1,"from":"a","text":"b","time":42}');
    expect(withNonce.json).toBe('{"id":2,"from":"a","text":"b","time":43,"nonce":"n"}');
    expect(feed.read(0).entries[0]).toBe(plain); // the same object: no copy per reader
  });

  it("reads exactly the messages after a cursor, capped by a limit", () => {
    const feed = new MemoryFeed(10, 3, 0);
    publishMany(feed, 6);
    expect(feed.read(2).entries.map((e) => e.message.id)).toEqual([3, 4, 5, 6]);
    expect(feed.read(2, 2)).toMatchObject({ more: true, reset: null });
    expect(feed.read(2, 2).entries.map((e) => e.message.id)).toEqual([3, 4]);
    expect(feed.read(6)).toEqual({ entries: [], reset: null, more: false, cursor: 6 });
  });

  it("without a cursor gives the recent history", () => {
    const feed = new MemoryFeed(10, 3, 0);
    publishMany(feed, 6);
    expect(feed.read(undefined).entries.map((e) => e.message.id)).toEqual([4, 5, 6]);
    expect(new MemoryFeed(10, 3, 0).read(undefined)).toEqual({ entries: [], reset: null, more: false, cursor: 0 });
  });

  it("keeps a bounded history and resets a cursor older than it", () => {
    const feed = new MemoryFeed(5, 2, 0);
    publishMany(feed, 12);
    expect(feed.oldestId).toBe(8);
    expect(feed.retained).toBe(5);
    expect(feed.read(7).entries.map((e) => e.message.id)).toEqual([8, 9, 10, 11, 12]);
    const { entries, reset } = feed.read(6);
    expect(reset).toEqual({ type: "reset", reason: "expired", requested: 6, cursor: 10, lastId: 12 });
    expect(entries.map((e) => e.message.id)).toEqual([11, 12]);
  });

  it("resets a cursor newer than anything published (a cursor from another run)", () => {
    const feed = new MemoryFeed(5, 2, 100);
    publishMany(feed, 3);
    expect(feed.read(500).reset).toEqual({ type: "reset", reason: "unknown", requested: 500, cursor: 101, lastId: 103 });
  });

  it("on an empty feed honours only its base as a cursor", () => {
    const feed = new MemoryFeed(5, 2, 100);
    expect(feed.read(100)).toEqual({ entries: [], reset: null, more: false, cursor: 100 });
    expect(feed.read(99).reset).toMatchObject({ reason: "expired", cursor: 100 });
  });

  it("calls subscribers for each message until they unsubscribe, and counts them", () => {
    const feed = new MemoryFeed(5, 2, 0);
    const seen: number[] = [];
    const unsubscribe = feed.subscribe((entry) => seen.push(entry.message.id));
    expect(feed.subscriberCount).toBe(1);
    publishMany(feed, 2);
    unsubscribe();
    unsubscribe();
    publishMany(feed, 1);
    expect(seen).toEqual([1, 2]);
    expect(feed.subscriberCount).toBe(0);
  });

  it("lets a subscriber unsubscribe while being called without skipping the others", () => {
    const feed = new MemoryFeed(5, 2, 0);
    const seen: string[] = [];
    const first = feed.subscribe(() => {
      seen.push("first");
      first();
    });
    feed.subscribe(() => seen.push("second"));
    publishMany(feed, 2);
    expect(seen).toEqual(["first", "second", "second"]);
  });

  it("cuts a page by bytes as well as by count, but always returns one message", () => {
    const feed = new MemoryFeed(100, 3, 0);
    for (let i = 0; i < 10; i++) feed.publish({ from: "a", text: "x".repeat(100) });
    const one = feed.read(0).entries[0];
    if (one === undefined) throw new Error("no message");
    const page = feed.read(0, 1_000, one.bytes * 3 + 1);
    expect(page.entries.map((e) => e.message.id)).toEqual([1, 2, 3]);
    expect(page.more).toBe(true);
    expect(page.cursor).toBe(3);
    const tiny = feed.read(0, 1_000, 1);
    expect(tiny.entries.map((e) => e.message.id)).toEqual([1]);
    expect(feed.read(9, 1_000, 1)).toMatchObject({ more: false, cursor: 10 });
  });

  it("says where the next read continues: the last message, the reset's cursor, or where it started", () => {
    const feed = new MemoryFeed(5, 2, 0);
    publishMany(feed, 8);
    expect(feed.read(7).cursor).toBe(8);
    expect(feed.read(8).cursor).toBe(8);
    expect(feed.read(1)).toMatchObject({ reset: { reason: "expired", cursor: 6 }, cursor: 8 });
    expect(feed.read(undefined).cursor).toBe(8);
  });
});
