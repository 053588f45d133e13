import { applyDecorators, ArgumentMetadata, PipeTransform, ValidationPipe } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  Max,
  Min,
  ValidateBy,
  ValidationArguments,
  ValidationError,
  ValidationOptions,
  validateSync,
} from 'class-validator';
import { InvalidInputError } from '../errors/domain-error';

/**
 * Validation at the edge, kept beside the documentation it implies: each composite decorator
 * below both checks a field and describes it in the OpenAPI document, so the two cannot drift.
 */

export interface FieldProblem {
  field: string;
  problems: string[];
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) out.push({ field, problems: [...new Set(Object.values(e.constraints))] });
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

export function validationFailure(errors: ValidationError[]): InvalidInputError {
  const fields = flatten(errors);
  const summary = fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ');
  return new InvalidInputError(`invalid request: ${summary}`, { fields });
}

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true } as const;

/**
 * The global pipe. Bodies must not carry unknown fields; unknown query parameters are dropped, as
 * they always were (clients of the OpenAI API send some that Berth does not take, such as `order`).
 */
export function createValidationPipe(): PipeTransform {
  const bodies = new ValidationPipe({ ...OPTIONS, transform: true, exceptionFactory: validationFailure });
  const queries = new ValidationPipe({ ...OPTIONS, forbidNonWhitelisted: false, transform: true, exceptionFactory: validationFailure });
  return {
    transform: (value: unknown, metadata: ArgumentMetadata) => (metadata.type === 'query' ? queries : bodies).transform(value, metadata),
  };
}

/** Validates a plain object against a DTO class outside a route's body (task-specific parameters). */
export function validateDto<T extends object>(cls: new () => T, plain: unknown, prefix?: string): T {
  if (plain !== undefined && plain !== null && (typeof plain !== 'object' || Array.isArray(plain))) {
    throw new InvalidInputError(`invalid request: ${prefix ?? 'body'} must be an object`, {
      fields: [{ field: prefix ?? 'body', problems: ['must be an object'] }],
    });
  }
  const instance = plainToInstance(cls, plain ?? {});
  const errors = validateSync(instance, OPTIONS);
  if (errors.length > 0) {
    throw validationFailure(prefix ? errors.map((e) => ({ ...e, property: `${prefix}.${e.property}` })) : errors);
  }
  return instance;
}

// ---- input shapes ---------------------------------------------------------------------------------

export const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function isPairObject(v: unknown, keys: readonly string[], optional: readonly string[] = []): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!keys.includes(k) && !optional.includes(k)) return false;
  for (const k of keys) if (!isNonEmptyString(o[k])) return false;
  for (const k of optional) if (o[k] !== undefined && !isNonEmptyString(o[k])) return false;
  return true;
}

function oneOrMany(v: unknown, item: (x: unknown) => boolean): boolean {
  if (Array.isArray(v)) return v.length > 0 && v.every(item);
  return item(v);
}

function inputsRule(name: string, item: (x: unknown) => boolean, message: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (v: unknown) => oneOrMany(v, item),
        defaultMessage: (a?: ValidationArguments) => `${a?.property ?? 'inputs'} ${message}`,
      },
    },
    options,
  );
}

/** `inputs`: a non-empty string or a non-empty array of them. */
export function TextInputs(description = 'A text, or an array of texts (a client batch).'): PropertyDecorator {
  return applyDecorators(
    inputsRule('textInputs', isNonEmptyString, 'must be a non-empty string or a non-empty array of non-empty strings'),
    ApiProperty({
      description,
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      ],
    }),
  );
}

const isTextOrPair = (v: unknown): boolean => isNonEmptyString(v) || isPairObject(v, ['text'], ['text_pair']);

const TEXT_PAIR_SCHEMA = {
  type: 'object',
  required: ['text'],
  properties: { text: { type: 'string', minLength: 1 }, text_pair: { type: 'string', minLength: 1 } },
  additionalProperties: false,
};

/** `inputs` for classification: texts or `{text, text_pair}` objects, one or many. */
export function ClassifyInputs(): PropertyDecorator {
  return applyDecorators(
    inputsRule(
      'classifyInputs',
      isTextOrPair,
      'must be a non-empty string, a {text, text_pair?} object of non-empty strings, or a non-empty array of those',
    ),
    ApiProperty({
      description: 'A text, a text pair, or an array of either (a client batch).',
      oneOf: [
        { type: 'string', minLength: 1 },
        TEXT_PAIR_SCHEMA,
        { type: 'array', minItems: 1, items: { oneOf: [{ type: 'string', minLength: 1 }, TEXT_PAIR_SCHEMA] } },
      ],
    }),
  );
}

/** `inputs` made of objects with the given non-empty string fields, one or many. */
export function ObjectInputs(fields: readonly string[], description: string): PropertyDecorator {
  const schema = {
    type: 'object',
    required: [...fields],
    properties: Object.fromEntries(fields.map((f) => [f, { type: 'string', minLength: 1 }])),
    additionalProperties: false,
  };
  return applyDecorators(
    inputsRule(
      `objectInputs(${fields.join(',')})`,
      (v) => isPairObject(v, fields),
      `must be a {${fields.join(', ')}} object of non-empty strings, or a non-empty array of them`,
    ),
    ApiProperty({ description, oneOf: [schema, { type: 'array', minItems: 1, items: schema }] }),
  );
}

/** Optional model name (the task's default model when omitted). */
export function ModelName(): PropertyDecorator {
  return applyDecorators(
    ValidateBy({
      name: 'modelName',
      validator: {
        validate: (v: unknown) => v === undefined || (typeof v === 'string' && MODEL_NAME.test(v)),
        defaultMessage: () => 'model must be a model name (letters, digits, ".", "_", "-"; at most 64 characters)',
      },
    }),
    ApiPropertyOptional({ description: "Model name; the task's default model when omitted.", pattern: MODEL_NAME.source }),
  );
}

export const MODEL_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;

// ---- query parameters ----------------------------------------------------------------------------
// Query strings arrive as text; these turn them into typed values. An empty value (`?limit=`) reads
// as absent. They only validate: the swagger plugin documents a query DTO's property from its type
// and JSDoc comment, as it does a body's.

const absentIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);

/** An optional integer query parameter in [min, max], written in decimal digits only. */
export function QueryInt(min: number, max: number): PropertyDecorator {
  const message = (a: ValidationArguments): string => `${a.property} must be an integer from ${min} to ${max}, got "${String(a.value)}"`;
  return applyDecorators(
    Transform(({ value }) => {
      const v = absentIfEmpty(value);
      return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    }),
    IsOptional(),
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  );
}

/** An optional boolean query parameter: `true`/`1` or `false`/`0`. */
export function QueryBool(): PropertyDecorator {
  const values: Record<string, boolean> = { true: true, '1': true, false: false, '0': false };
  return applyDecorators(
    Transform(({ value }) => {
      const v = absentIfEmpty(value);
      return typeof v === 'string' && Object.hasOwn(values, v) ? values[v] : v;
    }),
    IsOptional(),
    IsBoolean({ message: (a: ValidationArguments) => `${a.property} must be true, 1, false or 0, got "${String(a.value)}"` }),
  );
}

/** Normalises one-or-many into an array (the shape the core always takes). */
export function asArray<T>(v: T | T[]): T[] {
  return Array.isArray(v) ? v : [v];
}
