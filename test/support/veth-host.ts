// A non-loopback address on this machine that only the test uses: a veth pair whose far end sits
// in a network namespace of the test's own, with a /30 from 198.18.0.0/15 (reserved for
// benchmarking, RFC 2544). Kubernetes refuses loopback Endpoints, so an aggregated API served
// from a host process needs an address like this; traffic to it never leaves the machine.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface VethHost {
  /** The host end's address: where a host process listens for the API server to dial. */
  address: string;
  remove(): Promise<void>;
}

async function ip(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args, { timeout: 10_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `ip ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()} (the autoscaling test needs CAP_NET_ADMIN for its veth pair)`,
      {
        cause: err,
      },
    );
  }
}

/** Creates the pair with a /30 no interface here uses yet; `remove()` deletes both ends. */
export async function createVethHost(): Promise<VethHost> {
  const used = await ip(['-4', '-o', 'addr', 'show']);
  for (let attempt = 0; attempt < 20; attempt++) {
    // 198.18.0.0/15 is 198.18.x.y and 198.19.x.y; a /30 per run: .1 host end, .2 namespace end.
    const net = `198.${18 + randomInt(2)}.${randomInt(256)}`;
    const base = randomInt(64) * 4;
    const host = `${net}.${base + 1}`;
    const peer = `${net}.${base + 2}`;
    if (used.includes(` ${net}.${base + 1}/`) || used.includes(` ${net}.${base + 2}/`)) continue;
    const tag = `${process.pid % 10000}${randomInt(1000)}`;
    const netns = `cif-as-${tag}`;
    const hostIf = `cifh${tag}`;
    const peerIf = `cifp${tag}`;
    await ip(['netns', 'add', netns]);
    const remove = async () => {
      await ip(['link', 'del', hostIf]).catch(() => undefined);
      await ip(['netns', 'del', netns]).catch(() => undefined);
    };
    try {
      await ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf, 'netns', netns]);
      await ip(['addr', 'add', `${host}/30`, 'dev', hostIf]);
      await ip(['-n', netns, 'addr', 'add', `${peer}/30`, 'dev', peerIf]);
      await ip(['-n', netns, 'link', 'set', peerIf, 'up']);
      await ip(['link', 'set', hostIf, 'up']);
    } catch (err) {
      await remove();
      throw err;
    }
    return { address: host, remove };
  }
  throw new Error('no free /30 in 198.18.0.0/15 after 20 tries');
}
