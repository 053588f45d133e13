import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DomainError } from '../../errors/domain-error';
import { Scope } from '../../http/scope.decorator';
import { Asset, consoleDir, loadAssets, negotiate } from './console-assets';

/**
 * Serves the console (a static page that uses only the public API) at /console. Public: the page
 * asks for a key itself and sends it with each API call. Hashed assets are cached for a year; the
 * page is revalidated each time, so a new build is picked up at once.
 */
// The page is not an API: it stays out of the OpenAPI document.
@ApiExcludeController()
@Scope('public')
@Controller('console')
export class ConsoleController {
  private readonly assets = loadAssets(consoleDir());

  @Get()
  page(@Headers('accept-encoding') acceptEncoding: string | undefined, @Res() reply: FastifyReply): FastifyReply {
    const index = this.assets.get('index.html');
    if (!index) throw new DomainError('NOT_FOUND', 'the console is not built: run npm run build');
    // The page may only talk to this server: no request can leave the machine from it.
    void reply.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
    );
    return send(reply, index, acceptEncoding, 'no-cache');
  }

  @Get('assets/:file')
  asset(
    @Param('file') file: string,
    @Headers('accept-encoding') acceptEncoding: string | undefined,
    @Res() reply: FastifyReply,
  ): FastifyReply {
    const asset = this.assets.get(`assets/${file}`);
    if (!asset) throw new DomainError('NOT_FOUND', `no console asset "${file}"`);
    return send(reply, asset, acceptEncoding, 'public, max-age=31536000, immutable');
  }
}

function send(reply: FastifyReply, asset: Asset, acceptEncoding: string | undefined, cacheControl: string): FastifyReply {
  const encoding = negotiate(asset, acceptEncoding);
  void reply.header('content-type', asset.type).header('cache-control', cacheControl).header('vary', 'accept-encoding');
  if (encoding !== 'identity') void reply.header('content-encoding', encoding);
  return reply.send(asset.bodies[encoding]);
}
