import { describe, expect, it } from "vitest";
import { type ByteCounter, type ByteOwner, WireLedger } from "../../server/metering/wire-ledger.js";

class Owner implements ByteOwner {
  credited = 0;
  credit(_counter: ByteCounter, amount: number): void {
    expect(amount).toBeGreaterThan(0);
    this.credited += amount;
  }
}

describe("wire ledger: plaintext shares paid from the TCP socket's count", () => {
  it("pays shares in order and gives what the socket carried beyond them to the owner of the last bytes paid", () => {
    const ledger = new WireLedger("bytesOut");
    const [a, b, otherwise] = [new Owner(), new Owner(), new Owner()];
    ledger.owe(a, 10);
    ledger.settle(10, otherwise);
    ledger.owe(a, 100);
    ledger.owe(b, 50);
    ledger.settle(180, otherwise);
    expect([a.credited, b.credited, otherwise.credited]).toEqual([110, 70, 0]);
  });

  it("gives the first look's overhead, the handshake, to the first owner paid", () => {
    const ledger = new WireLedger("bytesIn");
    const [a, b, otherwise] = [new Owner(), new Owner(), new Owner()];
    ledger.owe(a, 100);
    ledger.owe(b, 50);
    ledger.settle(1_150, otherwise);
    expect([a.credited, b.credited, otherwise.credited]).toEqual([1_100, 50, 0]);
  });

  it("keeps shares the socket has not carried yet (TLS still holds the ciphertext), then pays the same owners", () => {
    const ledger = new WireLedger("bytesOut");
    const [a, b, overhead] = [new Owner(), new Owner(), new Owner()];
    ledger.owe(a, 100);
    ledger.owe(b, 100);
    ledger.settle(120, overhead);
    expect([a.credited, b.credited, overhead.credited]).toEqual([100, 20, 0]);
    ledger.settle(229, overhead);
    expect([a.credited, b.credited, overhead.credited]).toEqual([100, 129, 0]);
    ledger.settle(250, overhead);
    expect([a.credited, b.credited, overhead.credited]).toEqual([100, 129, 21]);
  });

  it("pays overhead at once when the socket is ahead (part of a record read, not yet decrypted)", () => {
    const ledger = new WireLedger("bytesIn");
    const [a, overhead] = [new Owner(), new Owner()];
    ledger.settle(500, overhead);
    ledger.owe(a, 600);
    ledger.settle(629, overhead);
    expect([a.credited, overhead.credited]).toEqual([129, 500]);
  });

  it("credits exactly the socket's count, never a negative amount, whatever the order", () => {
    const ledger = new WireLedger("bytesIn");
    const owners = [new Owner(), new Owner(), new Owner()];
    let wire = 0;
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let step = 0; step < 2_000; step++) {
      if (random(2) === 0) ledger.owe(owners[random(3)] as Owner, random(300));
      else {
        wire += random(400);
        ledger.settle(wire, owners[random(3)] as Owner);
      }
      expect(owners.reduce((sum, owner) => sum + owner.credited, 0)).toBe(wire);
    }
  });
});
