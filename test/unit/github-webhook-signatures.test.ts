// X-Hub-Signature-256 on the real webhook route: only a body signed with a configured secret gets
// in; everything else is a 401 that names the problem, before the body is even parsed.
import { sign } from '@octokit/webhooks-methods';
import { describe, expect, it } from 'vitest';
import { createSignatureVerifier } from '../../src/github/signature.js';
import { OLD_WEBHOOK_SECRET, post, signedDelivery, WEBHOOK_SECRET } from '../support/github-payloads.js';
import { buildWebhookApp } from '../support/github-webhook-app.js';

const PING = { zen: 'Keep it logically awesome.', hook_id: 1 };

async function send(app: ReturnType<typeof buildWebhookApp>['app'], init: RequestInit) {
  const res = await app.request('/webhooks/github', init);
  return {
    status: res.status,
    body: (await res.json()) as { status?: string; error?: { code: string; message: string } },
  };
}

describe('webhook signatures', () => {
  it('accepts a body signed with the configured secret', async () => {
    const { app } = buildWebhookApp();
    const res = await send(app, post(await signedDelivery('ping', PING, WEBHOOK_SECRET)));
    expect(res).toEqual({ status: 200, body: { status: 'pong' } });
  });

  it('accepts the previous secret too while it is being rotated out, and only configured secrets', async () => {
    const { app } = buildWebhookApp({ secrets: [WEBHOOK_SECRET, OLD_WEBHOOK_SECRET] });
    expect((await send(app, post(await signedDelivery('ping', PING, OLD_WEBHOOK_SECRET)))).status).toBe(200);
    const { app: rotated } = buildWebhookApp({ secrets: [WEBHOOK_SECRET] });
    const res = await send(rotated, post(await signedDelivery('ping', PING, OLD_WEBHOOK_SECRET)));
    expect(res.status).toBe(401);
    expect(res.body.error?.message).toBe('invalid webhook signature');
  });

  it('refuses a body signed with another secret', async () => {
    const { app } = buildWebhookApp();
    const res = await send(app, post(await signedDelivery('ping', PING, 'not-our-secret')));
    expect(res.status).toBe(401);
    expect(res.body.error).toEqual({ code: 'unauthorized', message: 'invalid webhook signature' });
  });

  it('refuses a tampered body whose signature was made for the original', async () => {
    const { app, tasks } = buildWebhookApp();
    const delivery = await signedDelivery('ping', PING, WEBHOOK_SECRET);
    const res = await send(app, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body.replace('awesome', 'awful'),
    });
    expect(res.status).toBe(401);
    expect(tasks.submitted).toEqual([]);
  });

  it('refuses a delivery without a signature, and one with only the legacy SHA-1 signature', async () => {
    const { app } = buildWebhookApp();
    const delivery = await signedDelivery('ping', PING, WEBHOOK_SECRET);
    const { 'X-Hub-Signature-256': _signature, ...unsigned } = delivery.headers;
    const missing = await send(app, { method: 'POST', headers: unsigned, body: delivery.body });
    expect(missing.status).toBe(401);
    expect(missing.body.error?.message).toBe('missing X-Hub-Signature-256 header');
    const sha1Only = await send(app, {
      method: 'POST',
      headers: { ...unsigned, 'X-Hub-Signature': 'sha1=0123456789abcdef0123456789abcdef01234567' },
      body: delivery.body,
    });
    expect(sha1Only.status).toBe(401);
    expect(sha1Only.body.error?.message).toMatch(/unsupported signature algorithm/);
  });

  it('refuses an unsupported algorithm in X-Hub-Signature-256', async () => {
    const { app } = buildWebhookApp();
    const delivery = await signedDelivery('ping', PING, WEBHOOK_SECRET);
    const hex = delivery.headers['X-Hub-Signature-256']!.slice('sha256='.length);
    const res = await send(app, {
      method: 'POST',
      headers: { ...delivery.headers, 'X-Hub-Signature-256': `sha512=${hex}` },
      body: delivery.body,
    });
    expect(res.status).toBe(401);
    expect(res.body.error?.message).toMatch(/unsupported signature algorithm/);
  });

  it('refuses every delivery when no secret is configured', async () => {
    const { app } = buildWebhookApp({ secrets: [] });
    const res = await send(app, post(await signedDelivery('ping', PING, WEBHOOK_SECRET)));
    expect(res.status).toBe(401);
    expect(res.body.error?.message).toMatch(/not configured.*GITHUB_WEBHOOK_SECRETS/);
  });

  it('verifies with the library: a signature differing in one hex digit is invalid', async () => {
    const verify = createSignatureVerifier([WEBHOOK_SECRET]);
    const body = JSON.stringify(PING);
    const good = await sign(WEBHOOK_SECRET, body);
    expect(await verify(body, { sha256: good, sha1: undefined })).toBe('valid');
    const flipped = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    expect(await verify(body, { sha256: flipped, sha1: undefined })).toBe('invalid');
    expect(await verify(body, { sha256: good.toUpperCase().replace('SHA256', 'sha256'), sha1: undefined })).toBe(
      'invalid',
    );
    expect(await verify('', { sha256: good, sha1: undefined })).toBe('invalid');
  });
});
