/**
 * Slack's Socket Mode on loopback: `apps.connections.open` hands out a ws:// URL, and this minimal WebSocket
 * server (RFC 6455 text frames, ping/pong, close) sends `hello` and event envelopes and records the app's acks.
 */
import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";

export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface FakeSlackSocket {
  /** Connections the app has open now. */
  connections(): number;
  /** Sends an envelope (e.g. type `slash_commands`) to the app; resolves with its ack. */
  send(type: string, payload: Record<string, unknown>, timeoutMs?: number): Promise<SocketAck>;
  /** The URL `apps.connections.open` returns. */
  url(): string;
  close(): void;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export function attachSlackSocket(server: Server, base: () => string): FakeSlackSocket {
  const sockets = new Set<Duplex>();
  const waiting = new Map<string, (ack: SocketAck) => void>();

  server.on("upgrade", (req: IncomingMessage, socket: Duplex) => {
    if (!req.url?.startsWith("/socket")) return socket.destroy();
    const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}${GUID}`).digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    sockets.add(socket);
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let frame = readFrame(buffer); frame; frame = readFrame(buffer)) {
        buffer = buffer.subarray(frame.length);
        if (frame.opcode === 0x8) {
          socket.end(encode(0x8, Buffer.alloc(0)));
          sockets.delete(socket);
        } else if (frame.opcode === 0x9) socket.write(encode(0xa, frame.payload));
        else if (frame.opcode === 0x1) {
          const ack = JSON.parse(frame.payload.toString("utf8")) as SocketAck;
          waiting.get(ack.envelope_id)?.(ack);
        }
      }
    });
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => sockets.delete(socket));
    socket.write(encode(0x1, Buffer.from(JSON.stringify({ type: "hello", num_connections: 1, connection_info: { app_id: "A0MARIO" }, debug_info: { host: "fake" } }))));
  });

  return {
    connections: () => sockets.size,
    url: () => `${base().replace(/^http/, "ws")}/socket`,
    send(type, payload, timeoutMs = 5000) {
      const [socket] = sockets;
      if (!socket) return Promise.reject(new Error("no Socket Mode connection"));
      const envelope_id = randomUUID();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ack for ${type} within ${timeoutMs} ms`)), timeoutMs);
        waiting.set(envelope_id, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
        socket.write(encode(0x1, Buffer.from(JSON.stringify({ envelope_id, type, payload, accepts_response_payload: true, retry_attempt: 0, retry_reason: "" }))));
      });
    },
    close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}

function readFrame(buf: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (buf.length < 2) return undefined;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let len = buf[1]! & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const maskAt = offset;
  if (masked) offset += 4;
  if (buf.length < offset + len) return undefined;
  const payload = Buffer.from(buf.subarray(offset, offset + len));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buf[maskAt + (i % 4)]!;
  return { opcode, payload, length: offset + len };
}

function encode(opcode: number, payload: Buffer): Buffer {
  const head = payload.length < 126 ? Buffer.from([0x80 | opcode, payload.length]) : payload.length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (payload.length >= 126 && payload.length < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(payload.length, 2);
  } else if (payload.length >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([head, payload]);
}
