/** A download held in flight by the client: its head has arrived and it reads no more until told. */
import { connectTo, readResponse, requestText, type Download } from './http-client.js';

export interface PausedDownload {
  /** Resolves once the whole body is read (after `resume()`). */
  readonly result: Promise<Download>;
  resume(): void;
}

/** `GET path`, paused as soon as the response head arrives: the server is mid-body until resume(). */
export async function pausedDownload(
  port: number,
  path: string,
  host = '127.0.0.1',
): Promise<PausedDownload> {
  const socket = await connectTo(port, host);
  let headSeen!: () => void;
  const gotHead = new Promise<void>((resolve) => (headSeen = resolve));
  const result = readResponse(socket, {
    onHead: () => {
      socket.pause();
      headSeen();
    },
  });
  socket.write(requestText(path));
  await Promise.race([gotHead, result]);
  return {
    result: result.finally(() => socket.end()),
    resume: () => socket.resume(),
  };
}
