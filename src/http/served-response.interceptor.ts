import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, Observable } from 'rxjs';
import { telemetryOf } from './request-context';
import { ServedResponse } from './served-response';

export const TASK_KEY = 'berth:task';

/** Labels a route's requests with a task before it runs, so failed requests carry it too. */
export const TaskLabel = (task: string): MethodDecorator & ClassDecorator => SetMetadata(TASK_KEY, task);

const ms = (v: number): string => (Math.round(v * 1000) / 1000).toString();

/**
 * Unwraps a controller's `ServedResponse`: sends its body, sets the model and stage-timing headers,
 * and leaves the model, task and timings on the request for the one place that logs and records
 * metrics.
 */
@Injectable()
export class ServedResponseInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const task = this.reflector.getAllAndOverride<string | undefined>(TASK_KEY, [context.getHandler(), context.getClass()]);
    if (task) telemetryOf(request).task = task;
    return next.handle().pipe(
      map((result: unknown) => {
        if (!(result instanceof ServedResponse)) return result;
        const { model, version, timings } = result.servedBy;
        const t = telemetryOf(request);
        t.model = model;
        t.task = result.task;
        t.timings = timings;
        void reply.headers({
          'x-model-name': model,
          'x-model-version': String(version),
          'x-tokenization-time': ms(timings.tokenizationMs),
          'x-queue-time': ms(timings.queueMs),
          'x-inference-time': ms(timings.inferenceMs),
          'x-total-time': ms(timings.totalMs),
        });
        return result.body;
      }),
    );
  }
}
