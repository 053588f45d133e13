import 'reflect-metadata';
import type { ArgumentMetadata } from '@nestjs/common';
import { IsString } from 'class-validator';
import { InvalidInputError } from '../errors/domain-error';
import { createValidationPipe, QueryBool, QueryInt } from './validation';

class PageQuery {
  @QueryInt(1, 100)
  limit?: number;
  @QueryBool()
  stream?: boolean;
}

class NameBody {
  @IsString()
  name!: string;
}

describe('the global validation pipe', () => {
  const pipe = createValidationPipe();
  const query = (value: Record<string, unknown>): Promise<PageQuery> =>
    pipe.transform(value, { type: 'query', metatype: PageQuery } as ArgumentMetadata) as Promise<PageQuery>;
  const refusal = async (value: Record<string, unknown>): Promise<InvalidInputError> => {
    const err = await query(value).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  };

  it('reads integers written in decimal digits, and an empty or missing value as absent', async () => {
    expect(await query({ limit: '1' })).toEqual({ limit: 1 });
    expect(await query({ limit: '100' })).toEqual({ limit: 100 });
    expect((await query({ limit: '' })).limit).toBeUndefined();
    expect((await query({})).limit).toBeUndefined();
  });

  it.each(['0', '101', 'abc', '1e2', '1.5', ' 5', '-1', '0x10'])('refuses limit=%p with one INVALID_INPUT problem', async (limit) => {
    const err = await refusal({ limit });
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details).toEqual({ fields: [{ field: 'limit', problems: [`limit must be an integer from 1 to 100, got "${limit}"`] }] });
  });

  it('refuses a repeated limit', async () => {
    expect((await refusal({ limit: ['1', '2'] })).message).toMatch(/^invalid request: limit: limit must be an integer from 1 to 100/);
  });

  it('reads true/1 and false/0 as booleans, and refuses anything else', async () => {
    expect(await query({ stream: 'true' })).toEqual({ stream: true });
    expect(await query({ stream: '1' })).toEqual({ stream: true });
    expect(await query({ stream: 'false' })).toEqual({ stream: false });
    expect(await query({ stream: '0' })).toEqual({ stream: false });
    expect((await query({ stream: '' })).stream).toBeUndefined();
    for (const stream of ['yes', 'TRUE', 'toString']) {
      expect((await refusal({ stream })).message).toBe(`invalid request: stream: stream must be true, 1, false or 0, got "${stream}"`);
    }
  });

  it('drops unknown query parameters but refuses unknown body fields', async () => {
    expect(await query({ limit: '5', order: 'desc' })).toEqual({ limit: 5 });
    const body = pipe.transform({ name: 'x', extra: 1 }, { type: 'body', metatype: NameBody } as ArgumentMetadata) as Promise<unknown>;
    await expect(body).rejects.toMatchObject({ code: 'INVALID_INPUT', message: 'invalid request: extra: property extra should not exist' });
  });
});
