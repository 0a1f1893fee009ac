// POST /run: RAGFlow's executor-manager contract. HTTP 200 for every execution outcome.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CodeRun } from '../../coderun/schema.ts';
import { guardScope } from '../access.ts';
import { openArtifacts, ragflowBody, withFullOutput } from '../artifacts.ts';
import type { RouteDeps } from '../deps.ts';
import { ragflowFaultReply, ragflowRefusalBody } from '../ragflow/errors.ts';
import { runRequest } from '../ragflow/request.ts';
import {
  executionTimeout,
  internalError,
  policyRejected,
  poolBusy,
  type RagflowResult,
  ragflowResultFromRun,
  tooManyRequests,
} from '../ragflow/response.ts';
import { faultErrorHandler } from '../request-errors.ts';
import type { SubmitOutcome } from '../run-service.ts';
import { abortOnDisconnect } from './disconnect.ts';

function resultOf(outcome: SubmitOutcome): RagflowResult {
  switch (outcome.kind) {
    case 'finished':
      return ragflowResultFromRun(outcome.run);
    case 'rejected':
      return policyRejected(outcome.findings);
    case 'busy':
      return tooManyRequests();
    case 'cancelled':
      if (outcome.why === 'deadline') {
        return outcome.started ? executionTimeout() : poolBusy();
      }
      return internalError(
        outcome.why === 'shutdown'
          ? 'the API server is shutting down; the run was cancelled'
          : 'the client disconnected; the run was cancelled',
      );
    case 'vanished':
      return internalError('the run was deleted before it finished');
    case 'unfinished': // only a deadline wait leaves a run going; /run waits for the outcome
      return internalError('the run did not finish');
  }
}

export async function ragflowRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  // Encapsulated: FastAPI's error bodies are RAGFlow's contract on /run and nowhere else.
  app.setErrorHandler(
    faultErrorHandler(
      { metrics: deps.metrics, bodyLimitBytes: deps.config.bodyLimitBytes },
      ragflowFaultReply,
    ),
  );
  guardScope(app, deps.access, ragflowRefusalBody);
  app.withTypeProvider<ZodTypeProvider>().post(
    '/run',
    {
      schema: {
        description: "Runs a program and waits for the outcome (RAGFlow's executor-manager contract).",
        body: runRequest(deps.runtimes),
      },
    },
    async (req, reply) => {
      const started = process.hrtime.bigint();
      const { code_b64: source, language: runtime, arguments: args } = req.body;
      const language = runtime.name;
      let result: RagflowResult;
      let finishedRun: CodeRun | undefined;
      try {
        const ran = await deps.service.submit(
          { language, policy: runtime.policy, source, arguments: args },
          { until: 'outcome' },
          abortOnDisconnect(req, reply),
        );
        const outcome =
          ran.kind === 'finished' ? { ...ran, run: await withFullOutput(deps.store, ran.run) } : ran;
        result = resultOf(outcome);
        if (outcome.kind === 'finished') finishedRun = outcome.run;
        if (outcome.kind === 'rejected') deps.metrics.rejections.inc({ reason: 'policy' });
        if (outcome.kind === 'busy') {
          deps.metrics.rejections.inc({ reason: 'overloaded' });
          reply.header('retry-after', '1');
          reply.code(429);
        }
      } catch (err) {
        req.log.error({ err }, 'run failed');
        result = internalError(
          `could not run the program: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      deps.metrics.runs.inc({ language, outcome: result.status });
      deps.metrics.latency.observe(
        { language, route: '/run' },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      // Files only for a program that exited 0, as RAGFlow's executor does.
      if (result.status === 'success' && finishedRun?.status?.artifacts?.length && deps.store) {
        try {
          const opened = await openArtifacts(deps.store, finishedRun, req.log);
          return reply.type('application/json').send(ragflowBody(result, opened));
        } catch (err) {
          req.log.error({ err }, "could not read the run's artifacts from the store");
        }
      }
      return result;
    },
  );
}
