/**
 * A participant of the interleaved benchmark: a child process that answers one JSON request
 * per line on stdin with one JSON line on stdout (`{ "value": x }` or `{ "error": "…" }`).
 * Keeping every participant alive lets the orchestrator alternate their samples, so each
 * comparison sees the same load on the shared machine.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** One request's answer: the sampled value, or why there is none. */
type Reply = { value: unknown } | { error: string };

export class Participant {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { resolve: (r: Reply) => void }[] = [];
  private buffered = '';
  private stderrTail = '';
  /** Set once the process has ended: why. */
  ended: string | undefined;

  /** Starts `command args` with `env`; `settleMs` is the pause after each of its samples (threads that spin). */
  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    readonly settleMs = 0,
  ) {
    this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl).trim();
        this.buffered = this.buffered.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        let reply: Reply;
        try {
          reply = JSON.parse(line) as Reply;
        } catch {
          reply = { error: `unreadable reply: ${line.slice(0, 200)}` };
        }
        this.waiting.shift()?.resolve(reply);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    const end = (why: string) => {
      if (this.ended) return;
      const last = this.stderrTail.trim().split('\n').pop();
      this.ended = last ? `${why}: ${last}` : why;
      for (const w of this.waiting.splice(0)) w.resolve({ error: this.ended });
    };
    this.child.on('error', (e) => end(e.message));
    this.child.on('exit', (code, signal) => end(signal ? `killed by ${signal}` : `exited with code ${code}`));
    this.child.stdin.on('error', () => {});
  }

  /** Sends one request; resolves with its value, rejects with the participant's error. */
  async request(req: object): Promise<unknown> {
    if (this.ended) throw new Error(this.ended);
    const reply = await new Promise<Reply>((resolve) => {
      this.waiting.push({ resolve });
      this.child.stdin.write(JSON.stringify(req) + '\n');
    });
    if ('error' in reply) throw new Error(reply.error);
    return reply.value;
  }

  /** Closes stdin and waits for the process to end. */
  async close(): Promise<void> {
    if (this.ended) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await done;
  }
}
