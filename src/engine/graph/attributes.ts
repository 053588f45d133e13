import { AttributeValue, TensorData } from '../onnx/model';

/** Attribute constructors, so op emitters read like ONNX (`{ axis: int(-1) }`). */
export const int = (value: number): AttributeValue => ({ kind: 'int', value });
export const float = (value: number): AttributeValue => ({ kind: 'float', value });
export const ints = (value: readonly number[]): AttributeValue => ({ kind: 'ints', value });
export const floats = (value: readonly number[]): AttributeValue => ({ kind: 'floats', value });
export const str = (value: string): AttributeValue => ({ kind: 'string', value });
export const tensor = (value: TensorData): AttributeValue => ({ kind: 'tensor', value });

export function intAttr(attrs: Readonly<Record<string, AttributeValue>>, name: string, fallback: number): number {
  const a = attrs[name];
  return a && a.kind === 'int' ? a.value : fallback;
}

export function intsAttr(attrs: Readonly<Record<string, AttributeValue>>, name: string): readonly number[] | undefined {
  const a = attrs[name];
  return a && a.kind === 'ints' ? a.value : undefined;
}

export function floatAttr(attrs: Readonly<Record<string, AttributeValue>>, name: string, fallback: number): number {
  const a = attrs[name];
  return a && a.kind === 'float' ? a.value : fallback;
}
