import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorBodyDto } from './error-body.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (validation, malformed JSON, wrong task for the model, too many inputs or labels)',
  401: 'Missing or unknown API key',
  403: 'The key lacks the scope this route needs',
  404: 'Unknown model or version',
  413: 'Body, archive or one of the texts is too large',
  422: 'A model version that cannot be loaded',
  429: 'Overloaded: retry after the Retry-After header',
  503: 'Models are still loading',
  500: 'Server error',
};

/** Documents the error body on a controller's routes. */
export function ApiErrorResponses(statuses: number[] = [400, 401, 403, 404, 413, 429, 503, 500]): ClassDecorator & MethodDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorBodyDto),
    ...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status], schema: { $ref: getSchemaPath(ErrorBodyDto) } })),
  );
}
