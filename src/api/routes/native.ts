// The native API: create a run and return at once (or wait up to ?wait seconds), read it, delete it.
// Unlike /run, stdout and stderr are kept on failure and the run outlives the request. Every error is a
// problem body ({error, message, issues?}) from the server's error handler, declared in each route's
// response schema.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isArtifactName } from '../../artifacts/rules.ts';
import { CodeRunSpec, LIMITS } from '../../coderun/schema.ts';
import { isNotFound } from '../../kube/client.ts';
import type { RuntimeSource } from '../../runtimes/catalog.ts';
import { guardScope } from '../access.ts';
import { keyOf, withFullOutput } from '../artifacts.ts';
import type { RouteDeps } from '../deps.ts';
import { Problem, problemForRefusal } from '../problem.ts';
import { languageField, runArguments } from '../ragflow/request.ts';
import { RunView, runView } from '../run-view.ts';
import { abortOnDisconnect } from './disconnect.ts';

// The CodeRun's own fields, with /run's forgiving language names (the runtimes `runtimes` registers) and
// null arguments.
const createRun = (runtimes: RuntimeSource) =>
  z.object({
    language: languageField(runtimes, 'native'),
    source: CodeRunSpec.shape.source.meta({ description: 'The program text (not base64).' }),
    arguments: runArguments,
    timeoutSeconds: CodeRunSpec.shape.timeoutSeconds,
  });

// A Kubernetes object name (DNS subdomain): anything else could never name a run, and must not reach the
// Kubernetes client as a path segment ("..", "%2F").
const NameParams = z.object({
  name: z
    .string()
    .max(253)
    .regex(
      /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
      'must be a run name: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
    ),
});
const errors = { '4xx': Problem, '5xx': Problem };

const ArtifactParams = NameParams.extend({
  file: z
    .string()
    .refine(
      isArtifactName,
      'must be an artifact name: no "/", "\\", ".." or control characters, not starting with "."',
    ),
});

function busyMessage(why: 'inflight' | 'quota' | 'quota-pending', namespace: string): string {
  switch (why) {
    case 'inflight':
      return 'this API replica is at its in-flight limit; retry shortly';
    case 'quota-pending':
      return `the namespace ${namespace}'s CodeRun quota is not counted yet (a release installed moments ago); retry shortly`;
    case 'quota':
      return `the namespace ${namespace} holds as many runs as its CodeRun quota allows; retry shortly`;
  }
}

/** RFC 6266 / 5987: a plain fallback name and the exact UTF-8 one. */
function attachment(file: string): string {
  const plain = file.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${plain}"; filename*=UTF-8''${encodeURIComponent(file)}`;
}

export async function nativeRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  guardScope(app, deps.access, problemForRefusal);
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { service, config } = deps;
  const notFound = (name: string) => ({
    error: 'NotFound',
    message: `no run named ${name} in namespace ${config.namespace}`,
  });

  api.post(
    '/v1/runs',
    {
      schema: {
        description:
          'Creates a run. Returns 201 at once, or with ?wait=N waits up to N seconds: 200 when it finished, 202 when still running. `language` names a registered SandboxRuntime (or an alias); an unknown one is 422 listing the registered ones.',
        body: createRun(deps.runtimes),
        querystring: z.object({ wait: z.coerce.number().min(0).max(LIMITS.timeoutMaxSeconds).optional() }),
        response: { 200: RunView, 201: RunView, 202: RunView, ...errors },
      },
    },
    async (req, reply) => {
      const wait = req.query.wait ?? 0;
      const { language: runtime, ...fields } = req.body;
      const outcome = await service.submit(
        { ...fields, language: runtime.name, policy: runtime.policy },
        { until: 'deadline', ms: wait * 1000 },
        abortOnDisconnect(req, reply),
      );
      switch (outcome.kind) {
        case 'busy':
          deps.metrics.rejections.inc({ reason: 'overloaded' });
          return reply
            .code(429)
            .header('retry-after', outcome.why === 'inflight' ? '1' : '5')
            .send({ error: 'Busy', message: busyMessage(outcome.why, config.namespace) });
        case 'rejected':
          deps.metrics.rejections.inc({ reason: 'policy' });
          return reply.code(422).send({
            error: 'PolicyRejected',
            message: 'the static code policy rejected the program',
            findings: outcome.findings,
          });
        case 'finished': {
          const { status } = outcome.run;
          deps.metrics.runs.inc({
            language: runtime.name,
            outcome: `${status?.phase}/${status?.reason}`,
          });
          return reply.code(200).send(runView(await withFullOutput(deps.store, outcome.run)));
        }
        case 'unfinished':
          if (wait === 0) return reply.code(201).send(runView(outcome.run));
          return reply.code(202).send(runView(await service.get(outcome.run.metadata.name)));
        default:
          throw new Error(`a kept run cannot end as ${outcome.kind}`);
      }
    },
  );

  api.get(
    '/v1/runs/:name',
    {
      schema: {
        description: 'Reads a run.',
        params: NameParams,
        response: { 200: RunView, ...errors },
      },
    },
    async (req, reply) => {
      try {
        return runView(await withFullOutput(deps.store, await service.get(req.params.name)));
      } catch (err) {
        if (isNotFound(err)) return reply.code(404).send(notFound(req.params.name));
        throw err;
      }
    },
  );

  api.get(
    '/v1/runs/:name/artifacts/:file',
    {
      schema: {
        description:
          "Downloads one file the run wrote (listed in the run's `artifacts`), as an attachment with its MIME type.",
        params: ArtifactParams,
        response: errors,
      },
    },
    async (req, reply) => {
      const { name, file } = req.params;
      let run: Awaited<ReturnType<typeof service.get>>;
      try {
        run = await service.get(name);
      } catch (err) {
        if (isNotFound(err)) return reply.code(404).send(notFound(name));
        throw err;
      }
      const artifact = run.status?.artifacts?.find((a) => a.name === file);
      const object = artifact && deps.store ? await deps.store.get(keyOf(run, file)) : null;
      if (!artifact || !object) {
        const listed = run.status?.artifacts?.map((a) => a.name) ?? [];
        return reply.code(404).send({
          error: 'NotFound',
          message: `run ${name} has no artifact named ${file}${listed.length ? ` (it has: ${listed.join(', ')})` : ` (it has none; phase ${run.status?.phase ?? 'Pending'})`}`,
        });
      }
      return reply
        .type(artifact.mimeType)
        .header('content-length', String(object.size || artifact.size))
        .header('content-disposition', attachment(file))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "sandbox; default-src 'none'")
        .send(object.body as never);
    },
  );

  api.delete(
    '/v1/runs/:name',
    {
      schema: {
        description: 'Deletes a run; a running sandbox is stopped.',
        params: NameParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (req, reply) => {
      try {
        await service.delete(req.params.name);
        return reply.code(204).send(null);
      } catch (err) {
        if (isNotFound(err)) return reply.code(404).send(notFound(req.params.name));
        throw err;
      }
    },
  );
}
