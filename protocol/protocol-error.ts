/** The peer sent bytes that break the wire format. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}
