import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { DIAGNOSIS_TOOLS, FAILURE_CATEGORIES, FIXER_NAMES, taskSpecSchema } from '../../src/task.js';
import { buildTestApp } from '../support/api-harness.js';

interface Doc {
  openapi: string;
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> };
}
interface Operation {
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: Schema }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
}

async function fetchDoc(publicUrl?: string): Promise<Doc> {
  const { app } = buildTestApp({ publicUrl });
  // No token: the document describes the API, it reveals no task.
  const res = await app.request('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as Doc;
}

function resolve(doc: Doc, schema: Schema): Schema {
  if (schema.$ref === undefined) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = doc.components.schemas[name];
  if (target === undefined) throw new Error(`dangling $ref ${schema.$ref}`);
  return target;
}

function collectRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) collectRefs(item, out);
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') out.push(child);
      else collectRefs(child, out);
    }
  }
  return out;
}

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document with exactly the API operations', async () => {
    const doc = await fetchDoc();
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'POST /api/v1/tasks',
        'GET /api/v1/tasks',
        'GET /api/v1/stats',
        'GET /api/v1/tasks/{id}',
        'GET /api/v1/tasks/{id}/logs',
        'GET /api/v1/tasks/{id}/events',
        'POST /api/v1/tasks/{id}/cancel',
        'GET /healthz',
        'GET /readyz',
        'POST /webhooks/github',
      ].sort(),
    );
  });

  it('describes the request body with the same zod schema that validates it', async () => {
    const doc = await fetchDoc();
    const body = doc.paths['/api/v1/tasks']!.post!.requestBody!;
    expect(body.required).toBe(true);
    const schema = resolve(doc, body.content['application/json']!.schema);
    const fromZod = z.toJSONSchema(taskSpecSchema, { unrepresentable: 'any' }) as Schema;
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(Object.keys(fromZod.properties ?? {}).sort());
    expect(schema.required?.sort()).toEqual(['command', 'repo']);
    expect(schema.properties!.repo!.required?.sort()).toEqual(['ref', 'url']);
    expect(schema.properties!.fixers!.items!.enum).toEqual([...FIXER_NAMES]);
    expect(schema.properties!.timeoutSeconds).toMatchObject({ type: 'integer', minimum: 10 });
  });

  it("documents the result's diagnosis, fixers, reason and model usage", async () => {
    const doc = await fetchDoc();
    const result = doc.components.schemas.FixResult!;
    expect(Object.keys(result.properties!)).toEqual(
      expect.arrayContaining(['fixer', 'fixers', 'diagnosis', 'reason', 'model']),
    );
    expect(result.properties!.fixers!.items!.enum).toEqual([...FIXER_NAMES]);
    const diagnosis = doc.components.schemas.Diagnosis!;
    expect(diagnosis.required?.sort()).toEqual(['category', 'excerpt', 'locations', 'step', 'summary', 'tool']);
    expect(diagnosis.properties!.tool!.enum).toEqual([...DIAGNOSIS_TOOLS]);
    expect(diagnosis.properties!.category!.enum).toEqual([...FAILURE_CATEGORIES]);
    expect(Object.keys(doc.components.schemas.ModelUsage!.properties!).sort()).toEqual([
      'attempts',
      'completionTokens',
      'model',
      'modelTimeMs',
      'promptTokens',
      'steps',
      'summary',
    ]);
  });

  it('documents the log paging parameters and the task path id', async () => {
    const doc = await fetchDoc();
    const params = doc.paths['/api/v1/tasks/{id}/logs']!.get!.parameters!;
    expect(params.map((p) => `${p.in}:${p.name}:${p.required === true}`).sort()).toEqual([
      'path:id:true',
      'query:cursor:false',
      'query:limit:false',
    ]);
    expect(params.find((p) => p.name === 'limit')!.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 5000,
      default: 500,
    });
    expect(params.find((p) => p.name === 'id')!.schema).toMatchObject({ type: 'string', format: 'uuid' });
  });

  it('describes the list filters and the stats window with the schemas that validate them', async () => {
    const doc = await fetchDoc();
    const list = doc.paths['/api/v1/tasks']!.get!;
    expect(list.parameters!.map((p) => p.name).sort()).toEqual(['cursor', 'limit', 'repo', 'since', 'source', 'state']);
    expect(list.parameters!.find((p) => p.name === 'state')!.schema).toMatchObject({
      enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'],
    });
    expect(list.parameters!.find((p) => p.name === 'limit')!.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 100,
    });
    const page = resolve(doc, list.responses['200']!.content!['application/json']!.schema);
    expect(Object.keys(page.properties ?? {}).sort()).toEqual(['nextCursor', 'tasks']);
    const stats = doc.paths['/api/v1/stats']!.get!;
    expect(stats.parameters!.map((p) => p.name)).toEqual(['windowSeconds']);
    const body = resolve(doc, stats.responses['200']!.content!['application/json']!.schema);
    expect(body.required).toEqual(
      expect.arrayContaining(['states', 'outcomes', 'fixers', 'queue', 'activeSandboxes', 'recentFailures']),
    );
  });

  it('requires the bearer scheme on task operations and not on probes', async () => {
    const doc = await fetchDoc();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const op of Object.values(ops)) {
        if (path.startsWith('/api/v1/tasks') || path === '/api/v1/stats')
          expect(op.security, path).toEqual([{ bearerAuth: [] }]);
        else expect(op.security, path).toBeUndefined();
      }
    }
  });

  it('documents every error status the API answers, with the error schema', async () => {
    const doc = await fetchDoc();
    const submit = doc.paths['/api/v1/tasks']!.post!.responses;
    expect(Object.keys(submit).sort()).toEqual(['202', '400', '401', '403', '413', '415', '429']);
    expect(resolve(doc, submit['413']!.content!['application/json']!.schema).properties!.error!.required).toEqual([
      'code',
      'message',
    ]);
    expect(Object.keys(doc.paths['/api/v1/tasks/{id}/cancel']!.post!.responses).sort()).toEqual([
      '200',
      '202',
      '401',
      '403',
      '404',
      '409',
    ]);
  });

  it('has no dangling references', async () => {
    const doc = await fetchDoc();
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) expect(() => resolve(doc, { $ref: ref }), ref).not.toThrow();
  });

  it('names the public URL as the server when one is configured', async () => {
    expect((await fetchDoc()).servers).toBeUndefined();
    expect((await fetchDoc('https://fixer.example.test')).servers).toEqual([{ url: 'https://fixer.example.test' }]);
  });
});
