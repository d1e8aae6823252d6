import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { PlumbError } from '../../core/errors.js';
import { STATUS_OF } from '../../http/error-status.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { ROUTE_KEY_HEADER } from './endpoints.routes.js';
import { ChatCompletion, ChatCompletionRequest } from './openai-chat.schemas.js';
import type { ChatSink, OpenAiChatService } from './openai-chat.service.js';
import { openAiError } from './openai-messages.js';

const PREDICTION_ID_HEADER = 'x-plumb-prediction-id';
const MODEL_VERSION_HEADER = 'x-plumb-model-version';

/**
 * OpenAI's error body `{ error: { message, type, param, code } }`, for every failure of the
 * route (the key's too: OpenAI clients read this shape), with the status of Plumb's code.
 */
export function openAiErrorBody(error: PlumbError): unknown {
  const status = STATUS_OF[error.code];
  const details = (error.details ?? {}) as { issues?: { field?: string }[]; param?: string };
  switch (error.code) {
    case 'not_found':
      return openAiError(error.message, 'invalid_request_error', 'model_not_found', 'model');
    case 'invalid_argument':
      return openAiError(
        error.message,
        'invalid_request_error',
        null,
        details.param ?? details.issues?.[0]?.field ?? null,
      );
    // Key and permission failures keep Plumb's code, the same on every route.
    case 'unauthenticated':
    case 'permission_denied':
      return openAiError(error.message, 'invalid_request_error', error.code);
    case 'payload_too_large':
      return openAiError(error.message, 'invalid_request_error', 'payload_too_large');
    default:
      return openAiError(error.message, status >= 500 ? 'server_error' : 'invalid_request_error', error.code);
  }
}

const OpenAiModel = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number(),
  owned_by: z.string(),
});
const ModelParams = z.object({ model: z.string().min(1).max(200) }).strict();

/** The OpenAI chat-completions API; `model` names the Plumb endpoint. */
export function openAiRoutes({ chat }: { chat: OpenAiChatService }): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/models',
      permission: 'endpoints:predict',
      summary: "OpenAI's model list: the endpoints whose primary version is an OpenAI-compatible upstream",
      tag: 'openai',
      errorBody: openAiErrorBody,
      response: z.object({ object: z.literal('list'), data: z.array(OpenAiModel) }),
      handler: async ({ ctx }) => ({
        object: 'list' as const,
        data: (await chat.models(ctx)).map((m) => ({ ...m, object: 'model' as const })),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/models/:model',
      permission: 'endpoints:predict',
      summary: 'One endpoint as an OpenAI model',
      tag: 'openai',
      errorBody: openAiErrorBody,
      params: ModelParams,
      response: OpenAiModel,
      handler: async ({ ctx, params }) => {
        const found = (await chat.models(ctx)).find((m) => m.id === params.model);
        if (!found) {
          throw new PlumbError(
            'not_found',
            `no endpoint ${params.model} serving an OpenAI-compatible upstream in project ${ctx.principal.projectName}`,
          );
        }
        return { ...found, object: 'model' as const };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/chat/completions',
      permission: 'endpoints:predict',
      summary: `OpenAI chat completions through the endpoint named by model (streamed with stream: true); ${ROUTE_KEY_HEADER} or user keeps a caller on one route`,
      tag: 'openai',
      errorBody: openAiErrorBody,
      body: ChatCompletionRequest,
      response: ChatCompletion,
      bodyLimitBytes: 16 * 1024 * 1024,
      handler: async ({ ctx, body, request, reply }) => {
        const header = request.headers[ROUTE_KEY_HEADER];
        const routeKey = typeof header === 'string' && header.length > 0 ? header : undefined;
        if (body.stream === true) {
          await chat.stream(ctx, body, { routeKey }, (answer) => openEventStream(request, reply, answer));
          return reply as never;
        }
        const answer = await chat.complete(ctx, body, { routeKey });
        reply.header(PREDICTION_ID_HEADER, answer.predictionId);
        if (answer.modelVersion) reply.header(MODEL_VERSION_HEADER, answer.modelVersion);
        return answer.body as never;
      },
    }),
  ];
}

/**
 * Takes the response over for server-sent events: each chunk is written as it comes, waiting
 * for the socket to drain when the client reads slower than the upstream sends.
 */
function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: { predictionId: string; modelVersion: string | null },
): ChatSink {
  reply.hijack();
  const res = reply.raw;
  let closed = false;
  let corked = false;
  res.on('close', () => {
    if (!res.writableFinished) closed = true;
  });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
    [PREDICTION_ID_HEADER]: answer.predictionId,
    ...(answer.modelVersion ? { [MODEL_VERSION_HEADER]: answer.modelVersion } : {}),
  });
  return {
    get closed() {
      return closed || res.destroyed;
    },
    write(data) {
      if (closed || res.destroyed) return Promise.resolve();
      // Chunks the upstream sent together leave together: the socket is corked until this turn
      // of the event loop ends, which delays none of them and saves a write call per chunk.
      if (!corked) {
        corked = true;
        res.cork();
        setImmediate(() => {
          corked = false;
          res.uncork();
        });
      }
      if (res.write(`data: ${data}\n\n`)) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    },
    end() {
      if (!res.writableEnded) res.end();
    },
  };
}
