import type { Socket } from "node:net";

/** The two byte counters of a request or stream: what it read and what it wrote. */
export type ByteCounter = "bytesIn" | "bytesOut";

/** Whatever bytes can be credited to: a request on a socket, a stream on an HTTP/2 connection. */
export interface ByteOwner {
  credit(counter: ByteCounter, amount: number): void;
}

const COMPACT_AFTER = 256;

/**
 * One direction of one TCP connection, where what is attributed (plaintext: request heads, frames)
 * and what is counted (the TCP socket's bytes, TLS records and handshake included) differ.
 *
 * Plaintext shares are owed first and paid, in the order they passed, out of the bytes the TCP
 * socket has really moved; whatever the socket moved beyond every share owed is the TLS overhead
 * (records, handshake, alerts). It goes to the owner of the last bytes paid at that look, the
 * request or stream being read or written then, whose bytes the records just carried; at the first
 * look, which includes the handshake, to the first owner paid, the connection's first user, as
 * the TCP connection itself is; with nothing paid (part of a record not yet decrypted) to the
 * owner the caller names. So at every look the credits add up to the TCP counter exactly, and no
 * credit is ever negative, even when the two counters run apart:
 * - inbound, part of a TLS record can be read before any of its plaintext is released (the record
 *   must be whole to be decrypted): the socket is ahead, the excess is paid as overhead at once, and
 *   the plaintext, when it comes, is paid from the record's later bytes;
 * - outbound, TLS encrypts into a buffer of its own and writes it to the socket one write at a
 *   time: the plaintext is ahead, and its shares wait until the socket has carried as many bytes.
 * Shares still owed when the connection ends are dropped (they never crossed the network as such).
 * Without TLS the socket is the plaintext: shares are paid as they are owed, overhead is 0.
 */
export class WireLedger {
  private wire = 0;
  /** Shares owed, in order, from `head` on; consecutive shares of one owner are merged. */
  private readonly owners: ByteOwner[] = [];
  private readonly amounts: number[] = [];
  private head = 0;

  constructor(private readonly counter: ByteCounter) {}

  /** `amount` plaintext bytes of `owner` have passed. */
  owe(owner: ByteOwner, amount: number): void {
    if (amount <= 0) return;
    const last = this.owners.length - 1;
    if (last >= this.head && this.owners[last] === owner) this.amounts[last] = (this.amounts[last] as number) + amount;
    else {
      this.owners.push(owner);
      this.amounts.push(amount);
    }
  }

  /** The TCP counter now reads `wire`: pay what is owed, in order; the overhead as above. */
  settle(wire: number, otherwise: ByteOwner): void {
    let budget = wire - this.wire;
    if (budget <= 0) return;
    const firstLook = this.wire === 0;
    this.wire = wire;
    let overheadOwner: ByteOwner | null = null;
    while (this.head < this.owners.length && budget > 0) {
      const owed = this.amounts[this.head] as number;
      const paid = Math.min(owed, budget);
      const owner = this.owners[this.head] as ByteOwner;
      owner.credit(this.counter, paid);
      if (!firstLook || overheadOwner === null) overheadOwner = owner;
      budget -= paid;
      if (paid < owed) this.amounts[this.head] = owed - paid;
      else this.head++;
    }
    if (this.head === this.owners.length) this.clear();
    else if (this.head >= COMPACT_AFTER) {
      // A socket that stays behind its plaintext for long (a stream to a slow reader): drop what is paid.
      this.owners.splice(0, this.head);
      this.amounts.splice(0, this.head);
      this.head = 0;
    }
    if (budget > 0) (overheadOwner ?? otherwise).credit(this.counter, budget);
  }

  /** Nothing more will be paid: forget what is still owed. */
  clear(): void {
    this.owners.length = 0;
    this.amounts.length = 0;
    this.head = 0;
  }
}

/** Bytes a socket has handed to the operating system: what still waits in Node's own buffer left out. */
export function handedOver(socket: Socket): number {
  return (socket.bytesWritten ?? 0) - socket.writableLength;
}
