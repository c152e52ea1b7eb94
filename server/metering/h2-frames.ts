/**
 * HTTP/2 framing as the meter needs it (RFC 9113 §4.1): which stream each byte of a connection's
 * plaintext belongs to. Hand-written because the frame layout is the lab's subject and the parser
 * must be right at every chunk boundary; it only reads frame headers, never payloads.
 */

/** The client's connection preface, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", before its first frame. */
export const CLIENT_PREFACE_LENGTH = 24;
export const FRAME_HEADER_LENGTH = 9;

/** Frame types the meter tells apart. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Not a frame type: the bytes of the client preface (stream 0). */
export const PREFACE = -1;

export const FrameFlag = { END_STREAM: 0x1, END_HEADERS: 0x4 } as const;

/**
 * Called for each run of bytes of one frame within one chunk: `first` on the run that completes the
 * frame's header (it then includes all 9 header bytes), later runs carry only payload bytes. Plain
 * arguments, no object per call: this runs for every frame of every chunk.
 */
export type FrameBytes = (streamId: number, type: number, flags: number, bytes: number, first: boolean) => void;

/**
 * An incremental frame parser, fed the chunks of one direction in order. A header torn across
 * chunks is attributed once complete (its first bytes wait in a 9-byte buffer); bytes of a header
 * still incomplete when the connection ends are never reported.
 */
export class FrameParser {
  private prefaceLeft: number;
  private readonly header = Buffer.alloc(FRAME_HEADER_LENGTH);
  private headerFill = 0;
  private payloadLeft = 0;
  private streamId = 0;
  private type = 0;
  private flags = 0;

  /** `preface`: bytes that come before the first frame (the client preface inbound, none outbound). */
  constructor(
    private readonly onBytes: FrameBytes,
    preface = 0,
  ) {
    this.prefaceLeft = preface;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    const end = chunk.length;
    if (this.prefaceLeft > 0 && offset < end) {
      const take = Math.min(this.prefaceLeft, end - offset);
      this.prefaceLeft -= take;
      offset += take;
      this.onBytes(0, PREFACE, 0, take, false);
    }
    while (offset < end) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, end - offset);
        this.payloadLeft -= take;
        offset += take;
        this.onBytes(this.streamId, this.type, this.flags, take, false);
        continue;
      }
      const take = Math.min(FRAME_HEADER_LENGTH - this.headerFill, end - offset);
      if (this.headerFill === 0 && take === FRAME_HEADER_LENGTH) {
        this.readHeader(chunk, offset);
      } else {
        this.header.set(chunk.subarray(offset, offset + take), this.headerFill);
        this.headerFill += take;
        if (this.headerFill < FRAME_HEADER_LENGTH) return;
        this.headerFill = 0;
        this.readHeader(this.header, 0);
      }
      offset += take;
      const payload = Math.min(this.payloadLeft, end - offset);
      this.payloadLeft -= payload;
      offset += payload;
      this.onBytes(this.streamId, this.type, this.flags, FRAME_HEADER_LENGTH + payload, true);
    }
  }

  /** 24-bit length, 8-bit type, 8-bit flags, 1 reserved bit and a 31-bit stream id. */
  private readHeader(bytes: Uint8Array, at: number): void {
    this.payloadLeft = ((bytes[at] as number) << 16) | ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number);
    this.type = bytes[at + 3] as number;
    this.flags = bytes[at + 4] as number;
    // The reserved bit masked off: the top bit of the int32 is then clear and the id stays positive.
    this.streamId =
      (((bytes[at + 5] as number) & 0x7f) << 24) | ((bytes[at + 6] as number) << 16) | ((bytes[at + 7] as number) << 8) | (bytes[at + 8] as number);
  }
}
