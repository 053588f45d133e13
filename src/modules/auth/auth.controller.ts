import { Controller, Get, Headers, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ApiErrorResponses } from '../../http/api-errors.decorator';
import { keyScope } from '../../http/api-keys';
import { Scope } from '../../http/scope.decorator';
import { WhoAmIDto } from './auth.dto';

/** Lets a client (the console) learn what its key may do before it offers actions the key cannot take. */
@ApiTags('auth')
@ApiBearerAuth()
@ApiErrorResponses([401, 500])
@Controller('v1/auth')
export class AuthController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  // Public: without a key it answers scope "none" (so a page knows to ask for one); an unknown key is 401.
  @Get('whoami')
  @Scope('public')
  @ApiOperation({ summary: "The scope of the request's API key: what it may do on this server" })
  @ApiOkResponse({ type: WhoAmIDto })
  whoami(@Headers('authorization') authorization?: string): WhoAmIDto {
    const scope = keyScope(this.config, authorization);
    return {
      auth_enabled: this.config.auth.enabled,
      scope,
      can_infer: scope !== 'none',
      can_administer: scope === 'admin',
      public_metrics: !this.config.auth.enabled || this.config.auth.publicMetrics,
    };
  }
}
