import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ROUTE_POLICY_KEY } from '../../http/scope.decorator';
import { ConsoleController } from './console.controller';

@Module({ controllers: [ConsoleController] })
export class ConsoleModule implements OnModuleInit {
  constructor(private readonly adapter: HttpAdapterHost) {}

  /** `/console/` (as people type it) redirects to the page; Nest's routes cannot tell it from `/console`. */
  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    fastify.get('/console/', { config: { [ROUTE_POLICY_KEY]: { scope: 'public' } } }, (_request, reply) => reply.redirect('/console', 301));
  }
}
